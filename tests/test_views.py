"""Views (``views:``): which entries a view selects (pure), and its feeds end to end: real post files,
a real SQLite store, feedparser reading the outputs, the ``feeds`` command for config errors."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from conftest import post, write_config

from feeds import views
from feeds.config import Config, load
from feeds.model import StoredEntry
from feeds.pipeline import build, run_cycle
from feeds.store import Store

T0 = datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
ENTRY = StoredEntry(
    key="NW1",
    info_code="NW1",
    title="沪指收涨1%",
    link="https://a.example/1",
    content="<p>A股三大指数集体收涨</p>",
    summary=None,
    author="证券时报",
    published=T0,
    updated=T0,
    categories=("zhengquanshibaowang",),
    tags=("A股",),
    sources=("posts",),
    content_hash="h",
)
MARKETS = "views:\n  - {slug: markets, title: 市场要闻, categories: [zhengquanshibaowang], tags: [A股]}\n"


def view(extra: str, folder: Path) -> views.View:
    write_config(folder, f"views:\n  - {{slug: v, {extra}}}\n")
    [compiled] = views.from_config(load(folder / "config.yaml"))
    return compiled


# ---- which entries a view selects ----------------------------------------------------------------


def test_a_view_takes_entries_in_any_listed_category_or_with_any_listed_tag(tmp_path: Path) -> None:
    either = view("categories: [证券时报网, dongfangcaifuwang], tags: [港股]", tmp_path)
    assert either.includes(ENTRY)  # by its category (named in Chinese, resolved to the slug)
    assert either.includes(replace(ENTRY, categories=("other",), tags=("港股",)))  # by a tag
    assert not either.includes(replace(ENTRY, categories=("other",), tags=("A股",)))


def test_every_match_pattern_must_find_something(tmp_path: Path) -> None:
    matching = view('tags: [A股], match: {title: "沪指|深成指", content: "收涨"}', tmp_path)
    assert matching.includes(ENTRY)
    assert not matching.includes(replace(ENTRY, content="<p>收跌</p>"))
    assert not matching.includes(replace(ENTRY, title="港股收涨"))


def test_a_view_of_patterns_alone_looks_at_every_entry(tmp_path: Path) -> None:
    by_author = view('match: {author: "^证券时报$"}', tmp_path)
    assert by_author.includes(replace(ENTRY, categories=(), tags=()))
    assert not by_author.includes(replace(ENTRY, author=None))


# ---- its feeds -------------------------------------------------------------------------------------


def project(folder: Path, extra: str = MARKETS) -> Config:
    write_config(folder, extra)
    posts = {
        "a.md": post(title="沪指收涨", categories="zhengquanshibaowang", date="2022-01-24 10:00:00 +0800"),
        "b.md": post(
            title="港股新闻",
            categories="dongfangcaifuwang",
            date="2022-01-24 09:00:00 +0800",
            extra="tags: [A股]\n",
        ),
        "c.md": post(title="无关新闻", categories="dongfangcaifuwang", date="2022-01-23 10:00:00 +0800"),
    }
    for name, text in posts.items():
        (folder / "posts" / name).write_text(text, encoding="utf-8")
    return load(folder / "config.yaml")


def feed(folder: Path, slug: str) -> feedparser.FeedParserDict:
    parsed = feedparser.parse((folder / "public" / "feeds" / f"{slug}.atom.xml").read_bytes())
    assert parsed.bozo == 0
    return parsed


def test_a_view_is_emitted_like_a_category_and_listed_in_the_opml(tmp_path: Path) -> None:
    config = project(tmp_path)
    with Store.open(config.store_path) as store:
        run_cycle(config, store)
    markets = feed(tmp_path, "markets")
    assert markets.feed.title == "市场要闻"
    assert [entry.title for entry in markets.entries] == ["沪指收涨", "港股新闻"]  # newest first
    for suffix in ("rss.xml", "json"):
        assert (tmp_path / "public" / "feeds" / f"markets.{suffix}").exists()
    opml = (tmp_path / "public" / "feeds" / "index.opml").read_text(encoding="utf-8")
    assert 'text="市场要闻"' in opml and "feeds/markets.atom.xml" in opml


def test_a_view_follows_new_entries_and_is_not_rewritten_when_nothing_changed(tmp_path: Path) -> None:
    config = project(tmp_path)
    with Store.open(config.store_path) as store:
        run_cycle(config, store)
        assert run_cycle(config, store).build.written == ()
        (tmp_path / "posts" / "d.md").write_text(
            post(title="深成指新高", date="2022-01-25 10:00:00 +0800"), encoding="utf-8"
        )
        written = run_cycle(config, store).build.written
    assert "feeds/markets.atom.xml" in written
    assert feed(tmp_path, "markets").entries[0].title == "深成指新高"


def test_a_view_holds_at_most_the_feed_limit(tmp_path: Path) -> None:
    config = project(tmp_path, MARKETS + "feed: {limit: 1}\n")
    with Store.open(config.store_path) as store:
        run_cycle(config, store)
    assert [entry.title for entry in feed(tmp_path, "markets").entries] == ["沪指收涨"]


def test_a_view_whose_slug_a_feed_category_took_is_reported_and_the_category_kept(tmp_path: Path) -> None:
    config = project(tmp_path, "views:\n  - {slug: dongfangcaifuwang, tags: [A股]}\n")
    with Store.open(config.store_path) as store:
        run_cycle(config, store)
        result = build(config, store)
    assert any("has the slug of a category" in failure for failure in result.failed)
    assert sorted(e.title for e in feed(tmp_path, "dongfangcaifuwang").entries) == ["无关新闻", "港股新闻"]


@pytest.mark.parametrize(
    ("views_yaml", "message"),
    [
        ("- {slug: Markets, tags: [A股]}", "views[0].slug: 'Markets' is not a slug"),
        ("- {slug: all, tags: [A股]}", "'all' is the feed of every entry"),
        ("- {slug: m, tags: [A股], colour: red}", "views[0].colour: unknown key"),
        ("- {slug: m, match: {body: x}}", "views[0].match.body"),
        ('- {slug: m, match: {title: "(?=x)"}}', "RE2 cannot compile"),
        ("- {slug: m}", "a view needs categories, tags or match"),
        ("- {slug: zhengquanshibaowang, tags: [A股]}", "already the slug of a category in `categories`"),
        ("- {slug: m, tags: [x]}\n  - {slug: m, tags: [y]}", "already the slug of another view"),
    ],
)
def test_an_invalid_view_is_a_config_error(tmp_path: Path, views_yaml: str, message: str) -> None:
    write_config(tmp_path, f"views:\n  {views_yaml}\n")
    done = subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(tmp_path / "config.yaml"), "build"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
