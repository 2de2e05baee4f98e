"""The one way into the SQLite database.

``Store`` opens (and migrates) the file and hands out repositories that own the SQL for one area
each: ``entries`` (news items, categories, local file index, failures, outbox events), ``sources``
(remote source state), ``outbox`` (webhook delivery) and ``meta`` (the operator's counters and
completion times; ``feeds.store.figures`` reads them back read-only for ``feeds serve``). The
connection runs in autocommit mode and every write happens inside ``Store.transaction()``, so a
crash keeps whole transactions or nothing.

What goes wrong with the file itself (a full disk, a read-only folder, a corrupt or foreign file)
leaves here as a ``StoreError`` naming the file and the cause in plain words (``store_error``),
never as a bare SQLite message, and never as a later error that hides the first.

sqlite-utils wraps the same connection (``Store.db``) for table access off the hot paths: counts,
listings, schema checks. The per-entry writes are plain prepared statements, where its per-call
table introspection would cost more than the write itself. It is imported on first use of
``Store.db``: it brings in pluggy and dateutil, a large share of a short command's start-up.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.config import is_postgres_url
from feeds.errors import StoreError
from feeds.store.entries import EntryRepo
from feeds.store.meta import MetaRepo
from feeds.store.outbox import OutboxRepo
from feeds.store.schema import EXPECTED_TABLES, LATEST, MIGRATIONS
from feeds.store.sources import SourceRepo

if TYPE_CHECKING:
    import sqlite_utils

    from feeds.store.claims import Claims
    from feeds.store.interface import Connection

log = logging.getLogger(__name__)

# SQLite's primary result codes a user can act on, in plain words.
_FULL, _READONLY, _NOTADB, _CORRUPT, _CANTOPEN, _IOERR, _BUSY, _PERM = 13, 8, 26, 11, 14, 10, 5, 3
_CAUSES = {  # code → (cause, what to do about it)
    _FULL: ("the disk is full", "free some space and run again"),
    _READONLY: ("the database is read-only", "check the permissions of the file and its folder"),
    _NOTADB: ("not a SQLite database", "check `store` in the config"),
    _CORRUPT: ("the database file is corrupt", "restore a backup, or move it aside to start a new store"),
    _CANTOPEN: ("cannot open the database file", ""),
    _IOERR: ("a disk I/O error", ""),
    _BUSY: ("the database is locked by another process", ""),
    _PERM: ("permission denied", ""),
}
# The same causes for an error that carries no code (one raised by hand), by SQLite's message.
_MESSAGES = {
    "database or disk is full": _FULL,
    "readonly database": _READONLY,
    "file is not a database": _NOTADB,
    "malformed": _CORRUPT,
    "unable to open database file": _CANTOPEN,
    "disk i/o error": _IOERR,
    "database is locked": _BUSY,
}


def _code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF  # extended codes carry the primary one in their low byte
    message = str(exc).lower()
    return next((code for text, code in _MESSAGES.items() if text in message), None)


def store_error(path: Path | str, exc: sqlite3.Error, doing: str = "") -> StoreError:
    """``exc`` as one line: the database, what was being done, the cause in plain words, SQLite's
    own message (what a search for the problem needs) and what to do."""
    code = _code(exc)
    cause, advice = _CAUSES.get(code, ("", "")) if code is not None else ("", "")
    if code == _CANTOPEN and not os.access(Path(path).parent, os.W_OK):
        cause, advice = "its folder is read-only", "feeds must be able to create files beside the database"
    reason = f"{cause} (SQLite: {exc})" if cause else str(exc)
    if advice:
        reason = f"{reason}; {advice}"
    return StoreError(str(path), f"{doing}: {reason}" if doing else reason)


class Store:
    """An open database: ``with Store.open(path) as store: ...``."""

    def __init__(self, path: Path, conn: Connection) -> None:
        self.path = path
        self.conn = conn
        self.entries = EntryRepo(self)
        self.sources = SourceRepo(self)
        self.outbox = OutboxRepo(self)
        self.meta = MetaRepo(self)
        self._depth = 0

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils over the same connection (same transactions)."""
        import sqlite_utils

        return sqlite_utils.Database(self._sqlite)

    @property
    def _sqlite(self) -> sqlite3.Connection:
        assert isinstance(self.conn, sqlite3.Connection)
        return self.conn

    @property
    def where(self) -> str:
        """The database as messages name it: the file, or a PostgreSQL URL without its password."""
        return str(self.path)

    @classmethod
    def open(cls, path: Path | str) -> Store:
        """Open or create the database at ``path`` (a file, or a ``postgresql://`` URL: then a
        ``feeds.store.pg.PgStore``) and bring its schema up to date."""
        if is_postgres_url(path):
            from feeds.store.pg import PgStore

            return PgStore.open(path)
        db_path = Path(path)
        try:
            db_path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(db_path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            # Checkpoint (and fsync) every 8,192 pages (32 MiB of WAL) instead of 1,000: a first import
            # writes far fewer, larger checkpoints (measured: a third less time per stored entry).
            conn.execute("PRAGMA wal_autocheckpoint = 8192")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
        except OSError as exc:
            raise StoreError(str(db_path.parent), f"cannot create the folder: {exc.strerror}") from None
        except sqlite3.Error as exc:
            raise store_error(db_path, exc, "cannot open database") from None
        return cls(db_path, conn).migrated()

    def migrated(self) -> Store:
        """This store, its schema brought up to date; closed if that fails (``open``'s last step)."""
        try:
            self.migrate()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Close the connection; a failure here (a checkpoint on a full disk) loses nothing
        committed, and must not replace the error that brought the caller here."""
        try:
            self.conn.close()
        except sqlite3.Error as exc:
            log.debug("%s: closing: %s", self.path, exc)

    def error(self, exc: sqlite3.Error, doing: str = "") -> StoreError:
        """A SQLite error met while using this store, as the one-line StoreError users see."""
        return store_error(self.path, exc, doing)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def claims(self) -> Claims | None:
        """Source claims for workers sharing the polling; None: this store has one process at a
        time (SQLite, under the run lock), which fetches what is due without claiming."""
        return None

    @contextmanager
    def exclusive(self, name: str, wait: bool = True) -> Iterator[bool]:
        """Do ``name`` (a build, a scan, an endpoint's deliveries) in one process at a time: yields
        whether this one may. A SQLite store is one process's already (the run lock)."""
        yield True

    def refresh_statistics(self) -> None:
        """Let the query planner know the tables' sizes before a build reads them all. SQLite plans
        these queries well from its indexes alone; PostgreSQL's ``PgStore`` analyzes what grew."""

    @property
    def in_transaction(self) -> bool:
        """Whether a write is under way on this connection (the daemon's jobs share it)."""
        return self.conn.in_transaction

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """Run each pending migration in its own transaction; refuse a newer, unknown schema."""
        try:
            current = self.version
        except sqlite3.Error as exc:
            raise self.error(exc, "cannot read the database") from None
        if current > LATEST:
            raise StoreError(
                str(self.path),
                f"database schema version {current} is newer than this feeds knows ({LATEST}); "
                "upgrade feeds or use another store",
            )
        for version in range(current, LATEST):
            try:
                self._migrate_one(version)
            except BaseException:
                self._roll_back()
                raise

    def _migrate_one(self, version: int) -> None:
        """Migration ``version + 1`` with its version bump and checks, committed together."""
        self._run_migration(version)
        try:
            self.conn.execute(f"PRAGMA user_version = {version + 1}")
            missing = EXPECTED_TABLES[version + 1] - self._table_names()
            problems = self.conn.execute("PRAGMA foreign_key_check").fetchall()
        except sqlite3.Error as exc:
            raise self.error(exc, f"migration {version + 1} failed") from None
        if missing:
            raise StoreError(str(self.path), f"migration {version + 1} left out {sorted(missing)}")
        if problems:
            raise StoreError(str(self.path), f"migration {version + 1} broke foreign keys")
        self._own("COMMIT", f"migration {version + 1} failed")

    def _table_names(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _run_migration(self, version: int) -> None:
        try:
            MIGRATIONS[version](self._sqlite)  # begins the transaction itself
        except sqlite3.Error as exc:
            raise self.error(exc, f"migration {version + 1} failed") from None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nested uses join the outer transaction.

        A failure inside is raised as it came (after the rollback, which never replaces it); a
        failure to begin or commit is a StoreError.
        """
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        try:
            yield
            self._depth = 0
            self._own("COMMIT", "cannot commit")
        except BaseException:
            self._depth = 0
            self._roll_back()
            raise

    def _begin(self) -> None:
        """Start a write transaction, holding the right to write until it ends."""
        self._own("BEGIN IMMEDIATE", "cannot start a transaction")

    def _own(self, sql: str, doing: str) -> None:
        """A statement of the store's own (BEGIN, COMMIT): its failure is the store's, said plainly."""
        try:
            self.conn.execute(sql)
        except sqlite3.Error as exc:
            raise self.error(exc, doing) from exc

    def _roll_back(self) -> None:
        """Undo what a failed transaction left, without hiding why it failed.

        SQLite may already have rolled back by itself (it does on SQLITE_FULL): a ROLLBACK then
        fails with "cannot rollback - no transaction is active", which used to replace the
        real error. So roll back only an open transaction, and never raise from here.
        """
        self.entries.forget_cached()  # it may remember rows the rollback just undid
        if not self.conn.in_transaction:
            return
        try:
            self.conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            log.debug("%s: rollback failed too: %s", self.path, exc)

    @contextmanager
    def batches(self, size: int) -> Iterator[Callable[[], None]]:
        """A transaction that commits after every ``size`` calls of the ``commit_point`` it yields.

        For long scans: a crash loses at most the open batch, and a rerun redoes it. Must not be
        nested in another transaction, whose work the intermediate commits would split.
        """
        if self._depth:
            raise RuntimeError("Store.batches inside a transaction")
        count = 0

        def commit_point() -> None:
            nonlocal count
            count += 1
            if count % size == 0:
                self._own("COMMIT", "cannot commit")
                self._begin()

        with self.transaction():
            yield commit_point
