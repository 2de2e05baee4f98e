"""``feeds daemon``: the cycle of ``feeds run --once`` on APScheduler, until SIGTERM/SIGINT.

Why this shape:

- One asyncio loop, one ``Store`` (one SQLite connection), used only from the loop thread. Every job
  is a coroutine, so remote fetches overlap on the network while each database transaction runs to
  its end with no ``await`` inside it: writes are serialized by construction, with no locks.
- One job per remote source at its own interval (plus jitter), one local-scan job and one webhook
  job. After a fetch a source's job moves to the source's stored ``next_due`` (adaptive interval,
  backoff, Retry-After: ``feeds/policy.py`` via the fetcher), so nothing wakes for a source not due.
- One job per OPML list (``feeds/lists.py``): the daemon runs on the config with the lists' sources
  added (``config``; ``base_config`` is the file as loaded), and a list that changed what it lists
  adds and removes source jobs on the spot.
- Changed categories are gathered and rebuilt together a moment later, so a burst of fetches
  rewrites ``all`` once rather than once per source; what to rebuild is what the store marked dirty.
- Every job's fetcher shares one ``HostGates`` (``feeds/sources/gates.py``): ``fetch.concurrency``,
  ``fetch.per_host`` and ``fetch.per_host_delay`` hold across jobs as within one run, and a
  Retry-After one job met defers the others on that host.
- SIGTERM/SIGINT: no new jobs start; running steps get ``grace`` seconds, then are cancelled at an
  ``await`` (between transactions); a long local scan stops between files and its open batch rolls
  back. SIGHUP reloads the config; an invalid one is logged and the running one kept.
- The daemon holds the store's run lock for its life, so it and a cron ``feeds run --once`` never
  write one store together.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import signal
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from feeds import config as config_module
from feeds import pipeline
from feeds.config import Config
from feeds.errors import FeedsError
from feeds.lock import store_lock
from feeds.model import RunSummary
from feeds.notify import deliver_pending
from feeds.scheduler import (
    JOB_DEFAULTS,
    LIST_PREFIX,
    LOCAL_JOB,
    REMOTE_PREFIX,
    WEBHOOK_JOB,
    JobSpec,
    after_fetch,
    diff,
    first_run,
    plan,
    reload_problem,
)
from feeds.sources.gates import HostGates
from feeds.store import Store
from feeds.store.interface import Storage
from feeds.timefmt import utcnow

log = logging.getLogger(__name__)

GRACE = 7.0  # seconds running steps get after SIGTERM; with cleanup the exit stays under 10 s
BUILD_DELAY = 0.25  # seconds to gather changes from fetches finishing together into one rebuild
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Abandoned(Exception):
    """Raised between two post files when a stop was asked for; the open batch rolls back."""


def run_daemon(config: Config) -> None:
    """Hold the run lock (LockHeld → exit 75 in the CLI), open the store, serve until stopped."""
    with store_lock(config.store_location):
        store = Store.open(config.store_location)
        try:
            asyncio.run(Daemon(config, store).serve())
        finally:
            store.close()


def make_scheduler(loop: asyncio.AbstractEventLoop) -> AsyncIOScheduler:
    """An AsyncIOScheduler on ``loop`` in UTC with our job defaults (see ``JOB_DEFAULTS``)."""
    return AsyncIOScheduler(event_loop=loop, timezone=UTC, job_defaults=dict(JOB_DEFAULTS))


class Daemon:
    """The running daemon: its config, store, scheduler, and whether a rebuild is due."""

    def __init__(
        self,
        config: Config,
        store: Storage,
        *,
        rng: random.Random | None = None,
        grace: float = GRACE,
        build_delay: float = BUILD_DELAY,
    ) -> None:
        self.base_config = config  # as loaded; ``config`` is it with the OPML lists' sources added
        self.config = config
        self.store = store
        self.plan: dict[str, JobSpec] = {}
        self._force_lists: set[str] = set()  # lists to read again at their next run, due or not
        self.scheduler: AsyncIOScheduler | None = None
        self._rng = rng or random.Random()
        self._grace = grace
        self._build_delay = build_delay
        self._stopping = False
        self._stop = asyncio.Event()
        self._running: set[asyncio.Task[Any]] = set()
        self._build_requested = False  # what to rebuild is the store's dirty marks (build_dirty)
        self._build_timer: asyncio.TimerHandle | None = None
        self._gates = HostGates(config.fetch)  # one per-host gate for every job's fetches
        self._saved_handlers: dict[int, Any] = {}

    # ---- life cycle ----------------------------------------------------------------------------

    async def serve(self) -> None:
        """Build what a past crash may have left stale, schedule every job, run until a stop signal."""
        loop = asyncio.get_running_loop()
        self._install_signals(loop)
        try:
            self._request_build()  # a crash between a commit and its rebuild left files stale
            self.config = self._synced(self.base_config)  # per-source jobs then fetch without syncing
            self.scheduler = make_scheduler(loop)
            self._apply(plan(self.config), startup=True)
            self.scheduler.start()
            log.info(
                "daemon started (pid %d): %d remote sources, local scan every %gs",
                os.getpid(),
                sum(1 for spec in self.plan.values() if spec.id.startswith(REMOTE_PREFIX)),
                self.config.scheduler.local_interval,
            )
            await self._stop.wait()
        finally:
            await self._shutdown()
            self._restore_signals(loop)
        log.info("daemon stopped")

    def request_stop(self) -> None:
        """Stop taking new jobs and wind down (what SIGTERM and SIGINT do)."""
        self._stopping = True
        self._stop.set()

    async def _shutdown(self) -> None:
        self._stopping = True
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.pause()
        await self._finish_running()
        if self._build_timer is not None:
            self._build_timer.cancel()
            self._build_timer = None
        self._flush_build()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a loop callback

    async def _finish_running(self) -> None:
        """Let running steps end within the grace time, then cancel the rest at their next await."""
        running = set(self._running)
        if not running:
            return
        log.info("waiting up to %gs for %d running step(s)", self._grace, len(running))
        _, late = await asyncio.wait(running, timeout=self._grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def _install_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        """SIGTERM/SIGINT through ``signal.signal``: its handler runs between two Python bytecodes,
        even inside a long synchronous local scan, which then stops at the next file. SIGHUP waits
        for the loop (a reload between steps is what we want)."""

        def on_stop(signum: int, frame: FrameType | None) -> None:
            self._stopping = True
            loop.call_soon_threadsafe(self._stop.set)

        for sig in STOP_SIGNALS:
            self._saved_handlers[sig] = signal.signal(sig, on_stop)
        loop.add_signal_handler(signal.SIGHUP, self.reload)

    def _restore_signals(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.remove_signal_handler(signal.SIGHUP)
        for sig, handler in self._saved_handlers.items():
            signal.signal(sig, handler)

    # ---- jobs ----------------------------------------------------------------------------------

    def _apply(self, wanted: dict[str, JobSpec], startup: bool = False) -> None:
        """Make the scheduler's jobs match ``wanted``: add new, drop removed, reschedule changed."""
        assert self.scheduler is not None
        change = diff(self.plan, wanted)
        for job_id in change.removed:
            if self.scheduler.get_job(job_id):
                self.scheduler.remove_job(job_id)
        for spec in (*change.added, *change.changed):
            self._add_job(spec)
        self.plan = dict(wanted)
        if not startup and change:
            log.info(
                "jobs: %d added, %d removed, %d changed",
                len(change.added),
                len(change.removed),
                len(change.changed),
            )

    def _add_job(self, spec: JobSpec) -> None:
        """(Re)place a job; its first run follows the source's stored next_due, else now (+ jitter)."""
        assert self.scheduler is not None
        due = None if _url_changed(self.plan, spec) else self._stored_next_due(spec.source)
        if spec.id.startswith(LIST_PREFIX) and not self._is_url_list(spec.source):
            due = None  # a file list is looked at every scan interval from the start
        when = first_run(datetime.now(UTC), due, spec.jitter, self._rng)
        func: Callable[..., Awaitable[None]]
        args: tuple[str, ...] = ()
        if spec.id == LOCAL_JOB:
            func = self.scan_local
        elif spec.id == WEBHOOK_JOB:
            func = self.deliver
        elif spec.id.startswith(LIST_PREFIX):
            func, args = self.refresh_list, (spec.id,)
        else:
            func, args = self.fetch_source, (spec.id,)
        self.scheduler.add_job(
            func,
            "interval",
            args=args,
            id=spec.id,
            name=spec.id,
            seconds=spec.interval,
            jitter=spec.jitter or None,
            next_run_time=when,
            replace_existing=True,
        )

    @asynccontextmanager
    async def _step(self, what: str) -> AsyncIterator[None]:
        """Track a running step for shutdown; log its failure and keep the daemon going."""
        task = asyncio.current_task()
        assert task is not None
        self._running.add(task)
        try:
            yield
        except (Abandoned, asyncio.CancelledError):
            if not self._stopping:
                raise
            log.info("%s: abandoned for shutdown", what)
        except FeedsError as exc:
            log.warning("%s: %s", what, exc)
        except sqlite3.Error as exc:  # a full disk, say: one line naming the store and the cause
            log.error("%s: %s", what, self.store.error(exc))
        except Exception:
            log.exception("%s failed", what)
        finally:
            self._running.discard(task)

    async def scan_local(self) -> None:
        """The local-scan job: unchanged files cost a stat each; changes are rebuilt shortly after."""
        if self._stopping or self.store.in_transaction:
            return
        async with self._step("local scan"):
            summary = pipeline.ingest_local(self.config, self.store, utcnow(), progress=self._check_stop)
            self._record("local scan", summary)
            self.store.meta.mark_cycle(utcnow())  # the daemon's cycle, for /readyz

    async def fetch_source(self, job_id: str) -> None:
        """A remote source's job: fetch it if due, store, then move the job to its next_due."""
        spec = self.plan.get(job_id)
        if spec is None or spec.source is None or self._stopping:
            return
        async with self._step(f"fetch {spec.source}"):
            summary = await self._ingest_remote(spec.source)
            self._record(f"fetch {spec.source}", summary)
        self._follow_next_due(spec)

    async def refresh_list(self, job_id: str) -> None:
        """An OPML list's job: read or fetch it, and when the sources it gives changed, sync them
        into the store and add or remove their jobs (a removed source's entries stay)."""
        spec = self.plan.get(job_id)
        if spec is None or spec.source is None or self._stopping:
            return
        from feeds import lists

        name = spec.source
        is_url = self._is_url_list(name)
        force = name in self._force_lists
        self._force_lists.discard(name)
        async with self._step(f"OPML list {name}"):
            refreshed = await lists.refresh(
                self.base_config, self.store, utcnow(), force, names={name}, gates=self._gates
            )
            self._use(refreshed.config)
        if is_url:
            self._follow_next_due(spec)

    def _synced(self, config: Config) -> Config:
        """``config`` with its lists' sources as last stored, and the sources table made to match."""
        if not config.lists:
            self.store.sources.sync(config.remote)
            return config
        from feeds import lists

        return lists.sync(config, self.store)

    def _use(self, expanded: Config) -> None:
        """Run on a newly expanded config if its sources differ: sync them, add and remove their
        jobs, and rebuild (the sources' ranks changed, so the build re-merges)."""
        if expanded.remote == self.config.remote:
            return
        self.config = expanded
        self.store.sources.sync(expanded.remote)
        self._apply(plan(expanded))
        self._request_build()

    def _is_url_list(self, name: str | None) -> bool:
        return any(entry.is_url for entry in self.base_config.lists if entry.list_name == name)

    async def deliver(self) -> None:
        """The webhook job: send due webhook deliveries and WebSub pings (on this loop, this store)."""
        if self._stopping:
            return
        async with self._step("webhook delivery"):
            report = await deliver_pending(self.config, self.store)
            if report.delivered or report.retrying or report.dead or report.problems:
                log.info("%s", report.line())

    def _check_stop(self, count: int) -> None:
        """The local scan's progress hook: leave between two files once a stop was asked for."""
        if self._stopping:
            raise Abandoned("stop requested")

    async def _ingest_remote(self, name: str) -> RunSummary:
        """Fetch just this source (the config was synced into the store at start and on reload)."""
        return await pipeline.ingest_remote(
            self.config, self.store, utcnow(), sources={name}, gates=self._gates
        )

    def _stored_next_due(self, name: str | None) -> datetime | None:
        """When the fetcher will next fetch the source: its next_due, or its host's Retry-After end if
        later. None when unknown (never fetched, or gone: only a config change brings it back)."""
        row = self.store.sources.get(name) if name else None
        if row is None or row.gone or row.next_due is None:
            return None
        window = self.store.sources.host_windows(row.next_due).get(row.host) if row.host else None
        return max(row.next_due, window) if window else row.next_due

    def _follow_next_due(self, spec: JobSpec) -> None:
        if self._stopping or self.scheduler is None or self.scheduler.get_job(spec.id) is None:
            return
        now = datetime.now(UTC)
        when = after_fetch(now, self._stored_next_due(spec.source), spec.interval, spec.jitter, self._rng)
        if when is not None:
            self.scheduler.modify_job(spec.id, next_run_time=when)

    # ---- rebuilding ----------------------------------------------------------------------------

    def _record(self, what: str, summary: RunSummary) -> None:
        if summary.changed_categories or summary.failed:
            log.info("%s: %s", what, summary.line())
        else:
            log.debug("%s: %s", what, summary.line())
        if summary.changed_categories:
            self._request_build()

    def _request_build(self) -> None:
        """Rebuild after ``build_delay``, once for any number of changes meanwhile. What to rebuild
        is not kept here: the store marked it dirty with each change (and a changed config shows in
        the outputs fingerprint), so the marks survive a crash and there is one dirty path."""
        self._build_requested = True
        if self._build_timer is None:
            loop = asyncio.get_running_loop()
            self._build_timer = loop.call_later(self._build_delay, self._flush_build)

    def _flush_build(self) -> None:
        """Rebuild what changed, then nudge the webhook job so new events go out now, not next tick."""
        self._build_timer = None
        if not self._build_requested:
            return
        if self.store.in_transaction:  # a step is inside a transaction: try again shortly
            self._request_build()
            return
        self._build_requested = False
        try:
            self.publish()
        except (FeedsError, OSError) as exc:
            log.error("rebuilding feeds: %s", exc)
            self._request_build()
            return
        self._nudge_webhooks()

    def publish(self) -> None:
        """Rebuild what the store marked dirty (every output when the config's part in them
        changed: ``pipeline.build_dirty``) and queue WebSub pings for files that changed; first,
        retention deletes what ``feed.retain`` no longer keeps (its feeds are then dirty)."""
        result = pipeline.publish_changes(self.config, self.store, datetime.now(UTC))
        if result is not None and result.written:  # None never comes: a SQLite store's one builder
            log.info("rebuilt %d files", len(result.written))

    def _nudge_webhooks(self) -> None:
        if self._stopping or self.scheduler is None or self.scheduler.get_job(WEBHOOK_JOB) is None:
            return
        self.scheduler.modify_job(WEBHOOK_JOB, next_run_time=datetime.now(UTC))

    # ---- reload --------------------------------------------------------------------------------

    def reload(self) -> None:
        """SIGHUP: read the config again; apply it if valid, else log why and keep the running one."""
        if self._stopping or self.scheduler is None:
            return
        try:
            new = config_module.load(self.config.path)
        except FeedsError as exc:
            log.error("config reload failed, keeping the running config: %s", exc)
            return
        problem = reload_problem(self.config, new)
        if problem:
            log.error("config reload refused, keeping the running config: %s", problem)
            return
        self.base_config = new
        self.config = self._synced(new)
        self._gates = HostGates(new.fetch)
        self._apply(plan(self.config))
        self._read_lists_now()
        self._request_build()  # a changed site, titles or views rebuild every output (build_dirty)
        log.info("config reloaded from %s", new.path)

    def _read_lists_now(self) -> None:
        """A reload reads every OPML list again at once, due or not (the operator asked for it)."""
        assert self.scheduler is not None
        now = datetime.now(UTC)
        for spec in self.plan.values():
            if spec.id.startswith(LIST_PREFIX) and spec.source and self.scheduler.get_job(spec.id):
                self._force_lists.add(spec.source)
                self.scheduler.modify_job(spec.id, next_run_time=now)


def _url_changed(current: dict[str, JobSpec], spec: JobSpec) -> bool:
    """A source whose URL changed is fetched soon, whatever its old next_due said."""
    before = current.get(spec.id)
    return before is not None and before.url != spec.url


__all__ = ["Abandoned", "Daemon", "make_scheduler", "run_daemon"]
