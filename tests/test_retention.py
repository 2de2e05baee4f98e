"""Retention (``feed.retain``): old entries leave the store and its feeds, and tombstones keep any
source from bringing them back. Real post files, a real remote feed on 127.0.0.1, a real SQLite store,
feedparser reading the outputs, and the ``feeds`` command for config errors.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import feedparser
import pytest
from conftest import ALLOW_PRIVATE, post, write_config
from feedserver import FeedServer, Reply, feed_server

from feeds.config import Config, load
from feeds.pipeline import run_cycle
from feeds.store import Store

__all__ = ["feed_server"]  # the shared server fixture, used by name below

NOW = datetime.now(UTC).replace(microsecond=0)


def days_ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def post_dated(folder: Path, name: str, title: str, when: datetime) -> None:
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000")
    (folder / "posts" / name).write_text(post(title=title, date=stamp), encoding="utf-8")


def configure(folder: Path, retain: str | None, extra: str = "") -> Config:
    feed = f"feed: {{retain: {retain}}}\n" if retain else ""
    write_config(folder, feed + extra)
    return load(folder / "config.yaml")


def cycle(config: Config, force_all: bool = False) -> str:
    with Store.open(config.store_path) as store:
        return run_cycle(config, store, force_all=force_all).summary.line()


def titles(folder: Path, slug: str = "zhengquanshibaowang") -> list[str]:
    parsed = feedparser.parse((folder / "public" / "feeds" / f"{slug}.atom.xml").read_bytes())
    assert parsed.bozo == 0
    return sorted(entry.title for entry in parsed.entries)


def rss(items: list[tuple[str, str, datetime]]) -> bytes:
    body = "".join(
        f"<item><title>{title}</title><guid>{guid}</guid><link>https://news.example.com/{guid}</link>"
        f"<pubDate>{format_datetime(when)}</pubDate><category>证券时报网</category></item>"
        for guid, title, when in items
    )
    head = '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>远程</title>'
    return f"{head}{body}</channel></rss>".encode()


def test_entries_older_than_retain_leave_the_store_and_the_feeds(tmp_path: Path) -> None:
    config = configure(tmp_path, None)
    post_dated(tmp_path, "new.md", "新闻", days_ago(10))
    post_dated(tmp_path, "old.md", "旧闻", days_ago(400))
    cycle(config)
    assert titles(tmp_path) == ["新闻", "旧闻"]

    line = cycle(configure(tmp_path, "365d"))
    assert line.startswith("0 new")
    assert titles(tmp_path) == ["新闻"]  # the feed was rebuilt without it
    with Store.open(config.store_path) as store:
        assert [e.title for e in store.entries.recent()] == ["新闻"]
        assert store.entries.count() == 1
        [old_key] = [k for (k,) in store.conn.execute("SELECT key FROM tombstones")]
        assert store.entries.get(old_key) is None
        assert store.conn.execute("SELECT count(*) FROM copies WHERE key = ?", (old_key,)).fetchone()[0] == 0


def test_a_post_older_than_retain_is_not_stored_at_all(tmp_path: Path) -> None:
    config = configure(tmp_path, "30d")
    post_dated(tmp_path, "old.md", "旧闻", days_ago(40))
    post_dated(tmp_path, "new.md", "新闻", days_ago(1))
    assert cycle(config) == "1 new, 0 updated, 0 duplicate, 0 failed, 1 skipped, 0 unchanged"
    assert titles(tmp_path) == ["新闻"]


def test_a_tombstone_keeps_a_remote_feed_that_still_carries_the_item_from_bringing_it_back(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    items = [("g-old", "百日旧闻", days_ago(100)), ("g-new", "今日新闻", days_ago(1))]
    url = feed_server.route(
        "/feed.xml", Reply(body=rss(items), headers={"content-type": "application/rss+xml"})
    )
    remote = f"remote: [{{name: wire, url: '{url}'}}]\n" + ALLOW_PRIVATE
    cycle(configure(tmp_path, "365d", remote), force_all=True)
    assert titles(tmp_path) == ["今日新闻", "百日旧闻"]

    cycle(configure(tmp_path, "30d", remote), force_all=True)  # the old item is deleted ...
    assert titles(tmp_path) == ["今日新闻"]

    items.append(("g-newer", "又一条", days_ago(0)))  # ... and the feed changes, still carrying it
    feed_server.route("/feed.xml", Reply(body=rss(items), headers={"content-type": "application/rss+xml"}))
    line = cycle(configure(tmp_path, "365d", remote), force_all=True)  # a window that would keep it
    assert line == "1 new, 0 updated, 1 duplicate, 0 failed, 1 skipped, 0 unchanged"
    assert titles(tmp_path) == ["今日新闻", "又一条"]
    assert len(feed_server.hits("/feed.xml")) == 3  # it was read each time: the tombstone refused it


def test_the_cli_shows_no_deleted_entry_and_its_other_commands_still_work(tmp_path: Path) -> None:
    configure(tmp_path, "365d")
    post_dated(tmp_path, "new.md", "新闻", days_ago(10))
    feeds = [sys.executable, "-m", "feeds", "--config", str(tmp_path / "config.yaml")]
    assert subprocess.run([*feeds, "run", "--once"], capture_output=True, check=False).returncode == 0
    configure(tmp_path, "5d")
    done = subprocess.run([*feeds, "run", "--once"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    for command in (["entries", "--json"], ["failures"], ["sources"], ["rules", "test"]):
        shown = subprocess.run([*feeds, *command], capture_output=True, text=True, check=False)
        assert shown.returncode == 0, shown.stderr
        assert "新闻" not in shown.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1d", "not a duration"),
        ("forever", "not a duration"),
        ("0", "not a positive duration"),
        ("36600000d", "at most 100 years"),
    ],
)
def test_a_bad_retain_is_a_config_error(tmp_path: Path, value: str, message: str) -> None:
    write_config(tmp_path, f"feed: {{retain: {value}}}\n")
    done = subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(tmp_path / "config.yaml"), "run", "--once"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "feed.retain" in done.stderr and message in done.stderr and "Traceback" not in done.stderr
