"""Local posts end to end on real files: ingest, rescan, bad input, emit and read back."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import SEED, post

from feeds import pipeline, publish
from feeds.config import Config, load
from feeds.model import Category, EntryData
from feeds.normalize import normalize
from feeds.pipeline import build, ingest_local, ingest_remote, merge_policy, run_cycle
from feeds.slugs import CategoryResolver
from feeds.store import Store
from feeds.timefmt import utcnow

SEED_TITLE = "工信部：培育一批进军元宇宙、区块链、人工智能等领域的中小企业"
SEED_KEY = "NW202201242259595178"


def add(project: Path, name: str, content: str | bytes) -> Path:
    path = project / "posts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_seed_end_to_end(project: Path, config: Config, store: Store) -> None:
    add(project, "000_df4b0940cadb3621.txt", SEED.read_bytes())
    summary = run_cycle(config, store).summary
    assert (summary.new, summary.failed) == (1, 0)
    atom = project / "public" / "feeds" / "zhengquanshibaowang.atom.xml"
    parsed = feedparser.parse(atom.read_bytes())
    assert parsed.bozo == 0
    assert [e.title for e in parsed.entries] == [SEED_TITLE]
    assert parsed.entries[0].published == "2022-01-24T14:56:53Z"
    assert parsed.feed.title == "证券时报网"
    stored = store.entries.get(SEED_KEY)
    assert stored is not None and stored.categories == ("zhengquanshibaowang",)


def test_rescan_does_no_work_and_rewrites_nothing(project: Path, config: Config, store: Store) -> None:
    for n in range(5):
        add(project, f"{n}.md", post(title=f"t{n}", extra=f"infoCode: NW{n}\n"))
    first = run_cycle(config, store).summary
    assert first.new == 5
    before = snapshot(project / "public")
    again = run_cycle(config, store).summary
    assert (again.new, again.updated, again.duplicate, again.unchanged) == (0, 0, 0, 5)
    assert snapshot(project / "public") == before


def test_an_output_deleted_by_hand_is_written_again_by_the_next_idle_run(
    project: Path, config: Config, store: Store
) -> None:
    add(project, "a.md", post(extra="infoCode: NW1\n"))
    run_cycle(config, store)
    for relative in ("feeds/zhengquanshibaowang.rss.xml", "feeds/all.html", "index.html", "feeds/index.opml"):
        gone = project / "public" / relative
        data = gone.read_bytes()
        gone.unlink()
        assert run_cycle(config, store).build.written == (relative,)
        assert gone.read_bytes() == data


def test_a_config_change_rebuilds_every_output_without_an_entry_change(project: Path, store: Store) -> None:
    add(project, "a.md", post(extra="infoCode: NW1\n"))
    run_cycle(load(project / "config.yaml"), store)
    atom = project / "public" / "feeds" / "zhengquanshibaowang.atom.xml"
    assert feedparser.parse(atom.read_bytes()).feed.title == "证券时报网"
    text = (
        (project / "config.yaml")
        .read_text(encoding="utf-8")
        .replace("{title: 证券时报网}", "{title: 证券时报}")
    )
    (project / "config.yaml").write_text(text, encoding="utf-8")
    changed = load(project / "config.yaml")
    assert store.meta.outputs_fingerprint() != pipeline.outputs_fingerprint(changed)
    result = run_cycle(changed, store)
    assert result.summary.unchanged == 1
    assert feedparser.parse(atom.read_bytes()).feed.title == "证券时报"
    assert "feeds/index.opml" in result.build.written
    assert run_cycle(changed, store).build.written == ()


def test_touched_file_is_confirmed_by_hash(project: Path, config: Config, store: Store) -> None:
    path = add(project, "a.md", post(extra="infoCode: NW1\n"))
    ingest_local(config, store)
    os.utime(path, ns=(1, 1))
    summary = ingest_local(config, store)
    assert (summary.unchanged, summary.updated, summary.duplicate) == (1, 0, 0)


def test_edited_post_is_an_update(project: Path, config: Config, store: Store) -> None:
    path = add(project, "a.md", post(body="<p>v1</p>", extra="infoCode: NW1\n"))
    ingest_local(config, store)
    path.write_text(post(body="<p>v2 longer</p>", extra="infoCode: NW1\n"), encoding="utf-8")
    assert ingest_local(config, store).updated == 1
    stored = store.entries.get("NW1")
    assert stored is not None and "v2" in stored.content


def test_shared_info_code_is_one_entry_in_both_categories(
    project: Path, config: Config, store: Store
) -> None:
    body = "<p>x</p>\n\n<http://f.xyz/NewsShare.html?infoCode=NW42>\n"
    add(project, "a.md", post(categories="zhengquanshibaowang", body=body))
    add(project, "b.md", post(categories="东方财富网", body=body))
    summary = ingest_local(config, store)
    # the second copy puts the item in another feed: an update (webhook consumers of that category hear of it)
    assert (summary.new, summary.updated) == (1, 1)
    stored = store.entries.get("NW42")
    assert stored is not None
    assert stored.categories == ("dongfangcaifuwang", "zhengquanshibaowang")
    assert store.entries.count() == 1


BAD_POSTS: dict[str, bytes] = {
    "broken-yaml.md": b"---\ntitle: [oops\ndate: 2022-01-01\n---\nx\n",
    "no-front-matter.md": b"hello\n",
    "empty.md": b"",
    "binary.md": b"\x00\x01\x02\xff" * 100,
    "gbk.md": "---\ntitle: t\ndate: 2022-01-01\n---\n证券时报网新闻正文\n".encode("gbk"),
    "no-title.md": b"---\ndate: 2022-01-01 10:00:00 +0800\n---\nx\n",
    "bad-date.md": b"---\ntitle: t\ndate: someday\n---\nx\n",
    "no-date.md": b"---\ntitle: t\n---\nx\n",
    "traversal.md": b"---\ntitle: t\ndate: 2022-01-01\ncategories: ../../etc\n---\nx\n",
}


def test_bad_posts_are_recorded_and_the_run_goes_on(project: Path, config: Config, store: Store) -> None:
    add(project, "good.md", post(extra="infoCode: NW7\n"))
    for name, content in BAD_POSTS.items():
        add(project, name, content)
    add(project, "huge.md", post(body="<p>" + "大" * (2 * 2**20) + "</p>"))  # ~6 MB
    summary = run_cycle(config, store).summary
    assert summary.new == 1
    assert summary.failed == len(BAD_POSTS) + 1
    recorded = {Path(f.location).name: f for f in store.entries.failures()}
    assert set(recorded) == {*BAD_POSTS, "huge.md"}
    assert "MiB" in recorded["huge.md"].reason
    assert recorded["broken-yaml.md"].line == 2
    assert "safe feed name" in recorded["traversal.md"].reason
    # nothing was written outside output_dir, and no feed for the refused category
    assert not (project / "etc").exists() and not (project.parent / "etc.atom.xml").exists()
    assert sorted(p.name for p in (project / "public" / "feeds").iterdir()) == [
        "all.atom.xml",
        "all.html",
        "all.json",
        "all.rss.xml",
        "archive",
        "index.opml",
        "zhengquanshibaowang.atom.xml",
        "zhengquanshibaowang.html",
        "zhengquanshibaowang.json",
        "zhengquanshibaowang.rss.xml",
    ]
    assert sorted(p.name for p in (project / "public" / "feeds" / "archive").iterdir()) == [
        "all",
        "zhengquanshibaowang",
    ]
    # fixing a file clears its failure
    add(project, "no-title.md", post(title="fixed", extra="infoCode: NW8\n"))
    assert run_cycle(config, store).summary.new == 1
    assert "no-title.md" not in {Path(f.location).name for f in store.entries.failures()}


def test_deleted_post_keeps_its_entry(project: Path, config: Config, store: Store) -> None:
    path = add(project, "a.md", post(extra="infoCode: NW1\n"))
    ingest_local(config, store)
    path.unlink()
    ingest_local(config, store)
    assert store.entries.get("NW1") is not None
    assert store.entries.file_index("local:posts") == {}


def test_round_trip_emitted_feeds_give_the_stored_entries(
    project: Path, config: Config, store: Store
) -> None:
    add(project, "seed.txt", SEED.read_bytes())
    for n in range(3):
        add(
            project,
            f"{n}.md",
            post(
                title=f"标题{n} <b>&amp;</b>",
                date=f"2022-02-0{n + 1} 08:00:00 +0800",
                extra=f"infoCode: NW{n}\nauthor: 记者{n}\n",
            ),
        )
    run_cycle(config, store)
    stored = store.entries.recent("zhengquanshibaowang", 50)
    feeds = project / "public" / "feeds"
    for name in ("zhengquanshibaowang.atom.xml", "zhengquanshibaowang.rss.xml"):
        parsed = feedparser.parse((feeds / name).read_bytes())
        assert parsed.bozo == 0, name
        assert [e.title for e in parsed.entries] == [e.title for e in stored]
        assert [e.link for e in parsed.entries] == [e.link or "https://finews.example.com/" for e in stored]
    feed = json.loads((feeds / "zhengquanshibaowang.json").read_text("utf-8"))
    assert [item["title"] for item in feed["items"]] == [e.title for e in stored]
    assert [item["date_published"] for item in feed["items"]] == [e.to_json()["published"] for e in stored]


def test_build_is_deterministic(project: Path, config: Config, store: Store) -> None:
    add(project, "seed.txt", SEED.read_bytes())
    run_cycle(config, store)
    first = snapshot(project / "public")
    for path in (project / "public").rglob("*.xml"):
        path.unlink()
    build(config, store)
    assert {k: v[1] for k, v in snapshot(project / "public").items()} == {k: v[1] for k, v in first.items()}


def rss(number: int) -> str:
    items = "".join(
        f"<item><title>快讯{number}-{i}</title><link>https://news.example.com/{number}/{i}.html</link>"
        f"<guid>g-{number}-{i}</guid><pubDate>Tue, 25 Jan 2022 0{i}:00:00 +0800</pubDate>"
        f"<description>&lt;p&gt;正文 {i}&lt;/p&gt;</description></item>"
        for i in range(2)
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0">'
    return f"{head}<channel><title>源{number}</title>{items}</channel></rss>"


def remote_project(project: Path, count: int, broken: int | None = None) -> Config:
    """``count`` remote feeds served from files (two items each; feed ``broken`` is not a feed),
    added to the project's config."""
    feeds_dir = project / "remote"
    feeds_dir.mkdir()
    remotes = []
    for n in range(count):
        (feeds_dir / f"{n}.xml").write_text(rss(n) if n != broken else "this is not a feed", encoding="utf-8")
        remotes.append(f"  - {{name: r{n}, url: remote/{n}.xml, category: 证券时报网}}\n")
    (project / "config.yaml").write_text(
        (project / "config.yaml").read_text(encoding="utf-8") + "remote:\n" + "".join(remotes),
        encoding="utf-8",
    )
    return load(project / "config.yaml")


def test_many_remote_feeds_go_through_worker_processes(project: Path) -> None:
    """Enough feeds that parsing and normalizing move to the worker pool; a broken feed still
    comes back as that source's clear failure (its error crossed the process boundary intact)."""
    config = remote_project(project, 20, broken=7)
    with Store.open(config.store_path) as store:
        summary = asyncio.run(ingest_remote(config, store))
        assert (summary.new, summary.failed) == (38, 1)
        assert "r7" in summary.failures[0].source or "7.xml" in summary.failures[0].location
        statuses = {status.name: status for status in store.sources.statuses()}
        assert statuses["r7"].error_count == 1 and statuses["r7"].last_error
        assert statuses["r3"].error_count == 0
        assert store.entries.recent("zhengquanshibaowang", 100)[0].title.startswith("快讯")
        # the workers send back normalized entries only, but the log still counts what each feed had
        assert {store.sources.log(f"r{n}")[0]["items"] for n in range(20) if n != 7} == {2}
        assert [line["new"] for line in store.sources.log("r19")] == [2]


def test_a_failed_store_stops_the_remote_run_and_keeps_whole_sources(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When storing fails (a full disk, say), the error comes out of the run, fetching stops, and
    the store holds whole sources only: each one's items with its state, or neither. A rerun
    converges on what a clean run stores."""
    config = remote_project(project, 6)
    calls = 0
    real_store_fetch = pipeline._store_fetch

    def failing_third(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise sqlite3.OperationalError("database or disk is full")
        return real_store_fetch(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_store_fetch", failing_third)
    with Store.open(config.store_path) as store:
        with pytest.raises(sqlite3.OperationalError, match="disk is full"):
            asyncio.run(ingest_remote(config, store))
        stored = {entry.sources[0] for entry in store.entries.recent()}
        fetched = {s.name for s in store.sources.statuses() if s.last_fetch is not None}
        assert stored == fetched and len(fetched) < 6  # items and state together, or neither
        monkeypatch.setattr(pipeline, "_store_fetch", real_store_fetch)
        again = asyncio.run(ingest_remote(config, store))
        assert again.failed == 0 and store.entries.count() == 12


# ---- issue 10: overlong categories, failed outputs, unbounded new categories ----------------------

FEEDS_DIR = Path("public") / "feeds"


def feed_files(project: Path) -> set[str]:
    return {p.name for p in (project / FEEDS_DIR).iterdir()}


def test_an_overlong_category_from_a_post_gets_a_capped_slug(
    project: Path, config: Config, store: Store
) -> None:
    """A category whose slug is 300 letters once made every build die with 'File name too long'."""
    add(project, "long.md", post(categories="长" * 60, extra="infoCode: NW1\n"))  # chang × 60
    add(project, "ok.md", post(title="other", extra="infoCode: NW2\n"))
    result = run_cycle(config, store)
    assert (result.summary.new, result.summary.failed, result.build.failed) == (2, 0, ())
    entry = store.entries.get("NW1")
    assert entry is not None
    [slug] = entry.categories
    assert len(slug) <= 80 and slug.startswith("chang" * 10)
    assert {f"{slug}.atom.xml", "zhengquanshibaowang.atom.xml", "all.json", "index.opml"} <= feed_files(
        project
    )


def test_an_overlong_category_from_a_remote_item_gets_a_capped_slug(project: Path) -> None:
    long_name = "长" * 60  # its slug: chang × 60
    item = f"<item><title>x</title><guid>g1</guid><category>{long_name}</category></item>"
    (project / "r.xml").write_text(
        f'<rss version="2.0"><channel><title>r</title>{item}</channel></rss>', "utf-8"
    )
    (project / "config.yaml").write_text(
        (project / "config.yaml").read_text("utf-8") + "remote: [{name: r, url: r.xml}]\n", "utf-8"
    )
    config = load(project / "config.yaml")
    with Store.open(config.store_path) as store:
        result = run_cycle(config, store)
        assert (result.summary.new, result.build.failed) == (1, ())
        [slug] = store.entries.recent()[0].categories
        assert len(slug) <= 80 and f"{slug}.rss.xml" in feed_files(project)


def stored_under(config: Config, store: Store, slug: str) -> None:
    """An entry in category ``slug``, as a store written before slugs were capped may hold one."""
    data = EntryData(source="local:old", item_id="old.md", title="旧", content="<p>x</p>", info_code="NW1")
    entry = normalize(data, CategoryResolver({}), config.site.url, utcnow())
    with store.transaction():
        store.entries.apply(
            replace(entry, categories=(Category(slug, slug),)), utcnow(), merge_policy(config)
        )


def test_a_stored_overlong_slug_fails_alone_and_stays_dirty(
    project: Path, config: Config, store: Store
) -> None:
    """A store that already holds an overlong slug: that feed is reported, recorded and retried;
    every other feed and index.opml are still written."""
    bad = "b" * 300
    stored_under(config, store, bad)
    add(project, "ok.md", post(extra="infoCode: NW2\n"))
    result = run_cycle(config, store)
    assert len(result.build.failed) == 1 and bad in result.build.failed[0]
    assert "longer than 80" in result.build.failed[0]
    assert {"all.atom.xml", "zhengquanshibaowang.atom.xml", "index.opml"} <= feed_files(project)
    assert bad not in (project / FEEDS_DIR / "index.opml").read_text("utf-8")
    assert set(store.entries.dirty_feeds()) == {bad}
    [failure] = store.entries.failures()
    assert failure.source == publish.OUTPUT_SOURCE and bad in failure.location
    again = build(config, store)
    assert again.failed == result.build.failed and set(store.entries.dirty_feeds()) == {bad}


def test_a_file_that_cannot_be_written_fails_alone_and_is_retried(
    project: Path, config: Config, store: Store
) -> None:
    """A real OSError (a folder where the feed file should be) costs that file only."""
    add(project, "a.md", post(extra="infoCode: NW1\n"))
    add(project, "b.md", post(categories="东方财富网", extra="infoCode: NW2\n"))
    blocker = project / FEEDS_DIR / "dongfangcaifuwang.rss.xml"
    (blocker / "inside").mkdir(parents=True)
    result = run_cycle(config, store)
    assert [line.split(": ")[0] for line in result.build.failed] == [
        str(project / "public" / "feeds" / blocker.name)
    ]
    assert {
        "all.rss.xml",
        "zhengquanshibaowang.rss.xml",
        "dongfangcaifuwang.atom.xml",
        "index.opml",
    } <= feed_files(project)
    assert set(store.entries.dirty_feeds()) == {"dongfangcaifuwang"}
    assert [f.location for f in store.entries.failures()] == [str(blocker)]
    (blocker / "inside").rmdir()
    blocker.rmdir()
    fixed = run_cycle(config, store)
    assert fixed.build.failed == () and blocker.is_file()
    assert not store.entries.dirty_feeds() and store.entries.failures() == []


def test_a_folder_cannot_create_unbounded_new_categories_per_run(
    project: Path, config: Config, store: Store
) -> None:
    """New categories per source and run are capped; the posts beyond it are recorded, and stored
    on a later run (a new allowance), so nothing is lost. Known categories are never refused."""
    cap = pipeline.MAX_NEW_CATEGORIES
    add(project, "first.md", post(title="first", extra="infoCode: NWF\n"))
    run_cycle(config, store)
    for n in range(cap + 5):
        add(project, f"{n:03}.md", post(title=f"t{n}", categories=f"cat{n}", extra=f"infoCode: NW{n}\n"))
    add(project, "zzz.md", post(title="known", extra="infoCode: NWK\n"))  # after the cap, a known category
    first = run_cycle(config, store).summary
    assert (first.new, first.failed) == (cap + 1, 5)
    refused = {Path(f.location).name: f.reason for f in store.entries.failures()}
    assert sorted(refused) == [f"{n:03}.md" for n in range(cap, cap + 5)]
    assert all(f"{cap} new categories" in reason for reason in refused.values())
    second = run_cycle(config, store).summary
    assert (second.new, second.failed) == (5, 0)
    assert store.entries.failures() == [] and store.entries.count() == cap + 7


def test_a_remote_source_cannot_create_unbounded_new_categories_per_run(project: Path) -> None:
    cap = pipeline.MAX_NEW_CATEGORIES
    items = "".join(
        f"<item><title>t{n}</title><guid>g{n}</guid><category>c{n}</category></item>" for n in range(cap + 3)
    )
    (project / "r.xml").write_text(
        f'<rss version="2.0"><channel><title>r</title>{items}</channel></rss>', "utf-8"
    )
    (project / "config.yaml").write_text(
        (project / "config.yaml").read_text("utf-8") + "remote: [{name: r, url: r.xml}]\n", "utf-8"
    )
    config = load(project / "config.yaml")
    with Store.open(config.store_path) as store:
        first = asyncio.run(ingest_remote(config, store))
        assert (first.new, first.failed) == (cap, 3)
        recorded = store.entries.failures()
        assert len(recorded) == 3 and {f.source for f in recorded} == {"r"}
        assert all(f"{cap} new categories" in f.reason for f in recorded)
        second = asyncio.run(ingest_remote(config, store, force_all=True))  # the same body: read again
        assert (second.new, second.failed) == (3, 0)
        assert store.entries.failures() == [] and store.entries.count() == cap + 3
