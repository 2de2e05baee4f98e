"""The `feeds` command as users run it: real processes, exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    import sqlite3

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
