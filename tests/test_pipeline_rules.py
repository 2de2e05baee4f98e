"""Content rules end to end: real post files, a real SQLite store, feedparser reading the outputs, a
real verifying webhook receiver, and the ``feeds`` command as cron runs it.

A rule change must reach the outputs on the next build without fetching, with the same bytes as a
store that had the rules from the start.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from conftest import ALLOW_PRIVATE, SEED, post, write_config
from webhook_receiver import WebhookReceiver

from feeds.config import Config, load
from feeds.pipeline import build, merge_policy, run_cycle
from feeds.store import Store

ROOT = Path(__file__).parent.parent
SEED_KEY = "NW202201242259595178"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CHROME = """<p class="em_media">（文章来源：证券时报网）</p>

<http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}>

[返回证券时报网新闻](//finews.withounder.com/category/zhengquanshibaowang.html)｜[返回首页](//finews.withounder.com/)
"""
SITE_CHROME = """\
rules:
  - name: site-chrome
    remove: "p.em_media, p:has(> a[href*='withounder.com'])"
"""
NO_ADS = """\
rules:
  - name: no-ads
    drop_if: {title: "广告"}
"""


def article(code: str, title: str = "新闻标题", text: str = "正文第一段。") -> str:
    return post(title=title, body=f"<p>{text}</p>\n\n" + CHROME.format(code=code))


def configure(folder: Path, rules: str = "", extra: str = "") -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    write_config(folder, extra + rules)
    return load(folder / "config.yaml")


def cycle(config: Config) -> None:
    with Store.open(config.store_path) as store:
        run_cycle(config, store)


def rebuild(config: Config) -> tuple[str, ...]:
    with Store.open(config.store_path) as store:
        return build(config, store).written


def outputs(folder: Path) -> dict[str, bytes]:
    public = folder / "public"
    return {str(p.relative_to(public)): p.read_bytes() for p in sorted(public.rglob("*")) if p.is_file()}


def atom(folder: Path, slug: str = "zhengquanshibaowang") -> feedparser.FeedParserDict:
    parsed = feedparser.parse((folder / "public" / "feeds" / f"{slug}.atom.xml").read_bytes())
    assert parsed.bozo == 0
    return parsed


def feeds(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(folder / "config.yaml"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_shipped_config_republishes_the_seed_without_its_site_chrome(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    cycle(load(tmp_path / "config.yaml"))
    [seed] = [e for e in atom(tmp_path).entries if e.id.endswith(SEED_KEY)]
    content = seed.content[0].value
    assert "返回首页" not in content and "返回证券时报网新闻" not in content and "em_media" not in content
    assert "文章来源" not in content
    assert content.rstrip().endswith(
        f'<p><a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode={SEED_KEY}">'
        f"http://finews.zning.xyz/html_News/NewsShare.html?infoCode={SEED_KEY}</a></p>"
    )
    assert "培育一批进军元宇宙" in content  # the article itself is all there
    everything = (tmp_path / "public" / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    assert "utm_" not in everything and "spm=" not in everything and "from=telegraph" not in everything
    assert "https://cls.example.com/detail/917001" in everything  # the link, without its tracking


def test_a_rule_change_reaches_the_outputs_on_the_next_build_without_reading_posts(tmp_path: Path) -> None:
    config = configure(tmp_path, SITE_CHROME)
    (tmp_path / "posts" / "a.md").write_text(article("NW1"), encoding="utf-8")
    cycle(config)
    ruled = outputs(tmp_path)
    assert b"withounder" not in ruled["feeds/all.atom.xml"]
    (tmp_path / "posts" / "a.md").unlink()  # proves nothing is read again: the copy is in the store

    without = configure(tmp_path)
    assert rebuild(without)  # files rewritten by a build alone
    assert "返回首页" in atom(tmp_path).entries[0].content[0].value

    assert rebuild(configure(tmp_path, SITE_CHROME))
    assert outputs(tmp_path) == ruled  # the same bytes as when the rules applied at ingest
    assert (
        rebuild(configure(tmp_path, SITE_CHROME)) == ()
    )  # unchanged rules: nothing re-applied, nothing written


def test_rules_added_later_give_the_bytes_of_rules_applied_from_the_start(tmp_path: Path) -> None:
    posts = {f"{n}.md": article(f"NW{n}", title=f"标题{n}") for n in range(5)}
    posts["seed.txt"] = SEED.read_text(encoding="utf-8")
    results = []
    for name, first in (("from-start", SITE_CHROME), ("later", "")):
        folder = tmp_path / name
        config = configure(folder, first)
        for filename, text in posts.items():
            (folder / "posts" / filename).write_text(text, encoding="utf-8")
        cycle(config)
        if not first:
            rebuild(configure(folder, SITE_CHROME))
        results.append(outputs(folder))
    assert results[0] == results[1]


def test_a_dropped_item_leaves_the_feeds_and_comes_back_when_the_rule_goes(tmp_path: Path) -> None:
    config = configure(tmp_path, NO_ADS)
    (tmp_path / "posts" / "ad.md").write_text(article("NW1", title="推广广告"), encoding="utf-8")
    (tmp_path / "posts" / "news.md").write_text(article("NW2", title="真新闻"), encoding="utf-8")
    with Store.open(config.store_path) as store:
        result = run_cycle(config, store)
        assert (result.summary.new, result.summary.skipped) == (1, 1)
        assert [e.title for e in store.entries.recent()] == ["真新闻"]
        assert store.entries.count() == 1
        hidden = store.entries.get("NW1")
        assert hidden is not None and hidden.hidden  # stored, with its copy, in no feed
        assert [c.dropped_by for c in store.entries.copies("NW1", dropped=True)] == ["no-ads"]
    assert [e.title for e in atom(tmp_path).entries] == ["真新闻"]

    rebuild(configure(tmp_path))
    assert sorted(e.title for e in atom(tmp_path).entries) == ["推广广告", "真新闻"]


def test_a_copy_dropped_by_a_rule_is_not_part_of_its_entry(tmp_path: Path) -> None:
    rules = 'rules:\n  - {name: no-mirror, sources: [mirror], drop_if: {title: "."}}\n'
    extra = "  - {path: mirror, name: mirror, priority: 500}\n"
    write_config(tmp_path, rules)
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        text.replace("local: [{path: posts}]", "local:\n  - {path: posts, name: posts}\n" + extra),
        encoding="utf-8",
    )
    (tmp_path / "mirror").mkdir()
    (tmp_path / "posts" / "a.md").write_text(article("NW7", title="原文"), encoding="utf-8")
    (tmp_path / "mirror" / "a.md").write_text(article("NW7", title="转载"), encoding="utf-8")
    config = load(tmp_path / "config.yaml")
    cycle(config)
    with Store.open(config.store_path) as store:
        entry = store.entries.get("NW7")
        assert entry is not None and entry.title == "原文" and entry.sources == ("posts",)
        data = store.entries.to_json(entry, merge_policy(config))
        assert [copy["source"] for copy in data["copies"]] == ["posts"]  # type: ignore[index]


def test_the_store_keeps_each_copy_as_it_was_sent(tmp_path: Path) -> None:
    config = configure(tmp_path, SITE_CHROME)
    (tmp_path / "posts" / "a.md").write_text(article("NW1"), encoding="utf-8")
    cycle(config)
    with Store.open(config.store_path) as store:
        [copy] = store.entries.copies("NW1", originals=True)
        assert "返回首页" not in copy.content
        assert copy.original is not None and "返回首页" in copy.original.content
        assert copy.as_sent.title == copy.title  # only what a rule rewrote is kept twice


def test_an_item_a_new_rule_drops_is_announced_deleted_to_webhook_consumers(tmp_path: Path) -> None:
    with WebhookReceiver(SECRET) as receiver:
        hooks = f"webhooks: [{{url: '{receiver.url}', secret: {SECRET}}}]\n" + ALLOW_PRIVATE
        (tmp_path / "posts").mkdir()
        (tmp_path / "posts" / "ad.md").write_text(article("NW1", title="推广广告"), encoding="utf-8")
        cycle(configure(tmp_path, extra=hooks))
        cycle(configure(tmp_path, NO_ADS, extra=hooks))
        cycle(configure(tmp_path, extra=hooks))
        got = receiver.requests()
    assert all(request.verified for request in got)
    assert [(r.json()["type"], r.json()["data"]["key"]) for r in got] == [
        ("entry.created", "NW1"),
        ("entry.deleted", "NW1"),
        ("entry.created", "NW1"),
    ]


def test_an_item_never_announced_is_not_announced_deleted(tmp_path: Path) -> None:
    with WebhookReceiver(SECRET) as receiver:
        hooks = f"webhooks: [{{url: '{receiver.url}', secret: {SECRET}}}]\n" + ALLOW_PRIVATE
        (tmp_path / "posts").mkdir()
        (tmp_path / "posts" / "ad.md").write_text(article("NW1", title="推广广告"), encoding="utf-8")
        cycle(configure(tmp_path, NO_ADS, extra=hooks))
        assert receiver.requests() == []


def test_rules_test_is_a_dry_run_that_names_the_rule(tmp_path: Path) -> None:
    configure(tmp_path)
    (tmp_path / "posts" / "ad.md").write_text(article("NW1", title="推广广告"), encoding="utf-8")
    (tmp_path / "posts" / "news.md").write_text(article("NW2", title="真新闻"), encoding="utf-8")
    (tmp_path / "posts" / "plain.md").write_text(post(title="干净", body="<p>无</p>"), encoding="utf-8")
    assert feeds(tmp_path, "run", "--once").returncode == 0
    before = outputs(tmp_path)
    configure(tmp_path, NO_ADS + SITE_CHROME.removeprefix("rules:\n"))

    done = feeds(tmp_path, "rules", "test", "--json")
    assert done.returncode == 0, done.stderr
    lines = {row["key"]: row for row in map(json.loads, done.stdout.splitlines())}
    assert lines["NW1"]["action"] == "dropped" and lines["NW1"]["rule"] == "no-ads"
    assert lines["NW2"]["action"] == "changed" and lines["NW2"]["rule"] == "site-chrome"
    [change] = lines["NW2"]["changes"]
    assert change["field"] == "content" and "em_media" in change["before"]
    [plain] = [row for key, row in lines.items() if key not in ("NW1", "NW2")]
    assert plain["action"] == "kept" and plain["rule"] is None
    assert "3 copies: 1 kept, 1 dropped, 1 changed" in done.stderr

    text = feeds(tmp_path, "rules", "test", "--limit", "1")
    assert text.returncode == 0 and text.stdout.splitlines()[0].startswith(
        "dropped  NW1  local:posts  by no-ads"
    )
    assert outputs(tmp_path) == before  # wrote nothing
    with Store.open(tmp_path / "store" / "feeds.db") as store:
        assert store.entries.get("NW1") is not None and not store.entries.get("NW1").hidden  # type: ignore[union-attr]


def test_rules_test_warns_when_a_rule_drops_every_copy_of_a_source(tmp_path: Path) -> None:
    configure(tmp_path, 'rules:\n  - {name: all-out, drop_if: {title: "."}}\n')
    (tmp_path / "posts" / "a.md").write_text(article("NW1"), encoding="utf-8")
    assert feeds(tmp_path, "run", "--once").returncode == 0  # allowed
    done = feeds(tmp_path, "rules", "test")
    assert "warning: every copy of source local:posts (1) would be dropped" in done.stdout


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('{name: bad, drop_if: {title: "(a)\\\\1"}}', "rules[0] (bad).drop_if: title: RE2 cannot compile"),
        ('{keep_if: {title: "(?=x)"}}', "rules[0].keep_if: title: RE2 cannot compile"),
        ('{name: css, remove: "p:::x"}', "rules[0] (css).remove: invalid CSS selector"),
        ('{name: f, drop_if: {body: "x"}}', "rules[0] (f).drop_if.body"),
        ('{name: act, delete_if: {title: "x"}}', "rules[0] (act).delete_if: unknown key"),
        ("{name: empty}", "rules[0] (empty): a rule needs at least one action"),
        ('{replace: [{field: summary, pattern: "x"}]}', "rules[0].replace[0].field"),
        ('{sources: [nope], drop_if: {title: "x"}}', "rules[0].sources: no source named 'nope'"),
    ],
)
def test_an_invalid_rule_is_a_config_error_naming_the_rule_and_key(
    tmp_path: Path, rule: str, message: str
) -> None:
    write_config(tmp_path, f"rules:\n  - {rule}\n")
    done = feeds(tmp_path, "run", "--once")
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
