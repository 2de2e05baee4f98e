"""The merge end to end: the shipped examples, sources in any order, runs repeated, a v1 store migrated.

Real files, a real SQLite store, feedparser reading back what was emitted.
"""

from __future__ import annotations

import json
import random
import shutil
import sqlite3
from pathlib import Path

import feedparser
import pytest
from conftest import DATA, post
from feedserver import FeedServer, Reply, feed_server

from feeds.config import Config, load
from feeds.pipeline import run_cycle
from feeds.store import Store

__all__ = ["feed_server"]  # the shared server fixture, used by name below
ROOT = Path(__file__).parent.parent
SEED_KEY = "NW202201242259595178"
SEED_LINK = f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode={SEED_KEY}"
REMOTES = [
    "  - {name: zqsb-rss, url: examples/feeds/zhengquanshibaowang.rss.xml, category: zhengquanshibaowang}\n",
    "  - {name: cailianshe, url: examples/feeds/cailianshe.atom.xml}\n",
    "  - {name: jijin, url: examples/feeds/jijin.json}\n",
]


def examples_project(
    folder: Path, remote_order: list[int], remote_first: bool = False, extra: str = ""
) -> Config:
    """The shipped examples and config in ``folder``, remote sources listed in ``remote_order``."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "examples").exists():
        shutil.copytree(ROOT / "examples", folder / "examples")
    head = (
        "site: {title: 财经新闻聚合, url: https://finews.example.com, timezone: Asia/Shanghai}\n"
        "store: store/feeds.db\noutput_dir: public\n"
        "categories:\n  zhengquanshibaowang: {title: 证券时报网}\n"
    )
    local = "local:\n  - path: examples/posts\n"
    remote = "remote:\n" + "".join(REMOTES[n] for n in remote_order)
    body = remote + local if remote_first else local + remote
    (folder / "config.yaml").write_text(head + body + extra, encoding="utf-8")
    return load(folder / "config.yaml")


def outputs(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted((folder / "public").rglob("*"))
        if p.is_file()
    }


def cycle(config: Config) -> None:
    with Store.open(config.store_path) as store:
        run_cycle(config, store, force_all=True)


def seed_entry(folder: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse((folder / "public" / "feeds" / "zhengquanshibaowang.atom.xml").read_bytes())
    assert parsed.bozo == 0
    [entry] = [e for e in parsed.entries if e.id.endswith(SEED_KEY)]
    return entry


def test_the_seed_shows_its_own_full_article_with_remote_sources_listed_first_or_last(tmp_path: Path) -> None:
    for remote_first in (False, True):
        folder = tmp_path / f"remote-first-{remote_first}"
        cycle(examples_project(folder, [0, 1, 2], remote_first=remote_first))
        entry = seed_entry(folder)
        assert entry.link == SEED_LINK  # the finews link, not cls.example.com
        assert entry.updated == entry.published == "2022-01-24T14:56:53Z"  # not the time of the run
        assert "证券时报网新闻" in {tag.term for tag in entry.tags}  # its own tags
        assert "工业和信息化部召开新闻发布会" in entry.content[0].value  # the full article
        assert "author" not in entry  # the seed names none; 财联社 is another copy's
    assert outputs(tmp_path / "remote-first-False") == outputs(tmp_path / "remote-first-True")


def test_the_same_copies_in_shuffled_orders_over_several_runs_give_the_same_bytes(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    cycle(examples_project(reference, [0, 1, 2]))
    expected = outputs(reference)
    shuffle = random.Random(9)
    for attempt in range(3):
        folder = tmp_path / f"shuffled-{attempt}"
        for _run in range(2):  # any number of runs: the second changes nothing
            order = shuffle.sample(range(3), 3)
            cycle(examples_project(folder, order, remote_first=shuffle.random() < 0.5))
        assert outputs(folder) == expected


def test_sources_arriving_over_separate_runs_in_either_order_converge(tmp_path: Path) -> None:
    one_by_one = tmp_path / "one-by-one"
    for order in ([2], [2, 1], [2, 1, 0]):  # the lower-priority copies first, over three runs
        config = examples_project(one_by_one, order)
        cycle(config)
    all_at_once = tmp_path / "all-at-once"
    cycle(examples_project(all_at_once, [0, 1, 2]))
    assert outputs(one_by_one) == outputs(all_at_once)


def test_a_lower_priority_copys_edit_changes_no_file_and_queues_no_webhook(tmp_path: Path) -> None:
    hook = (
        "fetch: {allow_private: true}\n"
        "webhooks: [{url: 'http://127.0.0.1:9/hook', secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}]\n"
    )
    config = examples_project(tmp_path, [0, 1, 2], extra=hook)
    cycle(config)
    before = {name: (tmp_path / name).stat().st_mtime_ns for name in outputs(tmp_path)}
    atom = tmp_path / "examples" / "feeds" / "cailianshe.atom.xml"
    atom.write_text(
        atom.read_text(encoding="utf-8").replace(
            "工信部将培育一批进军元宇宙", "改写后的摘要：工信部将培育一批进军元宇宙"
        ),
        encoding="utf-8",
    )
    with Store.open(config.store_path) as store:
        events = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
        summary = run_cycle(config, store, force_all=True).summary
        assert (summary.new, summary.updated) == (0, 0) and summary.duplicate >= 1
        assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == events
        copy = next(c for c in store.entries.copies(SEED_KEY) if c.source == "cailianshe")
        assert "改写后的摘要" in (copy.summary or copy.content)  # the copy itself is kept up to date
    assert {name: (tmp_path / name).stat().st_mtime_ns for name in outputs(tmp_path)} == before


def test_a_priority_change_remerges_on_the_next_build_without_fetching(tmp_path: Path) -> None:
    cycle(examples_project(tmp_path, [0, 1, 2]))
    config = load(tmp_path / "config.yaml")
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        text.replace("{name: cailianshe,", "{name: cailianshe, priority: 200,"), encoding="utf-8"
    )
    config = load(tmp_path / "config.yaml")
    from feeds.pipeline import build

    with Store.open(config.store_path) as store:
        build(config, store)
    assert seed_entry(tmp_path).link.startswith("https://cls.example.com/")


def test_an_item_with_only_a_description_is_stored_and_an_empty_one_counted(tmp_path: Path) -> None:
    (tmp_path / "posts").mkdir()
    (tmp_path / "only.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>有标题</title><link>https://a.example/1</link></item>"
        "<item><description>央行今日开展逆回购操作。金额为500亿元。</description></item>"
        "<item></item></channel></rss>",
        encoding="utf-8",
    )
    (tmp_path / "config.yaml").write_text(
        "site: {url: https://finews.example.com}\nremote: [{name: only, url: only.xml}]\n", encoding="utf-8"
    )
    config = load(tmp_path / "config.yaml")
    with Store.open(config.store_path) as store:
        summary = run_cycle(config, store).summary
        assert (summary.new, summary.failed, summary.skipped) == (2, 0, 1)
        titles = sorted(entry.title for entry in store.entries.recent())
    assert titles == ["央行今日开展逆回购操作。", "有标题"]  # its first sentence, never a URL


def test_posts_sharing_a_title_without_infocode_are_one_entry_and_off_keeps_them_apart(
    tmp_path: Path,
) -> None:
    for near, expected in (("true", 1), ("false", 2)):
        folder = tmp_path / near
        folder.mkdir()
        (folder / "posts").mkdir()
        for name, title in (("a.md", "【快讯】沪指收涨0.5%"), ("b.md", "沪指收涨0.5％ - 证券时报网")):
            (folder / "posts" / name).write_text(post(title=title), encoding="utf-8")
        (folder / "config.yaml").write_text(
            f"local: [{{path: posts}}]\ndedup: {{near: {near}}}\n", encoding="utf-8"
        )
        config = load(folder / "config.yaml")
        with Store.open(config.store_path) as store:
            run_cycle(config, store)
            assert store.entries.count() == expected
            if near == "true":  # the file index knows which entry each post's copy joined
                (folder / "posts" / "b.md").unlink()
                run_cycle(config, store)
                [entry] = store.entries.recent()
                assert [c.item_id for c in store.entries.copies(entry.key)] == ["a.md"]


def test_a_store_from_the_previous_release_is_migrated_and_repaired(tmp_path: Path) -> None:
    """The v1 store of the shipped examples: every entry and source is kept, and the seed, whose
    text v1 may have replaced with another site's, shows its own article after one run."""
    config = examples_project(tmp_path, [0, 1, 2])
    config.store_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(config.store_path)
    conn.executescript((DATA / "stores" / "v1-examples.sql").read_text(encoding="utf-8"))
    conn.execute("PRAGMA user_version = 1")
    keys = {row[0] for row in conn.execute("SELECT key FROM entries")}
    # as v1 did when cailianshe's copy was read last: the entry took that copy's text and digest
    conn.execute(
        "UPDATE entries SET link = 'https://cls.example.com/x', content_hash = "
        "(SELECT content_hash FROM entry_sources WHERE key = ? AND source = 'cailianshe') WHERE key = ?",
        (SEED_KEY, SEED_KEY),
    )
    conn.commit()
    conn.close()
    with Store.open(config.store_path) as store:
        run_cycle(config, store)
        assert keys <= {entry.key for entry in store.entries.recent()}
        assert {s.name for s in store.sources.statuses()} == {"zqsb-rss", "cailianshe", "jijin"}
    assert seed_entry(tmp_path).link == SEED_LINK


@pytest.mark.parametrize("priority", ["high", "1.5", "true"])
def test_a_priority_that_is_not_an_integer_names_the_key(tmp_path: Path, priority: str) -> None:
    from feeds.errors import ConfigError

    (tmp_path / "config.yaml").write_text(f"remote: [{{name: a, url: a.xml, priority: {priority}}}]\n")
    with pytest.raises(ConfigError, match=r"remote\[0\]\.priority"):
        load(tmp_path / "config.yaml")


def test_two_sources_of_one_name_are_a_config_error(tmp_path: Path) -> None:
    from feeds.errors import ConfigError

    (tmp_path / "config.yaml").write_text("local: [{path: p, name: a}]\nremote: [{name: a, url: a.xml}]\n")
    with pytest.raises(ConfigError, match="unique"):
        load(tmp_path / "config.yaml")


def near_feed(site: str, guid: str, title: str, when: str) -> str:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>' + site + "</title>"
        f'<item><title>{title}</title><guid isPermaLink="false">{guid}</guid><pubDate>{when}</pubDate>'
        f"<description>&lt;p&gt;{site}的报道&lt;/p&gt;</description></item></channel></rss>"
    )


def test_near_duplicates_from_two_feeds_give_the_same_bytes_whichever_is_read_first(tmp_path: Path) -> None:
    results = []
    for order in (("a", "b"), ("b", "a")):
        folder = tmp_path / "".join(order)
        folder.mkdir()
        (folder / "a.xml").write_text(
            near_feed("甲网", "z-1", "【快讯】沪指收涨0.5%", "Tue, 25 Jan 2022 10:00:00 +0800"),
            encoding="utf-8",
        )
        (folder / "b.xml").write_text(
            near_feed("乙网", "b-7", "沪指收涨0.5％ - 乙财经网", "Tue, 25 Jan 2022 10:20:00 +0800"),
            encoding="utf-8",
        )
        remotes = "".join(f"  - {{name: {name}, url: {name}.xml}}\n" for name in order)
        (folder / "config.yaml").write_text(f"site: {{url: https://finews.example.com}}\nremote:\n{remotes}")
        config = load(folder / "config.yaml")
        with Store.open(config.store_path) as store:
            run_cycle(config, store)
            assert store.entries.count() == 1
            [entry] = store.entries.recent()
            assert entry.key == "guid:b-7" and entry.sources == ("a", "b")
        results.append(outputs(folder))
    assert results[0] == results[1]


def test_a_post_whose_only_change_is_its_date_moves_the_entry(tmp_path: Path) -> None:
    (tmp_path / "posts").mkdir()
    path = tmp_path / "posts" / "a.md"
    path.write_text(post(extra="infoCode: NW1\n"), encoding="utf-8")
    (tmp_path / "config.yaml").write_text("local: [{path: posts}]\n")
    config = load(tmp_path / "config.yaml")
    with Store.open(config.store_path) as store:
        run_cycle(config, store)
        path.write_text(post(date="2022-01-25 09:00:00 +0800", extra="infoCode: NW1\n"), encoding="utf-8")
        assert run_cycle(config, store).summary.updated == 1
        stored = store.entries.get("NW1")
        assert stored is not None and stored.published.isoformat() == "2022-01-25T01:00:00+00:00"


def test_a_broken_then_deleted_post_takes_its_copy_with_it(tmp_path: Path) -> None:
    (tmp_path / "posts").mkdir()
    path = tmp_path / "posts" / "a.md"
    path.write_text(post(title="本地全文", extra="infoCode: NW1\n"), encoding="utf-8")
    (tmp_path / "config.yaml").write_text("local: [{path: posts}]\n")
    config = load(tmp_path / "config.yaml")
    with Store.open(config.store_path) as store:
        run_cycle(config, store)
        path.write_text("---\ntitle: [broken\n---\n", encoding="utf-8")
        assert run_cycle(config, store).summary.failed == 1
        assert [c.item_id for c in store.entries.copies("NW1")] == ["a.md"]  # the last good copy stays
        path.unlink()
        run_cycle(config, store)
        assert store.entries.copies("NW1") == []


ATOM_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>urn:uuid:wire-feed</id>
  <title>财联社电报</title>
  <link href="https://wire.example.com/" rel="alternate"/>
  <updated>2022-01-25T09:30:00+08:00</updated>
  <entry><id>wire-1</id><title>只在电报</title><link href="https://wire.example.com/1"/>
    <updated>2022-01-25T09:00:00+08:00</updated>
    <content type="html">&lt;p&gt;电报正文&lt;/p&gt;</content></entry>
  <entry><id>wire-2</id><title>转载</title><link href="https://wire.example.com/2?infoCode=NW7"/>
    <updated>2022-01-24T09:00:00+08:00</updated><content type="html">&lt;p&gt;摘要&lt;/p&gt;</content></entry>
</feed>
"""


def test_republished_entries_say_where_they_came_from(tmp_path: Path, feed_server: FeedServer) -> None:
    url = feed_server.route(
        "/wire.atom", Reply(body=ATOM_FEED.encode(), headers={"content-type": "application/atom+xml"})
    )
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_text(post(title="原文", extra="infoCode: NW7\n"), encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        "site: {title: 财经新闻聚合, url: https://finews.example.com}\nstore: store/feeds.db\n"
        "output_dir: public\nlocal: [{path: posts, name: posts}]\nfetch: {allow_private: true}\n"
        f"remote: [{{name: wire, url: '{url}', category: zhengquanshibaowang}}]\n",
        encoding="utf-8",
    )
    cycle(load(tmp_path / "config.yaml"))
    data = (tmp_path / "public" / "feeds" / "all.atom.xml").read_bytes()
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0
    by_title = {entry.title: entry for entry in parsed.entries}
    wire = by_title["只在电报"]
    assert (wire.source.id, wire.source.title, wire.source.link) == (
        "urn:uuid:wire-feed",
        "财联社电报",
        "https://wire.example.com/",
    )
    assert wire.source.updated == "2022-01-25T01:30:00Z"
    own = by_title["原文"]  # the site's post is canonical: no source, the wire's copy as a via link
    assert "source" not in own
    assert [link.href for link in own.links if link.rel == "via"] == [
        "https://wire.example.com/2?infoCode=NW7"
    ]
    rss = (tmp_path / "public" / "feeds" / "all.rss.xml").read_text(encoding="utf-8")
    assert f'<source url="{url}">财联社电报</source>' in rss
    items = json.loads((tmp_path / "public" / "feeds" / "all.json").read_bytes())["items"]
    copies = {item["title"]: item["_feeds"]["copies"] for item in items}
    assert [copy["source"] for copy in copies["原文"]] == ["posts", "wire"]
