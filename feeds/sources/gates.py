"""Per-host politeness and the overall request limit, shared by every fetch that should share them.

A ``feeds run --once`` makes one ``Fetcher`` and its gates live for that run. The daemon runs one job
per source, each with a fetcher of its own, so it hands them all the same ``HostGates``: then
``fetch.concurrency``, ``fetch.per_host`` and ``fetch.per_host_delay`` hold across its jobs, and a
Retry-After one job met defers the others on that host until it passes. One gate, whoever fetches.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from feeds.timefmt import utcnow

if TYPE_CHECKING:
    from feeds.config import FetchConfig
    from feeds.store.claims import HostTurns


class Gate(Protocol):
    """What a fetch passes through before asking a host (``async with gate:``)."""

    retry_after: datetime | None

    def deferred_until(self, now: datetime) -> datetime | None: ...

    async def __aenter__(self) -> None: ...

    async def __aexit__(self, *exc_info: object) -> None: ...


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

    def gate(self, host: str) -> Gate:
        return self._local(host)

    def _local(self, host: str) -> HostGate:
        found = self._hosts.get(host)
        if found is None:
            found = self._hosts[host] = HostGate(self._per_host, self._delay)
        return found


HOLD_MARGIN = 5.0  # seconds a host turn outlives its request's timeout, if its worker dies holding it


class SharedHostGates(HostGates):
    """``HostGates`` whose per-host limits also hold across processes and machines: each request
    first passes this process's own gate, then takes a turn at the host in the database
    (``feeds.store.claims.HostTurns``, run in a thread: the calls block). PostgreSQL workers."""

    def __init__(self, fetch: FetchConfig, turns: HostTurns, recheck: float = 0.2) -> None:
        super().__init__(fetch)
        self._turns = turns
        self._hold = fetch.timeout + HOLD_MARGIN  # a request never outlives its timeout; nor its turn
        self._recheck = recheck
        self._db_lock = asyncio.Lock()  # one connection: one turn at a time from this process

    def gate(self, host: str) -> Gate:
        return _SharedGate(self._local(host), self, host)

    async def take_turn(self, host: str, now: datetime) -> tuple[str | None, datetime | None]:
        """Wait for this host's turn: the lease token, or when a Retry-After window ends."""
        while True:
            async with self._db_lock:
                turn, token = await asyncio.to_thread(
                    self._turns.take, host, self._per_host, self._delay, self._hold, now, self._recheck
                )
            if turn.go or turn.deferred_until is not None:
                return token, turn.deferred_until
            await asyncio.sleep(min(turn.wait, self._recheck) if turn.wait else self._recheck)

    async def give_back(self, token: str) -> None:
        async with self._db_lock:
            await asyncio.to_thread(self._turns.give_back, token)


class _SharedGate:
    """One request's passage through a host's local gate and its database turn."""

    def __init__(self, local: HostGate, gates: SharedHostGates, host: str) -> None:
        self._local = local
        self._gates = gates
        self._host = host
        self._token: str | None = None

    @property
    def retry_after(self) -> datetime | None:
        return self._local.retry_after

    @retry_after.setter
    def retry_after(self, value: datetime | None) -> None:
        self._local.retry_after = value

    def deferred_until(self, now: datetime) -> datetime | None:
        return self._local.deferred_until(now)

    async def __aenter__(self) -> None:
        await self._local.__aenter__()
        try:
            self._token, until = await self._gates.take_turn(self._host, utcnow())
        except BaseException:
            await self._local.__aexit__(None, None, None)
            raise
        if until is not None:
            self._local.retry_after = until

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            if self._token is not None:
                await self._gates.give_back(self._token)
        finally:
            await self._local.__aexit__(*exc_info)
