"""The worker pools: order kept, small inputs stay in-process, errors come back intact; and
ready_batches, which groups what an async source has ready."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from feeds.parallel import BULK_GC_THRESHOLD, LazyPool, bulk_gc, ordered_map, ready_batches
from feeds.parse.feed import FeedParseError, ParseContext, parse_feed


def pid_of(_: int) -> int:
    return os.getpid()


def square(n: int) -> int:
    return n * n


def test_ordered_map_keeps_input_order_across_workers() -> None:
    items = list(range(1000))
    results = list(ordered_map(square, items, workers=2, threshold=10, chunk=7, window=2))
    assert results == [(n, n * n) for n in items]


def test_small_inputs_never_start_a_pool() -> None:
    assert {pid for _, pid in ordered_map(pid_of, range(5), workers=2, threshold=10)} == {os.getpid()}
    with LazyPool(threshold=10, workers=2) as pool:
        assert pool.submit(pid_of, 0).result() == os.getpid()


def test_large_inputs_use_worker_processes() -> None:
    pids = {pid for _, pid in ordered_map(pid_of, range(200), workers=2, threshold=10, chunk=5)}
    assert os.getpid() not in pids


def test_a_workers_error_arrives_whole() -> None:
    context = ParseContext("s", "https://x.example/rss", datetime.now(UTC), ZoneInfo("Asia/Shanghai"))
    with LazyPool(threshold=0, workers=2) as pool:
        future = pool.submit(partial(parse_feed, ctx=context), b"this is not a feed")
        with pytest.raises(FeedParseError) as caught:
            future.result(timeout=30)
    assert caught.value.location == "https://x.example/rss"
    assert caught.value.reason


async def produce(events: list[str], fail_after: int | None = None) -> AsyncIterator[int]:
    """Items 0..5: 0-2 arrive one loop turn apart, then 3-5 all at once."""
    try:
        for n in range(3):
            await asyncio.sleep(0.01)
            yield n
        await asyncio.sleep(0.01)
        for n in range(3, 6):
            if fail_after is not None and n > fail_after:
                raise ValueError(f"broken after {fail_after}")
            yield n
    finally:
        events.append("source closed")


def test_ready_batches_groups_what_arrived_while_the_caller_was_busy() -> None:
    async def consume() -> list[list[int]]:
        batches = []
        async for batch in ready_batches(produce([]), size=2):
            batches.append(batch)
            await asyncio.sleep(0.05)  # a slow caller: everything else arrives meanwhile
        return batches

    batches = asyncio.run(consume())
    assert [n for batch in batches for n in batch] == list(range(6))  # order kept, nothing lost
    assert batches[0] == [0]  # the first item is not held back waiting for more
    assert all(1 <= len(batch) <= 2 for batch in batches)
    assert len(batches) < 6  # later ones were grouped


def test_ready_batches_raises_the_sources_error_after_its_items() -> None:
    async def consume() -> list[int]:
        seen: list[int] = []
        with pytest.raises(ValueError, match="broken after 3"):
            async for batch in ready_batches(produce([], fail_after=3), size=10):
                seen.extend(batch)
        return seen

    assert asyncio.run(consume()) == [0, 1, 2, 3]


def test_ready_batches_closes_the_source_when_the_caller_stops() -> None:
    events: list[str] = []

    async def consume() -> None:
        async with contextlib.aclosing(ready_batches(produce(events), size=10)) as batches:
            async for batch in batches:
                assert batch == [0]
                break
        assert events == ["source closed"]  # at once, not when the loop shuts down

    asyncio.run(consume())


def test_bulk_gc_restores_the_collector_after_interleaved_stages() -> None:
    original = gc.get_threshold()
    first, second = bulk_gc(), bulk_gc()
    first.__enter__()
    assert gc.get_threshold()[0] == BULK_GC_THRESHOLD and gc.get_freeze_count() > 0
    second.__enter__()
    first.__exit__(None, None, None)  # the first stage ends while the second still runs
    assert gc.get_threshold()[0] == BULK_GC_THRESHOLD
    second.__exit__(None, None, None)
    assert gc.get_threshold() == original and gc.get_freeze_count() == 0
