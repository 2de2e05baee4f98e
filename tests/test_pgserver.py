"""The suite's own PostgreSQL server (tests/pgserver.py) is real: psycopg reaches it on its socket, each
test gets a database of its own, and two connections meet the locking the workers will claim sources with."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from pgserver import PgServer
from psycopg import errors

TESTS = Path(__file__).parent


def test_the_server_answers_psycopg_on_its_socket_only(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        listen = conn.execute("SHOW listen_addresses").fetchone()
        peer = conn.execute("SELECT inet_server_addr()").fetchone()  # NULL over a Unix socket
        host = conn.info.host
    assert version is not None and int(version[0]) >= 150000
    assert listen == ("",)
    assert peer == (None,)
    assert host.startswith("/")


def test_each_database_is_fresh_and_dropped_afterwards(pg_server: PgServer) -> None:
    with pg_server.fresh_database() as first:
        left_open = psycopg.connect(first)  # a test that forgets a connection still has its database dropped
        left_open.execute("CREATE TABLE leftover (id int)")
        left_open.commit()
    with pg_server.fresh_database() as second:
        assert second != first
        with psycopg.connect(second) as conn:
            assert conn.execute("SELECT to_regclass('leftover')").fetchone() == (None,)
    with psycopg.connect(pg_server.url("postgres")) as admin:
        names = {row[0] for row in admin.execute("SELECT datname FROM pg_database")}
    assert {_dbname(first), _dbname(second)}.isdisjoint(names)
    with pytest.raises(psycopg.OperationalError):  # the drop ended the connection left open
        left_open.execute("SELECT 1")
    left_open.close()


def _dbname(url: str) -> str:
    return url.split("/")[3].split("?")[0]


def test_the_fixture_database_starts_empty(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    assert name is not None and name[0].startswith("feeds_test_")
    assert tables == (0,)


def test_two_connections_see_each_others_committed_rows(pg_url: str) -> None:
    with psycopg.connect(pg_url) as writer, psycopg.connect(pg_url) as reader:
        writer.execute("CREATE TABLE entries (key text PRIMARY KEY)")
        writer.commit()
        writer.execute("INSERT INTO entries VALUES ('a')")
        assert reader.execute("SELECT count(*) FROM entries").fetchone() == (0,)  # not committed yet
        reader.rollback()
        writer.commit()
        assert reader.execute("SELECT key FROM entries").fetchall() == [("a",)]
        reader.execute("INSERT INTO entries VALUES ('b')")
        reader.commit()
        assert writer.execute("SELECT key FROM entries ORDER BY key").fetchall() == [("a",), ("b",)]


def test_for_update_skip_locked_hands_each_row_to_one_connection(pg_url: str) -> None:
    claim = "SELECT id FROM sources ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED"
    with psycopg.connect(pg_url) as one, psycopg.connect(pg_url) as two:
        one.execute("CREATE TABLE sources (id int PRIMARY KEY)")
        one.execute("INSERT INTO sources SELECT generate_series(1, 2)")
        one.commit()
        assert one.execute(claim).fetchone() == (1,)  # one holds row 1 (its transaction is open)
        assert two.execute(claim).fetchone() == (2,)  # two skips it, takes row 2
        with pytest.raises(errors.LockNotAvailable):  # without SKIP LOCKED, row 1 really is locked
            two.execute("SELECT id FROM sources WHERE id = 1 FOR UPDATE NOWAIT")
        two.rollback()
        one.rollback()  # one lets go: row 1 can be claimed again
        assert two.execute(claim).fetchone() == (1,)
        assert one.execute(claim).fetchone() == (2,)


@pytest.mark.parametrize(("ci", "outcome"), [(None, "1 skipped"), ("true", "1 error")])
def test_without_postgresql_it_skips_locally_and_fails_under_ci(
    tmp_path: Path, ci: str | None, outcome: str
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"FEEDS_TEST_PG_BIN": str(tmp_path)}
    if ci:
        env["CI"] = ci
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            f"{TESTS / 'test_pgserver.py'}::test_the_fixture_database_starts_empty",
            "-rs",
        ],
        cwd=TESTS.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert outcome in done.stdout, done.stdout
    assert "PostgreSQL not found" in done.stdout
    assert done.returncode == (1 if ci else 0)
