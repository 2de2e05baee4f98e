"""Local posts end to end on real files: ingest, rescan, bad input, emit and read back."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import feedparser
import pytest
from conftest import SEED, post

from feeds import pipeline
from feeds.config import Config, load
from feeds.pipeline import build, ingest_local, ingest_remote, run_cycle
from feeds.store import Store

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
        "all.json",
        "all.rss.xml",
        "index.opml",
        "zhengquanshibaowang.atom.xml",
        "zhengquanshibaowang.json",
        "zhengquanshibaowang.rss.xml",
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
