"""emit: render → parse back (feedparser, lxml, json) and the atomic writer on real files.

No network here, so the W3C validator's checks that our output could fail are tested directly: rel=self,
absolute URLs, a feed author, no blank names, ASCII tag: ids, plain-text titles, date formats.
"""

from __future__ import annotations

import calendar
import dataclasses
import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from feeds import emit, paths
from feeds.config import MAX_SLUG, SiteConfig
from feeds.errors import FeedsError
from feeds.model import Category, FeedMeta, Origin, StoredEntry
from feeds.timefmt import iso

DATA = Path(__file__).parent / "data" / "emit"
ATOM = "{http://www.w3.org/2005/Atom}"
SITE = SiteConfig(title="财经新闻聚合", url="https://finews.example.com", description="每日财经新闻")
ZQSB = Category("zhengquanshibaowang", "证券时报网")
TITLES = {"zhengquanshibaowang": "证券时报网", "gupiao": "股票"}
HUB = "https://hub.example.com/"
PATHS = paths.feed_paths("zhengquanshibaowang")
# RFC 4151 as the W3C Feed Validator checks it (authority lower-case, then year, then specific).
TAG_URI = re.compile(
    r"^tag:([a-z0-9\-._]+?@)?[a-z0-9.\-]+?,\d{4}(-\d{2}(-\d{2})?)?:[0-9a-zA-Z;/?:@&=+$.\-_!~*'()%,#]+$"
)
RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}"
)
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def at(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2022, 1, day, hour, minute, 53, tzinfo=UTC)


BASE = StoredEntry(
    key="NW202201242259595178",
    info_code="NW202201242259595178",
    title="证券时报网：A股三大指数集体收涨",
    link="https://finews.example.com/news/NW202201242259595178.html",
    content='<p>沪指涨0.5%，<a href="https://finews.example.com/x?a=1&amp;b=2">详情</a></p>',
    summary=None,
    author=None,
    published=at(24, 14, 56),
    updated=at(24, 15),
    categories=("zhengquanshibaowang",),
    tags=(),
    sources=("local:examples/posts",),
    content_hash="h1",
)


def make(**changes: Any) -> StoredEntry:
    return dataclasses.replace(BASE, **changes)


# Newest first, as the store hands them over; the third has the latest `updated` (an update).
ENTRIES = [
    BASE,
    make(
        key="guid:abc def/ü?x=1",
        title="Bad\x00ti\x1ftle\ufffe with <b>markup</b> & more",
        content="<p>a\x0bb\x0c\x01c</p>",
        published=at(23, 10),
        updated=at(23, 11),
        content_hash="h2",
    ),
    make(
        key="url:https://example.com/story?id=7",
        title="Authored",
        link="https://example.com/story?id=7",
        author="李四",
        summary="<p>一句话<b>摘要</b> &amp; 更多</p>",
        tags=("A股", "证券时报网"),
        categories=("zhengquanshibaowang", "gupiao"),
        published=at(22, 9),
        updated=at(26, 8),
        content_hash="h3",
    ),
    make(
        key="hash:0123456789abcdef",
        title="No link",
        link=None,
        published=at(21, 8),
        updated=at(21, 8),
        content_hash="h4",
    ),
]


def render(entries: list[StoredEntry] | None = None, hub: str | None = None) -> dict[str, bytes]:
    return emit.render_category(ENTRIES if entries is None else entries, ZQSB, SITE, TITLES, hub=hub)


def parsed(fmt: str, hub: str | None = None) -> Any:
    data = render(hub=hub)[PATHS[fmt]]
    document = feedparser.parse(data)
    assert document.bozo == 0, document.get("bozo_exception")
    return document


def xml(fmt: str, entries: list[StoredEntry] | None = None, hub: str | None = None) -> Any:
    return etree.fromstring(render(entries, hub=hub)[PATHS[fmt]])


def epoch(moment: datetime) -> int:
    return calendar.timegm(moment.utctimetuple())


# --- paths and ids -------------------------------------------------------------------------------


def test_feed_paths_names_the_three_files() -> None:
    assert paths.feed_paths("all") == {
        "atom": "feeds/all.atom.xml",
        "rss": "feeds/all.rss.xml",
        "json": "feeds/all.json",
    }
    assert set(render()) == set(PATHS.values())


@pytest.mark.parametrize("slug", ["证券时报网", "../x", "A", "", "a/b"])
def test_feed_paths_refuses_what_is_not_a_slug(slug: str) -> None:
    with pytest.raises(FeedsError):
        paths.feed_paths(slug)


def test_entry_ids_come_from_the_key_only() -> None:
    moved = make(link="https://elsewhere.example.org/a", categories=("gupiao",), title="Renamed")
    assert emit.entry_id(BASE.key, SITE) == "tag:finews.example.com,2022:NW202201242259595178"
    ids = {emit.entry_id(entry.key, SITE) for entry in [BASE, moved]}
    assert ids == {"tag:finews.example.com,2022:NW202201242259595178"}


@given(st.text())
def test_any_key_gives_a_valid_ascii_tag_uri(key: str) -> None:
    tag = emit.entry_id(key, SITE)
    assert tag.isascii()
    assert TAG_URI.match(tag) or key == ""


@given(st.text(), st.text())
def test_distinct_keys_give_distinct_ids(first: str, second: str) -> None:
    if first != second:
        assert emit.entry_id(first, SITE) != emit.entry_id(second, SITE)


@pytest.mark.parametrize(
    ("url", "authority"),
    [
        ("https://Finews.Example.com:8443/news", "finews.example.com"),
        ("http://例子.测试", "xn--fsqu00a.xn--0zwm56d"),
        ("http://localhost:8000", "localhost"),
        ("http://[::1]:8000", "localhost"),
    ],
)
def test_tag_authority_is_a_lower_case_ascii_host(url: str, authority: str) -> None:
    assert emit.tag_authority(url) == authority


@given(st.text())
def test_clean_text_leaves_only_what_xml_can_carry(text: str) -> None:
    element = etree.Element("t")
    element.text = emit.clean_text(text)  # lxml raises on anything XML 1.0 cannot hold
    assert etree.fromstring(etree.tostring(element)).text in (None, element.text)


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_xml_round_trip_through_feedparser(fmt: str) -> None:
    document = parsed(fmt)
    entries = document.entries
    assert [e.id for e in entries] == [emit.entry_id(e.key, SITE) for e in ENTRIES]
    assert [e.title for e in entries] == [
        "证券时报网：A股三大指数集体收涨",
        "Badtitle with <b>markup</b> & more",
        "Authored",
        "No link",
    ]
    assert [e.link for e in entries] == [
        BASE.link,
        BASE.link,
        "https://example.com/story?id=7",
        "https://finews.example.com/",  # no link of its own: the site's home page
    ]
    assert [calendar.timegm(e.published_parsed) for e in entries] == [epoch(e.published) for e in ENTRIES]
    assert entries[2].author == "李四"
    assert "author" not in entries[0]
    assert document.feed.title == "证券时报网"


def test_atom_round_trip_keeps_dates_categories_summary_and_content() -> None:
    document = parsed("atom")
    entries = document.entries
    assert [calendar.timegm(e.updated_parsed) for e in entries] == [epoch(e.updated) for e in ENTRIES]
    assert document.feed.author == "财经新闻聚合"
    assert [(t.term, t.label) for t in entries[2].tags] == [
        ("zhengquanshibaowang", "证券时报网"),
        ("gupiao", "股票"),
        ("A股", None),
    ]
    assert entries[2].summary_detail.type == "text/html"
    assert entries[2].summary == "<p>一句话<b>摘要</b> &amp; 更多</p>"
    assert entries[0].content[0].type == "text/html"
    assert "沪指涨0.5%" in entries[0].content[0].value
    assert all(e.title_detail.type == "text/plain" for e in entries)


def test_rss_round_trip_keeps_categories_and_permalink_flag() -> None:
    entries = parsed("rss").entries
    assert [t.term for t in entries[2].tags] == ["证券时报网", "股票", "A股"]
    assert not any(e.guidislink for e in entries)
    assert "沪指涨0.5%" in entries[0].summary


def test_json_feed_fields() -> None:
    document = json.loads(render(hub=HUB)[PATHS["json"]])
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] == "证券时报网"
    assert document["home_page_url"] == "https://finews.example.com/"
    assert document["feed_url"] == "https://finews.example.com/feeds/zhengquanshibaowang.json"
    assert document["authors"] == [{"name": "财经新闻聚合"}]
    assert document["hubs"] == [{"type": "WebSub", "url": HUB}]
    items = document["items"]
    assert [item["id"] for item in items] == [emit.entry_id(e.key, SITE) for e in ENTRIES]
    assert [item["date_published"] for item in items] == [iso(e.published) for e in ENTRIES]
    assert [item["date_modified"] for item in items] == [iso(e.updated) for e in ENTRIES]
    assert items[0]["content_html"] == BASE.content
    assert items[1]["title"] == "Badtitle with <b>markup</b> & more"
    assert items[1]["content_html"] == "<p>abc</p>"
    assert items[2]["authors"] == [{"name": "李四"}]
    assert items[2]["summary"] == "一句话 摘要 & 更多"  # JSON Feed's summary is plain text
    assert items[2]["tags"] == ["证券时报网", "股票", "A股"]
    assert "authors" not in items[0] and "summary" not in items[0]
    assert items[3]["url"] == "https://finews.example.com/"


def test_json_is_utf8_with_chinese_as_is() -> None:
    data = render()[PATHS["json"]]
    assert "证券时报网".encode() in data
    assert data.endswith(b"}\n")


# --- validator traps -----------------------------------------------------------------------------


def test_no_xml_illegal_characters_anywhere() -> None:
    for path, data in render().items():
        text = data.decode("utf-8")
        if path.endswith(".json"):
            text = json.dumps(json.loads(text), ensure_ascii=False)
        assert not XML_ILLEGAL.search(text), path


def test_atom_has_self_alternate_and_a_feed_author() -> None:
    feed = xml("atom")
    links = {link.get("rel"): link for link in feed.findall(f"{ATOM}link")}
    assert links["self"].get("href") == "https://finews.example.com/feeds/zhengquanshibaowang.atom.xml"
    assert links["self"].get("type") == "application/atom+xml"
    assert links["alternate"].get("href") == "https://finews.example.com/"
    assert "hub" not in links
    assert feed.findtext(f"{ATOM}author/{ATOM}name") == "财经新闻聚合"


def test_no_blank_author_names() -> None:
    blank = [make(key="k1", author="   "), make(key="k2", author="\x01")]
    feed = xml("atom", blank)
    names = [name.text for name in feed.iter(f"{ATOM}name")]
    assert names == ["财经新闻聚合"]
    assert not xml("rss", blank).findall(".//{http://purl.org/dc/elements/1.1/}creator")


def test_rss_has_guid_not_permalink_self_link_and_no_email_less_author() -> None:
    channel = xml("rss").find("channel")
    self_link = channel.find(f"{ATOM}link[@rel='self']")
    assert self_link.get("href") == "https://finews.example.com/feeds/zhengquanshibaowang.rss.xml"
    assert self_link.get("type") == "application/rss+xml"
    guids = channel.findall("item/guid")
    assert len(guids) == len(ENTRIES)
    assert {guid.get("isPermaLink") for guid in guids} == {"false"}
    assert not channel.findall("item/author")  # RSS <author> needs an e-mail address
    assert channel.findtext("description") == "每日财经新闻"
    assert channel.findtext("language") == "zh-cn"
    assert channel.find("ttl") is None


def test_ids_are_ascii_tag_uris_in_every_format() -> None:
    atom_ids = [e.text for e in xml("atom").iter(f"{ATOM}id")]
    rss_ids = [g.text for g in xml("rss").iter("guid")]
    json_ids = [item["id"] for item in json.loads(render()[PATHS["json"]])["items"]]
    assert atom_ids[1:] == rss_ids == json_ids
    for tag in atom_ids + rss_ids:
        assert tag.isascii() and TAG_URI.match(tag), tag


def test_hub_links_only_when_a_hub_is_given() -> None:
    atom_hub = xml("atom", hub=HUB).findall(f"{ATOM}link[@rel='hub']")
    rss_hub = xml("rss", hub=HUB).findall(f"channel/{ATOM}link[@rel='hub']")
    assert [link.get("href") for link in atom_hub + rss_hub] == [HUB, HUB]
    assert parsed("rss", hub=HUB).feed  # still well-formed with the extra atom:link
    assert not xml("rss").findall(f"channel/{ATOM}link[@rel='hub']")
    assert "hubs" not in json.loads(render()[PATHS["json"]])


def test_titles_are_plain_text_and_urls_absolute() -> None:
    feed = xml("atom")
    for title in feed.iter(f"{ATOM}title"):
        assert title.get("type") in (None, "text")
        assert len(title) == 0  # no child elements: markup stays escaped text
    for link in feed.iter(f"{ATOM}link"):
        assert link.get("href").startswith("https://")
    for link in xml("rss").iter("link"):
        assert link.text.startswith("https://")


def test_date_formats() -> None:
    atom = xml("atom")
    for element in [*atom.iter(f"{ATOM}updated"), *atom.iter(f"{ATOM}published")]:
        assert RFC3339_Z.match(element.text), element.text
    rss = xml("rss")
    for element in [*rss.iter("pubDate"), *rss.iter("lastBuildDate")]:
        assert RFC822.match(element.text) and element.text.endswith(" +0000"), element.text
    assert rss.findtext("channel/item/pubDate") == "Mon, 24 Jan 2022 14:56:53 +0000"


def test_non_utc_and_fractional_times_come_out_utc_whole_seconds() -> None:
    shanghai = datetime(2022, 1, 25, 6, 56, 53, 999999, tzinfo=ZoneInfo("Asia/Shanghai"))
    entry = make(published=shanghai, updated=shanghai)
    assert xml("atom", [entry]).findtext(f"{ATOM}entry/{ATOM}published") == "2022-01-24T22:56:53Z"
    assert xml("rss", [entry]).findtext("channel/item/pubDate") == "Mon, 24 Jan 2022 22:56:53 +0000"


def test_entry_order_is_kept() -> None:
    reordered = [ENTRIES[3], ENTRIES[0]]
    titles = [e.findtext(f"{ATOM}title") for e in xml("atom", reordered).findall(f"{ATOM}entry")]
    assert titles == ["No link", BASE.title]


# --- determinism ---------------------------------------------------------------------------------


def test_same_inputs_give_identical_bytes() -> None:
    first = render(hub=HUB)
    second = emit.render_category([dataclasses.replace(e) for e in ENTRIES], ZQSB, SITE, dict(TITLES), HUB)
    assert first == second


def test_feed_updated_is_the_newest_entry_update_not_now() -> None:
    newest = max(e.updated for e in ENTRIES)  # the third entry's, not the first's
    assert xml("atom").findtext(f"{ATOM}updated") == iso(newest) == "2022-01-26T08:00:53Z"
    assert xml("rss").findtext("channel/lastBuildDate") == "Wed, 26 Jan 2022 08:00:53 +0000"


def test_empty_feed_is_valid_and_dated_by_a_constant() -> None:
    empty = render([])
    for fmt in ("atom", "rss"):
        document = feedparser.parse(empty[PATHS[fmt]])
        assert document.bozo == 0 and document.entries == []
    assert xml("atom", []).findtext(f"{ATOM}updated") == "2000-01-01T00:00:00Z"
    assert json.loads(empty[PATHS["json"]])["items"] == []
    assert render([]) == empty


def test_all_feed_is_titled_with_the_site() -> None:
    out = emit.render_category(ENTRIES, Category("all", "ignored"), SITE, TITLES)
    document = feedparser.parse(out["feeds/all.atom.xml"])
    assert document.feed.title == "财经新闻聚合"
    assert document.feed.links[0].href == "https://finews.example.com/feeds/all.atom.xml"


@pytest.mark.parametrize("fmt", ["atom", "rss", "json"])
def test_output_matches_the_expected_file(fmt: str) -> None:
    """tests/data/emit/expected.*: the exact bytes for ENTRIES (regenerate with FEEDS_REGENERATE=1)."""
    data = render(hub=HUB)[PATHS[fmt]]
    expected = DATA / f"expected{paths.feed_paths('x')[fmt].removeprefix('feeds/x')}"
    if os.environ.get("FEEDS_REGENERATE"):
        expected.write_bytes(data)
    assert data == expected.read_bytes()


# --- OPML ----------------------------------------------------------------------------------------


def test_opml_lists_every_category_once_with_the_all_feed_first() -> None:
    categories = [ZQSB, Category("gupiao", "股票"), Category("all", "x"), ZQSB]
    root = etree.fromstring(emit.render_opml(categories, SITE))
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.findtext("head/title") == "财经新闻聚合"
    outlines = [
        (o.get("title"), o.get("text"), o.get("xmlUrl"), o.get("htmlUrl")) for o in root.iter("outline")
    ]
    home = "https://finews.example.com/"
    assert outlines == [
        ("财经新闻聚合", "财经新闻聚合", "https://finews.example.com/feeds/all.atom.xml", home),
        ("证券时报网", "证券时报网", "https://finews.example.com/feeds/zhengquanshibaowang.atom.xml", home),
        ("股票", "股票", "https://finews.example.com/feeds/gupiao.atom.xml", home),
    ]
    assert emit.render_opml(categories, SITE) == emit.render_opml(list(categories), SITE)


# --- write_if_changed ----------------------------------------------------------------------------


def test_write_creates_folders_and_reports_change(tmp_path: Path) -> None:
    assert emit.write_if_changed(tmp_path, "feeds/all.json", b"one") is True
    target = tmp_path / "feeds" / "all.json"
    assert target.read_bytes() == b"one"
    assert target.stat().st_mode & 0o777 == 0o644
    assert emit.write_if_changed(tmp_path, "feeds/all.json", b"two") is True
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["all.json"]  # no temp files left


def test_same_bytes_leave_the_file_alone(tmp_path: Path) -> None:
    emit.write_if_changed(tmp_path, "feeds/all.json", b"same")
    target = tmp_path / "feeds" / "all.json"
    past = (datetime.now(UTC) - timedelta(days=1)).timestamp()
    os.utime(target, (past, past))
    before = target.stat()
    assert emit.write_if_changed(tmp_path, "feeds/all.json", b"same") is False
    after = target.stat()
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_replace_is_atomic_a_new_inode(tmp_path: Path) -> None:
    emit.write_if_changed(tmp_path, "a.xml", b"old")
    inode = (tmp_path / "a.xml").stat().st_ino
    emit.write_if_changed(tmp_path, "a.xml", b"new!")
    assert (tmp_path / "a.xml").stat().st_ino != inode  # renamed over, never truncated in place


@pytest.mark.parametrize("bad", ["../x", "feeds/../../x", "/etc/passwd", "", ".", "a\\..\\x", "a\x00b"])
def test_refuses_paths_outside_root(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "public"
    with pytest.raises(FeedsError):
        emit.write_if_changed(root, bad, b"x")
    assert not (tmp_path / "x").exists()


def test_refuses_symlinks_leading_out(tmp_path: Path) -> None:
    root = tmp_path / "public"
    root.mkdir()
    (tmp_path / "outside").mkdir()
    (root / "feeds").symlink_to(tmp_path / "outside")
    with pytest.raises(FeedsError):
        emit.write_if_changed(root, "feeds/all.json", b"x")
    assert list((tmp_path / "outside").iterdir()) == []


def test_failed_write_leaves_old_file_and_no_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    emit.write_if_changed(tmp_path, "a.xml", b"old")

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(emit.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        emit.write_if_changed(tmp_path, "a.xml", b"new")
    assert (tmp_path / "a.xml").read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.xml"]


def test_rendered_feeds_written_twice_change_nothing(tmp_path: Path) -> None:
    first = [emit.write_if_changed(tmp_path, path, data) for path, data in render().items()]
    second = [emit.write_if_changed(tmp_path, path, data) for path, data in render().items()]
    assert first == [True, True, True] and second == [False, False, False]


def test_a_slug_too_long_for_a_file_name_is_refused_before_any_write() -> None:
    """Issue 10: ``<slug>.atom.xml`` (and its temp file) must fit a 255-byte file name; a longer
    slug is an OutputPathError the build can record, never an OSError halfway through writing."""
    longest = "a" * MAX_SLUG
    assert paths.feed_paths(longest)["atom"] == f"feeds/{longest}.atom.xml"
    with pytest.raises(paths.OutputPathError, match="longer than"):
        paths.feed_paths(longest + "a")


# --- attribution --------------------------------------------------------------------------------

ORIGIN = Origin(
    "wire",
    "https://wire.example.com/feed.atom",
    FeedMeta(
        "urn:uuid:wire-feed",
        "财联社电报",
        "https://wire.example.com/",
        datetime(2022, 1, 25, 1, 30, tzinfo=UTC),
    ),
)


def attributed() -> list[StoredEntry]:
    remote = make(
        key="r1",
        link="https://wire.example.com/1",
        origin=ORIGIN,
        copy_links=(("wire", "https://wire.example.com/1"), ("mirror", "https://mirror.example.com/1")),
    )
    local = make(
        key="l1",
        link="https://finews.example.com/l1",
        copy_links=(("posts", "https://finews.example.com/l1"), ("wire", "https://wire.example.com/l1")),
    )
    return [remote, local]


def test_atom_names_the_remote_feed_a_text_came_from_and_links_the_other_copies() -> None:
    feed = xml("atom", attributed())
    remote, local = feed.findall(f"{ATOM}entry")
    source = remote.find(f"{ATOM}source")
    assert source.findtext(f"{ATOM}id") == "urn:uuid:wire-feed"
    assert source.findtext(f"{ATOM}title") == "财联社电报"
    assert source.find(f"{ATOM}link").get("href") == "https://wire.example.com/"
    assert source.findtext(f"{ATOM}updated") == "2022-01-25T01:30:00Z"
    assert [link.get("href") for link in remote.findall(f"{ATOM}link[@rel='via']")] == [
        "https://mirror.example.com/1"
    ]
    assert local.find(f"{ATOM}source") is None  # the site's own post
    assert [link.get("href") for link in local.findall(f"{ATOM}link[@rel='via']")] == [
        "https://wire.example.com/l1"
    ]
    parsed = feedparser.parse(render(attributed())[PATHS["atom"]])
    assert parsed.bozo == 0 and parsed.entries[0].source.title == "财联社电报"


def test_rss_and_json_feed_carry_the_attribution_too() -> None:
    items = xml("rss", attributed()).find("channel").findall("item")
    source = items[0].find("source")
    assert (source.get("url"), source.text) == ("https://wire.example.com/feed.atom", "财联社电报")
    assert items[1].find("source") is None
    feed = json.loads(render(attributed())[PATHS["json"]])
    assert feed["items"][0]["_feeds"] == {
        "copies": [
            {"source": "wire", "url": "https://wire.example.com/1"},
            {"source": "mirror", "url": "https://mirror.example.com/1"},
        ]
    }


def test_a_feed_read_from_a_file_leaves_no_path_in_the_outputs() -> None:
    from_file = Origin(
        "wire", "examples/feeds/wire.xml", FeedMeta("file:///home/me/wire.xml", "样例", None, None)
    )
    entry = make(key="f1", origin=from_file, copy_links=(("wire", "https://wire.example.com/f1"),))
    data = render([entry])
    assert not any(b"file:" in body or b"examples/feeds" in body for body in data.values())
    source = xml("atom", [entry]).find(f"{ATOM}entry/{ATOM}source")
    assert source.findtext(f"{ATOM}title") == "样例" and source.find(f"{ATOM}id") is None
