"""What the bulk stages share to use every core: worker processes, batching, collector settings.

``ordered_map`` is an ordered, bounded map over worker processes for CPU-bound stages (markdown +
sanitizing): results come back in input order (so runs stay deterministic) and at most ``window``
chunks are in flight, so memory stays flat however many posts stream through. Small inputs never
start a pool: the first ``threshold`` items are processed in this process, and a pool starts only if
more follow (``LazyPool`` does the same for single tasks). ``ready_batches`` groups what an async
stream has ready (fetched feeds, stored a group per transaction), and ``bulk_gc`` keeps the garbage
collector out of the way while a stage runs.

asyncio, multiprocessing and concurrent.futures are imported where a pool or a stream is used: an
idle cron run, which maps over nothing, does not pay for them.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import signal
import threading
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import asyncio
    import multiprocessing.context
    from concurrent.futures import Future, ProcessPoolExecutor

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0))))


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    workers: int | None = None,
    threshold: int = 256,
    chunk: int = 64,
    window: int = 4,
) -> Iterator[tuple[T, R]]:
    """Yield ``(item, fn(item))`` in input order; ``fn`` must be a picklable module-level function."""
    iterator = iter(items)
    head = list(itertools.islice(iterator, threshold))
    count = workers or default_workers()
    if len(head) < threshold or count < 2:
        for item in itertools.chain(head, iterator):
            yield item, fn(item)
        return
    from concurrent.futures import ProcessPoolExecutor

    chunks = _chunked(itertools.chain(head, iterator), chunk)
    context = _context(getattr(fn, "func", fn).__module__)
    with ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_worker_init) as pool:
        pending: deque[tuple[list[T], Future[list[R]]]] = deque()
        for batch in itertools.islice(chunks, window * count):
            pending.append((batch, pool.submit(_apply_all, fn, batch)))
        while pending:
            batch, future = pending.popleft()
            nxt = next(chunks, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(_apply_all, fn, nxt)))
            yield from zip(batch, future.result(), strict=True)


def _context(module: str) -> multiprocessing.context.BaseContext:
    """Plain fork when this process has one thread (instant: the code is already loaded); else a
    forkserver, since forking a process with other threads (a scheduler's, a resolver's) can
    deadlock the child on a lock one of them held."""
    import multiprocessing

    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([module])  # imported once in the server, then forked warm
    return context


def _worker_init() -> None:
    """Workers leave Ctrl-C to the parent, and exit if the parent dies (even by SIGKILL); they
    collect garbage as seldom as a bulk stage does (see ``bulk_gc``).

    Without the watch, a killed ``feeds run`` leaves workers blocked on a result pipe nobody reads,
    holding cron's stdout open forever.
    """
    import multiprocessing

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(BULK_GC_THRESHOLD, *gc.get_threshold()[1:])
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()


BULK_GC_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)
_bulk: list[tuple[int, int, int]] = []  # the thresholds to restore, one per stage in progress


@contextlib.contextmanager
def bulk_gc() -> Iterator[None]:
    """Collect garbage seldom while items stream through a bulk stage.

    A stage allocates hundreds of thousands of short-lived objects that form no cycles (items,
    entries, rows). At the default threshold CPython collects every few items, and each older
    collection walks the whole heap: on a first remote cycle (bench/bench_fetch.py) that was
    0.5 s on the process that also stores, against 0.12 s here. What exists before the stage is
    frozen: out of every collection, and never copied into forked workers by a collection's
    writes. Re-entrant, also for stages interleaved on one event loop (the daemon's jobs): the
    last stage to finish restores what the first one found.
    """
    if not _bulk:
        gc.freeze()
    _bulk.append(gc.get_threshold() if not _bulk else _bulk[0])
    gc.set_threshold(BULK_GC_THRESHOLD, *_bulk[0][1:])
    try:
        yield
    finally:
        original = _bulk.pop()
        if not _bulk:
            gc.set_threshold(*original)
            gc.unfreeze()


def _exit_with(sentinel: int) -> None:
    import multiprocessing.connection

    multiprocessing.connection.wait([sentinel])
    os._exit(1)


def _chunked(items: Iterator[T], size: int) -> Iterator[list[T]]:
    while batch := list(itertools.islice(items, size)):
        yield batch


def _apply_all(fn: Callable[[T], R], batch: list[T]) -> list[R]:
    return [fn(item) for item in batch]


class LazyPool:
    """A process pool that starts only once ``threshold`` tasks have come by: a cron run that finds a
    few changed feeds never pays for worker start-up; a first run over a thousand feeds uses every core.
    """

    def __init__(self, threshold: int = 16, workers: int | None = None) -> None:
        self._threshold = threshold
        self._workers = workers or default_workers()
        self._seen = 0
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, fn: Callable[[T], R], item: T) -> Future[R]:
        """``fn(item)`` in a worker, or run here (a finished future) while a pool is not worth it."""
        from concurrent.futures import Future, ProcessPoolExecutor

        self._seen += 1
        if self._pool is None and (self._seen < self._threshold or self._workers < 2):
            done: Future[R] = Future()
            try:
                done.set_result(fn(item))
            except BaseException as exc:
                done.set_exception(exc)
            return done
        if self._pool is None:
            context = _context(getattr(fn, "func", fn).__module__)
            self._pool = ProcessPoolExecutor(self._workers, mp_context=context, initializer=_worker_init)
        return self._pool.submit(fn, item)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> LazyPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


async def ready_batches(source: AsyncIterator[T], size: int) -> AsyncGenerator[list[T], None]:
    """What ``source`` has produced so far, in lists of at most ``size``: the first item of each list
    is waited for, the rest are the ones that arrived meanwhile (while the caller handled the last
    list). A caller that is slower than its source gets bigger lists, and no list waits for more.

    ``source`` is consumed by a task of its own; its exception is raised here, in order.
    """
    import asyncio

    arrived: asyncio.Queue[tuple[T] | Exception | None] = asyncio.Queue()

    async def pump() -> None:
        try:
            async for item in source:
                arrived.put_nowait((item,))
        except Exception as exc:  # handed to the consumer, raised there
            arrived.put_nowait(exc)
        else:
            arrived.put_nowait(None)

    task = asyncio.create_task(pump())
    try:
        while True:
            batch: list[T] = []
            message = await arrived.get()
            while True:
                if isinstance(message, Exception):
                    if batch:
                        yield batch
                    raise message
                if message is None:
                    if batch:
                        yield batch
                    return
                batch.append(message[0])
                if len(batch) >= size or arrived.empty():
                    break
                message = arrived.get_nowait()
            yield batch
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
