"""Per-host politeness and the overall request limit, shared by every fetch that should share them.

A ``feeds run --once`` makes one ``Fetcher`` and its gates live for that run. The daemon runs one job
per source, each with a fetcher of its own, so it hands them all the same ``HostGates``: then
``fetch.concurrency``, ``fetch.per_host`` and ``fetch.per_host_delay`` hold across its jobs, and a
Retry-After one job met defers the others on that host until it passes. One gate, whoever fetches.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.config import FetchConfig


class HostGate:
    """One host: at most ``per_host`` requests at once, starts ``delay`` seconds apart, and the end of
    a Retry-After window it asked for."""

    def __init__(self, per_host: int, delay: float) -> None:
        self._slots = asyncio.Semaphore(per_host)
        self._spacing = asyncio.Lock()
        self._delay = delay
        self._next_start = 0.0
        self.retry_after: datetime | None = None

    def deferred_until(self, now: datetime) -> datetime | None:
        """When the host may be asked again, if that is still after ``now``."""
        return self.retry_after if self.retry_after is not None and self.retry_after > now else None

    async def __aenter__(self) -> None:
        await self._slots.acquire()
        if not self._delay:
            return
        async with self._spacing:
            loop = asyncio.get_running_loop()
            wait = self._next_start - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_start = loop.time() + self._delay

    async def __aexit__(self, *exc_info: object) -> None:
        self._slots.release()


class HostGates:
    """The overall limit and each host's gate, for as long as their user lives (a run, a daemon)."""

    def __init__(self, fetch: FetchConfig) -> None:
        self.overall = asyncio.Semaphore(fetch.concurrency)
        self._per_host = fetch.per_host
        self._delay = fetch.per_host_delay
        self._hosts: dict[str, HostGate] = {}

    def gate(self, host: str) -> HostGate:
        found = self._hosts.get(host)
        if found is None:
            found = self._hosts[host] = HostGate(self._per_host, self._delay)
        return found
