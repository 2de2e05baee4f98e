"""Feed parsing: fixtures paired with the entries they must give, fast path vs feedparser, charsets, safety.

Each ``tests/data/feeds/NAME`` has ``NAME.expected.json`` beside it: the ``EntryData`` values (dates as
ISO 8601 with their own offset) plus which parser read it. Regenerate after a deliberate change with
``FEEDS_REGEN=1 pytest tests/test_parse_feed.py`` and review the diff.
"""

from __future__ import annotations

import html
import json
import os
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_tz
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.model import Entry, EntryData
from feeds.parse import feed as feed_module
from feeds.parse.feed import FeedParseError, ParseContext, decode_body, parse_date, parse_feed
from feeds.pipeline import NormalizeContext, parse_and_normalize
from feeds.slugs import CategoryResolver

DATA = Path(__file__).parent / "data" / "feeds"
EXAMPLES = Path(__file__).parent.parent / "examples" / "feeds"
FIXTURES = sorted(p for p in DATA.iterdir() if p.is_file() and not p.name.endswith(".expected.json"))
ENCODINGS = DATA / "encodings"  # one document in many encodings; see test_wide_encodings_are_detected
XML_SAMPLES = [p for p in FIXTURES + sorted(EXAMPLES.iterdir()) if p.suffix in (".xml", ".rdf")]
FETCHED = datetime(2022, 1, 26, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def context(
    name: str = "sample", category: str | None = None, tz: str = "Asia/Shanghai", max_items: int = 1000
) -> ParseContext:
    return ParseContext(
        source="sample",
        url=f"https://finews.example.com/feeds/{name}",
        fetched_at=FETCHED,
        timezone=ZoneInfo(tz),
        category=category,
        max_items=max_items,
    )


def as_json(entry: EntryData) -> dict[str, Any]:
    values = asdict(entry)
    for key in ("published", "updated"):
        values[key] = values[key].isoformat() if values[key] else None
    values["categories"], values["tags"] = list(entry.categories), list(entry.tags)
    return values


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_fixture_gives_expected_entries(path: Path) -> None:
    parsed = parse_feed(path.read_bytes(), context(path.name))
    got = {
        "parser": parsed.parser,
        "skipped": len(parsed.skipped),  # the reasons are checked by the tests below
        "ttl": parsed.ttl,
        "warning": parsed.warning,
        "entries": [as_json(entry) for entry in parsed.items],
    }
    expected_path = path.with_name(path.name + ".expected.json")
    if os.environ.get("FEEDS_REGEN"):
        expected_path.write_text(json.dumps(got, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert got == json.loads(expected_path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", XML_SAMPLES, ids=lambda p: p.name)
def test_fast_path_agrees_with_feedparser(path: Path) -> None:
    body = path.read_bytes()
    fast = parse_feed(body, context(path.name))
    slow = parse_feed(body, context(path.name), fast=False)
    assert slow.parser == "feedparser"
    assert fast.items == slow.items
    assert (fast.skipped, fast.ttl) == (slow.skipped, slow.ttl)


def test_fast_path_takes_the_common_feeds() -> None:
    for name in ("rss20.xml", "atom10.xml"):
        assert parse_feed((DATA / name).read_bytes(), context(name)).parser == "lxml"
    for name in ("atom03.xml", "rss10.rdf", "bozo.xml"):
        assert parse_feed((DATA / name).read_bytes(), context(name)).parser == "feedparser"


UNUSUAL = {
    "xhtml content": """<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>urn:x</id><title>t</title>
        <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>hi <b>b</b></p></div></content>
        </entry></feed>""",
    "two authors": """<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><item>
        <title>t</title><author>a@b.example (A)</author><dc:creator>B</dc:creator></item></channel></rss>""",
    "markup in description": """<rss version="2.0"><channel><item><title>t</title>
        <description><p>raw <b>html</b></p></description></item></channel></rss>""",
    "atom link in rss": """<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><item>
        <title>t</title><atom:link rel="alternate" href="https://e.example/1"/></item></channel></rss>""",
    "html entity": """<rss version="2.0"><channel><item><title>a&nbsp;b</title></item></channel></rss>""",
    "mojibake": """<rss version="2.0"><channel><item><title>caf\u00c3\u00a9 \u0080</title></item>
        </channel></rss>""",
    "relative guid and links": """<rss version="2.0"><channel><item><title>t</title><guid>rel/1</guid>
        <link>a?x=1&amp;amp;y=2</link></item><item><guid isPermaLink="false">p</guid><link/></item>
        </channel></rss>""",
}


@pytest.mark.parametrize("name", UNUSUAL)
def test_unusual_markup_still_agrees(name: str) -> None:
    body = UNUSUAL[name].encode()
    assert parse_feed(body, context()).items == parse_feed(body, context(), fast=False).items


def test_configured_category_overrides_item_terms() -> None:
    parsed = parse_feed((DATA / "rss20.xml").read_bytes(), context(category="zhengquanshibaowang"))
    assert {item.categories for item in parsed.items} == {("zhengquanshibaowang",)}
    assert parsed.items[0].tags == ("证券时报网新闻", "中小企业")


def test_zoneless_dates_take_the_given_zone() -> None:
    body = b'<rss version="2.0"><channel><item><title>t</title><pubDate>2022-01-17 09:30:00</pubDate></item>'
    body += b"</channel></rss>"
    shanghai = parse_feed(body, context()).items[0].published
    utc = parse_feed(body, context(tz="UTC")).items[0].published
    assert shanghai is not None and utc is not None
    assert shanghai.astimezone(UTC) == datetime(2022, 1, 17, 1, 30, tzinfo=UTC)
    assert utc == datetime(2022, 1, 17, 9, 30, tzinfo=ZoneInfo("UTC"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Mon, 24 Jan 2022 22:56:53 +0800", datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)),
        ("Mon, 24 Jan 2022 14:56:53 GMT", datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)),
        ("Mon, 24 Jan 2022 14:56:53 -0000", datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)),
        ("Mon, 24 Jan 2022 22:56:53", datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)),
        ("2022-01-24T22:56:53+08:00", datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)),
        ("2022-01-24T14:56:53.250Z", datetime(2022, 1, 24, 14, 56, 53, 250000, tzinfo=UTC)),
        ("2022-01-24 22:56:53 +0800", datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)),
        ("2022-01-24 22:56", datetime(2022, 1, 24, 14, 56, tzinfo=UTC)),
        ("2022年01月24日 22:56", datetime(2022, 1, 24, 14, 56, tzinfo=UTC)),
        ("2022/1/24", datetime(2022, 1, 23, 16, 0, tzinfo=UTC)),
        ("not a date", None),
        ("", None),
    ],
)
def test_parse_date(raw: str, expected: datetime | None) -> None:
    parsed = parse_date(raw, SHANGHAI)
    assert (parsed.astimezone(UTC) if parsed else None) == expected
    if parsed is not None:
        assert parsed.tzinfo is not None


@settings(max_examples=300, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2099, 12, 31)),
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
    weekday=st.booleans(),
    seconds=st.booleans(),
    zone_name=st.sampled_from(["", "GMT", "UTC", "UT", "Z"]),
    upper=st.booleans(),
)
def test_rfc822_dates_read_as_email_utils_reads_them(
    moment: datetime, offset_minutes: int, weekday: bool, seconds: bool, zone_name: str, upper: bool
) -> None:
    """The direct reading of the common RFC 822 form agrees with email.utils for every variant."""
    moment = moment.replace(microsecond=0, second=moment.second if seconds else 0)
    sign, minutes = ("-" if offset_minutes < 0 else "+"), abs(offset_minutes)
    zone = zone_name or f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
    text = (f"{moment:%a}, " if weekday else "") + f"{moment.day} {moment:%b %Y %H:%M}"
    text += (f":{moment:%S}" if seconds else "") + f" {zone}"
    text = text.upper() if upper else text
    parts = parsedate_tz(text)
    assert parts is not None
    expected = datetime(*parts[:6], tzinfo=timezone(timedelta(seconds=parts[9] or 0)))
    parsed = parse_date(text, SHANGHAI)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


def test_dates_keep_their_own_offset() -> None:
    parsed = parse_date("2022-01-24T22:56:53+08:00", ZoneInfo("UTC"))
    assert parsed is not None and parsed.utcoffset() == timedelta(hours=8)


def test_future_dates_are_clamped_to_fetch_time() -> None:
    body = b'<rss version="2.0"><channel><item><title>t</title>'
    body += b"<pubDate>Fri, 01 Jan 2100 08:00:00 +0800</pubDate></item></channel></rss>"
    item = parse_feed(body, context()).items[0]
    assert item.published == FETCHED and item.date_is_fetch_time
    assert item.raw_date == "Fri, 01 Jan 2100 08:00:00 +0800"


CHINESE = "证券时报网：沪深两市成交额突破万亿元"


@pytest.mark.parametrize(
    ("declared", "actual"),
    [
        ("utf-8", "gbk"),
        ("utf-8", "gb18030"),
        ("gb2312", "utf-8"),
        ("gbk", "utf-8"),
        ("gb2312", "gbk"),
        (None, "gbk"),
        ("iso-8859-1", "utf-8"),
        ("utf-16", "utf-16"),
    ],
)
def test_decode_body_survives_wrong_declarations(declared: str | None, actual: str) -> None:
    assert decode_body(CHINESE.encode(actual), declared) == CHINESE


def test_xml_declaration_charset_is_used_when_http_gives_none() -> None:
    body = f'<?xml version="1.0" encoding="gbk"?><rss version="2.0"><channel><item><title>{CHINESE}</title>'
    body += "</item></channel></rss>"
    parsed = parse_feed(body.encode("gbk"), context())
    assert parsed.items[0].title == CHINESE and parsed.parser == "lxml"


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN", encoding="utf-8")
    for doctype in (
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>',
        f'<!DOCTYPE rss [\n<!ENTITY xxe SYSTEM "{secret.as_uri()}">\n]>',
        f'<!DOCTYPE rss SYSTEM "{secret.as_uri()}">',
    ):
        body = f'<?xml version="1.0"?>{doctype}<rss version="2.0"><channel><item><title>a &xxe; b</title>'
        body += "<guid>g</guid></item></channel></rss>"
        for fast in (True, False):
            assert "TOP-SECRET" not in repr(parse_feed(body.encode(), context(), fast=fast))


def test_billion_laughs_costs_nothing() -> None:
    entities = '<!ENTITY lol "lolololololololololol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    body = f'<?xml version="1.0"?><!DOCTYPE rss [{entities}]><rss version="2.0"><channel><item><title>&lol9;'
    body += "</title><guid>g</guid></item></channel></rss>"
    started = time.monotonic()
    parsed = parse_feed(body.encode(), context())
    assert time.monotonic() - started < 5
    assert all(len(item.title) < 100 for item in parsed.items)


def test_stray_entity_declarations_are_refused() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "x.dtd"><!ENTITY a "b"><rss version="2.0"></rss>'
    with pytest.raises(FeedParseError, match="entities"):
        parse_feed(body, context())


def test_entity_text_inside_content_is_just_text() -> None:
    body = b'<rss version="2.0"><channel><item><title>XXE</title><guid>g</guid><description><![CDATA['
    body += b'<pre>&lt;!ENTITY xxe SYSTEM "file:///etc/passwd"&gt;</pre> <!ENTITY x "y">]]></description>'
    body += b"</item></channel></rss>"
    parsed = parse_feed(body, context())
    assert parsed.parser == "lxml" and "<!ENTITY x" in parsed.items[0].content


@pytest.mark.parametrize(
    "body",
    [b"", b"<html><body>hello</body></html>", b"{not json", b'{"version": "1", "items": []}', b"plain text"],
)
def test_not_a_feed_raises(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body, context())


def test_empty_but_valid_feed_has_no_items() -> None:
    parsed = parse_feed(b'<rss version="2.0"><channel><title>t</title></channel></rss>', context())
    assert parsed.items == () and parsed.warning is None


# ---- nothing dropped silently: text-only items are kept, empty ones are named ---------------------

FLASH = "<p>沪指午后翻红，创业板指涨超1%。</p>"


def rss(*items: str) -> bytes:
    return f'<rss version="2.0"><channel><title>t</title>{"".join(items)}</channel></rss>'.encode()


def atom(*entries: str) -> bytes:
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{"".join(entries)}</feed>'.encode()


def json_feed(*items: object) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": list(items)}).encode()


def text_only_id(body: bytes, fast: bool = True) -> str:
    """The id of the one title-less item in ``body``, which must keep every item."""
    parsed = parse_feed(body, context(), fast=fast)
    assert parsed.skipped == ()
    (item,) = (item for item in parsed.items if not item.title)
    assert item.item_id.startswith("sha256:") and len(item.item_id) == len("sha256:") + 32
    assert item.link is None and item.guid is None
    return item.item_id


@pytest.mark.parametrize("fast", [True, False], ids=["lxml", "feedparser"])
def test_rss_item_with_only_a_description_is_kept(fast: bool) -> None:
    def body(text: str, date: str = "") -> bytes:
        return rss(
            "<item><title>t</title><guid>g1</guid></item>",
            f"<item>{date}<description>{text}</description></item>",
        )

    parsed = parse_feed(body(html.escape(FLASH)), context(), fast=fast)
    assert parsed.parser == ("lxml" if fast else "feedparser")
    assert [item.title for item in parsed.items] == ["t", ""] and parsed.items[1].content == FLASH
    first = text_only_id(body(html.escape(FLASH)), fast)
    assert text_only_id(body(html.escape(FLASH)), fast) == first
    assert text_only_id(body("另一条快讯"), fast) != first
    assert (
        text_only_id(body(html.escape(FLASH), "<pubDate>Tue, 25 Jan 2022 10:00:00 +0800</pubDate>"), fast)
        != first
    )


@pytest.mark.parametrize("fast", [True, False], ids=["lxml", "feedparser"])
def test_atom_entry_with_only_content_is_kept(fast: bool) -> None:
    def body(text: str) -> bytes:
        return atom(f'<entry><content type="html">{html.escape(text)}</content></entry>')

    assert parse_feed(body(FLASH), context(), fast=fast).parser == ("lxml" if fast else "feedparser")
    first = text_only_id(body(FLASH), fast)
    assert text_only_id(body(FLASH), fast) == first and text_only_id(body("<p>x</p>"), fast) != first


def test_json_feed_item_with_only_content_html_is_kept() -> None:
    def body(text: str) -> bytes:
        return json_feed({"id": "1", "title": "t"}, {"content_html": text})

    assert parse_feed(body(FLASH), context()).parser == "json"
    first = text_only_id(body(FLASH))
    assert text_only_id(body(FLASH)) == first and text_only_id(body("<p>x</p>")) != first


@pytest.mark.parametrize("fast", [True, False], ids=["lxml", "feedparser"])
def test_empty_items_are_skipped_by_position(fast: bool) -> None:
    body = rss("<item><title>t</title></item>", "<item/>", "<item><description> </description></item>")
    parsed = parse_feed(body, context(), fast=fast)
    assert parsed.parser == ("lxml" if fast else "feedparser")
    assert [item.title for item in parsed.items] == ["t"]
    assert parsed.skipped == (
        "item 2: empty (no title, link, id or text)",
        "item 3: empty (no title, link, id or text)",
    )


@pytest.mark.parametrize("fast", [True, False], ids=["lxml", "feedparser"])
def test_empty_atom_entry_is_skipped_by_position(fast: bool) -> None:
    parsed = parse_feed(atom("<entry/>", "<entry><id>urn:x</id></entry>"), context(), fast=fast)
    assert [item.item_id for item in parsed.items] == ["urn:x"]
    assert parsed.skipped == ("item 1: empty (no title, link, id or text)",)


def test_json_feed_names_what_it_skipped() -> None:
    parsed = parse_feed(json_feed({"id": "1"}, "not an item", {}), context())
    assert [item.item_id for item in parsed.items] == ["1"]
    assert parsed.skipped == ("item 2: not a JSON object", "item 3: empty (no title, link, id or text)")


# ---- property: the fast path reads whatever feedparser reads, the same way -----------------------

TEXTS = [
    "新闻 标题",
    " spaced  ",
    "A &amp; B",
    "&lt;b&gt;bold&lt;/b&gt; x",
    "<![CDATA[<p>c</p>]]>",
    "",
    "caf\u00c3\u00a9",
    "x &#60; y",
    "https://e.example/p?a=1&amp;b=2",
    "rel/path.html",
    "/abs/path",
    "urn:uuid:1",
    "a@b.example (名字)",
]
DATES = ["Mon, 24 Jan 2022 22:56:53 +0800", "2022-01-24T10:00:00Z", "2022-01-24 10:00", "garbage", ""]
text = st.sampled_from(TEXTS)
RSS_CHILD = st.one_of(
    st.builds("<title>{}</title>".format, text),
    st.builds("<link>{}</link>".format, text),
    st.builds('<guid isPermaLink="{}">{}</guid>'.format, st.sampled_from(["true", "false"]), text),
    st.builds("<guid>{}</guid>".format, text),
    st.builds("<description>{}</description>".format, text),
    st.builds("<content:encoded>{}</content:encoded>".format, text),
    st.builds("<author>{}</author>".format, text),
    st.builds("<dc:creator>{}</dc:creator>".format, text),
    st.builds("<category>{}</category>".format, text),
    st.builds("<pubDate>{}</pubDate>".format, st.sampled_from(DATES)),
    st.builds("<dc:date>{}</dc:date>".format, st.sampled_from(DATES)),
    st.just("<enclosure url='https://e.example/x.mp3' length='1' type='audio/mpeg'/>"),
    st.just("<link/>"),
)
ATOM_CHILD = st.one_of(
    st.builds('<title type="{}">{}</title>'.format, st.sampled_from(["text", "html"]), text),
    st.builds('<link href="{}"/>'.format, st.sampled_from(TEXTS[8:12])),
    st.builds(
        '<link rel="{}" type="{}" href="{}"/>'.format,
        st.sampled_from(["alternate", "enclosure", "self"]),
        st.sampled_from(["text/html", "application/pdf"]),
        st.sampled_from(TEXTS[8:12]),
    ),
    st.builds("<id>{}</id>".format, text),
    st.builds('<summary type="{}">{}</summary>'.format, st.sampled_from(["text", "html"]), text),
    st.builds('<content type="{}">{}</content>'.format, st.sampled_from(["text", "html"]), text),
    st.builds("<published>{}</published>".format, st.sampled_from(DATES)),
    st.builds("<updated>{}</updated>".format, st.sampled_from(DATES)),
    st.builds("<author><name>{}</name><email>e@x.example</email></author>".format, text),
    st.builds(
        '<category term="{}" label="{}"/>'.format,
        st.sampled_from(["t1", "股票", ""]),
        st.sampled_from(["L", ""]),
    ),
    st.builds(
        '<content type="html" xml:base="{}">&lt;p&gt;x&lt;/p&gt;</content>'.format,
        st.sampled_from(["/b/", "s/"]),
    ),
)
BASES = st.sampled_from(["", ' xml:base="/items/"'])


def rss_document(items: list[tuple[str, list[str]]]) -> bytes:
    body = "".join(f"<item{base}>{''.join(children)}</item>" for base, children in items)
    return (
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        f'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>{body}</channel></rss>'
    ).encode()


def atom_document(items: list[tuple[str, list[str]]]) -> bytes:
    body = "".join(f"<entry{base}>{''.join(children)}</entry>" for base, children in items)
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{body}</feed>'.encode()


FEEDS = st.one_of(
    st.lists(st.tuples(BASES, st.lists(RSS_CHILD, max_size=8)), min_size=1, max_size=3).map(rss_document),
    st.lists(st.tuples(BASES, st.lists(ATOM_CHILD, max_size=8)), min_size=1, max_size=3).map(atom_document),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FEEDS)
def test_fast_path_matches_feedparser_on_generated_feeds(body: bytes) -> None:
    fast = parse_feed(body, context())
    slow = parse_feed(body, context(), fast=False)
    assert (fast.items, fast.skipped) == (slow.items, slow.skipped)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=600),
        st.text(max_size=600).map(lambda text: text.encode("utf-8")),
        st.text(max_size=300).map(
            lambda text: f"<rss version='2.0'><channel>{text}</channel></rss>".encode()
        ),
        st.text(max_size=300).map(
            lambda text: f'{{"version": "https://jsonfeed.org/version/1.1", {text}'.encode()
        ),
    )
)
def test_any_body_is_a_feed_or_a_clear_error(body: bytes) -> None:
    """Whatever a server sends: parsed items, or a FeedParseError naming the URL — never a crash."""
    try:
        parsed = parse_feed(body, context())
    except FeedParseError as exc:
        assert exc.reason
    else:
        assert all(isinstance(item, EntryData) for item in parsed.items)


# ---- encodings: UTF-16 and UTF-32, with and without BOM or declaration (issue 10) ---------------
#
# tests/data/feeds/encodings/ holds one RSS, one Atom and one JSON Feed document, each in UTF-8 (the
# reference, NAME-utf-8.EXT) and in UTF-16BE/LE and UTF-32BE/LE, with and without a BOM (-bom) and
# with and without an encoding declaration (-nodecl; JSON has none), after feedparser's own
# encoding fixtures. Without a BOM the encoding is told by where the NULs fall in the first bytes
# (XML 1.0 Appendix F); before, such bytes passed as UTF-8 and the feed was "not well-formed".

WIDE = sorted(p for p in ENCODINGS.iterdir() if "-utf-8." not in p.name)


@pytest.mark.parametrize("path", WIDE, ids=lambda p: p.name)
def test_wide_encodings_are_detected(path: Path) -> None:
    reference = ENCODINGS / f"{path.name.split('-')[0]}-utf-8{path.suffix}"
    parsed = parse_feed(path.read_bytes(), context())
    expected = parse_feed(reference.read_bytes(), context())
    assert parsed.items == expected.items and parsed.parser == expected.parser
    assert parsed.items[0].title == "沪指收涨0.5% 📈 café"
    assert parsed.parser in ("lxml", "json")


def test_a_wide_body_wins_over_a_declaration_that_says_otherwise() -> None:
    body = (ENCODINGS / "rss-utf-16-le-nodecl.xml").read_text(encoding="utf-16-le")
    lying = ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode("utf-16-le")
    assert parse_feed(lying, context()).items[0].title == "沪指收涨0.5% 📈 café"
    assert parse_feed(lying, context(), content_type="text/xml; charset=iso-8859-1").items


def test_a_utf16_label_on_8_bit_bytes_is_ignored() -> None:
    """The bytes start with ``<`` and no NUL: no UTF-16 reading of them can be meant."""
    body = (ENCODINGS / "rss-utf-8.xml").read_bytes()
    for label in ("utf-16", "utf-16le", "utf-32"):
        parsed = parse_feed(body, context(), content_type=f"application/rss+xml; charset={label}")
        assert parsed.items[0].title == "沪指收涨0.5% 📈 café"


# ---- one bad item costs only itself (issue 10) ----------------------------------------------------

ABSURD_DATES = [
    "0001-01-01T00:00:00+08:00",  # in UTC before year 1: OverflowError when converted
    "Mon, 01 Jan 0001 00:00:00 +0800",
    "0000-01-01T00:00:00Z",  # year 0: ValueError from feedparser's reading
    "1969-12-31T23:59:59Z",  # before 1970: a placeholder, not news
    "0999-06-01T00:00:00Z",  # a 3-digit year that RSS readers cannot read back
    "9999-12-31T23:59:59-08:00",  # past year 9999 in UTC
    "2022-01-24T22:56:53+08:00" + " " * 200 + "x",  # no date is that long
]


def dated_rss(date: str) -> bytes:
    return rss(
        f"<item><title>bad</title><guid>g1</guid><pubDate>{date}</pubDate></item>",
        "<item><title>good</title><guid>g2</guid><pubDate>Mon, 24 Jan 2022 22:56:53 +0800</pubDate></item>",
    )


@pytest.mark.parametrize("date", ABSURD_DATES)
@pytest.mark.parametrize("fast", [True, False], ids=["lxml", "feedparser"])
def test_an_absurd_date_is_no_date(date: str, fast: bool) -> None:
    """The item stays, dated by its fetch (recorded as such), and its sibling keeps its own date."""
    bad, good = parse_feed(dated_rss(date), context(), fast=fast).items
    assert bad.published == FETCHED and bad.date_is_fetch_time and bad.raw_date == date.strip()
    assert bad.updated is None or bad.updated == FETCHED
    assert good.published == datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC) and not good.date_is_fetch_time


@pytest.mark.parametrize("date", ABSURD_DATES)
def test_an_absurd_json_date_is_no_date(date: str) -> None:
    body = json_feed({"id": "1", "title": "bad", "date_published": date, "date_modified": date}, {"id": "2"})
    bad, good = parse_feed(body, context()).items
    assert bad.published == FETCHED and bad.date_is_fetch_time and bad.updated is None
    assert good.item_id == "2"


def test_an_absurd_published_date_falls_back_to_updated() -> None:
    body = json_feed(
        {"id": "1", "date_published": "0001-01-01T00:00:00+08:00", "date_modified": "2022-01-24"}
    )
    (item,) = parse_feed(body, context()).items
    assert item.published == datetime(2022, 1, 24, tzinfo=SHANGHAI) and not item.date_is_fetch_time


def test_a_future_updated_date_alone_is_recorded_as_the_fetch_time() -> None:
    """No published date and an updated date a century ahead: the fetch time stands in, and says so
    (else the next fetch would move the item's date again)."""
    body = json_feed({"id": "1", "date_modified": "2122-01-01T00:00:00Z"})
    (item,) = parse_feed(body, context()).items
    assert item.published == FETCHED and item.date_is_fetch_time


@pytest.mark.parametrize("date", ABSURD_DATES)
def test_absurd_dates_never_reach_the_store(date: str) -> None:
    """Parse and normalize together, as the pipeline runs them: every item stored, within 1970..now."""
    context_ = NormalizeContext(CategoryResolver({}), "https://finews.example.com", FETCHED)
    for body in (dated_rss(date), json_feed({"id": "1", "date_published": date, "date_modified": date})):
        parsed = parse_and_normalize(context_, context(), None, body)
        assert parsed.skipped == () and all(isinstance(entry, Entry) for entry in parsed.items)
        assert all(entry.published.year >= 1970 for entry in parsed.items if isinstance(entry, Entry))


def test_an_item_that_breaks_its_reader_is_skipped_alone() -> None:
    body = json_feed(
        {"id": "1", "title": "a", "authors": 5},  # a number where a list belongs
        {"id": "2", "title": "b"},
    )
    parsed = parse_feed(body, context())
    assert [item.item_id for item in parsed.items] == ["2"]
    (reason,) = parsed.skipped
    assert reason.startswith("item 1: unreadable (TypeError")


def test_an_item_that_breaks_the_last_step_is_skipped_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever ``_entry`` raises for one item (a bug, an input nobody thought of) stays with that item."""
    real = feed_module._entry

    def fragile(raw: Any, ctx: ParseContext) -> EntryData:
        if raw.title == "boom":
            raise OverflowError("date value out of range")
        return real(raw, ctx)

    monkeypatch.setattr(feed_module, "_entry", fragile)
    body = rss("<item><title>boom</title></item>", "<item><title>ok</title></item>")
    for fast in (True, False):
        parsed = parse_feed(body, context(), fast=fast)
        assert [item.title for item in parsed.items] == ["ok"] and parsed.found == 1
        assert parsed.skipped == ("item 1: unreadable (OverflowError: date value out of range)",)


@pytest.mark.parametrize("fast", [True, False], ids=["lxml", "feedparser"])
def test_a_reference_to_no_character_costs_nothing(fast: bool) -> None:
    """``&#xD800;`` made lxml refuse the document and feedparser's loose parser raise, failing the
    whole feed; such references (surrogates, past U+10FFFF) now read as U+FFFD."""
    body = rss(
        "<item><title>a&#xD800;b&#55296;c&#x110000;d&#99999999999;e</title><guid>g1</guid></item>",
        "<item><title>&#x4e2d;&#20013;&#x1F4C8;</title><guid>g2</guid></item>",
    )
    parsed = parse_feed(body, context(), fast=fast)
    assert [item.title for item in parsed.items] == ["a\ufffdb\ufffdc\ufffdd\ufffde", "中中📈"]


def test_a_json_nesting_bomb_is_a_clear_error() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    )
    with pytest.raises(FeedParseError, match="invalid JSON"):
        parse_feed(body, context())


SURROGATE_ITEM = (
    '{"id": "g\\ud800", "url": "https://e.example/\\udc00", "title": "t\\ud83d", "summary": "s\\udfff",'
    ' "content_html": "<p>c\\ud800</p>", "tags": ["x\\ud800"], "authors": [{"name": "a\\udbff"}],'
    ' "date_published": "2022-01-24\\ud800"}'
)


def test_lone_surrogates_in_a_json_feed_cost_nothing() -> None:
    """JSON may spell unpaired UTF-16 halves (``\\ud800``), which no UTF-8 encoder takes: hashing,
    lxml and SQLite would each fail on them. The item is kept, its text readable everywhere."""
    body = f'{{"version": "https://jsonfeed.org/version/1.1", "items": [{SURROGATE_ITEM}, {{"id": "2"}}]}}'
    context_ = NormalizeContext(CategoryResolver({}), "https://finews.example.com", FETCHED)
    parsed = parse_feed(body.encode(), context())
    entries = parse_and_normalize(context_, context(), None, body.encode()).items
    assert parsed.skipped == () and len(entries) == 2
    for item in (*parsed.items, *entries):
        assert isinstance(item, EntryData | Entry)
        repr(item).encode("utf-8")
        for value in asdict(item).values():
            if isinstance(value, str):
                value.encode("utf-8")
    first = entries[0]
    assert isinstance(first, Entry) and first.key == "guid:g\ufffd" and first.item_id == "g\ufffd"
    assert first.tags == ("x",) and first.categories[0].slug == "x"


# ---- fetch.max_items: the newest items of a document, cut as early as the format allows ----------


def test_max_items_defaults_to_1000() -> None:
    assert ParseContext("s", "https://e.example/", FETCHED, UTC).max_items == 1000


def minutes(n: int) -> str:
    return f"{datetime(2022, 1, 1, tzinfo=UTC) + timedelta(minutes=n):%a, %d %b %Y %H:%M:%S +0000}"


# Item n is n minutes after midnight, listed in a shuffled order: the newest 4 are 16..19.
ORDER = [3, 17, 0, 12, 19, 5, 8, 16, 1, 10, 14, 2, 18, 6, 11, 4, 9, 13, 7, 15]
NEWEST_4 = [17, 19, 16, 18]  # in document order


def shuffled_rss(dated: bool = True) -> bytes:
    date = (lambda n: f"<pubDate>{minutes(n)}</pubDate>") if dated else (lambda n: "")
    return rss(*(f"<item><title>{n}</title><guid>g{n}</guid>{date(n)}</item>" for n in ORDER))


def shuffled_atom() -> bytes:
    stamp = lambda n: (datetime(2022, 1, 1, tzinfo=UTC) + timedelta(minutes=n)).isoformat()  # noqa: E731
    return atom(
        *(f"<entry><title>{n}</title><id>g{n}</id><updated>{stamp(n)}</updated></entry>" for n in ORDER)
    )


def shuffled_json() -> bytes:
    stamp = lambda n: (datetime(2022, 1, 1, tzinfo=UTC) + timedelta(minutes=n)).isoformat()  # noqa: E731
    return json_feed(*({"id": f"g{n}", "title": str(n), "date_published": stamp(n)} for n in ORDER))


def over_limit(dropped: int, limit: int) -> str:
    return f"{dropped} items left out: over fetch.max_items ({limit}), the newest kept"


OVER_LIMIT = over_limit(16, 4)


@pytest.mark.parametrize(
    ("body", "fast"),
    [
        (shuffled_rss(), True),
        (shuffled_rss(), False),
        (shuffled_atom(), True),
        (shuffled_atom(), False),
        (shuffled_json(), True),
        (
            shuffled_rss().replace(b"</channel></rss>", b""),
            True,
        ),  # not well-formed: feedparser's loose parser
    ],
    ids=["rss-lxml", "rss-feedparser", "atom-lxml", "atom-feedparser", "json", "broken-rss"],
)
def test_max_items_keeps_the_newest(body: bytes, fast: bool) -> None:
    parsed = parse_feed(body, context(max_items=4), fast=fast)
    titles = [int(item.title) for item in parsed.items]
    if b"</rss>" in body or b"</feed>" in body or parsed.parser == "json":
        assert titles == NEWEST_4
    else:  # no tree to read the dates from: the first ones, in document order
        assert titles == ORDER[:4]
    assert parsed.skipped == (OVER_LIMIT,) and parsed.found == 4


def test_max_items_without_dates_keeps_document_order() -> None:
    for fast in (True, False):
        parsed = parse_feed(shuffled_rss(dated=False), context(max_items=4), fast=fast)
        assert [int(item.title) for item in parsed.items] == ORDER[:4]


def test_max_items_positions_name_the_document_item() -> None:
    """Skip reasons still name an item by its place in the document, not among those kept."""
    items = [f"<item><title>{n}</title><pubDate>{minutes(n)}</pubDate></item>" for n in range(6)]
    items.append("<item><pubDate>Sat, 01 Jan 2022 02:00:00 +0000</pubDate></item>")  # newest, but empty
    for fast in (True, False):
        parsed = parse_feed(rss(*items), context(max_items=3), fast=fast)
        assert [item.title for item in parsed.items] == ["4", "5"]
        assert parsed.skipped == (
            "item 7: empty (no title, link, id or text)",
            over_limit(4, 3),
        )


@pytest.mark.parametrize("fast", [True, False], ids=["lxml", "feedparser"])
def test_over_limit_paths_agree(fast: bool) -> None:
    body = shuffled_rss()
    assert (
        parse_feed(body, context(max_items=5)).items
        == parse_feed(body, context(max_items=5), fast=False).items
    )


HUGE = 50_000


@pytest.fixture(scope="module")
def huge_json() -> bytes:
    items = (
        {"id": str(n), "title": f"t{n}", "date_published": f"2022-01-01T00:00:{n % 60:02d}Z"}
        for n in range(HUGE)
    )
    return json_feed(*items)


def counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """Count the calls of one of the parser's per-item functions."""
    calls = [0]
    real = getattr(feed_module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(feed_module, name, counted)
    return calls


def test_a_huge_json_feed_reads_only_what_it_keeps(huge_json: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 400,000-item JSON Feed was read whole (40 s to store it); only ``max_items`` are read now."""
    items, entries = counting(monkeypatch, "_json_item"), counting(monkeypatch, "_entry")
    parsed = parse_feed(huge_json, context(max_items=100))
    assert len(parsed.items) == 100 and items[0] == 100 and entries[0] == 100
    assert parsed.skipped == (over_limit(HUGE - 100, 100),)


@pytest.mark.parametrize("broken", [False, True], ids=["well-formed", "broken"])
@pytest.mark.parametrize("fast", [True, False], ids=["lxml", "feedparser"])
def test_a_huge_rss_feed_reads_only_what_it_keeps(
    broken: bool, fast: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = rss(*(f"<item><title>t{n}</title><guid>{n}</guid></item>" for n in range(HUGE)))
    body = body.replace(b"</channel></rss>", b"") if broken else body
    calls = [counting(monkeypatch, name) for name in ("_rss_item", "_from_feedparser", "_entry")]
    started = time.monotonic()
    parsed = parse_feed(body, context(max_items=100), fast=fast)
    assert time.monotonic() - started < 30  # feedparser alone took minutes on the whole document
    assert [item.title for item in parsed.items] == [f"t{n}" for n in range(100)]
    assert calls[0][0] + calls[1][0] <= 100 and calls[2][0] == 100
    assert parsed.skipped == (over_limit(HUGE - 100, 100),)


# ---- what a feed says of itself (attribution) ----------------------------------------------------

RSS_WITH_CHANNEL = b"""<?xml version="1.0"?><rss version="2.0"><channel>
<title>&lt;b&gt;Wire&lt;/b&gt; news</title><link>/home</link>
<lastBuildDate>Tue, 25 Jan 2022 09:30:00 +0800</lastBuildDate>
<item><title>t</title><guid>g</guid></item></channel></rss>"""
ATOM_WITH_FEED = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
<id>urn:uuid:x</id><title>Wire</title><link rel="self" href="/feed"/><link href="https://w.example/"/>
<updated>2022-01-25T01:30:00Z</updated><entry><id>e</id><title>t</title></entry></feed>"""


@pytest.mark.parametrize("body", [RSS_WITH_CHANNEL, ATOM_WITH_FEED])
def test_both_readers_find_what_a_feed_says_of_itself(body: bytes) -> None:
    fast = parse_feed(body, context())
    slow = parse_feed(body, context(), fast=False)
    assert (fast.parser, slow.parser) == ("lxml", "feedparser")
    assert fast.meta == slow.meta
    assert fast.meta is not None and fast.meta.updated == datetime(2022, 1, 25, 1, 30, tzinfo=UTC)
    assert (
        fast.meta.title in ("Wire news", "Wire") and fast.meta.link and fast.meta.link.startswith("https://")
    )


def test_a_feed_without_an_id_is_known_by_its_url_and_bad_values_are_left_out() -> None:
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "' + b"x" * 5000 + b'",'
        b' "home_page_url": "javascript:alert(1)", "items": [{"id": "1", "content_text": "t"}]}'
    )
    meta = parse_feed(body, context()).meta
    assert meta is not None
    assert meta.id == context().url and meta.link is None and meta.updated is None
    assert meta.title is not None and len(meta.title) <= 1024
