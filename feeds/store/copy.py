"""``feeds store copy --to postgresql://…``: a SQLite store copied into an empty PostgreSQL database.

What is copied is found at run time, not listed here: every table both databases have (but each
one's own version record), and in each every column both have (SQLite's ``PRAGMA table_info``, plus
a rowid table's ``rowid``, met with PostgreSQL's ``information_schema``), so a migration that adds
columns or tables to both needs no change here. Tables go in the order their foreign keys ask for
(``copy_order``).

The whole copy is one PostgreSQL transaction under the store's write lock: the target is checked to
hold no store yet, emptied of what a fresh schema seeds (the outbox cursor's row), filled with
``COPY … FROM STDIN`` while SQLite is read in batches from one read snapshot, its identity
sequences set past the highest ids SQLite has used, and every table's rows counted on both sides;
any failure, a difference in the counts, or an interruption rolls it all back, so the target holds
the whole store or nothing of it.

The target's dirty-mark triggers are off while it fills (``ALTER TABLE … DISABLE TRIGGER USER``,
undone in the same transaction, so no other session ever sees it): ``dirty_feeds`` and
``dirty_months`` are copied as SQLite has them, the outputs still owed a rebuild and no more. With
the triggers on, every copied entry would mark ``all`` and its month, and the first run on the new
store would rewrite every feed and archive document for nothing. The triggers stay out of the copy's
way for speed too: they would run once per entry and per category row.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from feeds.config import is_postgres_url
from feeds.errors import StoreError
from feeds.store import Store
from feeds.store.pg import PgStore, pg_error

SKIPPED = frozenset({"schema_version"})  # each backend keeps its own record of its version
# Rows in any of these mean the database already holds a store: a fresh schema has none (what it
# seeds, the outbox cursor's row, is replaced by the copy).
HOLDS_DATA = ("entries", "tombstones", "sources", "files", "failures", "events")
SUMMARY = ("entries", "copies", "sources", "events", "deliveries")  # named in the summary line
BATCH = 2_000  # rows read from SQLite at a time: memory stays bounded whatever the store's size


@dataclass(frozen=True)
class Table:
    """One table to copy: its name, the columns both databases have (in SQLite's order), and its
    identity column in PostgreSQL, if any."""

    name: str
    columns: tuple[str, ...]
    identity: str | None = None


@dataclass(frozen=True)
class Copied:
    """What a copy wrote: rows per table, in the order copied, and where to (without a password)."""

    rows: Mapping[str, int]
    where: str

    def line(self) -> str:
        """``copied 12,345 entries, 23,456 copies, … to postgresql://user@host/db``."""
        named = [f"{self.rows[table]:,} {table}" for table in SUMMARY if table in self.rows]
        others = [table for table in self.rows if table not in SUMMARY]
        rest = sum(self.rows[table] for table in others)
        named.append(f"{rest:,} rows of {len(others)} other tables")
        return f"copied {', '.join(named[:-1])} and {named[-1]} to {self.where}"


# ---- pure decisions --------------------------------------------------------------------------


def shared_tables(sqlite_tables: Iterable[str], pg_tables: Iterable[str]) -> list[str]:
    """The tables to copy: those both databases have, but their version records and SQLite's own."""
    both = set(sqlite_tables) & set(pg_tables)
    return sorted(name for name in both if name not in SKIPPED and not name.startswith("sqlite_"))


def shared_columns(sqlite_columns: Sequence[str], pg_columns: Collection[str]) -> tuple[str, ...]:
    """The columns to copy, in SQLite's order: those both databases have."""
    return tuple(name for name in sqlite_columns if name in pg_columns)


def copy_order(tables: Iterable[str], references: Mapping[str, Collection[str]]) -> list[str]:
    """``tables`` so that each comes after the tables it references (``references``: table → the
    tables its foreign keys point at), else by name. A cycle of foreign keys is refused: no order
    of inserts would satisfy it."""
    remaining = set(tables)
    needs = {
        name: {ref for ref in references.get(name, ()) if ref in remaining} - {name} for name in remaining
    }
    order: list[str] = []
    while remaining:
        ready = sorted(name for name in remaining if not needs[name] & remaining)
        if not ready:
            raise ValueError(f"the foreign keys of {sorted(remaining)} form a cycle")
        order += ready
        remaining -= set(ready)
    return order


def highest_id(largest: int | None, used: int | None) -> int | None:
    """The highest id a table has given: its largest id now, or (an AUTOINCREMENT table's
    ``sqlite_sequence``) a larger one whose row has since gone, which SQLite never gives again."""
    known = [value for value in (largest, used) if value is not None]
    return max(known) if known else None


def count_mismatch(source: Mapping[str, int], target: Mapping[str, int]) -> str | None:
    """The first table whose row counts differ, in words; None when every one agrees."""
    for table, rows in source.items():
        if target.get(table) != rows:
            return f"{table}: {rows:,} rows in the SQLite store, {target.get(table, 0):,} copied"
    return None


# ---- the copy --------------------------------------------------------------------------------


def copy_store(source: Store, url: str) -> Copied:
    """Copy the SQLite store ``source`` into the empty PostgreSQL database at ``url`` (creating its
    schema), in one transaction; a StoreError, with nothing written, when it cannot."""
    if not isinstance(source.conn, sqlite3.Connection):
        raise StoreError(source.where, "not a SQLite store: `feeds store copy` copies a SQLite store")
    if not is_postgres_url(url):
        raise StoreError("--to", "not a PostgreSQL URL (postgresql://…)")
    target = Store.open(url)
    try:
        if not isinstance(target, PgStore):
            raise StoreError(target.where, "not a PostgreSQL database")
        if source.version != target.version:
            raise StoreError(
                target.where,
                f"schema version {target.version} differs from the SQLite store's ({source.version}); "
                "use the same feeds for both",
            )
        with _snapshot(source.conn):
            return _copy(_SqliteSide(source.conn), target)
    finally:
        target.close()


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: every table is read as it was at its first read."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")  # it wrote nothing


class _SqliteSide:
    """What the copy reads from the SQLite store."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def tables(self) -> list[str]:
        return [row[0] for row in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]

    def columns(self, table: str) -> list[str]:
        """The table's columns, and first its rowid when it has one under no other name (the
        copies' ``rowid``, which PostgreSQL keeps as a column of that name)."""
        names = [row[1] for row in self.conn.execute(f"PRAGMA table_info({_sqlite_name(table)})")]
        try:
            self.conn.execute(f"SELECT rowid FROM {_sqlite_name(table)} LIMIT 0")
        except sqlite3.OperationalError:  # WITHOUT ROWID
            return names
        return names if "rowid" in names else ["rowid", *names]

    def used_ids(self) -> dict[str, int]:
        """``sqlite_sequence``: the highest id each AUTOINCREMENT table has given."""
        if "sqlite_sequence" not in self.tables():
            return {}
        return {name: int(seq) for name, seq in self.conn.execute("SELECT name, seq FROM sqlite_sequence")}

    def rows(self, table: Table) -> Iterator[Sequence[Any]]:
        cursor = self.conn.execute(f"SELECT {_sqlite_list(table.columns)} FROM {_sqlite_name(table.name)}")
        while batch := cursor.fetchmany(BATCH):
            yield from batch

    def count(self, table: str) -> int:
        return int(self.conn.execute(f"SELECT count(*) FROM {_sqlite_name(table)}").fetchone()[0])


def _sqlite_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_list(names: Iterable[str]) -> str:
    return ", ".join(_sqlite_name(name) for name in names)


class _PgSide:
    """What the copy reads and runs in the PostgreSQL database, each failure a one-line StoreError."""

    def __init__(self, target: PgStore) -> None:
        self.raw = target.pg.raw
        self.where = target.where

    def run(self, statement: str | sql.Composed, params: Sequence[Any] = (), doing: str = "") -> list[Any]:
        try:
            cursor = self.raw.execute(statement, params)
            return cursor.fetchall() if cursor.description else []
        except psycopg.Error as exc:
            raise pg_error(self.where, exc, doing) from exc

    def tables(self) -> list[str]:
        return [
            row[0]
            for row in self.run(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        ]

    def columns(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for table, column in self.run(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema()"
        ):
            found.setdefault(table, set()).add(column)
        return found

    def identities(self) -> dict[str, str]:
        """Table → its identity column."""
        return dict(
            self.run(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND is_identity = 'YES'"
            )
        )

    def references(self) -> dict[str, set[str]]:
        """Table → the tables its foreign keys point at."""
        found: dict[str, set[str]] = {}
        for table, referenced in self.run(
            "SELECT tc.table_name, ccu.table_name FROM information_schema.table_constraints AS tc "
            "JOIN information_schema.constraint_column_usage AS ccu "
            "ON ccu.constraint_schema = tc.constraint_schema AND ccu.constraint_name = tc.constraint_name "
            "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()"
        ):
            found.setdefault(table, set()).add(referenced)
        return found

    def triggered(self) -> set[str]:
        """The tables that have triggers of ours (the dirty marks)."""
        return {
            row[0]
            for row in self.run(
                "SELECT event_object_table FROM information_schema.triggers "
                "WHERE trigger_schema = current_schema()"
            )
        }

    def count(self, table: str) -> int:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        return int(self.run(query, doing=f"counting {table}")[0][0])

    def fill(self, table: Table, rows: Iterable[Sequence[Any]]) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, table.columns))
        )
        try:
            with self.raw.cursor() as cursor, cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.Error as exc:
            raise pg_error(self.where, exc, f"copying {table.name}") from exc

    def set_identity(self, table: str, column: str, highest: int | None) -> None:
        """The next id the table gives: past ``highest``, or 1 when it has given none."""
        self.run(
            "SELECT setval(pg_get_serial_sequence(%s, %s), %s, %s)",
            (sql.Identifier(table).as_string(self.raw), column, highest or 1, highest is not None),
            f"setting the next id of {table}",
        )


def _plan(sqlite: _SqliteSide, pg: _PgSide) -> list[Table]:
    """The tables to copy, in order, with their shared columns and identity columns."""
    pg_columns, identities = pg.columns(), pg.identities()
    tables = []
    for name in copy_order(shared_tables(sqlite.tables(), pg.tables()), pg.references()):
        columns = shared_columns(sqlite.columns(name), pg_columns.get(name, set()))
        identity = identities.get(name)
        tables.append(Table(name, columns, identity if identity in columns else None))
    return tables


def _copy(sqlite: _SqliteSide, target: PgStore) -> Copied:
    pg = _PgSide(target)
    with target.transaction():  # BEGIN and the write lock; any failure rolls everything back
        tables = _plan(sqlite, pg)
        _refuse_a_used_target(pg, [table.name for table in tables])
        pg.run(
            sql.SQL("TRUNCATE {}").format(sql.SQL(", ").join(sql.Identifier(t.name) for t in tables)),
            doing="emptying the new schema",
        )
        triggered = sorted(pg.triggered() & {table.name for table in tables})
        _triggers(pg, triggered, on=False)
        for table in tables:
            pg.fill(table, sqlite.rows(table))
        _triggers(pg, triggered, on=True)
        used = sqlite.used_ids()
        for table in tables:
            if table.identity is not None:
                largest = pg.run(
                    sql.SQL("SELECT max({}) FROM {}").format(
                        sql.Identifier(table.identity), sql.Identifier(table.name)
                    )
                )[0][0]
                pg.set_identity(table.name, table.identity, highest_id(largest, used.get(table.name)))
        source = {table.name: sqlite.count(table.name) for table in tables}
        copied = {table.name: pg.count(table.name) for table in tables}
        mismatch = count_mismatch(source, copied)
        if mismatch is not None:
            raise StoreError(target.where, f"the copy differs, rolled back: {mismatch}")
    return Copied(copied, target.where)


def _triggers(pg: _PgSide, tables: Iterable[str], on: bool) -> None:
    """Our triggers on or off in ``tables``; the foreign keys' own triggers stay on."""
    statement = sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER" if on else "ALTER TABLE {} DISABLE TRIGGER USER")
    for table in tables:
        pg.run(
            statement.format(sql.Identifier(table)),
            doing=f"turning the triggers of {table} {'on' if on else 'off'}",
        )


def _refuse_a_used_target(pg: _PgSide, tables: Collection[str]) -> None:
    held = {table: pg.count(table) for table in HOLDS_DATA if table in tables}
    found = [f"{rows:,} {table}" for table, rows in held.items() if rows]
    if found:
        raise StoreError(
            pg.where,
            f"already holds a store ({', '.join(found)}); `feeds store copy` copies only into an "
            "empty database",
        )
