"""``feeds store copy --to postgresql://…`` as users run it: a SQLite store made by real ``feeds run
--once`` processes over the shipped examples (posts, three served remote feeds, a webhook whose
deliveries stay pending, a WebSub hub, a broken post, entries deleted by retention), copied into this
session's PostgreSQL (``pg_url``), then read back by ``feeds build`` and ``feeds entries --json``,
which must say byte for byte what they say on the SQLite store. The copy's pure decisions (which
tables and columns, in which order) are tested without a database."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from conftest import SEED
from feedserver import FeedServer, Reply, feed_server  # noqa: F401  (feed_server is a fixture)
from test_pg import EXAMPLES, feeds, project, tree

from feeds.store.copy import (
    Copied,
    copy_order,
    count_mismatch,
    highest_id,
    shared_columns,
    shared_tables,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CLOSED = "http://127.0.0.1:9"  # nothing listens: deliveries and pings stay pending


@pytest.fixture
def served(feed_server: FeedServer) -> FeedServer:  # noqa: F811  (the fixture, by name)
    for path in sorted((EXAMPLES / "feeds").iterdir()):
        feed_server.route("/" + path.name, Reply(body=path.read_bytes()))
    return feed_server


@pytest.fixture
def on_sqlite(tmp_path: Path, served: FeedServer) -> Path:
    """A SQLite store with something in every table that matters: the examples' entries and copies,
    webhook events and pending deliveries, a pending WebSub ping, a failure, tombstones of entries
    retention deleted, feeds and months marked dirty (a run that died before its build) and a host's
    Retry-After window."""
    config = project(tmp_path / "sqlite", "store/feeds.db", served)
    hooks = f"webhooks: [{{url: '{CLOSED}/hook', secret: {SECRET}}}]\nwebsub: {{hub: '{CLOSED}/hub'}}\n"
    config.write_text(config.read_text(encoding="utf-8") + hooks, encoding="utf-8")
    (config.parent / "posts" / "broken.md").write_text("no front matter here\n", encoding="utf-8")
    first = feeds(config, "run", "--once")
    assert first.returncode == 0, first.stderr
    cutoff = datetime(2022, 1, 1, 1, 5, tzinfo=UTC)  # the first nine posts are older
    age = int((datetime.now(UTC) - cutoff).total_seconds())
    config.write_text(config.read_text(encoding="utf-8") + f"feed: {{retain: {age}s}}\n", encoding="utf-8")
    second = feeds(config, "run", "--once")
    assert second.returncode == 0, second.stderr
    with sqlite3.connect(store_file(config)) as db:
        db.execute("INSERT INTO dirty_feeds (slug) VALUES ('zhengquanshibaowang')")
        db.execute("INSERT INTO dirty_months (month) VALUES ('2022-01')")
        over = "2022-03-01T00:00:00Z"  # a Retry-After window, over
        db.execute("INSERT INTO hosts (host, retry_after_until) VALUES ('127.0.0.1', ?)", (over,))
        counts = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in EXPECTED}
    assert all(counts[table] for table in EXPECTED), counts
    return config


# Tables the fixture's store must have rows in, so that the copy is tested on each.
EXPECTED = [
    *("entries", "entry_categories", "copies", "categories", "files", "failures", "tombstones"),
    *("sources", "fetch_log", "hosts", "events", "outbox_cursor", "endpoints", "deliveries"),
    *("websub_pings", "meta", "dirty_feeds", "dirty_months", "archive_months"),
]


def store_file(config: Path) -> Path:
    return config.parent / "store" / "feeds.db"


def copy_to(config: Path, url: str) -> subprocess.CompletedProcess[str]:
    return feeds(config, "store", "copy", "--to", url)


def pointed_at(config: Path, store: str, output: str) -> Path:
    """A config beside ``config`` reading the same posts, with another store and output folder."""
    other = config.with_name(f"{output}.yaml")
    text = config.read_text(encoding="utf-8").replace("store: 'store/feeds.db'", f"store: '{store}'")
    other.write_text(text.replace("output_dir: public", f"output_dir: {output}"), encoding="utf-8")
    return other


def sqlite_rows(config: Path) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """Every table's columns (the copies' with their rowid) and rows, sorted, from the SQLite store."""
    with sqlite3.connect(store_file(config)) as db:
        found = {}
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            if table.startswith("sqlite_"):
                continue
            names = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
            columns = ", ".join(["rowid", *names] if table == "copies" else names)
            found[table] = (columns, sorted(db.execute(f"SELECT {columns} FROM {table}"), key=repr))
        return found


def pg_rows(url: str, columns: dict[str, str]) -> dict[str, tuple[str, list[tuple[Any, ...]]]]:
    """The same columns of the same tables, from the PostgreSQL store."""
    with psycopg.connect(url) as db:
        return {
            table: (names, sorted(db.execute(f"SELECT {names} FROM {table}").fetchall(), key=repr))  # type: ignore[arg-type]
            for table, names in columns.items()
        }


def pg_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in EXPECTED}  # type: ignore[index, arg-type]


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.strip()


def test_the_copy_holds_every_row_and_reads_back_byte_for_byte(on_sqlite: Path, pg_url: str) -> None:
    copied = copy_to(on_sqlite, pg_url)
    assert copied.returncode == 0, copied.stderr
    before = sqlite_rows(on_sqlite)
    line = copied.stdout.strip()
    entries, copies = (len(before[table][1]) for table in ("entries", "copies"))
    assert line.startswith(f"copied {entries} entries, {copies} copies, ")
    assert line.endswith(" to " + pg_url.split("?")[0]) and "\n" not in line

    after = pg_rows(pg_url, {table: columns for table, (columns, _) in before.items()})
    assert [table for table in before if after[table] != before[table]] == []
    # The dirty marks are the SQLite store's, not what the target's triggers would make of every
    # entry copied (`all`, and each entry's month).
    assert ("zhengquanshibaowang", 1) in after["dirty_feeds"][1] and ("all", 1) not in after["dirty_feeds"][1]
    assert after["dirty_months"][1] == [("2022-01", 1)]

    on_pg = pointed_at(on_sqlite, pg_url, "public-pg")
    on_file = pointed_at(on_sqlite, "store/feeds.db", "public-sqlite")
    for config in (on_pg, on_file):
        built = feeds(config, "build")
        assert built.returncode == 0, built.stderr
    sqlite_out, pg_out = (tree(on_sqlite.parent / name) for name in ("public-sqlite", "public-pg"))
    assert len(pg_out) > 10 and sorted(pg_out) == sorted(sqlite_out)
    assert [name for name in sqlite_out if sqlite_out[name] != pg_out[name]] == []
    listed = [feeds(config, "entries", "--json") for config in (on_file, on_pg)]
    assert listed[0].stdout == listed[1].stdout and listed[0].stdout.count("\n") > 10
    hooks = [feeds(config, "webhooks", "deliveries", "--json") for config in (on_file, on_pg)]
    assert hooks[0].stdout == hooks[1].stdout and "pending" in hooks[0].stdout


def test_new_entries_on_the_copy_get_fresh_ids(on_sqlite: Path, pg_url: str) -> None:
    """Ids go on past the highest SQLite gave, also an event that has since been pruned (the
    outbox's AUTOINCREMENT never gives its seq again, and fan-out has passed it)."""
    with sqlite3.connect(store_file(on_sqlite)) as db:
        last = db.execute("SELECT max(seq) FROM events").fetchone()[0]
        db.execute("DELETE FROM deliveries WHERE event_seq = ?", (last,))
        db.execute("DELETE FROM events WHERE seq = ?", (last,))
        highest = {
            table: db.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
            for table, column in (("copies", "rowid"), ("deliveries", "id"), ("fetch_log", "id"))
        }
    assert copy_to(on_sqlite, pg_url).returncode == 0
    on_pg = pointed_at(on_sqlite, pg_url, "public")
    text = SEED.read_text(encoding="utf-8").replace("NW202201242259595178", "NW202203090000000001")
    (on_sqlite.parent / "posts" / "new.txt").write_text(text, encoding="utf-8")
    run = feeds(on_pg, "run", "--once", "--all")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("1 new,"), run.stdout
    with psycopg.connect(pg_url) as db:
        seq = db.execute("SELECT seq FROM events WHERE entry_key = 'NW202203090000000001'").fetchall()
        assert seq == [(last + 1,)]
        copy = db.execute("SELECT rowid FROM copies WHERE key = 'NW202203090000000001'").fetchall()
        assert copy == [(highest["copies"] + 1,)]
        assert db.execute("SELECT min(id) FROM deliveries WHERE event_seq = %s", (last + 1,)).fetchone() == (
            highest["deliveries"] + 1,
        )
        assert db.execute(
            "SELECT min(id) FROM fetch_log WHERE id > %s", (highest["fetch_log"],)
        ).fetchone() == (highest["fetch_log"] + 1,)


def test_a_target_holding_a_store_is_refused_and_left_alone(on_sqlite: Path, pg_url: str) -> None:
    assert copy_to(on_sqlite, pg_url).returncode == 0
    before = pg_counts(pg_url)
    again = copy_to(on_sqlite, pg_url)
    assert again.returncode == 1
    line = one_line(again)
    assert line.startswith(f"feeds: {pg_url.split('?')[0]}: already holds a store (")
    assert "copies only into an empty database" in line
    assert pg_counts(pg_url) == before


def test_a_failure_midway_leaves_nothing_in_the_target(on_sqlite: Path, pg_url: str) -> None:
    """A value PostgreSQL cannot take (text with a NUL), in a table copied after the entries."""
    with sqlite3.connect(store_file(on_sqlite)) as db:
        db.execute("INSERT INTO meta (name, value) VALUES ('note', ?)", ("a\x00b",))
    failed = copy_to(on_sqlite, pg_url)
    assert failed.returncode == 1
    assert "copying meta" in one_line(failed)
    left = {table: rows for table, rows in pg_counts(pg_url).items() if rows}
    assert left == {"outbox_cursor": 1}  # the new schema's own row, as Store.open made it


def test_an_interrupted_copy_leaves_nothing_in_the_target(on_sqlite: Path, pg_url: str) -> None:
    """Ctrl-C while rows are streaming in: the transaction is rolled back."""
    with sqlite3.connect(store_file(on_sqlite)) as db:  # enough rows to be caught in the middle
        rows = (
            (f"big{n}", f"posts/{n}.md", None, "bad front matter", "2022-01-01T00:00:00Z")
            for n in range(300_000)
        )
        columns = "source, location, line, reason, first_seen, last_seen"
        db.executemany(
            f"INSERT INTO failures ({columns}) VALUES (?, ?, ?, ?, ?, ?)", ((*r, r[-1]) for r in rows)
        )
    argv = [sys.executable, "-m", "feeds", "--config", str(on_sqlite), "store", "copy", "--to", pg_url]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with psycopg.connect(pg_url, autocommit=True) as db:
        deadline = time.monotonic() + 60
        while not db.execute(
            "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'COPY%%failures%%' AND pid != pg_backend_pid()"
        ).fetchone():
            assert child.poll() is None and time.monotonic() < deadline, child.communicate()
            time.sleep(0.005)
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    assert (child.returncode, stderr.strip()) == (1, "aborted")  # as click reports Ctrl-C
    left = {table: rows for table, rows in pg_counts(pg_url).items() if rows}
    assert left == {"outbox_cursor": 1}


def test_an_unreachable_target_is_one_line_and_exit_1(on_sqlite: Path, tmp_path: Path) -> None:
    failed = copy_to(on_sqlite, f"postgresql://nobody:s3cret@/feeds?host={tmp_path}&port=1")
    assert failed.returncode == 1
    line = one_line(failed)
    assert "cannot connect" in line and "s3cret" not in line


def test_only_a_sqlite_store_is_copied_and_only_to_postgresql(
    tmp_path: Path, pg_url: str, served: FeedServer
) -> None:
    from_pg = copy_to(project(tmp_path / "pg", pg_url, served), pg_url)
    assert from_pg.returncode == 2
    assert "store: is a PostgreSQL database" in one_line(from_pg)
    to_file = copy_to(project(tmp_path / "file", "store/feeds.db", served), str(tmp_path / "other.db"))
    assert to_file.returncode == 2
    assert one_line(to_file) == "feeds: store copy: --to takes a PostgreSQL URL (postgresql://…)"
    assert not (tmp_path / "other.db").exists()


def test_a_missing_store_is_not_created_to_be_copied(tmp_path: Path, pg_url: str, served: FeedServer) -> None:
    config = project(tmp_path / "none", "store/feeds.db", served)
    failed = copy_to(config, pg_url)
    assert failed.returncode == 1
    assert "no SQLite store to copy" in one_line(failed)
    assert not (tmp_path / "none" / "store" / "feeds.db").exists()


# ---- the pure decisions ----------------------------------------------------------------------


def test_tables_both_have_are_copied_but_version_records_and_sqlites_own() -> None:
    sqlite = ["entries", "copies", "sqlite_sequence", "sqlite_stat1", "only_here", "host_leases"]
    pg = ["entries", "copies", "schema_version", "host_leases", "only_there"]
    assert shared_tables(sqlite, pg) == ["copies", "entries", "host_leases"]


def test_columns_both_have_are_copied_in_sqlites_order() -> None:
    assert shared_columns(["rowid", "key", "lease_owner", "old"], {"lease_owner", "key", "rowid", "new"}) == (
        "rowid",
        "key",
        "lease_owner",
    )
    assert shared_columns(["rowid", "id"], {"id"}) == ("id",)  # SQLite's alias of an INTEGER PRIMARY KEY


def test_tables_follow_their_foreign_keys_then_their_names() -> None:
    references = {
        "copies": {"entries"},
        "entry_categories": {"entries"},
        "deliveries": {"events", "endpoints"},
        "tree": {"tree"},  # a self-reference needs no order
        "elsewhere": {"not_copied"},
    }
    tables = "deliveries copies entry_categories entries events elsewhere endpoints meta tree"
    order = copy_order(tables.split(), references)
    assert order == [
        "elsewhere",
        "endpoints",
        "entries",
        "events",
        "meta",
        "tree",
        "copies",
        "deliveries",
        "entry_categories",
    ]
    with pytest.raises(ValueError, match="cycle"):
        copy_order(["a", "b"], {"a": {"b"}, "b": {"a"}})


def test_the_next_id_goes_past_every_id_sqlite_gave() -> None:
    assert highest_id(None, None) is None
    assert highest_id(12, None) == 12
    assert highest_id(12, 15) == 15  # the last events were pruned
    assert highest_id(None, 7) == 7


def test_a_count_mismatch_names_the_table_and_both_counts() -> None:
    assert count_mismatch({"entries": 3, "copies": 4}, {"entries": 3, "copies": 4}) is None
    assert count_mismatch({"entries": 3, "copies": 1_204}, {"entries": 3, "copies": 1_203}) == (
        "copies: 1,204 rows in the SQLite store, 1,203 copied"
    )


def test_the_summary_names_the_main_tables_and_counts_the_rest() -> None:
    rows = {"categories": 5, "copies": 23_456, "entries": 12_345, "events": 40, "meta": 2, "sources": 3}
    assert Copied(rows, "postgresql://feeds@db/feeds").line() == (
        "copied 12,345 entries, 23,456 copies, 3 sources, 40 events and 7 rows of 2 other tables "
        "to postgresql://feeds@db/feeds"
    )
