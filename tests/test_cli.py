"""The `feeds` command as users run it: real processes, exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SEED, post

SEED_KEY = "NW202201242259595178"


def feeds(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(project / "config.yaml"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=project,
    )


def test_run_once_then_idle_rerun(project: Path) -> None:
    (project / "posts" / "seed.txt").write_bytes(SEED.read_bytes())
    (project / "posts" / "bad.md").write_text("no front matter here\n", encoding="utf-8")
    first = feeds(project, "run", "--once")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "1 new, 0 updated, 0 duplicate, 1 failed, 0 skipped, 0 unchanged"
    assert "bad.md:1: no front matter" in first.stderr
    assert "Traceback" not in first.stderr
    atom = project / "public" / "feeds" / "zhengquanshibaowang.atom.xml"
    mtime = atom.stat().st_mtime_ns
    second = feeds(project, "run", "--once")
    assert second.stdout.strip() == "0 new, 0 updated, 0 duplicate, 0 failed, 0 skipped, 2 unchanged"
    assert atom.stat().st_mtime_ns == mtime


def test_entries_json_has_the_contract_fields(project: Path) -> None:
    (project / "posts" / "seed.txt").write_bytes(SEED.read_bytes())
    feeds(project, "run", "--once")
    out = feeds(project, "entries", "--json", "--category", "zhengquanshibaowang", "--limit", "5")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert {"key", "info_code", "title", "link", "categories", "published", "updated", "sources"} <= set(row)
    assert row["key"] == row["info_code"] == SEED_KEY
    assert row["published"] == "2022-01-24T14:56:53Z"
    assert row["categories"] == ["zhengquanshibaowang"]
    assert row["sources"] == ["local:posts"]


def with_a_remote_copy(project: Path) -> None:
    """The seed, and a cailianshe-like feed carrying a one-line copy of it."""
    (project / "posts" / "seed.txt").write_bytes(SEED.read_bytes())
    (project / "cls.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>财联社</title>'
        "<id>urn:cls</id><updated>2022-01-24T15:05:00Z</updated><entry><title>工信部培育中小企业</title>"
        f'<id>tag:cls,2022:1</id><link href="https://cls.example.com/1?infoCode={SEED_KEY}"/>'
        "<updated>2022-01-24T15:05:00Z</updated><author><name>财联社</name></author>"
        "<summary>一句话。</summary></entry></feed>",
        encoding="utf-8",
    )
    config = project / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "remote: [{name: cls, url: cls.xml}]\n", encoding="utf-8"
    )


def test_entries_key_json_shows_each_copy_and_which_one_is_shown(project: Path) -> None:
    with_a_remote_copy(project)
    assert feeds(project, "run", "--once").returncode == 0
    out = feeds(project, "entries", "--key", SEED_KEY, "--json")
    assert out.returncode == 0, out.stderr
    [row] = [json.loads(line) for line in out.stdout.splitlines()]
    assert row["sources"] == ["cls", "local:posts"]
    assert [(c["source"], c["canonical"]) for c in row["copies"]] == [("local:posts", True), ("cls", False)]
    local, remote = row["copies"]
    assert remote["link"] == f"https://cls.example.com/1?infoCode={SEED_KEY}"
    assert {"source", "link", "title", "first_seen", "updated", "canonical"} <= set(local)
    assert row["link"] == local["link"] != remote["link"]


def test_explain_says_why_in_words(project: Path) -> None:
    with_a_remote_copy(project)
    feeds(project, "run", "--once")
    out = feeds(project, "explain", SEED_KEY)
    assert out.returncode == 0, out.stderr
    assert "Canonical: local:posts (seed.txt), the highest priority (100; next 50)." in out.stdout
    assert "Also cls (tag:cls,2022:1): priority 50" in out.stdout


def test_an_unknown_key_is_one_clear_line(project: Path) -> None:
    feeds(project, "run", "--once")
    for args in (("explain", "NW404"), ("entries", "--key", "NW404")):
        out = feeds(project, *args)
        assert out.returncode == 1
        assert (
            out.stderr.strip()
            == "feeds: NW404: no stored entry has this key (see `feeds entries --json` for keys)"
        )


def test_failures_command_lists_rejected_files(project: Path) -> None:
    (project / "posts" / "x.md").write_text(post(date="not a date"), encoding="utf-8")
    feeds(project, "run", "--once")
    out = feeds(project, "failures")
    assert "x.md:4: unparseable date" in out.stdout


def test_config_mistake_is_one_line_and_exit_2(project: Path) -> None:
    (project / "config.yaml").write_text("feed: {limt: 5}\n", encoding="utf-8")
    result = feeds(project, "run", "--once")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"feeds: config error: {project / 'config.yaml'}: feed.limt: unknown key (did you mean 'limit'?)"
    ]


def test_missing_config_and_bad_usage_exit_2(tmp_path: Path) -> None:
    missing = feeds(tmp_path, "build")
    assert missing.returncode == 2 and "config file not found" in missing.stderr
    usage = feeds(tmp_path, "entries", "--limit", "zero")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_newer_store_is_refused_cleanly(project: Path) -> None:
    (project / "store").mkdir()
    conn = sqlite3.connect(project / "store" / "feeds.db")
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    result = feeds(project, "build")
    assert result.returncode == 1
    assert "newer than this feeds knows" in result.stderr and "Traceback" not in result.stderr


def test_replay_leaves_delivery_to_the_run_holding_the_lock(project: Path) -> None:
    from feeds.lock import run_lock

    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    config = project / "config.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + f"webhooks: [{{url: 'http://127.0.0.1:9/hook', secret: {secret}}}]\n"
        + "fetch: {allow_private: true}\n",
        encoding="utf-8",
    )
    (project / "posts" / "seed.txt").write_bytes(SEED.read_bytes())
    first = feeds(project, "run", "--once")
    assert "1 retrying" in first.stdout  # nothing listens on port 9
    with run_lock(project / "store" / "feeds.db"):
        replay = feeds(project, "webhooks", "replay", "1")
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.splitlines() == [
        "requeued 1 deliveries of 1",
        "another feeds run holds the lock; it will deliver them",
    ]


# ---- issue 10: failed outputs, and a store that cannot be used ------------------------------------


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The command failed with exit 1 and said why in exactly one line, no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_output_that_cannot_be_written_is_one_line_and_the_rest_is_written(project: Path) -> None:
    """run --once reports it and exits 0 (outputs are retried next run); build exits 1."""
    (project / "posts" / "seed.txt").write_bytes(SEED.read_bytes())
    blocker = project / "public" / "feeds" / "zhengquanshibaowang.json"
    (blocker / "x").mkdir(parents=True)  # a folder where the file should go: a real OSError
    run = feeds(project, "run", "--once")
    assert run.returncode == 0 and "Traceback" not in run.stderr
    assert run.stderr.strip().splitlines() == [f"feeds: ERROR: {blocker}: cannot write: Is a directory"]
    assert (project / "public" / "feeds" / "zhengquanshibaowang.atom.xml").is_file()
    assert (project / "public" / "feeds" / "index.opml").is_file()
    build = feeds(project, "build")
    assert one_error_line(build) == f"feeds: ERROR: {blocker}: cannot write: Is a directory"
    assert build.stdout.startswith("0 files written")
    assert f"{blocker}: cannot write" in feeds(project, "failures").stdout


def corrupt_table(db: Path, table: str) -> None:
    """Noise over one table's root page; the header stays valid, so the file still opens."""
    with sqlite3.connect(db) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)).fetchone()[0]
    conn.close()
    with db.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(random.Random(10).randbytes(page_size))


@pytest.mark.parametrize("damage", ["a table's page", "truncated"])
def test_a_corrupt_store_is_one_line_and_exit_1(project: Path, damage: str) -> None:
    (project / "posts" / "seed.txt").write_bytes(SEED.read_bytes())
    assert feeds(project, "run", "--once").returncode == 0
    db = project / "store" / "feeds.db"
    if damage == "truncated":
        os.truncate(db, db.stat().st_size // 3)
    else:
        corrupt_table(db, "files")
    line = one_error_line(feeds(project, "run", "--once"))
    assert line.startswith(f"feeds: {db}: ")
    assert "the database file is corrupt" in line.removeprefix(f"feeds: {db}: ")  # (the folder says corrupt)


PAGE_LIMITED = """
import sqlite3, sys
connect = sqlite3.connect
def limited(*args, **kwargs):
    conn = connect(*args, **kwargs)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages + 3}")
    return conn
sqlite3.connect = limited
from feeds.cli import main
sys.argv = ["feeds", *sys.argv[1:]]
main()
"""


def test_a_full_disk_is_one_line_and_exit_1(project: Path) -> None:
    """The real CLI, its database connection limited to a few more pages than the file has: SQLite
    raises the SQLITE_FULL a full disk gives (once hidden by 'cannot rollback')."""
    (project / "posts" / "seed.txt").write_bytes(SEED.read_bytes())
    assert feeds(project, "run", "--once").returncode == 0
    for n in range(100):
        (project / "posts" / f"{n}.md").write_text(post(title=f"t{n}", body="<p>正文</p>" * 500), "utf-8")
    result = subprocess.run(
        [sys.executable, "-c", PAGE_LIMITED, "--config", str(project / "config.yaml"), "run", "--once"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=project,
    )
    line = one_error_line(result)
    assert line.startswith(f"feeds: {project / 'store' / 'feeds.db'}: the disk is full")


def without_root_powers() -> list[str]:
    """A command prefix under which file permissions apply: none for a normal user; root drops the
    capabilities that let it write anywhere (util-linux ``setpriv``), else the test is skipped."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    prefix = [setpriv or "setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    if setpriv is None or subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("root, and cannot drop its power to write read-only folders")
    return prefix


@pytest.mark.parametrize("when", ["before the first run", "after a run"])
def test_a_read_only_store_folder_is_one_line_and_exit_1(project: Path, when: str) -> None:
    (project / "posts" / "seed.txt").write_bytes(SEED.read_bytes())
    folder = project / "store"
    folder.mkdir()
    if when == "after a run":
        assert feeds(project, "run", "--once").returncode == 0
    folder.chmod(0o555)
    try:
        for command in (("run", "--once"), ("build",)):
            result = subprocess.run(
                [*without_root_powers(), sys.executable, "-m", "feeds", "--config", "config.yaml", *command],
                capture_output=True,
                text=True,
                timeout=60,
                cwd=project,
            )
            line = one_error_line(result)
            assert line.startswith(f"feeds: {folder}/feeds.db")
            assert "read-only" in line.removeprefix(f"feeds: {folder}")
    finally:
        folder.chmod(0o755)


def test_importing_the_cli_loads_none_of_the_heavy_libraries() -> None:
    """`feeds --help` must start in a blink: each command imports what it uses when it runs."""
    heavy = ("httpx", "markdown_it", "pypinyin", "lxml", "feedgen", "apscheduler", "pydantic", "nh3")
    heavy += ("psycopg",)  # the PostgreSQL store's driver: only a postgresql:// store will load it
    code = f"import sys, feeds.cli; print(' '.join(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def loaded_by(project: Path, *args: str, modules: tuple[str, ...]) -> set[str]:
    """Which of ``modules`` a whole ``feeds`` command imported by the time it exited."""
    code = (
        "import atexit, sys\n"
        f"shown = lambda: print('loaded:', *(m for m in {modules!r} if m in sys.modules), file=sys.stderr)\n"
        "atexit.register(shown)\n"
        f"sys.argv = ['feeds', '--config', {str(project / 'config.yaml')!r}, *{args!r}]\n"
        "from feeds.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=project
    )
    assert done.returncode == 0, done.stderr
    return set(done.stderr.strip().splitlines()[-1].removeprefix("loaded:").split())


RENDERERS = (
    "feedgen",
    "lxml",
    "nh3",
    "markdown_it",
    "httpx",
    "sqlite_utils",
    "apscheduler",
    "asyncio",
    "multiprocessing",
)


def test_an_idle_cron_run_loads_no_renderer_parser_or_fetcher(project: Path) -> None:
    """Nothing changed and every file is there: the run checks, and loads only what checking needs."""
    (project / "posts" / "seed.txt").write_bytes(SEED.read_bytes())
    assert loaded_by(project, "run", "--once", modules=RENDERERS) >= {"feedgen", "markdown_it"}
    before = {p: p.stat().st_mtime_ns for p in (project / "public").rglob("*") if p.is_file()}
    assert loaded_by(project, "run", "--once", modules=RENDERERS) == set()
    assert {p: p.stat().st_mtime_ns for p in (project / "public").rglob("*") if p.is_file()} == before
    assert loaded_by(project, "sources", modules=RENDERERS) == set()


def test_help_and_a_command_still_work_with_lazy_imports(project: Path) -> None:
    assert "feeds" in feeds(project, "--help").stdout
    done = feeds(project, "sources", "--json")
    assert done.returncode == 0, done.stderr
