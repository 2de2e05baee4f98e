"""The PostgreSQL store: ``store: postgresql://…`` in the config (psycopg 3).

The same repositories as the SQLite store run over ``PgConnection``, which rewrites their statements
once each (``feeds/store/dialect.py``) and turns every database error into the one-line
``StoreError`` users see, naming the database without its password.

Transactions keep SQLite's semantics, which the merge and the outbox rely on: a write transaction
holds one transaction-scoped advisory lock (``WRITE_LOCK``), so writers on any number of machines
take turns like SQLite's ``BEGIN IMMEDIATE``. Fetching, parsing and normalizing run in parallel
across workers; only the store's short write transactions queue. That keeps the outbox's sequence
numbers in commit order (fan-out reads "every event up to seq N") and the merge's read of an
entry's copies current, without retry loops. Claims (``feeds/store/claims.py``) do not take it.

psycopg is imported only here, and this module only for a PostgreSQL store.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import TransactionStatus

from feeds.errors import LockHeld, StoreError
from feeds.store import Store
from feeds.store.claims import Claims
from feeds.store.dialect import postgres
from feeds.store.pgschema import BASE, MIGRATIONS

if TYPE_CHECKING:
    from psycopg_pool import ConnectionPool

    from feeds.store.interface import Cursor

log = logging.getLogger(__name__)

# Advisory lock keys (one 64-bit space per database): chosen once, never reused for another purpose.
WRITE_LOCK = 0x6665_6564_0001  # write transactions take turns ("feed" + 1)
MIGRATE_LOCK = 0x6665_6564_0002  # one process migrates at a time
RUN_LOCK = 0x6665_6564_0003  # `feeds run --once`: one at a time per store, like the SQLite lock file
CONNECT_TIMEOUT = 10  # seconds
READERS = 4  # pooled read-only connections per database (feeds serve's scrapes and readiness checks)


def shown(url: str) -> str:
    """``url`` as it may appear in a message or a log: no password, no query (which may carry one)."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")
    user = netloc[0].partition(":")[0]
    host = f"{user}@{netloc[2]}" if user else netloc[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class _BoolAsInt(Dumper):
    """Python bools as 0/1: the flags are integers on both backends, as SQLite stores them."""

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


class PgConnection:
    """A psycopg connection (autocommit; the store issues BEGIN and COMMIT) that reads the
    repositories' dialect and says what went wrong in one line."""

    def __init__(self, conn: psycopg.Connection[Any], where: str) -> None:
        self.raw = conn
        self.where = where

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Cursor:
        try:
            cursor = self.raw.cursor()
            cursor.execute(postgres(sql), tuple(params))
        except psycopg.Error as exc:
            raise pg_error(self.where, exc) from exc
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Cursor:
        try:
            cursor = self.raw.cursor()
            cursor.executemany(postgres(sql), [tuple(row) for row in rows])
        except psycopg.Error as exc:
            raise pg_error(self.where, exc) from exc
        return cursor

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def pg_error(where: str, exc: psycopg.Error, doing: str = "") -> StoreError:
    """A psycopg error as one line: the server's first message line, and what to do when that is known."""
    message = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, psycopg.OperationalError) and "password" in message:
        message = f"{message}; check the user and password in `store`"
    return StoreError(where, f"{doing}: {message}" if doing else message, unreachable=_unreachable(exc))


# What a server says when it refuses a connection for now, not for good.
_PASSING_FATAL = ("starting up", "shutting down", "in recovery mode", "too many clients", "connection slots")


def _unreachable(exc: psycopg.Error) -> bool:
    """A connection that could not be made or was lost (no server answer to blame), or a server
    shutting down or starting up (SQLSTATE class 57: operator intervention): waiting may mend it."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    state = exc.sqlstate
    if state is not None:
        return state.startswith(("08", "53", "57"))  # connection, resources, operator intervention
    text = str(exc)  # a refused connection carries the server's FATAL message, and no SQLSTATE
    return "FATAL:" not in text or any(reason in text for reason in _PASSING_FATAL)


# Every connection's session: autocommit (the store issues BEGIN and COMMIT itself), and parameters
# rendered client-side, so an untyped ``?`` (``? IS NULL``) reads as SQLite reads it.
_SESSION: dict[str, Any] = {"autocommit": True, "cursor_factory": psycopg.ClientCursor}


def connect(url: str) -> psycopg.Connection[Any]:
    """An autocommit connection that renders parameters client-side (so an untyped ``?``, as in
    ``? IS NULL``, reads as SQLite reads it) and sends flags as integers."""
    try:
        conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT, **_SESSION)
    except psycopg.Error as exc:
        raise pg_error(shown(url), exc, "cannot connect") from None
    conn.adapters.register_dumper(bool, _BoolAsInt)
    return conn


@contextmanager
def run_lock(url: str) -> Iterator[None]:
    """``feeds run --once`` and the daemon one at a time per database, as the SQLite lock file keeps
    them per file: LockHeld at once if another holds it. A connection of its own holds the lock, so
    the store's own connection may come and go."""
    conn = connect(url)
    try:
        try:
            held = conn.execute("SELECT pg_try_advisory_lock(%s)", (RUN_LOCK,)).fetchone()
        except psycopg.Error as exc:
            raise pg_error(shown(url), exc, "cannot take the run lock") from None
        if not held or not held[0]:
            raise LockHeld(f"{shown(url)} (advisory lock {RUN_LOCK})")
        yield
    finally:
        conn.close()


_READERS: dict[str, ConnectionPool] = {}
_READERS_LOCK = threading.Lock()


def _readers(url: str, timeout: float) -> ConnectionPool:
    """The pool of read-only connections for ``url``, made on first use and kept for the process's
    life: ``feeds serve`` answers every scrape from it instead of connecting (a server process each)
    for every one."""
    from psycopg_pool import ConnectionPool

    with _READERS_LOCK:
        pool = _READERS.get(url)
        if pool is None:
            pool = _READERS[url] = ConnectionPool(
                url,
                min_size=0,
                max_size=READERS,
                open=True,
                timeout=timeout,
                check=ConnectionPool.check_connection,  # one the server dropped is replaced, not used
                name="feeds-readers",
                kwargs={
                    **_SESSION,
                    "connect_timeout": max(1, round(timeout)),
                    "options": f"-c statement_timeout={int(timeout * 1000)} "
                    "-c default_transaction_read_only=on",
                },
            )
            atexit.register(pool.close)
        return pool


@contextmanager
def read_only(url: str, timeout: float) -> Iterator[tuple[PgConnection, int]]:
    """A read-only transaction on a pooled connection, and the schema's version: what ``feeds serve``
    reads its figures from (``feeds.store.figures``). It never creates or migrates anything; a
    statement waits at most ``timeout`` seconds, and so does getting a connection."""
    from psycopg_pool import PoolTimeout

    where = shown(url)
    try:
        with _readers(url, timeout).connection(timeout=timeout) as raw:
            conn = PgConnection(raw, where)
            conn.execute("BEGIN READ ONLY")
            exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()[0]
            if not exists:
                raise StoreError(
                    where, "no feeds schema in this database yet: nothing has run (feeds run --once)"
                )
            yield conn, int(conn.execute("SELECT version FROM schema_version").fetchone()[0])
    except PoolTimeout:
        raise StoreError(where, f"cannot connect: no connection within {timeout:g}s") from None
    except psycopg.Error as exc:
        raise pg_error(where, exc) from None


class PgStore(Store):
    """An open PostgreSQL database: ``Store.open("postgresql://…")`` returns one."""

    def __init__(self, url: str, conn: PgConnection) -> None:
        super().__init__(Path(shown(url)), conn)
        self.url = url
        self.pg = conn
        self._others: list[PgConnection] = []  # connections of its own that close with the store
        self._claims = Claims(conn, self._another)

    @property
    def claims(self) -> Claims:
        return self._claims

    def _another(self) -> PgConnection:
        conn = PgConnection(connect(self.url), self.where)
        self._others.append(conn)
        return conn

    def refresh_statistics(self) -> None:
        """ANALYZE the tables a build reads, when never analyzed or grown past twice their size since:
        a fresh store after a first large ingest (or ``feeds store copy``) has no statistics until
        autovacuum comes by, and the planner, expecting a handful of rows, picks nested loops over
        sequential scans, which makes the build's batched reads quadratic."""
        stale = self.pg.execute(
            "SELECT c.relname FROM pg_class AS c JOIN pg_stat_user_tables AS s ON s.relid = c.oid "
            "WHERE c.relname IN ('entries', 'entry_categories', 'copies', 'sources') "
            "AND (c.reltuples < 0 OR s.n_mod_since_analyze > greatest(1000, c.reltuples))"
        ).fetchall()
        for (table,) in stale:
            self.pg.execute(f"ANALYZE {table}")

    @contextmanager
    def exclusive(self, name: str, wait: bool = True) -> Iterator[bool]:
        """A session advisory lock named ``name``, on any machine: taken (waiting for it with
        ``wait``) or not. The server drops it when this connection ends, even if the process dies."""
        key = (
            "SELECT pg_advisory_lock(hashtextextended(?, 0))"
            if wait
            else "SELECT pg_try_advisory_lock(hashtextextended(?, 0))"
        )
        row = self.pg.execute(key, (f"feeds {name}",)).fetchone()
        held = True if wait else bool(row[0])
        try:
            yield held
        finally:
            if held:
                try:
                    self.pg.execute("SELECT pg_advisory_unlock(hashtextextended(?, 0))", (f"feeds {name}",))
                except StoreError as exc:
                    log.debug("%s: unlock %s: %s", self.where, name, exc)

    @classmethod
    def open(cls, path: Path | str) -> Store:
        url = str(path)
        return cls(url, PgConnection(connect(url), shown(url))).migrated()

    @property
    def where(self) -> str:
        return self.pg.where

    def close(self) -> None:
        try:
            for conn in (*self._others, self.pg):
                conn.close()
        except psycopg.Error as exc:
            log.debug("%s: closing: %s", self.where, exc)

    @property
    def version(self) -> int:
        row = self.pg.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
        if not row or not row[0]:
            return 0
        return int(self.pg.execute("SELECT version FROM schema_version").fetchone()[0])

    def migrate(self) -> None:
        """Bring the schema up to date under the migration lock (workers may start together);
        refuse a newer schema."""
        self._own("BEGIN", "cannot start a transaction")
        try:
            self.pg.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATE_LOCK,))
            current = self.version
            self._refuse_newer(current)
            for version in sorted(v for v in MIGRATIONS if v > current):
                if current and version == BASE:
                    continue
                self._run(MIGRATIONS[version], version)
            self._own("COMMIT", "cannot commit the migration")
        except BaseException:
            self._roll_back()
            raise

    def _refuse_newer(self, current: int) -> None:
        latest = max(MIGRATIONS)
        if current > latest:
            raise StoreError(
                self.where,
                f"database schema version {current} is newer than this feeds knows ({latest}); "
                "upgrade feeds or use another store",
            )

    def _run(self, ddl: str, version: int) -> None:
        try:
            self.pg.raw.execute(ddl)  # no parameters: the text goes to the server as written
            self.pg.raw.execute(f"UPDATE schema_version SET version = {int(version)}")
        except psycopg.Error as exc:
            raise pg_error(self.where, exc, f"migration {version} failed") from None

    def _begin(self) -> None:
        self._own("BEGIN", "cannot start a transaction")
        self._own_locked()

    def _own_locked(self) -> None:
        self.pg.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))

    def _own(self, sql: str, doing: str) -> None:
        try:
            self.pg.raw.execute(sql)
        except psycopg.Error as exc:
            raise pg_error(self.where, exc, doing) from exc

    def _roll_back(self) -> None:
        self.entries.forget_cached()
        if not self.pg.in_transaction:
            return
        try:
            self.pg.raw.execute("ROLLBACK")
        except psycopg.Error as exc:
            log.debug("%s: rollback failed too: %s", self.where, exc)
