"""Fuzz pass over what posts, feeds and their HTML can bring (issue 10, the security audit).

Whatever arrives must end as an entry or as a recorded failure (an ItemError/FeedParseError, or an item
listed in ``ParsedFeed.skipped``), never as another exception: in the pipeline that costs the whole
posts folder or the whole feed. And what we publish from it must stay well-formed (lxml's default
parser, ``json.loads``, feedparser with ``bozo == 0``) and sanitized (no script, no ``on*=`` handler,
no ``javascript:``/``vbscript:``/``data:`` URL) in every format. Each example goes through the calls the
pipeline makes (``prepare_post`` on a real file, ``parse_and_normalize``) and the ones a build makes
(``merge.decide``, ``render_category``, ``render_opml``, ``write_if_changed`` on real files).

Examples are bounded so the file runs in seconds. Full-size hostile inputs (an 11 MB item, 400,000
items, a 9-by-9 alias bomb) are measured by ``make hostile`` (bench/hostile.py) in a child process,
where running out of memory costs a measurement, not the test run.
"""

from __future__ import annotations

import html
import json
import re
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import feedparser
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds import emit, merge, paths, rules
from feeds.config import SiteConfig
from feeds.errors import FeedsError
from feeds.model import Category, Entry, ItemFailure, StoredEntry
from feeds.parse.feed import ParseContext, ParsedFeed
from feeds.pipeline import NormalizeContext, PostContext, PreparedPost, parse_and_normalize, prepare_post
from feeds.slugs import ALL, CategoryResolver
from feeds.sources.local import list_posts

SITE = SiteConfig(title="财经新闻聚合", url="https://finews.example.com")
T0 = datetime(2022, 1, 26, 8, 0, tzinfo=UTC)
ZONE = "Asia/Shanghai"
RESOLVER = CategoryResolver({})
FEED_URL = "https://news.example.com/feeds/fuzz.xml"
PARSE = ParseContext(source="fuzz", url=FEED_URL, fetched_at=T0, timezone=ZoneInfo(ZONE))
NORMALIZE = NormalizeContext(RESOLVER, SITE.url, T0)
POST_NAME = "2022-01-24-fuzz.md"
# Bounded so the file takes seconds once everything passes; no "explain" phase, which re-runs a
# failing case dozens of times only to comment on it.
FUZZ = settings(
    max_examples=100,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
ATOM_NS = {"a": "http://www.w3.org/2005/Atom"}
RSS_NS = {"content": "http://purl.org/rss/1.0/modules/content/"}
# How much longer than the whole post its front matter's fields may come out: quoting and list syntax
# cost a few times, aliases of aliases cost exponentially (the billion-laughs alias bomb).
AMPLIFICATION, AMPLIFICATION_SLACK = 8, 64 * 1024

# ---- values: text, dates, links, categories ----------------------------------------------------------

ANY_CHAR = st.one_of(
    st.characters(),  # any code point but a surrogate
    st.characters(categories=["Cs"]),  # lone surrogates
    st.characters(categories=["Cc"]),  # C0/C1 controls, NUL included
)
PIECES = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "javascript:alert(1)",
        "&#0;",
        "&amp;",
        "&lt;",
        "]]>",
        "<![CDATA[",
        "\ufeff",
        "\u2028",
        "\r\n",
        "\ud800",
        "\udfff",
        "\x00",
        "\x1b[31m",
        "---",
        "*a",
        "&a",
        "{{ x }}",
        "%s",
        "证券时报网",
        "\U0001f600",
        "\u202e",
        "'",
        '"',
        "\\",
    ]
)
HUGE = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["a", "证", "<b>", "&amp;", "\x00", "\ud800", " ", "lol "]),
    st.sampled_from([256, 300, 4097, 16_385]),
)
SHORT_TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.lists(st.one_of(PIECES, st.text(ANY_CHAR, max_size=8)), max_size=6).map("".join),
)
TEXT = st.one_of(SHORT_TEXT, SHORT_TEXT, HUGE)  # huge values one time in five: size is make hostile's job
ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=14)), timezone(timedelta(hours=-12))]
)
DATE_FORMS = [
    datetime.isoformat,
    format_datetime,
    lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S %z"),
]
DATES = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+08:00",  # year 1 east of UTC: year 0 in UTC
            "0001-01-01 00:00:00 +0800",
            "Mon, 01 Jan 0001 00:00:00 +0800",
            "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
            "Fri, 31 Dec 9999 23:59:59 -1200",
            "0000-00-00 00:00:00",
            "2022-02-30",
            "99999-01-01",
            "1969-12-31T23:59:59Z",
            "2022-01-24 22:56:53 +0800",
            "2022年01月24日 22:56",
            "Tue, 25 Jan 2022 00:00:00 +0800",
            "2022-01-24T22:56:53+99:99",
            "1e400",
            "",
        ]
    ),
    st.builds(lambda moment, form: form(moment), st.datetimes(timezones=ZONES), st.sampled_from(DATE_FORMS)),
    TEXT,
)
BAD_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "feed:javascript:alert(1)",
    "//evil.example/x",
    "/relative/path",
    "http://[bad/",
    "https://news.example.com/a?b=1&c=2#f",
    "http://127.0.0.1/admin",
    "file:///etc/passwd",
]
LINKS = st.one_of(st.sampled_from(BAD_URLS), TEXT, TEXT.map(lambda text: f"https://news.example.com/{text}"))
CATEGORIES = st.one_of(
    TEXT,
    st.sampled_from(["../../etc/passwd", "all", "ALL", " ", "-", "CON", "a b", "证券" * 60, "a" * 300]),
    st.from_regex(r"[a-z0-9_-]{1,400}", fullmatch=True),
)

# ---- HTML: arbitrary markup with the usual attacks in it ---------------------------------------------

TAGS = [
    "script",
    "SCRIPT",
    "img",
    "a",
    "svg",
    "math",
    "iframe",
    "style",
    "object",
    "embed",
    "form",
    "button",
    "textarea",
    "noscript",
    "template",
    "xmp",
    "base",
    "meta",
    "video",
    "source",
    "p",
    "div",
    "table",
    "b",
]
ATTRIBUTES = [
    "onerror",
    "onclick",
    "ONLOAD",
    "onmouseover",
    "href",
    "src",
    "srcset",
    "style",
    "xlink:href",
    "formaction",
    "action",
    "srcdoc",
    "poster",
    "background",
    "title",
]
ATTRIBUTE_VALUES = st.one_of(
    st.sampled_from(BAD_URLS),
    st.sampled_from(["alert(1)", "&#106;avascript:alert(1)", "javascript&colon;alert(1)", "x` onerror=1"]),
    st.text(ANY_CHAR, max_size=10),
)
QUOTES = st.sampled_from(['"{}"', "'{}'", "{}", "`{}`"])
RAW_MARKUP = st.sampled_from(
    [
        "<",
        ">",
        "</",
        "<!--",
        "-->",
        "<![CDATA[<script>alert(1)</script>]]>",
        "</script>",
        "<scr<script>ipt>alert(1)</script>",
        "<img src=x onerror=alert(1)//",
        "<svg/onload=alert(1)>",
        "<math><mi><mglyph><style><img src=x onerror=alert(1)>",
        "<a href='javascript:alert(1)'>x</a>",
        "<iframe srcdoc='<script>alert(1)</script>'>",
        "<!DOCTYPE html>",
        "<?xml version='1.0'?>",
        "&#60;script&#62;",
        "[x](javascript:alert(1))",
        "<javascript:alert(1)>",
        "![i](data:text/html,x)",
        "[r]: javascript:alert(1)\n\n[r]",
    ]
)


def attribute(name: str, value: str, quote: str) -> str:
    """One attribute as a page might write it: any quoting, or none at all."""
    return f" {name}={quote.format(value)}"


def element(tag: str, attributes: list[str], children: list[str], closed: bool) -> str:
    """A tag with its attributes and children, closed or left open as broken pages leave it."""
    return f"<{tag}{''.join(attributes)}>{''.join(children)}" + (f"</{tag}>" if closed else "")


ATTRIBUTE = st.builds(attribute, st.sampled_from(ATTRIBUTES), ATTRIBUTE_VALUES, QUOTES)
HTML = st.recursive(
    st.one_of(RAW_MARKUP, st.text(ANY_CHAR, max_size=12)),
    lambda children: st.builds(
        element,
        st.sampled_from(TAGS),
        st.lists(ATTRIBUTE, max_size=3),
        st.lists(children, max_size=3),
        st.booleans(),
    ),
    max_leaves=12,
)
BODIES = st.one_of(HTML, TEXT, st.lists(st.one_of(HTML, TEXT), max_size=4).map("\n\n".join))

# ---- (a) posts: front matter + body -------------------------------------------------------------------


def scalar(value: str, style: str) -> str:
    """A YAML scalar in one of its styles; ``plain`` is left as it is, breaking the YAML or not."""
    if style == "double":
        return json.dumps(value)  # \\uXXXX escapes carry surrogates and controls into the string
    if style == "single":
        return "'" + value.replace("'", "''") + "'"
    if style == "literal":
        return "|\n" + "".join(f"  {line}\n" for line in value.split("\n"))
    return value


SCALARS = st.builds(scalar, TEXT, st.sampled_from(["plain", "double", "single", "literal"]))
YAML_ODDITIES = st.sampled_from(
    [
        "null",
        "~",
        "true",
        "false",
        "0001-01-01",
        "0000-00-00",
        "2022-02-30 00:00:00",
        "0001-01-01 00:00:00 +08:00",
        "!!timestamp 0001-01-01T00:00:00+08:00",
        "9999-12-31 23:59:59 -12:00",
        ".inf",
        "-.nan",
        "1e309",
        "0x1F",
        "{a: b}",
        "[[[[]]]]",
        "!!binary aGVsbG8=",
        "!!python/object/apply:os.system ['true']",
        "*a",
        "&a x",
        "&a [x, *a]",
        "? complex\n: key",
        "<<: {x: 1}",
        "[javascript:alert(1)]",
    ]
)
FLOW_LISTS = st.lists(TEXT.map(json.dumps), max_size=4).map(lambda items: "[" + ", ".join(items) + "]")
BLOCK_LISTS = st.lists(TEXT.map(json.dumps), min_size=1, max_size=4).map(
    lambda items: "\n" + "".join(f"  - {item}\n" for item in items)
)
VALUES = st.one_of(SCALARS, YAML_ODDITIES, FLOW_LISTS, BLOCK_LISTS, SCALARS.map(lambda value: f"&a {value}"))
DATE_VALUES = st.one_of(st.builds(scalar, DATES, st.sampled_from(["plain", "double", "single"])), VALUES)
FRONT_MATTER = st.fixed_dictionaries(
    {"title": VALUES, "date": DATE_VALUES},
    optional={
        "categories": st.one_of(VALUES, CATEGORIES.map(json.dumps)),
        "category": VALUES,
        "tags": VALUES,
        "link": st.one_of(VALUES, LINKS.map(json.dumps)),
        "author": VALUES,
        "infoCode": VALUES,
        "published": st.sampled_from(["true", "false", "no", "0"]),
        "layout": VALUES,
    },
)


def post_bytes(front: dict[str, str], body: str, crlf: bool, bom: bool) -> bytes:
    """A post file: front matter lines, body, either line ending, maybe a BOM; lone surrogates stay in
    as the bytes a careless editor writes (surrogatepass)."""
    lines = "".join(f"{key}: {value}\n" for key, value in front.items())
    text = ("\ufeff" if bom else "") + f"---\n{lines}---\n{body}\n"
    return (text.replace("\n", "\r\n") if crlf else text).encode("utf-8", "surrogatepass")


POSTS = st.builds(post_bytes, FRONT_MATTER, BODIES, st.booleans(), st.booleans())


def alias_bomb(width: int, depth: int, key: str) -> str:
    """Front matter lines where ``key`` names ``width ** depth`` copies of "lol" through nested aliases."""
    levels = ['l0: &l0 "lol"'] + [
        f"l{level}: &l{level} [{', '.join([f'*l{level - 1}'] * width)}]" for level in range(1, depth + 1)
    ]
    return "\n".join(levels) + f"\n{key}: *l{depth}\n"


def bomb_post(shape: tuple[int, int], key: str, title: str) -> bytes:
    """A post that is fine apart from its alias bomb of (width, depth)."""
    front = alias_bomb(*shape, key) + "date: 2022-01-24 22:56:53 +0800\n"
    if key != "title":
        front += f"title: {json.dumps(title)}\n"
    return f"---\n{front}---\n<p>正文</p>\n".encode("utf-8", "surrogatepass")


BOMB_SHAPES = st.one_of(  # (width, depth): at most 2 ** 17 leaves, under a megabyte once expanded
    st.tuples(st.integers(2, 9), st.integers(1, 5)),
    st.sampled_from([(9, 5), (6, 6), (4, 8), (2, 17)]),
)
BOMB_KEYS = st.sampled_from(["title", "categories", "tags", "link", "author", "infoCode"])
BOMB_POSTS = st.one_of(
    st.builds(bomb_post, BOMB_SHAPES, BOMB_KEYS, TEXT),
    POSTS,
)

# ---- (b) feeds: RSS 2.0, Atom 1.0 and JSON Feed documents, and raw bytes -------------------------------

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Escaped for XML; characters XML 1.0 cannot carry become character references, as careless
    producers write them (the document is then not well-formed, and feedparser's loose mode reads it)."""
    return XML_ILLEGAL.sub(lambda found: f"&#x{ord(found[0]):X};", html.escape(value, quote=True))


ITEM_FIELDS = {
    "title": TEXT,
    "link": LINKS,
    "id": st.one_of(TEXT, LINKS),
    "content": st.one_of(HTML, TEXT),
    "summary": st.one_of(HTML, TEXT),
    "author": TEXT,
    "categories": st.lists(CATEGORIES, max_size=3),
    "published": DATES,
    "updated": DATES,
}
ITEMS = st.lists(st.fixed_dictionaries({}, optional=ITEM_FIELDS), min_size=1, max_size=4)


class Document(NamedTuple):
    """A generated feed: its text (always encodable: no lone surrogate outside an escape) and how many
    items it holds, each of which must come out as an entry, a failure or a skip reason."""

    text: str
    items: int


RSS_TAGS = {
    "title": "title",
    "link": "link",
    "id": 'guid isPermaLink="false"',
    "content": "content:encoded",
    "summary": "description",
    "author": "author",
    "published": "pubDate",
    "updated": "dc:date",
}


def rss_item(item: dict[str, Any]) -> str:
    children = [
        f"<{RSS_TAGS[name]}>{xml_text(value)}</{RSS_TAGS[name].split()[0]}>"
        for name, value in item.items()
        if name != "categories"
    ] + [f"<category>{xml_text(term)}</category>" for term in item.get("categories", [])]
    return f"<item>{''.join(children)}</item>"


def rss_document(items: list[dict[str, Any]]) -> Document:
    return Document(
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>fuzz</title>'
        f"<link>https://news.example.com/</link>{''.join(map(rss_item, items))}</channel></rss>",
        len(items),
    )


def atom_child(name: str, value: Any) -> str:
    if name == "link":
        return f'<link rel="alternate" type="text/html" href="{xml_text(value)}"/>'
    if name in ("content", "summary", "title"):
        return f'<{name} type="html">{xml_text(value)}</{name}>'
    if name == "author":
        return f"<author><name>{xml_text(value)}</name></author>"
    if name == "categories":
        return "".join(f'<category term="{xml_text(term)}"/>' for term in value)
    return f"<{name}>{xml_text(value)}</{name}>"


def atom_document(items: list[dict[str, Any]]) -> Document:
    entries = "".join(
        "<entry>" + "".join(atom_child(name, value) for name, value in item.items()) + "</entry>"
        for item in items
    )
    return Document(
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>fuzz</title><id>urn:fuzz</id>'
        f"<updated>2022-01-24T00:00:00Z</updated>{entries}</feed>",
        len(items),
    )


JSON_NAMES = {
    "title": "title",
    "link": "url",
    "id": "id",
    "content": "content_html",
    "summary": "summary",
    "published": "date_published",
    "updated": "date_modified",
    "categories": "tags",
}
JSON_ODDITIES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def json_item(item: dict[str, Any], odd: dict[str, Any]) -> dict[str, Any]:
    """A JSON Feed item; ``odd`` replaces some fields with values of the wrong JSON type."""
    out: dict[str, Any] = {JSON_NAMES[name]: value for name, value in item.items() if name != "author"}
    if "author" in item:
        out["authors"] = [{"name": item["author"]}]
    return out | odd


JSON_ITEMS = st.lists(
    st.one_of(
        st.builds(
            json_item,
            st.fixed_dictionaries({}, optional=ITEM_FIELDS),
            st.dictionaries(st.sampled_from([*JSON_NAMES.values(), "authors"]), JSON_ODDITIES, max_size=2),
        ),
        JSON_ODDITIES,  # not an object at all: a skip reason
    ),
    min_size=1,
    max_size=4,
)


def json_document(items: list[Any]) -> Document:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "fuzz", "items": items}
    return Document(json.dumps(feed, ensure_ascii=True), len(items))


DOCUMENTS = st.one_of(ITEMS.map(rss_document), ITEMS.map(atom_document), JSON_ITEMS.map(json_document))


def mutate(body: bytes, cut: int, junk: bytes) -> bytes:
    """A document broken the way transfers and servers break them: cut short, bytes spliced in."""
    position = cut % (len(body) + 1)
    return body[:position] + junk + body[position + len(junk) :]


def encoded(document: Document, codec: str) -> bytes:
    """A document in another encoding, with no BOM and no declaration to say so; what the codec cannot
    carry is lost the way a server's encoder loses it (lone surrogates pass through the UTF codecs)."""
    return document.text.encode(codec, "surrogatepass" if codec.startswith("utf") else "replace")


BODIES_RAW = st.one_of(
    st.binary(max_size=2000),
    st.builds(mutate, DOCUMENTS.map(lambda doc: doc.text.encode()), st.integers(0), st.binary(max_size=8)),
    DOCUMENTS.map(lambda doc: doc.text.encode()[: len(doc.text) // 2]),
    st.builds(
        encoded,
        DOCUMENTS,
        st.sampled_from(["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "gb18030", "latin-1"]),
    ).filter(bool),
    st.lists(st.one_of(PIECES, TEXT), max_size=5).map(
        lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
    ),
)

# ---- running the pipeline's own calls --------------------------------------------------------------------


def prepare(raw: bytes) -> PreparedPost:
    """``prepare_post`` on a real file in a posts folder, as the scan hands it over."""
    with tempfile.TemporaryDirectory(prefix="feeds-fuzz-") as tmp:
        Path(tmp, POST_NAME).write_bytes(raw)
        (post,) = list_posts(Path(tmp))
        context = PostContext("posts", ZONE, None, SITE.url, RESOLVER, T0)
        return prepare_post(context, (post, None))


def read_feed(body: bytes) -> ParsedFeed[Entry | ItemFailure]:
    """``parse_and_normalize`` as the fetcher's parse step runs it; a FeedParseError (or any other
    exception) propagates to the caller, which decides whether refusing the whole body was allowed."""
    return parse_and_normalize(NORMALIZE, PARSE, None, body)


def entries_of(normalized: Sequence[Entry | ItemFailure]) -> list[Entry]:
    return [item for item in normalized if isinstance(item, Entry)]


def stored(entry: Entry) -> StoredEntry:
    decision = merge.decide(None, [], entry, {}, T0)
    assert decision.entry is not None
    return decision.entry


def publish(entries: Sequence[Entry]) -> dict[str, bytes]:
    """Every file a build makes of these entries (``all``, each category, the OPML), written to disk:
    an entry that was accepted must be publishable, or one item breaks every later build."""
    by_key = {entry.key: stored(entry) for entry in reversed(entries)}
    categories = {category.slug: category for entry in entries for category in entry.categories}
    feeds = [Category(ALL, SITE.title), *categories.values()]
    titles = {category.slug: category.title for category in feeds}
    files = {paths.OPML_PATH: emit.render_opml(feeds, SITE)}
    for category in feeds:
        members = [e for e in by_key.values() if category.slug == ALL or category.slug in e.categories]
        files.update(emit.render_category(members, category, SITE, titles))
    with tempfile.TemporaryDirectory(prefix="feeds-fuzz-out-") as out:
        for relative, data in files.items():
            emit.write_if_changed(Path(out), relative, data)
    return files


# ---- checking what was published ---------------------------------------------------------------------------

ACTIVE_TAGS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "meta"}
)
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "srcset",
        "cite",
        "poster",
        "longdesc",
        "action",
        "formaction",
        "background",
        "lowsrc",
        "dynsrc",
        "xlink:href",
        "data",
        "codebase",
        "ping",
    }
)
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")


def dangerous_url(value: str) -> bool:
    """A URL a browser would run or render as a document: parsed as the URL standard says (leading
    and trailing C0 controls and spaces dropped, tabs and newlines removed anywhere)."""
    url = _TAB_OR_NEWLINE.sub("", value.strip("".join(map(chr, range(0x21))))).lower()
    return url.startswith(("javascript:", "vbscript:", "data:"))


class _Markup(HTMLParser):
    """Collects what a browser would find dangerous in an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ACTIVE_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}={value!r}")
            elif name in URL_ATTRIBUTES and value is not None and dangerous_url(value):
                self.problems.append(f"{name}={value!r}")

    handle_startendtag = handle_starttag


def html_problems(fragment: str) -> list[str]:
    parser = _Markup()
    parser.feed(fragment)
    parser.close()
    return (["'<script' in the text"] if "<script" in fragment.lower() else []) + parser.problems


def fragments_and_links(path: str, data: bytes) -> Iterator[tuple[str, str, str]]:
    """(where, "html" | "url", value) for every entry's HTML and link in one published file."""
    if path.endswith(".json"):
        for item in json.loads(data)["items"]:
            yield item["id"], "html", item.get("content_html") or ""
            for key in ("url", "external_url"):
                if key in item:
                    yield item["id"], "url", item[key]
    elif path.endswith(".atom.xml"):
        for entry in etree.fromstring(data).iterfind("a:entry", ATOM_NS):
            where = entry.findtext("a:id", namespaces=ATOM_NS) or "?"
            for name in ("a:content", "a:summary"):
                yield from ((where, "html", e.text or "") for e in entry.iterfind(name, ATOM_NS))
            yield from ((where, "url", link.get("href", "")) for link in entry.iterfind("a:link", ATOM_NS))
    elif path.endswith(".rss.xml"):
        for item in etree.fromstring(data).iterfind("channel/item"):
            where = item.findtext("guid") or "?"
            for name in ("description", "content:encoded"):
                yield from ((where, "html", e.text or "") for e in item.iterfind(name, RSS_NS))
            yield where, "url", item.findtext("link") or ""


def assert_well_formed(files: dict[str, bytes]) -> None:
    """What readers need: XML their parser takes, JSON, and feeds feedparser reads without complaint."""
    for path, data in files.items():
        if path.endswith(".json"):
            json.loads(data)
            continue
        etree.fromstring(data)  # the default parser: no recovery
        if path.endswith((".atom.xml", ".rss.xml")):
            parsed = feedparser.parse(data)
            assert parsed.bozo == 0, f"{path}: {parsed.get('bozo_exception')!r}"


def assert_sanitized(files: dict[str, bytes]) -> None:
    for path, data in files.items():
        for where, kind, value in fragments_and_links(path, data):
            if kind == "url":
                assert not dangerous_url(value), f"{path} {where}: link {value!r}"
            else:
                problems = html_problems(value)
                assert not problems, f"{path} {where}: {problems} in {value[:300]!r}"


def assert_published_safely(entries: Sequence[Entry]) -> None:
    files = publish(entries)
    assert_well_formed(files)
    assert_sanitized(files)


def check_post(raw: bytes) -> PreparedPost:
    """A post becomes an entry, a draft or a recorded failure; an entry publishes well-formed and safe."""
    result = prepare(raw)
    if result.failure is not None:
        assert result.failure.reason and result.failure.location.endswith(POST_NAME)
    if result.entry is not None:
        assert_published_safely([result.entry])
    return result


def check_document(document: Document) -> None:
    """A well-built feed is never refused whole: each item is an entry, a failure or a skip reason."""
    parsed = read_feed(document.text.encode("utf-8"))
    assert len(parsed.items) + len(parsed.skipped) == document.items, (parsed.items, parsed.skipped)
    assert_published_safely(entries_of(parsed.items))


def check_body(body: bytes) -> None:
    """Any bytes: refused with a FeedParseError, or items that publish well-formed and safe."""
    try:
        parsed = read_feed(body)
    except FeedsError as exc:
        assert str(exc)
        return
    assert_published_safely(entries_of(parsed.items))


def outcome(body: bytes) -> object:
    """What reading a body gives, comparable across encodings of the same document: its entries, or
    the name of what it raised (whatever it is: a crash is the other tests' finding, not this one's)."""
    try:
        parsed = read_feed(body)
    except Exception as exc:
        return type(exc).__name__
    return parsed.items, parsed.skipped


def front_matter_length(entry: Entry) -> int:
    """Characters the entry took from the post's front matter (everything but the body)."""
    names = [category.title for category in entry.categories] + list(entry.tags)
    texts = [entry.title, entry.link or "", entry.author or "", entry.info_code or "", *names]
    return sum(map(len, texts))


# ---- the properties ----------------------------------------------------------------------------------------


@FUZZ
@given(raw=POSTS)
def test_any_post_is_an_entry_or_a_recorded_failure(raw: bytes) -> None:
    check_post(raw)


@settings(FUZZ, max_examples=50)
@given(raw=BOMB_POSTS)
def test_front_matter_aliases_cannot_amplify_a_post(raw: bytes) -> None:
    """Aliases of aliases (billion laughs) must not turn a few hundred bytes into megabytes of title."""
    result = check_post(raw)
    if result.entry is not None:
        assert front_matter_length(result.entry) <= AMPLIFICATION * len(raw) + AMPLIFICATION_SLACK


@FUZZ
@given(document=DOCUMENTS)
def test_any_feed_document_keeps_every_item(document: Document) -> None:
    check_document(document)


@FUZZ
@given(body=BODIES_RAW)
def test_any_body_is_entries_or_a_recorded_failure(body: bytes) -> None:
    check_body(body)


@settings(FUZZ, max_examples=40)
@given(
    document=DOCUMENTS,
    codec=st.sampled_from(["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"]),
    declared=st.booleans(),
)
def test_utf16_and_utf32_without_bom_read_like_utf8(document: Document, codec: str, declared: bool) -> None:
    """A feed in UTF-16/32 without a byte order mark gives the entries its UTF-8 twin gives."""
    text = document.text
    if declared and not text.startswith("{"):
        text = f'<?xml version="1.0" encoding="{codec.upper()[:6]}"?>{text}'
    assert outcome(text.encode(codec)) == outcome(document.text.encode("utf-8"))


def html_in_every_format(markup: str, where: str) -> bytes:
    """The same markup as a post body, an RSS content:encoded, an Atom content and a JSON content_html."""
    item = {"title": "t", "link": "https://news.example.com/a", "content": markup}
    if where == "post":
        return post_bytes({"title": "t", "date": "2022-01-24 22:56:53 +0800"}, markup, False, False)
    build = {"rss": rss_document, "atom": atom_document}.get(where)
    document = build([item]) if build else json_document([json_item(item, {})])
    return document.text.encode("utf-8", "surrogatepass")


@settings(FUZZ, max_examples=150)
@given(markup=HTML, where=st.sampled_from(["post", "rss", "atom", "json"]))
def test_hostile_html_is_sanitized_in_every_format(markup: str, where: str) -> None:
    raw = html_in_every_format(markup, where)
    if where == "post":
        check_post(raw)
    else:
        check_body(raw)


# ---- the audit's own inputs, small enough to run here (full size: make hostile) -----------------------

GOOD_ITEM = {"id": "good", "title": "好消息", "url": "https://news.example.com/good"}


def json_feed(*items: dict[str, Any]) -> Document:
    return json_document([GOOD_ITEM, *items])


AUDIT_POSTS = {
    "300-letter category": post_bytes(
        {"title": "t", "date": "2022-01-24 22:56:53 +0800", "categories": "a" * 300}, "x", False, False
    ),
    "alias bomb 9x5": bomb_post((9, 5), "title", ""),
    "javascript: link": post_bytes(
        {"title": "t", "date": "2022-01-24 22:56:53 +0800", "link": "javascript:alert(1)"}, "x", False, False
    ),
    "data: link": post_bytes(
        {
            "title": "t",
            "date": "2022-01-24 22:56:53 +0800",
            "link": "'data:text/html,<script>alert(1)</script>'",
        },
        "x",
        False,
        False,
    ),
    "lone surrogate in the title": post_bytes(
        {"title": '"\\ud800 t"', "date": "2022-01-24 22:56:53 +0800"}, "x", False, False
    ),
    "year-1 date": post_bytes({"title": "t", "date": "0001-01-01 00:00:00 +0800"}, "x", False, False),
}
AUDIT_FEEDS = {
    "year-1 date (JSON Feed)": json_feed(
        {"id": "old", "title": "t", "date_published": "0001-01-01T00:00:00+08:00"}
    ),
    "year-1 date (RSS)": rss_document([{"title": "t", "published": "Mon, 01 Jan 0001 00:00:00 +0800"}]),
    "year 9999 east of UTC (Atom)": atom_document([{"title": "t", "published": "9999-12-31T23:59:59-14:00"}]),
    "lone surrogate (JSON Feed)": json_feed({"id": "s", "title": "\ud800"}),
    "lone surrogate (RSS)": rss_document([{"title": "\ud800"}, {"title": "ok"}]),
    "300-letter category (RSS)": rss_document([{"title": "t", "categories": ["a" * 300]}]),
    "javascript: link (Atom)": atom_document([{"title": "t", "link": "javascript:alert(1)"}]),
}


@pytest.mark.parametrize("name", list(AUDIT_POSTS))
def test_audit_post(name: str) -> None:
    result = check_post(AUDIT_POSTS[name])
    if result.entry is not None:
        assert (
            front_matter_length(result.entry) <= AMPLIFICATION * len(AUDIT_POSTS[name]) + AMPLIFICATION_SLACK
        )


@pytest.mark.parametrize("name", list(AUDIT_FEEDS))
def test_audit_feed(name: str) -> None:
    check_document(AUDIT_FEEDS[name])


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_audit_feed_without_bom(codec: str) -> None:
    document = rss_document([{"title": "证券时报", "link": "https://news.example.com/a"}])
    assert outcome(document.text.encode(codec)) == outcome(document.text.encode("utf-8"))
    assert outcome(document.text.encode("utf-8")) != "FeedParseError"


# ---- (e) rules rewriting with any markup ---------------------------------------------------------------


def hostile_rules(injected: str, title: str) -> rules.RuleSet:
    """Rules an operator could write that put arbitrary markup into content, title and link, and cut
    elements out of whatever the post brought."""
    return rules.compile_rules(
        [
            {"name": "cut", "remove": "p.em_media, a[href*='withounder'], div > span, p:has(> img)"},
            {
                "name": "inject",
                "replace": [
                    {"field": "content", "pattern": "(?s)<p>|$", "with": injected},
                    {"field": "title", "pattern": "^.*$", "with": title},
                    {"field": "link", "pattern": "^.*$", "with": injected},
                    {"field": "author", "pattern": "^", "with": title},
                ],
            },
            {"name": "tracking", "strip_params": ["utm_*", "x*", "?"]},
        ]
    )


def encodable(text: str) -> bool:
    """What a config can hold (the config refuses lone surrogates in rules)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@settings(FUZZ, max_examples=80)
@given(
    raw=POSTS,
    injected=st.one_of(RAW_MARKUP, HTML, st.sampled_from(BAD_URLS)).filter(encodable),
    title=st.one_of(RAW_MARKUP, st.just(""), st.text(ANY_CHAR, max_size=12)).filter(encodable),
)
def test_rules_rewriting_any_post_with_any_markup_publish_only_safe_html(
    raw: bytes, injected: str, title: str
) -> None:
    """Content a rule rewrote is sanitized again, titles stay plain text, links stay http(s): no rule
    can put script into a feed, whatever the post and whatever the replacement."""
    with tempfile.TemporaryDirectory(prefix="feeds-fuzz-") as tmp:
        Path(tmp, POST_NAME).write_bytes(raw)
        (post,) = list_posts(Path(tmp))
        context = PostContext("posts", ZONE, None, SITE.url, RESOLVER, T0, hostile_rules(injected, title))
        result = prepare_post(context, (post, None))
    if result.entry is not None:
        entry = result.entry
        assert entry.title  # an emptied title falls back to one derived from the content
        assert entry.link is None or entry.link.lower().startswith(("http://", "https://"))
        assert_published_safely([entry])


CUTTING_RULES = rules.compile_rules(
    [
        {"name": "cut", "remove": "p.em_media, a[href*='withounder'], div > span, p:has(> img), b, i, li"},
        {"name": "tracking", "strip_params": ["utm_*", "x*", "?", "*d*"]},
    ]
)


@settings(FUZZ, max_examples=80)
@given(raw=POSTS)
def test_rules_that_only_cut_and_strip_publish_only_safe_html(raw: bytes) -> None:
    """``remove`` and ``strip_params`` skip the second sanitizing pass (they only take away from
    sanitized markup): what they leave of any post must publish well-formed and safe all the same."""
    with tempfile.TemporaryDirectory(prefix="feeds-fuzz-") as tmp:
        Path(tmp, POST_NAME).write_bytes(raw)
        (post,) = list_posts(Path(tmp))
        context = PostContext("posts", ZONE, None, SITE.url, RESOLVER, T0, CUTTING_RULES)
        result = prepare_post(context, (post, None))
    if result.entry is not None:
        assert_published_safely([result.entry])
