"""OPML subscription lists (issue 13, item 2).

The parse and the expansion are pure: tested on fixture files that state what they expect
(``tests/data/opml/*.opml`` next to ``*.expected.json``), with no network and no database. The rest
runs as users run it: real ``feeds run --once`` and ``feeds daemon`` processes against real SQLite
stores, lists and feeds served by the shared test server (tests/feedserver.py) on 127.0.0.1.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from feedserver import FeedServer, Reply, closed_port, feed_server
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_daemon import daemon, wait_for

from feeds.config import CategoryConfig, OpmlList, RemoteSource, load, shown_location
from feeds.errors import ConfigError
from feeds.scheduler import plan
from feeds.slugs import CategoryResolver
from feeds.sources import opml
from feeds.sources.opml import OpmlError, Outline, expand, parse_opml

__all__ = ["feed_server"]  # the fixture, imported so pytest finds it here

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data" / "opml"
RESOLVER = CategoryResolver({})


# ---- parse (pure) -------------------------------------------------------------------------------


def document_json(document: opml.OpmlDocument) -> dict[str, Any]:
    return {
        "outlines": [outline.to_json() for outline in document.outlines],
        "problems": [problem.to_json() for problem in document.problems],
    }


@pytest.mark.parametrize("name", ["nested", "bad-outlines"])
def test_fixture_lists_parse_to_what_they_expect(name: str) -> None:
    document = parse_opml((DATA / f"{name}.opml").read_bytes())
    expected = json.loads((DATA / f"{name}.opml.expected.json").read_text(encoding="utf-8"))
    assert document_json(document) == expected


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("not-xml", "not well-formed XML: Start tag expected, '<' not found, line 1, column 1"),
        ("bomb", "document declares a DOCTYPE or XML entities; refused"),
        ("rss-not-opml", "not an OPML document (root element <rss>)"),
        ("empty", "no <outline> elements: not a subscription list"),
    ],
)
def test_a_document_that_is_no_list_is_refused_with_its_reason(name: str, reason: str) -> None:
    with pytest.raises(OpmlError) as caught:
        parse_opml((DATA / f"{name}.opml").read_bytes())
    assert caught.value.reason == reason


def test_entities_without_a_doctype_are_refused_too() -> None:
    with pytest.raises(OpmlError, match="not well-formed XML"):
        parse_opml(b'<opml><body><outline text="&x;" xmlUrl="https://a.example/"/></body></opml>')


def test_a_list_past_the_feed_limit_keeps_the_first_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(opml, "MAX_FEEDS", 2)
    body = "".join(f'<outline text="f{n}" xmlUrl="https://f{n}.example/rss"/>' for n in range(4))
    document = parse_opml(f"<opml><body>{body}</body></opml>".encode())
    assert [outline.title for outline in document.outlines] == ["f0", "f1"]
    assert [(p.position, p.reason) for p in document.problems] == [
        (3, "over 2 feeds in one list; ignored"),
        (4, "over 2 feeds in one list; ignored"),
    ]


def test_titles_lose_control_and_bidi_characters_and_are_cut() -> None:
    title = "a\u202e\u200b\t b" + "x" * 300
    document = parse_opml(
        f'<opml><body><outline title="{title}" xmlUrl="https://a.example/"/></body></opml>'.encode()
    )
    (outline,) = document.outlines
    assert (
        outline.title is not None
        and outline.title.startswith("a bxx")
        and len(outline.title) == opml.MAX_NAME
    )


ATTRIBUTE = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes_give_a_list_or_one_opml_error(data: bytes) -> None:
    try:
        parse_opml(data)
    except OpmlError as exc:
        assert exc.reason and "\n" not in exc.reason


@FUZZ
@given(st.lists(st.tuples(ATTRIBUTE, ATTRIBUTE, ATTRIBUTE), max_size=12))
def test_any_outlines_expand_to_unique_names_and_http_urls(outlines: list[tuple[str, str, str]]) -> None:
    """Titles, URLs and categories as a hostile list may spell them: whatever parses, expands to
    sources with distinct names and absolute http(s) URLs, and never raises."""
    body = "".join(
        f'<outline text="{escape(title)}" category="{escape(category)}" xmlUrl="{escape(url)}"/>'
        for title, url, category in outlines
    )
    try:
        document = parse_opml(f"<opml><body><outline text='x'/>{body}</body></opml>".encode())
    except OpmlError:
        return  # characters XML does not allow in attributes: refused as a whole
    expansion = expand([(entry(), document.outlines)], {"posts"}, {}, RESOLVER)
    names = [source.name for source in expansion.sources]
    assert len(names) == len(set(names)) and "posts" not in names
    assert all(source.url.startswith(("http://", "https://")) for source in expansion.sources)
    assert len(expansion.sources) + len(document.problems) == len(outlines)


def test_a_problem_names_its_list_outline_and_title() -> None:
    problem = parse_opml((DATA / "bad-outlines.opml").read_bytes()).problems[1]
    assert problem.where("subs.opml") == "subs.opml: outline 3 'Local file'"


# ---- expand (pure) ------------------------------------------------------------------------------


def outline(position: int, url: str, title: str | None = None, **more: str | None) -> Outline:
    return Outline(position, position, url, title, more.get("category"), more.get("parent"))


def entry(location: str = "subs.opml", **more: Any) -> OpmlList:
    return OpmlList(opml=location, **more)


def test_names_come_from_title_else_host_and_never_clash() -> None:
    outlines = [
        outline(1, "https://a.example/rss", "News"),
        outline(2, "https://b.example/rss", "News"),
        outline(3, "https://c.example/rss", "posts"),
        outline(4, "https://nameless.example/atom.xml"),
    ]
    expansion = expand([(entry(), outlines)], {"posts", "News-2"}, {}, RESOLVER)
    assert [source.name for source in expansion.sources] == ["News", "News-3", "posts-2", "nameless.example"]
    assert expansion.problems == ()


def test_expansion_is_the_same_every_time_and_carries_the_entry_settings() -> None:
    lists = [
        (
            entry(category="misc", interval="30m", priority=70, timezone="UTC"),
            [outline(1, "https://a.example/")],
        )
    ]
    first = expand(lists, set(), {}, RESOLVER)
    assert first == expand(lists, set(), {}, RESOLVER)
    (source,) = first.sources
    assert source == RemoteSource(
        name="a.example",
        url="https://a.example/",
        priority=70,
        category="misc",
        interval=1800,
        timezone="UTC",
        opml="subs.opml",
    )


def test_category_from_the_outline_else_its_parent_else_the_list() -> None:
    outlines = [
        outline(1, "https://a.example/", "A", category="Linux", parent="Tech"),
        outline(2, "https://b.example/", "B", parent="科技"),
        outline(3, "https://c.example/", "C"),
        outline(4, "https://d.example/", "D", category="???", parent="Tech"),
    ]
    expansion = expand([(entry(category="misc"), outlines)], set(), {}, RESOLVER)
    assert [source.category for source in expansion.sources] == ["Linux", "科技", "misc", "Tech"]
    (problem,) = expansion.problems
    assert problem.problem.position == 4
    assert problem.problem.reason.startswith("category '???' not used: category '???' cannot be turned into")


def test_a_configured_category_mapping_makes_an_outline_category_usable() -> None:
    resolver = CategoryResolver({"C++": CategoryConfig(slug="cpp")})
    outlines = [outline(1, "https://a.example/", "A", category="C++")]
    assert expand([(entry(), outlines)], set(), {}, resolver).sources[0].category == "C++"


def test_a_feed_already_subscribed_is_not_subscribed_twice() -> None:
    first = [outline(1, "https://a.example/", "A"), outline(2, "https://direct.example/", "D")]
    second = [outline(1, "https://a.example/", "A again")]
    expansion = expand(
        [(entry("one.opml"), first), (entry("two.opml"), second)],
        {"direct"},
        {"https://direct.example/": "direct"},
        RESOLVER,
    )
    assert [source.name for source in expansion.sources] == ["A"]
    assert [(p.list_name, p.problem.reason) for p in expansion.problems] == [
        ("opml:one.opml", "already subscribed as source 'direct'; ignored"),
        ("opml:two.opml", "already subscribed as source 'A'; ignored"),
    ]


def test_shown_location_drops_userinfo_query_and_fragment() -> None:
    assert shown_location("https://u:pw@Lists.example:8443/a/subs.opml?token=s3cret#x") == (
        "https://Lists.example:8443/a/subs.opml".replace("Lists", "lists")
    )
    assert shown_location("lists/subs.opml") == "lists/subs.opml"


# ---- config -------------------------------------------------------------------------------------


def test_a_remote_entry_with_opml_is_a_list(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "remote:\n"
        "  - {name: a, url: 'https://a.example/rss'}\n"
        "  - {opml: lists/subs.opml, category: tech, interval: 30m}\n"
        "  - {opml: 'https://u:p@lists.example/s.opml?token=1', name: work, priority: 60}\n",
        encoding="utf-8",
    )
    config = load(path)
    assert [source.name for source in config.remote] == ["a"]
    assert [(e.list_name, e.shown, e.interval, e.is_url) for e in config.lists] == [
        ("opml:lists/subs.opml", "lists/subs.opml", 1800, False),
        ("work", "https://lists.example/s.opml", 900, True),
    ]


@pytest.mark.parametrize(
    ("remote", "message"),
    [
        (
            "[{name: a, url: x}, {opml: s.opml, categry: x}]",
            "remote[1].categry: unknown key (did you mean 'category'?)",
        ),
        (
            "[{opml: s.opml}, {name: a, url: x, intervl: 5}]",
            "remote[1].intervl: unknown key (did you mean 'interval'?)",
        ),
        (
            "[{opml: 'ftp://x/s.opml'}]",
            "remote[0].opml: ftp: lists are read from a path, file:// or http(s) only",
        ),
        ("[{opml: ''}]", "remote[0].opml: give a path or an http(s) URL of an OPML file"),
        ("[{opml: s.opml, url: 'https://x/'}]", "remote[0].url: unknown key"),
        (
            "[{opml: s.opml}, {opml: s.opml}]",
            "source names must be unique across local and remote; repeated: opml:s.opml",
        ),
        ("[{name: work, url: x}, {opml: s.opml, name: work}]", "repeated: work"),
    ],
)
def test_list_entries_are_checked_and_named_by_their_position(
    tmp_path: Path, remote: str, message: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"remote: {remote}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert message in str(caught.value)


def test_the_daemon_plans_one_job_per_list(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "scheduler: {local_interval: 30s, jitter: 0}\n"
        "remote: [{opml: a.opml, interval: 1h}, {opml: 'https://x.example/b.opml', name: b, interval: 1h},"
        " {opml: c.opml, enabled: false}]\n",
        encoding="utf-8",
    )
    jobs = plan(load(path))
    assert {job_id: (spec.interval, spec.source) for job_id, spec in jobs.items() if job_id != "local"} == {
        "list:opml:a.opml": (30, "opml:a.opml"),  # a file: looked at as often as the posts
        "list:b": (3600, "b"),  # a URL: on its interval
    }


# ---- real runs ----------------------------------------------------------------------------------


def rss(*items: tuple[str, str]) -> bytes:
    """An RSS document of ``(guid, title)`` items."""
    body = "".join(
        f"<item><title>{title}</title><guid isPermaLink='false'>{guid}</guid>"
        f"<link>https://news.example.com/{guid}</link><pubDate>Mon, 24 Jan 2022 14:56:53 GMT</pubDate>"
        f"<description>{title}</description></item>"
        for guid, title in items
    )
    channel = f"<channel><title>t</title>{body}</channel>"
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'>{channel}</rss>".encode()


def opml_list(*outlines: str) -> bytes:
    return f"<?xml version='1.0'?><opml version='2.0'><head/><body>{''.join(outlines)}</body></opml>".encode()


def feed_outline(server: FeedServer, path: str, title: str, **attributes: str) -> str:
    extra = "".join(f' {key}="{value}"' for key, value in attributes.items())
    return f'<outline type="rss" text="{title}" xmlUrl="{server.url(path)}"{extra}/>'


def write_project(folder: Path, remote: str, extra: str = "") -> Path:
    config = folder / "config.yaml"
    config.write_text(
        "site: {title: 财经新闻聚合, url: https://finews.example.com}\n"
        "local: [{path: posts, name: posts}]\n"
        "fetch: {allow_private: true, per_host_delay: 0, timeout: 5s}\n"  # every server is on 127.0.0.1
        f"remote: {remote}\n" + extra,
        encoding="utf-8",
    )
    (folder / "posts").mkdir(exist_ok=True)
    return config


def feeds(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "feeds", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)


def run_once(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = feeds(config, "run", "--once", *args)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result


def sources_json(config: Path) -> dict[str, dict[str, Any]]:
    result = feeds(config, "sources", "--json")
    assert result.returncode == 0, result.stderr
    return {record["name"]: record for record in map(json.loads, result.stdout.splitlines())}


def entries_json(config: Path) -> dict[str, dict[str, Any]]:
    result = feeds(config, "entries", "--json")
    assert result.returncode == 0, result.stderr
    return {record["title"]: record for record in map(json.loads, result.stdout.splitlines())}


def serve_nested_list(server: FeedServer) -> Callable[[bytes], None]:
    """A URL list with a folder of two feeds and one at the top; returns a way to change it."""
    server.route("/alpha.xml", Reply(body=rss(("a1", "阿尔法一号"))))
    server.route("/bravo.xml", Reply(body=rss(("b1", "布拉沃一号")), etag='"bravo"'))
    server.route("/charlie.xml", Reply(body=rss(("c1", "查理一号"))))
    current = [
        opml_list(
            '<outline text="科技">'
            + feed_outline(server, "/alpha.xml", "Alpha")
            + '<outline text="deeper">'
            + feed_outline(server, "/bravo.xml", "Bravo", category="/News/World,/x")
            + "</outline></outline>",
            feed_outline(server, "/charlie.xml", "Charlie"),
        )
    ]
    server.route("/subs.opml", lambda seen: Reply(body=current[0], etag=f'"{hash(current[0])}"'))

    def change(body: bytes) -> None:
        current[0] = body

    return change


def test_url_and_file_lists_become_sources_that_are_fetched_and_stored(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    serve_nested_list(feed_server)
    feed_server.route("/delta.xml", Reply(body=rss(("d1", "德尔塔一号"))))
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "mine.opml").write_bytes(
        opml_list('<outline title="Mine">' + feed_outline(feed_server, "/delta.xml", "Alpha") + "</outline>")
    )
    secret_url = feed_server.url("/subs.opml").replace("http://", "http://me:pw@") + "?token=s3cret"
    config = write_project(
        tmp_path,
        f"[{{opml: '{secret_url}', category: misc, interval: 20m}},"
        " {opml: lists/mine.opml, name: mine, priority: 70}]",
    )
    result = run_once(config)
    assert result.stdout.splitlines()[0] == "4 new, 0 updated, 0 duplicate, 0 failed, 0 skipped, 0 unchanged"

    shown = feed_server.url("/subs.opml")
    sources = sources_json(config)
    assert {name: (s["kind"], s["list"], s["status"]) for name, s in sources.items()} == {
        "Alpha": ("feed", shown, "200"),
        "Bravo": ("feed", shown, "200"),
        "Charlie": ("feed", shown, "200"),
        "Alpha-2": ("feed", "lists/mine.opml", "200"),
        f"opml:{shown}": ("opml", None, "200"),
        "mine": ("opml", None, "file"),
    }
    assert "s3cret" not in json.dumps(sources) and "me:pw" not in json.dumps(sources)
    entries = entries_json(config)
    assert {title: entry["categories"] for title, entry in entries.items()} == {
        "阿尔法一号": ["keji"],  # the parent folder 科技, slugged
        "布拉沃一号": ["world"],  # its own category attribute
        "查理一号": ["misc"],  # the list entry's category
        "德尔塔一号": ["mine"],  # the parent outline's title
    }
    assert entries["德尔塔一号"]["copies"][0]["priority"] == 70  # the list's priority, shown as configured
    assert (tmp_path / "public" / "feeds" / "keji.atom.xml").is_file()
    table = feeds(config, "sources").stdout
    assert f"[from {shown}]" in table and "[OPML list]" in table

    fingerprint = merge_fingerprint(tmp_path)  # every command ranks the listed sources alike
    assert feeds(config, "build").stdout.startswith("0 files written")
    assert merge_fingerprint(tmp_path) == fingerprint


def merge_fingerprint(project: Path) -> str:
    with sqlite3.connect(project / "store" / "feeds.db") as conn:
        return str(conn.execute("SELECT value FROM meta WHERE name = 'merge_fingerprint'").fetchone()[0])


def test_a_url_list_is_fetched_again_with_a_conditional_get(tmp_path: Path, feed_server: FeedServer) -> None:
    serve_nested_list(feed_server)
    config = write_project(tmp_path, f"[{{opml: '{feed_server.url('/subs.opml')}', interval: 20m}}]")
    run_once(config)
    run_once(config)  # not due yet: the list is not asked for
    assert feed_server.statuses("/subs.opml") == [200]
    run_once(config, "--all")
    assert feed_server.statuses("/subs.opml") == [200, 304]
    assert feed_server.hits("/subs.opml")[-1].headers["if-none-match"].startswith('"')
    assert set(sources_json(config)) == {"Alpha", "Bravo", "Charlie", f"opml:{feed_server.url('/subs.opml')}"}


def test_an_outline_removed_from_the_list_stops_being_polled_and_its_entries_stay(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    change = serve_nested_list(feed_server)
    config = write_project(tmp_path, f"[{{opml: '{feed_server.url('/subs.opml')}', interval: 20m}}]")
    run_once(config)
    change(opml_list(feed_outline(feed_server, "/alpha.xml", "Alpha")))
    run_once(config, "--all")  # reads the new list, then polls what it lists
    run_once(config, "--all")
    assert len(feed_server.hits("/bravo.xml")) == 1 and len(feed_server.hits("/charlie.xml")) == 1
    assert len(feed_server.hits("/alpha.xml")) == 3
    assert set(sources_json(config)) == {"Alpha", f"opml:{feed_server.url('/subs.opml')}"}
    assert set(entries_json(config)) == {"阿尔法一号", "布拉沃一号", "查理一号"}
    all_feed = (tmp_path / "public" / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    assert "布拉沃一号" in all_feed and "查理一号" in all_feed


BAD_LISTS = {
    "not-xml": "not well-formed XML: Start tag expected",
    "bomb": "document declares a DOCTYPE or XML entities; refused",
    "rss-not-opml": "not an OPML document (root element <rss>)",
    "empty": "no <outline> elements: not a subscription list",
}


def test_bad_lists_are_reported_and_the_rest_of_the_run_publishes(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.route("/direct.xml", Reply(body=rss(("x1", "直接订阅"))))
    feed_server.route("/good.xml", Reply(body=rss(("g1", "好的一条"))))
    (tmp_path / "lists").mkdir()
    for name in BAD_LISTS:
        (tmp_path / "lists" / f"{name}.opml").write_bytes((DATA / f"{name}.opml").read_bytes())
    mixed = (DATA / "bad-outlines.opml").read_text(encoding="utf-8")
    mixed = mixed.replace("https://good.example.com/rss", feed_server.url("/good.xml"))
    (tmp_path / "lists" / "mixed.opml").write_text(mixed, encoding="utf-8")
    lists = ", ".join(f"{{opml: lists/{name}.opml}}" for name in [*BAD_LISTS, "mixed"])
    config = write_project(tmp_path, f"[{{name: direct, url: '{feed_server.url('/direct.xml')}'}}, {lists}]")

    result = run_once(config)
    assert result.stdout.startswith("2 new, 0 updated, 0 duplicate, 12 failed")  # 4 lists, 8 outlines
    for name, reason in BAD_LISTS.items():
        assert f"OPML list lists/{name}.opml: {reason}" in result.stderr
    assert (
        "lists/mixed.opml: outline 3 'Local file' (line 5): xmlUrl is not an absolute http(s) URL"
        in result.stderr
    )
    assert (
        "lists/mixed.opml: outline 2 'Again' (line 4): the same xmlUrl as outline 1; ignored" in result.stderr
    )
    warnings = [line for line in result.stderr.splitlines() if "OPML list" in line]
    assert len(warnings) == 12 and all(line.startswith("feeds: WARNING: ") for line in warnings)
    atom = (tmp_path / "public" / "feeds" / "all.atom.xml").read_text(encoding="utf-8")
    assert "直接订阅" in atom and "好的一条" in atom

    sources = sources_json(config)
    assert (
        sources["opml:lists/bomb.opml"]["status"] == "parse"
        and sources["opml:lists/bomb.opml"]["error_count"] == 1
    )
    failures = feeds(config, "failures", "--json").stdout.splitlines()
    assert len(failures) == 8 and all(
        json.loads(line)["source"] == "opml:lists/mixed.opml" for line in failures
    )

    again = run_once(config)  # file lists are read every run; the recorded outline problems are not repeated
    assert "mixed.opml: outline" not in again.stderr and again.stderr.count("OPML list") == 4


def test_an_unreachable_list_is_recorded_backed_off_and_its_last_sources_kept(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    serve_nested_list(feed_server)
    dead = f"http://127.0.0.1:{closed_port()}/subs.opml"
    config = write_project(
        tmp_path,
        f"[{{opml: '{dead}', name: dead, interval: 10m}},"
        f" {{opml: '{feed_server.url('/subs.opml')}', name: flaky, interval: 10m}}]",
    )
    first = run_once(config)
    assert "OPML list " + dead + ": connection refused" in first.stderr
    dead_row = sources_json(config)["dead"]
    assert (dead_row["status"], dead_row["error_count"], dead_row["kind"]) == ("refused", 1, "opml")
    assert dead_row["next_due"] > dead_row["last_fetch"]  # backed off, not due at the next run

    feed_server.route("/subs.opml", Reply(500, b"oops"))
    second = run_once(config, "--all")  # --all asks the failing list again, and it fails
    assert "OPML list " + feed_server.url("/subs.opml") + ": HTTP 500" in second.stderr
    sources = sources_json(config)
    assert (sources["flaky"]["status"], sources["flaky"]["error_count"]) == ("500", 1)
    assert {"Alpha", "Bravo", "Charlie"} <= set(sources)  # the last good list still counts
    assert len(feed_server.hits("/alpha.xml")) == 2  # and its sources are still polled
    assert sources["dead"]["error_count"] == 2

    third = run_once(config)  # nothing is due: the failing lists are backed off
    assert "OPML list" not in third.stderr


def test_a_failing_list_url_is_never_shown_with_its_token(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.route("/loop.opml", Reply(302, headers={"Location": "/loop.opml?token=s3cret"}))
    config = write_project(
        tmp_path, f"[{{opml: '{feed_server.url('/loop.opml')}?token=s3cret', name: loop}}]"
    )
    result = run_once(config)
    shown = feed_server.url("/loop.opml")
    assert f"OPML list {shown}: redirect loop at {shown}" in result.stderr
    listing = feeds(config, "sources", "--json").stdout + feeds(config, "sources").stdout
    assert "redirect loop at" in listing
    assert "s3cret" not in result.stderr + listing


def test_a_list_larger_than_max_bytes_is_refused_and_the_run_goes_on(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    outlines = [feed_outline(feed_server, f"/f{n}.xml", f"Feed {n}") for n in range(200)]
    feed_server.route("/big.opml", Reply(body=opml_list(*outlines)))
    feed_server.route("/direct.xml", Reply(body=rss(("x1", "直接订阅"))))
    config = write_project(
        tmp_path,
        f"[{{opml: '{feed_server.url('/big.opml')}', name: big}},"
        f" {{name: direct, url: '{feed_server.url('/direct.xml')}'}}]",
    )
    config.write_text(
        config.read_text(encoding="utf-8").replace("timeout: 5s", "timeout: 5s, max_bytes: 4KiB")
    )
    result = run_once(config)
    assert f"OPML list {feed_server.url('/big.opml')}: body larger than 4096 bytes (decoded)" in result.stderr
    assert result.stdout.startswith("1 new, 0 updated, 0 duplicate, 1 failed")
    sources = sources_json(config)
    assert set(sources) == {"big", "direct"} and sources["big"]["status"] == "too_large"


def test_the_daemon_follows_a_changing_file_list_and_a_url_list_on_sighup(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    change = serve_nested_list(feed_server)
    feed_server.route("/delta.xml", Reply(body=rss(("d1", "德尔塔一号"))))
    listed = tmp_path / "mine.opml"
    listed.write_bytes(opml_list(feed_outline(feed_server, "/alpha.xml", "Alpha")))
    config = write_project(
        tmp_path,
        f"[{{opml: mine.opml, category: mine}}, {{opml: '{feed_server.url('/subs.opml')}', name: subs}}]",
        "scheduler: {local_interval: 0.5s, jitter: 0}\n",
    )
    atom = tmp_path / "public" / "feeds" / "all.atom.xml"

    def published(*titles: str) -> Callable[[], bool]:
        return lambda: atom.is_file() and all(title in atom.read_text(encoding="utf-8") for title in titles)

    with daemon(config) as running:
        wait_for(published("阿尔法一号", "布拉沃一号", "查理一号"), "the lists' feeds")
        added = "jobs: 1 added, 0 removed, 0 changed"
        before = running.log.count(added)  # the lists' first reads may have logged it already
        listed.write_bytes(opml_list(feed_outline(feed_server, "/delta.xml", "Delta")))
        wait_for(published("德尔塔一号"), "a feed added to the file list")
        wait_for(lambda: running.log.count(added) > before, "the new feed's job")

        change(opml_list(feed_outline(feed_server, "/alpha.xml", "Alpha")))
        running.send(signal.SIGHUP)  # reads every list again, due or not
        wait_for(lambda: "jobs: 0 added, 2 removed, 0 changed" in running.log, "the removed feeds' jobs")
        code, _ = running.stop()
    assert code == 0
    assert feed_server.statuses("/subs.opml") == [200, 200]
    sources = sources_json(config)
    assert {name for name, s in sources.items() if s["kind"] == "feed"} == {"Alpha", "Delta"}
    assert sources["Alpha"]["list"] == feed_server.url("/subs.opml")  # the file list no longer has it
