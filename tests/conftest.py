"""Shared fixtures: a project folder with a config, a posts folder, a real SQLite store, and a real
PostgreSQL server with a fresh database per test (tests/pgserver.py)."""

from __future__ import annotations

import os
import sqlite3
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pgserver
import pytest

from feeds.config import Config, load
from feeds.store import Store

DATA = Path(__file__).parent / "data"
SEED = DATA / "posts" / "seed.txt"
# For ``write_config(folder, extra=ALLOW_PRIVATE)``: tests talk to servers on 127.0.0.1, which feeds
# refuses by default (feeds.netguard). A config with its own ``fetch:`` block adds the key there instead.
ALLOW_PRIVATE = "fetch: {allow_private: true}\n"


def stored_count(db: Path) -> int:
    """Entries committed so far, read beside a running writer (WAL); 0 before the schema exists."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT count(*) FROM entries").fetchone()[0])
    except sqlite3.Error:
        return 0


def write_config(folder: Path, extra: str = "") -> Path:
    """A config like the shipped one, pointing at ``folder/posts``, ``folder/public``, ``folder/store``."""
    path = folder / "config.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            site: {title: 财经新闻聚合, url: https://finews.example.com, timezone: Asia/Shanghai}
            store: store/feeds.db
            output_dir: public
            local: [{path: posts}]
            categories:
              zhengquanshibaowang: {title: 证券时报网}
            """
        )
        + textwrap.dedent(extra),
        encoding="utf-8",
    )
    (folder / "posts").mkdir(exist_ok=True)
    return path


def post(
    title: str = "标题",
    date: str = "2022-01-24 22:56:53 +0800",
    categories: str = "zhengquanshibaowang",
    body: str = "<p>正文</p>",
    extra: str = "",
) -> str:
    """The text of a post in the seed's shape."""
    return (
        f'---\nlayout: post\ntitle: "{title}"\ndate: {date}\ncategories: {categories}\n{extra}---\n{body}\n'
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_config(tmp_path)
    return tmp_path


@pytest.fixture
def config(project: Path) -> Config:
    return load(project / "config.yaml")


BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, config: Config) -> Iterator[Store]:
    """An open store on each backend in turn: the tests taking it are the store's contract suite,
    which SQLite and PostgreSQL (this session's own server, ``pg_url``) must both pass."""
    location = config.store_path if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with Store.open(location) as opened:
        yield opened


@pytest.fixture
def sqlite_store(config: Config) -> Iterator[Store]:
    """The SQLite store only, for what is SQLite's own (its files, pragmas and error codes)."""
    with Store.open(config.store_path) as opened:
        yield opened


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.PgServer]:
    """A PostgreSQL server of our own for the whole session (tests/pgserver.py): initdb + pg_ctl, a Unix
    socket in a temp folder, no TCP port, trust for the current OS user, fsync off; stopped and removed at
    the end, also when the run is interrupted. As root (initdb refuses root) the cluster runs as the
    unprivileged ``postgres`` account (else ``nobody``), which owns the temp folder; root connects through
    the socket as its own role. No PostgreSQL binaries: skipped, except under CI (``CI`` set), where it
    fails, since PostgreSQL tests never skip in CI (issue 14)."""
    binaries = pgserver.find_binaries()
    if binaries is None:
        reason = f"PostgreSQL not found ({pgserver.WHERE})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI never skips the PostgreSQL tests (.ci/run installs it)", pytrace=False)
        pytest.skip(reason)
    with pgserver.running(binaries) as server:
        yield server


@pytest.fixture
def pg_url(pg_server: pgserver.PgServer) -> Iterator[str]:
    """A libpq URL (``postgresql://…``) of a fresh database for this test, dropped after it."""
    with pg_server.fresh_database() as url:
        yield url
