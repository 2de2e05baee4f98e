"""The PostgreSQL store as users meet it: ``store: postgresql://…`` in the config, whole ``feeds``
processes against this session's own server (``pg_url``), outputs compared byte for byte with the
SQLite store's for the same inputs. The repositories' contract suite runs on both backends through
the ``store`` fixture (tests/test_store.py and the others taking it)."""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import httpx
import psycopg
import pytest
from conftest import ALLOW_PRIVATE, write_config
from feedserver import FeedServer, Reply, feed_server
from test_metrics import feeds_serve, scrape

from feeds.errors import LockHeld, StoreError
from feeds.store import Store, figures
from feeds.store.dialect import postgres
from feeds.store.pg import RUN_LOCK, run_lock, shown

__all__ = ["feed_server"]  # the fixture, imported so pytest finds it here

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def feeds(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def project(folder: Path, store: str, server: FeedServer) -> Path:
    """The shipped examples (posts and three remote feeds, served from 127.0.0.1) in ``folder``."""
    folder.mkdir()
    remotes = "".join(
        f"  - {{name: {path.stem.split('.')[0]}, url: '{server.url('/' + path.name)}', "
        f"category: {path.stem.split('.')[0]}}}\n"
        for path in sorted((EXAMPLES / "feeds").iterdir())
    )
    config = write_config(folder, f"{ALLOW_PRIVATE}remote:\n{remotes}")
    text = config.read_text(encoding="utf-8").replace("store: store/feeds.db", f"store: '{store}'")
    config.write_text(text, encoding="utf-8")
    shutil.rmtree(folder / "posts")
    shutil.copytree(EXAMPLES / "posts", folder / "posts")
    return config


@pytest.fixture
def served(feed_server: FeedServer) -> FeedServer:
    for path in sorted((EXAMPLES / "feeds").iterdir()):
        feed_server.route("/" + path.name, Reply(body=path.read_bytes()))
    return feed_server


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_outputs_are_byte_identical_to_sqlites(tmp_path: Path, pg_url: str, served: FeedServer) -> None:
    on_sqlite = project(tmp_path / "sqlite", "store/feeds.db", served)
    on_pg = project(tmp_path / "pg", pg_url, served)
    for config in (on_sqlite, on_pg):
        result = feeds(config, "run", "--once")
        assert result.returncode == 0, result.stderr
        assert "0 failed" in result.stdout
    sqlite_out, pg_out = tree(tmp_path / "sqlite" / "public"), tree(tmp_path / "pg" / "public")
    assert len(pg_out) > 10 and sorted(pg_out) == sorted(sqlite_out)
    assert [name for name in sqlite_out if sqlite_out[name] != pg_out[name]] == []
    entries = [stored_entries(config) for config in (on_sqlite, on_pg)]
    assert entries[0] == entries[1] and len(entries[0]) > 20


def stored_entries(config: Path) -> list[dict[str, object]]:
    """``feeds entries --json`` without when each copy was first seen (the runs' own clock)."""
    rows = [json.loads(line) for line in feeds(config, "entries", "--json").stdout.splitlines()]
    for row in rows:
        for copy in row["copies"]:
            del copy["first_seen"]
    return rows


def test_a_second_run_on_postgresql_changes_nothing(tmp_path: Path, pg_url: str, served: FeedServer) -> None:
    config = project(tmp_path / "pg", pg_url, served)
    assert feeds(config, "run", "--once").returncode == 0
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "pg" / "public").rglob("*")}
    again = feeds(config, "run", "--once", "--all")
    assert again.returncode == 0, again.stderr
    assert " 0 new" in again.stdout or again.stdout.startswith("0 new")
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "pg" / "public").rglob("*")} == before


def test_an_unreachable_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    url = f"postgresql://nobody@/feeds?host={tmp_path}&port=1"
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("store/feeds.db", f"'{url}'"), encoding="utf-8")
    result = feeds(config, "run", "--once")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "cannot connect" in result.stderr, result.stderr


def test_a_password_never_reaches_a_message() -> None:
    url = "postgresql://feeds:s3cret@db.example:5432/feeds?sslmode=require&password=other"
    assert shown(url) == "postgresql://feeds@db.example:5432/feeds"


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    Store.open(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="newer than this feeds knows"):
        Store.open(pg_url)


def test_runs_take_turns_through_an_advisory_lock(pg_url: str, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("store/feeds.db", f"'{pg_url}'"), encoding="utf-8")
    with run_lock(pg_url):
        with pytest.raises(LockHeld), run_lock(pg_url):
            pass
        result = feeds(config, "run", "--once")
        assert result.returncode == 75, result.stderr
    with psycopg.connect(pg_url, autocommit=True) as conn:  # released with its connection
        assert conn.execute("SELECT pg_try_advisory_lock(%s)", (RUN_LOCK,)).fetchone() == (True,)


def test_an_outside_change_is_a_clear_error_not_a_traceback(pg_url: str) -> None:
    with Store.open(pg_url) as store:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP TABLE failures")
        with pytest.raises(StoreError, match='relation "failures" does not exist'):
            store.entries.failures()
        assert store.entries.count() == 0  # the connection is still usable


@pytest.mark.parametrize(
    ("sqlite", "expected"),
    [
        ("SELECT a FROM t WHERE b = ?", "SELECT a FROM t WHERE b = %s"),
        (
            "SELECT '?', '%' FROM t WHERE b LIKE 'x%' AND c = ?",
            "SELECT '?', '%%' FROM t WHERE b LIKE 'x%%' AND c = %s",
        ),
        ("SELECT 'it''s ?' WHERE a = ?", "SELECT 'it''s ?' WHERE a = %s"),
        (
            "SELECT value FROM json_each(?)",
            "SELECT value FROM json_array_elements_text(CAST(%s AS json)) AS json_each(value)",
        ),
        (
            "EXISTS (SELECT 1 FROM json_each(e.tags) AS t WHERE t.value = ?)",
            "EXISTS (SELECT 1 FROM json_array_elements_text(CAST(e.tags AS json)) AS t(value) "
            "WHERE t.value = %s)",
        ),
    ],
)
def test_the_repositories_dialect_reads_as_postgresql(sqlite: str, expected: str) -> None:
    assert postgres(sqlite) == expected


def test_json_output_of_entries_matches(tmp_path: Path, pg_url: str, served: FeedServer) -> None:
    """``feeds entries --json`` and ``feeds sources --json`` say the same on both backends."""
    on_sqlite = project(tmp_path / "sqlite", "store/feeds.db", served)
    on_pg = project(tmp_path / "pg", pg_url, served)
    for config in (on_sqlite, on_pg):
        assert feeds(config, "run", "--once").returncode == 0
    rows = []
    for config in (on_sqlite, on_pg):
        lines = feeds(config, "sources", "--json").stdout.splitlines()
        rows.append(
            [
                {
                    k: v
                    for k, v in json.loads(line).items()
                    if k not in {"last_fetch", "next_due", "last_success"}
                }
                for line in lines
            ]
        )
    assert rows[0] == rows[1] and len(rows[0]) == 3
    assert filecmp.cmp(
        tmp_path / "sqlite/public/feeds/all.atom.xml",
        tmp_path / "pg/public/feeds/all.atom.xml",
        shallow=False,
    )


def test_serve_reads_the_same_figures_from_either_store(
    tmp_path: Path, pg_url: str, served: FeedServer
) -> None:
    """``/metrics`` and ``/readyz`` read PostgreSQL as they read SQLite (``feeds.store.figures``)."""
    on_sqlite = project(tmp_path / "sqlite", "store/feeds.db", served)
    on_pg = project(tmp_path / "pg", pg_url, served)
    for config in (on_sqlite, on_pg):
        assert feeds(config, "run", "--once").returncode == 0
    lite, pg = figures.read(tmp_path / "sqlite" / "store" / "feeds.db", 3), figures.read(pg_url, 3)
    assert replace(pg, last_cycle=None, last_build=None) == replace(lite, last_cycle=None, last_build=None)
    assert pg.entries > 20 and pg.sources and pg.last_cycle is not None
    assert figures.last_cycle(pg_url) == pg.last_cycle


def test_serve_says_why_a_postgresql_store_is_not_ready(pg_url: str) -> None:
    with pytest.raises(StoreError, match="nothing has run"):
        figures.read(pg_url, 3)
    with pytest.raises(StoreError, match="cannot connect"):
        figures.last_cycle("postgresql://nobody@/feeds?host=/nonexistent&port=1")


def test_feeds_serve_scrapes_and_readies_a_postgresql_store(
    tmp_path: Path, pg_url: str, served: FeedServer
) -> None:
    config = project(tmp_path / "pg", pg_url, served)
    with feeds_serve(config) as base:  # before any run: not ready, and says why
        early = httpx.get(f"{base}/readyz", timeout=10)
        assert early.status_code == 503 and "nothing has run" in early.json()["reason"]
        assert feeds(config, "run", "--once").returncode == 0
        assert httpx.get(f"{base}/readyz", timeout=10).json()["ready"] is True
        found = scrape(base)
        assert scrape(base) == found  # a second scrape, from the pooled connection
    assert found[("feeds_store_up", ())] == 1
    assert found[("feeds_entries", ())] > 20
    assert found[("feeds_sources", (("state", "ok"),))] == 3


def test_a_build_gives_the_planner_statistics_a_fresh_store_lacks(pg_url: str) -> None:
    """Never-analyzed tables make PostgreSQL plan the build's batched reads as nested loops over
    sequential scans (quadratic); a build analyzes them first, and leaves analyzed ones alone."""

    def analyzed(conn: psycopg.Connection[tuple[object, ...]]) -> dict[str, float]:
        rows = conn.execute(
            "SELECT relname, reltuples FROM pg_class WHERE relname IN ('entries', 'copies', 'sources')"
        )
        return {str(name): float(tuples) for name, tuples in rows}

    with Store.open(pg_url) as store, psycopg.connect(pg_url, autocommit=True) as conn:
        assert all(tuples < 0 for tuples in analyzed(conn).values())  # never analyzed
        store.refresh_statistics()
        assert all(tuples >= 0 for tuples in analyzed(conn).values())
        conn.execute("SELECT pg_stat_reset()")
        started = conn.execute("SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
        assert started.fetchone() == (0,)
        store.refresh_statistics()  # nothing grew: nothing analyzed again
        again = conn.execute("SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
        assert again.fetchone() == (0,)
