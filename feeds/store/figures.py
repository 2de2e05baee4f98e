"""What ``feeds serve`` reads from the store for ``/metrics`` and ``/readyz``, read-only.

The server is not the store's writer (cron's ``feeds run --once`` or the daemon is), so it never
goes through ``Store.open``, which creates a missing file and migrates: it opens its own read-only
connection (``mode=ro``) for each request and closes it at once.

* In WAL mode readers do not wait for the writer: a scrape sees the last committed state while a
  cycle is writing. The busy timeout is short anyway (``READ_TIMEOUT``), for the rare moments a
  reader must wait (WAL recovery after a crash), so a stuck store costs a scrape its answer, never
  the server a thread for long.
* All figures come from one read transaction, so they agree with each other.
* A missing file is not created: it is a reason (``StoreError``), as are a file that cannot be opened
  and a schema this feeds cannot read. SQLite's read-only WAL reader creates the ``-wal`` and ``-shm``
  side files when no writer has them open (it needs the shared memory to read); the next writer
  uses and removes them.

The queries each answer from an index or a small table (``sources`` grouped, ``deliveries`` by
status, ``meta`` by key) except the count of entries, one pass over ``entries``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.errors import StoreError
from feeds.store.meta import LAST_BUILD, LAST_CYCLE, fetch_counts, moment
from feeds.store.schema import LATEST
from feeds.timefmt import parse_iso

if TYPE_CHECKING:
    from feeds.store.interface import Connection

LISTS_SINCE = 7  # the schema version that added OPML lists' rows (sources.kind)
READ_TIMEOUT = 1.0  # seconds a read may wait for a lock before the request gives up
FIGURES_SINCE = 3  # the first schema version holding every column read here (entries.hidden)


@dataclass(frozen=True, slots=True)
class SourceGroup:
    """Configured remote sources sharing a gone flag and a count of consecutive errors (capped)."""

    gone: bool
    errors: int
    count: int


@dataclass(frozen=True, slots=True)
class Figures:
    """One consistent snapshot of what the operator's metrics report."""

    sources: tuple[SourceGroup, ...]  # feeds
    lists: tuple[SourceGroup, ...]  # OPML subscription lists (fetched like feeds, from version 7)
    entries: int  # shown entries (those every rule dropped are hidden, and in no feed)
    fetches: tuple[tuple[str, int], ...]  # (outcome, fetches so far), sorted
    outbox_pending: int  # webhook deliveries and hub pings still owed, and events not yet fanned out
    outbox_oldest: datetime | None  # when the longest-waiting of those was queued
    deliveries: tuple[tuple[str, int], ...]  # webhook deliveries by status, sorted
    failures: int  # rejected posts, feed items and output files on record (`feeds failures`)
    last_cycle: datetime | None
    last_build: datetime | None


@contextmanager
def read_only(location: Path | str, timeout: float = READ_TIMEOUT) -> Iterator[tuple[Connection, int]]:
    """A read-only connection to an existing feeds store (a SQLite file, or a PostgreSQL URL), in
    one read transaction; StoreError says why there is none (no file, cannot open or connect, not a
    schema this feeds reads); with the schema's version."""
    if isinstance(location, str):
        from feeds.store.pg import read_only as pg_read_only

        with pg_read_only(location, timeout) as (conn, version):
            _check_version(location, version)
            yield conn, version
        return
    path = location
    if not path.is_file():
        raise StoreError(str(path), "no store file yet: nothing has run (feeds run --once)")
    try:
        sqlite = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)
    except sqlite3.Error as exc:
        raise StoreError(str(path), f"cannot open the store read-only: {exc}") from None
    try:
        sqlite.isolation_level = None
        sqlite.execute("BEGIN")
        version = int(sqlite.execute("PRAGMA user_version").fetchone()[0])
        _check_version(path, version)
        yield sqlite, version
    except sqlite3.Error as exc:
        raise StoreError(str(path), f"cannot read the store: {exc}") from None
    finally:
        sqlite.close()


def _check_version(path: Path | str, version: int) -> None:
    if version > LATEST:
        raise StoreError(str(path), f"schema version {version} is newer than this feeds knows ({LATEST})")
    if version < FIGURES_SINCE:
        raise StoreError(
            str(path), f"schema version {version} is not migrated yet (feeds run --once migrates it)"
        )


def last_cycle(path: Path | str, timeout: float = READ_TIMEOUT) -> datetime | None:
    """When the last cycle completed, from a read-only connection (StoreError if unreadable)."""
    with read_only(path, timeout) as (conn, _):
        return moment(conn, LAST_CYCLE)


def read(path: Path | str, error_cap: int, timeout: float = READ_TIMEOUT) -> Figures:
    """Every figure in one read transaction. ``error_cap``: error counts at or above it are grouped
    as one (the metrics only ask whether a source reached the failing threshold)."""
    with read_only(path, timeout) as (conn, version):
        queues = _pending(conn)
        return Figures(
            sources=_source_groups(conn, version, error_cap, "feed"),
            lists=_source_groups(conn, version, error_cap, "opml"),
            entries=_count(conn, "SELECT count(*) FROM entries WHERE hidden = 0"),
            fetches=tuple(sorted(fetch_counts(conn).items())),
            outbox_pending=sum(count for count, _ in queues),
            outbox_oldest=_oldest(queues),
            deliveries=tuple(conn.execute("SELECT status, count(*) FROM deliveries GROUP BY 1 ORDER BY 1")),
            failures=_count(conn, "SELECT count(*) FROM failures"),
            last_cycle=moment(conn, LAST_CYCLE),
            last_build=moment(conn, LAST_BUILD),
        )


def _source_groups(conn: Connection, version: int, error_cap: int, kind: str) -> tuple[SourceGroup, ...]:
    """Configured rows of one kind; a store from before lists (version 6) holds feeds only."""
    has_kind = version >= LISTS_SINCE
    if not has_kind and kind != "feed":
        return ()
    where = "configured = 1 AND kind = ?" if has_kind else "configured = 1"
    rows = conn.execute(
        "SELECT gone, CASE WHEN error_count < ? THEN error_count ELSE ? END AS errors, count(*) "
        f"FROM sources WHERE {where} GROUP BY gone, errors ORDER BY gone, errors",
        (error_cap, error_cap, kind) if has_kind else (error_cap, error_cap),
    )
    return tuple(SourceGroup(bool(gone), int(errors), int(count)) for gone, errors, count in rows)


def _pending(conn: Connection) -> list[tuple[int, str | None]]:
    """(count, oldest queued time) of each queue: deliveries, hub pings, events not fanned out."""
    cursor = conn.execute("SELECT seq FROM outbox_cursor WHERE id = 1").fetchone()
    queries = [
        ("SELECT count(*), min(queued) FROM deliveries WHERE status = 'pending'", ()),
        ("SELECT count(*), min(queued) FROM websub_pings WHERE status = 'pending'", ()),
        ("SELECT count(*), min(created) FROM events WHERE seq > ?", (cursor[0] if cursor else 0,)),
    ]
    found = []
    for sql, args in queries:
        count, oldest = conn.execute(sql, args).fetchone()
        found.append((int(count), oldest))
    return found


def _oldest(queues: list[tuple[int, str | None]]) -> datetime | None:
    times = [parse_iso(oldest) for _, oldest in queues if oldest]
    return min(times, default=None)


def _count(conn: Connection, sql: str) -> int:
    return int(conn.execute(sql).fetchone()[0])
