"""SQL for the operator's figures kept in the ``meta`` table: fetch counters and completion times.

Prometheus counters must only go up, across processes: a cron ``feeds run --once`` is a new process
every few minutes, so a counter held in memory would restart at zero each time. The store is what
every run and the daemon share, so the counts live there, as ``meta`` rows (no migration needed):

- ``fetches_total:<outcome>``: fetches that came to ``outcome``, incremented by
  ``SourceRepo.record`` in the transaction that records the fetch, so a count never runs ahead of
  (or lags behind) the state it describes;
- ``last_cycle``, ``last_build``: when a cycle (``feeds run --once``, a daemon local scan) and a
  build last completed, in the store's time format;
- ``outputs_fingerprint``: what the outputs were last fully built from (``pipeline.outputs_fingerprint``),
  so an idle run knows they are current without rendering them.

``feeds serve`` reads them back through ``feeds.store.figures`` on a read-only connection.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from feeds.timefmt import iso, parse_iso

if TYPE_CHECKING:
    from feeds.store import Store
    from feeds.store.interface import Connection

FETCHES_PREFIX = "fetches_total:"
# The prefix's key range: ';' sorts right after ':', so the primary key's index finds the rows.
_FETCHES_END = FETCHES_PREFIX[:-1] + ";"
LAST_CYCLE = "last_cycle"
LAST_BUILD = "last_build"
OUTPUTS_FINGERPRINT = "outputs_fingerprint"


class MetaRepo:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn = store.conn

    def count_fetch(self, outcome: str) -> None:
        """One more fetch that came to ``outcome``. Call inside the transaction recording it."""
        self._conn.execute(
            "INSERT INTO meta (name, value) VALUES (?, '1') "
            "ON CONFLICT (name) DO UPDATE SET value = CAST(meta.value AS INTEGER) + 1",
            (FETCHES_PREFIX + outcome,),
        )

    def mark_cycle(self, now: datetime) -> None:
        """A cycle completed at ``now`` (what ``/readyz`` judges staleness by)."""
        self._mark(LAST_CYCLE, now)

    def mark_build(self, now: datetime) -> None:
        """A build completed at ``now``."""
        self._mark(LAST_BUILD, now)

    def outputs_fingerprint(self) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (OUTPUTS_FINGERPRINT,)).fetchone()
        return None if row is None else str(row[0])

    def set_outputs_fingerprint(self, fingerprint: str) -> None:
        self._set(OUTPUTS_FINGERPRINT, fingerprint)

    def _mark(self, name: str, now: datetime) -> None:
        self._set(name, iso(now))

    def _set(self, name: str, value: str) -> None:
        with self._store.transaction():
            self._conn.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    def fetch_counts(self) -> dict[str, int]:
        return fetch_counts(self._conn)

    def moment(self, name: str) -> datetime | None:
        return moment(self._conn, name)


def fetch_counts(conn: Connection) -> dict[str, int]:
    """Outcome → fetches so far, as recorded (outcomes never seen are absent)."""
    rows = conn.execute(
        "SELECT name, value FROM meta WHERE name >= ? AND name < ?", (FETCHES_PREFIX, _FETCHES_END)
    )
    return {name.removeprefix(FETCHES_PREFIX): int(value) for name, value in rows}


def moment(conn: Connection, name: str) -> datetime | None:
    """A time kept in ``meta`` (``LAST_CYCLE``, ``LAST_BUILD``), or None if never written."""
    row = conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
    return parse_iso(row[0]) if row else None
