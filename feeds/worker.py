"""``feeds worker``: one of any number of processes, on any number of machines, sharing the polling
of a PostgreSQL store.

Each step a worker:

1. claims up to ``fetch.concurrency`` due sources (``FOR UPDATE SKIP LOCKED``, leased for
   ``scheduler.lease``: ``feeds/store/claims.py``), fetches them, and stores each one's items with
   its new state in one transaction, which also ends its lease. Every request first takes a turn at
   its host in the database, so ``fetch.per_host``, ``per_host_delay`` and Retry-After hold across
   all workers (``feeds.sources.gates.SharedHostGates``);
2. scans the local posts, when ``scheduler.local_interval`` has passed and no other process is
   scanning them (posts live on one machine's disk; a worker elsewhere finds no folder to read);
3. rebuilds the dirty feeds, if no other process is building (one builder at a time);
4. sends due webhooks and hub pings, each endpoint's queue by one process at a time, in order.

An idle worker sleeps until the next source falls due (at most ``scheduler.poll``). SIGTERM or SIGINT
ends it after the current step, giving back its leases. A worker killed outright loses only its
leases: when they expire, another worker fetches those sources again, and storing the same items
again changes nothing. Lost connections (a database restart) end the step; the worker opens the
store again with backoff. ``feeds daemon`` on a PostgreSQL store is one such worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.errors import StoreError
from feeds.parallel import LazyPool
from feeds.timefmt import utcnow

if TYPE_CHECKING:
    from feeds.config import Config
    from feeds.sources.gates import SharedHostGates
    from feeds.store.interface import Storage

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
RECONNECT_FIRST, RECONNECT_MAX = 1.0, 60.0  # seconds: backoff while the database is unreachable
# While sources keep coming, a worker rebuilds at most every BUILD_EVERY seconds, and not before
# BUILD_PAUSE times its last build's duration has passed since that build ended: a burst of fetches
# rewrites `all` a few times, not once per batch, however long a build of a large store takes (tens
# of seconds for 100,000 entries), and building takes at most a quarter of a busy worker's time.
# An idle step always builds what is dirty.
BUILD_EVERY = 10.0
BUILD_PAUSE = 3.0


@dataclass
class Clock:
    """When the periodic parts of a step last ran (monotonic seconds)."""

    scanned: float = float("-inf")
    delivered: float = float("-inf")
    built: float = float("-inf")  # when the last build (or a look at the builder's lock) ended
    build_took: float = 0.0  # how long it took (seconds)

    def build_due(self, now: float, idle: bool) -> bool:
        """Whether a step at ``now`` rebuilds: an idle one always; a busy one once ``BUILD_EVERY``
        seconds, and ``BUILD_PAUSE`` times the last build's duration, have passed since it ended."""
        return idle or now - self.built >= max(BUILD_EVERY, BUILD_PAUSE * self.build_took)


def run_worker(config: Config) -> None:
    """Open the store and work until stopped. A database that cannot be reached (not up yet, a
    restart) is waited for with backoff, at start as later; one that refuses us (a wrong password, a
    missing database, a newer schema) ends a starting worker with one line and exit 1."""
    if not config.store_is_postgres:
        from feeds.errors import ConfigError

        raise ConfigError(
            config.path,
            "feeds worker shares a PostgreSQL store between processes; this config's store is a "
            "SQLite file (use feeds daemon, or store: postgresql://…)",
            key="store",
        )
    asyncio.run(_supervise(config))


async def _supervise(config: Config) -> None:
    from feeds.store import Store

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)
    wait = RECONNECT_FIRST
    first = True
    while not stop.is_set():
        try:
            store = Store.open(config.store_location)
        except StoreError as exc:
            if first and not exc.unreachable:  # a refused password, a newer schema: exit 1, one line
                raise
            log.warning("%s; trying again in %.0fs", exc, wait)
            await _sleep(stop, wait)
            wait = min(wait * 2, RECONNECT_MAX)
            continue
        first, wait = False, RECONNECT_FIRST
        try:
            await Worker(config, store, stop).serve()
        except StoreError as exc:
            log.warning("%s; opening the store again in %.0fs", exc, wait)
            await _sleep(stop, wait)
        finally:
            store.close()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


class Worker:
    """One worker's loop over a shared store (see the module docstring)."""

    def __init__(self, config: Config, store: Storage, stop: asyncio.Event) -> None:
        from feeds.sources.gates import SharedHostGates
        from feeds.store.claims import owner_name

        claims = store.claims
        assert claims is not None
        self.config = config
        self.store = store
        self.stop = stop
        self.owner = owner_name()
        self.claims = claims
        self.gates: SharedHostGates = SharedHostGates(config.fetch, claims.host_turns(self.owner))
        self.clock = Clock()
        self.expanded = config  # with the sources its OPML lists name (``_read_lists``)
        self.pool = LazyPool()  # parse processes, kept for the worker's life once started

    async def serve(self) -> None:
        from feeds import lists

        log.info("worker %s: started", self.owner)
        self.expanded = lists.sync(self.config, self.store)
        try:
            while not self.stop.is_set():
                busy = await self.step()
                if not busy:
                    await _sleep(self.stop, self._idle_for(utcnow()))
        finally:
            self.pool.close()
            try:
                self.claims.release(self.owner)
            except StoreError as exc:  # the connection is gone: the leases expire by themselves
                log.debug("release: %s", exc)
            log.info("worker %s: stopped", self.owner)

    async def step(self) -> bool:
        """One round of the four parts; True when it fetched something (look again at once)."""
        from feeds import pipeline

        await self._read_lists()
        summary, claimed = await pipeline.ingest_claimed(
            self.expanded, self.store, self.owner, gates=self.gates, until_done=False, pool=self.pool
        )
        if claimed:
            log.info("worker %s: %d sources: %s", self.owner, claimed, summary.line())
        self._scan()
        self._build(idle=not claimed)
        await self._deliver()
        return bool(claimed)

    async def _read_lists(self) -> None:
        """OPML lists: one worker at a time fetches the due ones; every worker polls the sources
        they list now (the expansion of the stored outlines), and the sources table follows."""
        if not self.config.lists:
            return
        from feeds import lists

        with self.store.exclusive("lists", wait=False) as mine:
            if mine:
                refreshed = await lists.refresh(self.config, self.store, utcnow(), gates=self.gates)
                expanded = refreshed.config
            else:
                expanded = lists.expand(self.config, self.store)
        if expanded.remote != self.expanded.remote:
            self.store.sources.sync(expanded.remote)
        self.expanded = expanded

    def _scan(self) -> None:
        from feeds import pipeline

        if (
            not self.config.local
            or time.monotonic() - self.clock.scanned < self.config.scheduler.local_interval
        ):
            return
        with self.store.exclusive("scan", wait=False) as mine:
            if mine:
                summary = pipeline.ingest_local(self.expanded, self.store, utcnow())
                log.info("worker %s: local posts: %s", self.owner, summary.line())
        self.clock.scanned = time.monotonic()

    def _build(self, idle: bool) -> None:
        from feeds import pipeline

        started = time.monotonic()
        if not self.clock.build_due(started, idle):
            return
        try:
            built = pipeline.publish_changes(self.expanded, self.store, utcnow(), wait=False)
        finally:
            self.clock.built = time.monotonic()
            self.clock.build_took = self.clock.built - started
        if built is not None:
            self.store.meta.mark_cycle(utcnow())

    async def _deliver(self) -> None:
        if not self.config.webhooks and not self.config.websub:
            return
        if time.monotonic() - self.clock.delivered < self.config.scheduler.webhook_interval:
            return
        from feeds.notify import deliver_pending

        await deliver_pending(self.config, self.store)
        self.clock.delivered = time.monotonic()

    def _idle_for(self, now: datetime) -> float:
        """Seconds until the next source falls due (or a lease runs out), at most ``scheduler.poll``."""
        poll = self.config.scheduler.poll
        due = self.claims.next_due()
        if due is None:
            return poll
        return max(0.05, min(poll, (due - now).total_seconds()))
