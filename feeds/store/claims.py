"""Sharing the polling between workers: source claims and host turns (PostgreSQL stores only).

A worker claims due sources in one statement (``FOR UPDATE SKIP LOCKED``: two workers never wait
on, or take, the same row) and leases them until ``lease_until``. Storing a fetch clears its lease
in the transaction that saves the source's new state (``SourceRepo.record``), so a source is
fetched once per due period; a worker that dies holds its sources only until the leases expire,
and storing the same items again changes nothing, so nothing is lost or doubled.

A host's politeness holds across workers through its ``hosts`` row: taking a turn locks the row,
drops leases that expired (their worker died), counts the requests in flight, and either takes a
``host_leases`` row and moves ``next_start`` on, or says how long to wait (``policy.host_turn``).
Times here are the database's clock (``clock_timestamp()``), the one clock every machine shares.
Host turns run on a connection of their own, outside the store's transactions, so a turn never
waits for a write and a write never waits for a turn.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds import policy
from feeds.timefmt import iso, parse_iso

if TYPE_CHECKING:
    from feeds.store.interface import Connection

_DUE = (
    "SELECT name FROM sources WHERE kind = 'feed' AND configured = 1 AND enabled = 1 AND gone = 0 "
    "AND (? OR next_due IS NULL OR next_due <= ?) AND (lease_until IS NULL OR lease_until <= ?) "
    "AND name NOT IN (SELECT value FROM json_each(?)) "
    "ORDER BY next_due IS NOT NULL, next_due, name LIMIT ? FOR UPDATE SKIP LOCKED"
)
_CLAIM = f"UPDATE sources SET lease_owner = ?, lease_until = ? WHERE name IN ({_DUE}) RETURNING name"


def owner_name() -> str:
    """A worker's name in leases: its host and process, and a random part (pids repeat)."""
    import os
    import socket

    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Claims:
    """Source claims, on the store's connection, each claim one statement of its own (autocommit);
    ``another`` opens a further connection to the same database (closed with the store)."""

    def __init__(self, conn: Connection, another: Callable[[], Connection]) -> None:
        self._conn = conn
        self._another = another

    def host_turns(self, owner: str) -> HostTurns:
        """Host turns for ``owner``, on a connection of their own."""
        return HostTurns(self._another(), owner)

    def claim(
        self,
        owner: str,
        now: datetime,
        lease: float,
        limit: int,
        every: bool = False,
        done: Collection[str] = (),
    ) -> list[str]:
        """Lease up to ``limit`` due sources (``every``: due or not) that no live lease holds,
        leaving out ``done`` (what this run fetched already: one fetch per source per run)."""
        until = iso(now + timedelta(seconds=lease))
        excluded = json.dumps(sorted(done))
        rows = self._conn.execute(_CLAIM, (owner, until, every, iso(now), iso(now), excluded, limit))
        return sorted(name for (name,) in rows)

    def release(self, owner: str) -> int:
        """Give back what ``owner`` still holds (a worker stopping cleanly): due again at once."""
        cursor = self._conn.execute(
            "UPDATE sources SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?", (owner,)
        )
        return cursor.rowcount

    def next_due(self) -> datetime | None:
        """The earliest a source becomes due, or its lease expires (when an idle worker looks again)."""
        row = self._conn.execute(
            "SELECT min(CASE WHEN lease_until > coalesce(next_due, '') THEN lease_until ELSE next_due END) "
            "FROM sources WHERE kind = 'feed' AND configured = 1 AND enabled = 1 AND gone = 0"
        ).fetchone()
        return parse_iso(row[0]) if row and row[0] else None

    def leased(self) -> dict[str, str]:
        """Source → the worker holding it (for ``feeds sources`` and the tests)."""
        rows = self._conn.execute("SELECT name, lease_owner FROM sources WHERE lease_owner IS NOT NULL")
        return dict(rows)


class HostTurns:
    """Host turns, on a connection of their own (``conn``), each a short transaction."""

    def __init__(self, conn: Connection, owner: str) -> None:
        self._conn = conn
        self._owner = owner

    def take(
        self, host: str, per_host: int, delay: float, hold: float, now: datetime, recheck: float
    ) -> tuple[policy.HostTurn, str | None]:
        """Ask for a turn at ``host``: the decision, and the lease token when it is a go. ``hold``:
        seconds the lease lasts if never given back (longer than a request may take)."""
        self._conn.execute("BEGIN")
        try:
            turn, token = self._decide(host, per_host, delay, hold, now, recheck)
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        return turn, token

    def _decide(
        self, host: str, per_host: int, delay: float, hold: float, now: datetime, recheck: float
    ) -> tuple[policy.HostTurn, str | None]:
        self._conn.execute("INSERT INTO hosts (host) VALUES (?) ON CONFLICT DO NOTHING", (host,))
        clock, next_start, retry_after = self._conn.execute(
            "SELECT extract(epoch FROM clock_timestamp())::float8, next_start, retry_after_until "
            "FROM hosts WHERE host = ? FOR UPDATE",
            (host,),
        ).fetchone()
        self._conn.execute("DELETE FROM host_leases WHERE host = ? AND until <= ?", (host, clock))
        in_flight = self._conn.execute("SELECT count(*) FROM host_leases WHERE host = ?", (host,)).fetchone()[
            0
        ]
        window = parse_iso(retry_after) if retry_after else None
        turn = policy.host_turn(int(in_flight), per_host, next_start, clock, window, now, recheck)
        if not turn.go:
            return turn, None
        token = secrets.token_hex(8)
        self._conn.execute(
            "INSERT INTO host_leases (token, host, owner, until) VALUES (?, ?, ?, ?)",
            (token, host, self._owner, clock + hold),
        )
        self._conn.execute("UPDATE hosts SET next_start = ? WHERE host = ?", (clock + delay, host))
        return turn, token

    def give_back(self, token: str) -> None:
        self._conn.execute("DELETE FROM host_leases WHERE token = ?", (token,))

    def in_flight(self, host: str) -> int:
        row = self._conn.execute("SELECT count(*) FROM host_leases WHERE host = ?", (host,)).fetchone()
        return int(row[0])
