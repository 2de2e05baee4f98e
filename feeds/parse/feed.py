"""Remote feed bodies → ``EntryData``: RSS 0.9x/1.0/2.0, Atom 0.3/1.0 and JSON Feed.

Three readers share one last step. ``_lxml_items`` is a fast path for well-formed RSS 2.0 and Atom
1.0 (about 3 ms for a 50-item feed against feedparser's 20-25 ms); it reads exactly what feedparser's
SAX mode would, quirks included (relative guids resolved, the guid standing in for a missing link,
first title wins), and steps aside (returns ``None``) on anything it does not mirror, so feedparser
reads every unusual or broken feed. ``_json_items`` reads JSON Feed. Each yields ``_RawItem`` values
and ``_entry`` alone turns those into ``EntryData`` (dates, ids, categories), so the paths cannot
drift apart there; ``_finish`` decides which items are kept, so no item is dropped silently: one with
only text gets an id derived from that text, and one with nothing at all, or one that fails to be
read for any reason (a hostile value nobody foresaw), is listed, by position and with the reason, in
``ParsedFeed.skipped``, and never fails its siblings. tests/test_parse_feed.py checks that both XML
paths agree on the fixtures and on generated feeds (hypothesis).

Bounded work: only the newest ``ParseContext.max_items`` items of a document (``fetch.max_items``)
are read. Each reader peeks at every item's date and reads only the items it keeps; feedparser,
the slowest step per item, is handed a document already cut to them (or, when it is not well-formed,
cut after the first ones in its bytes). Those left out are one line of ``skipped``.

Safety: bytes are decoded here (BOM → UTF-16/32 told by its NUL bytes → UTF-8 → declared charset →
GB18030), then handed to the parsers as UTF-8. A DOCTYPE with an internal subset is removed before
any parser sees it, so neither external entities (XXE) nor nested entity expansion (billion laughs)
can be declared; lxml additionally runs with ``resolve_entities=False, no_network=True,
huge_tree=False`` and feedparser's SAX parser with external entities off. Dates before 1970, past
what UTC holds, or over a day ahead never date an item (see ``_when``).
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import hashlib
import heapq
import html
import io
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz
from typing import Any, Generic, TypeVar
from urllib.parse import urljoin

import feedparser
from feedparser.datetimes import _parse_date as _feedparser_date
from lxml import etree

from feeds.errors import FeedsError
from feeds.model import EntryData, FeedMeta
from feeds.normalize import EARLIEST, ID_MAX, LINK_MAX, TITLE_MAX, absolute_url, capped, plain_text

FUTURE_TOLERANCE = timedelta(days=1)  # a later date is a wrong clock, not news from the future
T = TypeVar("T")
Item_co = TypeVar("Item_co", covariant=True)  # what a ParsedFeed's items are

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_XML_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE\b[^\[>]*\[(?:[^\]\"']|\"[^\"]*\"|'[^']*')*\]\s*>", re.IGNORECASE)
_HAS_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_HAS_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_ITEM_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]", re.IGNORECASE)
_SURROGATES = re.compile("[\ud800-\udfff]")
_CHARACTER_REFERENCE = re.compile(rb"&#(?:[xX]([0-9A-Fa-f]+)|([0-9]+));")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_PLAIN_ABSOLUTE = re.compile(r"^https?://[^/?#;\s\\]+(?:/[^?#;\s\\]*)?(?:\?[^#;\s\\]+)?(?:#[^;\s\\]+)?$")
_C1_CONTROLS = re.compile("[\x80-\x9f]")
_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")
_URI_FIXER = re.compile(r"^([A-Za-z][A-Za-z0-9+-.]*://)(/*)(.*?)")
_EMAIL = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)  # feedparser's own pattern, so both paths split "address (name)" alike
_LINK_ENTITY = re.compile(r"&([A-Za-z0-9_]+);")
_NUMERIC_DATE = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:(?:T|\s+)(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:[.,](\d{1,9}))?秒?)?)?"
    r"\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$",
    re.IGNORECASE,
)
_ENDS_WITH_CLOCK = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?\s*$")
_GB_FAMILY = {"gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "euc-cn", "csgb2312", "windows-936"}
# feedparser maps C1 control characters to what Windows-1252 meant by those bytes; so do we.
_CP1252 = {
    c: bytes([c]).decode("cp1252") for c in range(0x80, 0xA0) if c not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_TYPE_NAMES = {
    "text": "text/plain",
    "plain": "text/plain",
    "html": "text/html",
    "xhtml": "application/xhtml+xml",
}
_FAST_RSS_VERSIONS = {"2.0", "0.92", "0.91"}

_LXML_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    huge_tree=False,
    load_dtd=False,
    remove_comments=True,
    remove_pis=True,
    recover=False,
)


class FeedParseError(FeedsError):
    """A body that is not a usable feed (not XML/JSON, unknown format, refused markup)."""

    def __init__(self, location: str, reason: str) -> None:
        self.location = location
        self.reason = reason
        super().__init__(f"{location}: {reason}")


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What the parser needs besides the bytes: who fetched it, from where, when, and the defaults."""

    source: str  # config name
    url: str  # final URL of the body: base for relative links
    fetched_at: datetime  # aware; stands in for missing or far-future dates
    timezone: tzinfo  # for dates without a zone: the source's, else the site's
    category: str | None = None  # the source's configured category overrides the items'
    max_items: int = 1000  # fetch.max_items: only the newest this many items of a document are read


@dataclass(frozen=True, slots=True)
class ParsedFeed(Generic[Item_co]):
    """One parsed body: its items, the ones it could not use (and why), and what it said about polling.

    ``parse_feed`` gives ``EntryData`` items; the pipeline's parse step hands the fetcher the same
    parse carrying the normalized entries instead (``with_items``), which the fetch result then
    carries to the store: whatever the items are, they are made once and cross a process once.
    """

    items: tuple[Item_co, ...]
    # One reason per unusable item, naming it by position ("item 3: empty (...)"), and one line for
    # all the items over max_items.
    skipped: tuple[str, ...]
    ttl: int | None  # RSS <ttl>, minutes
    warning: str | None  # the feed was malformed but still yielded items
    parser: str  # "lxml", "feedparser" or "json": which path read it
    found: int  # usable items the feed carried (the fetch log's count, whatever became of them)
    meta: FeedMeta | None = None  # what the feed says of itself (id, title, home page, updated)

    def with_items(self, items: tuple[T, ...]) -> ParsedFeed[T]:
        """The same parse carrying other items: what became of these (normalized entries), or none."""
        return ParsedFeed(items, self.skipped, self.ttl, self.warning, self.parser, self.found, self.meta)


@dataclass(frozen=True, slots=True)
class _RawItem:
    """One item as a reader found it, before dates and ids are worked out (shared by every path)."""

    guid: str | None = None
    link: str | None = None
    title: str | None = None
    content: str | None = None  # HTML: the full-content element (content:encoded, atom:content)
    summary: str | None = None  # HTML: description / summary
    author: str | None = None
    published: str | None = None  # raw date strings
    updated: str | None = None
    terms: tuple[str, ...] = ()
    base: str | None = None
    unusable: str | None = None  # why the reader could not read it at all (a JSON item that is no object)


@dataclass(frozen=True, slots=True)
class _RawFeed:
    items: tuple[_RawItem, ...]
    ttl: int | None = None
    warning: str | None = None
    positions: tuple[int, ...] = ()  # each item's place in the document (from 1), when some were left out
    dropped: int = 0  # items left out over ``max_items``
    meta: _RawMeta | None = None


@dataclass(frozen=True, slots=True)
class _RawMeta:
    """What a feed says of itself, as found (``_feed_meta`` cleans it)."""

    id: str | None = None
    title: str | None = None
    link: str | None = None
    updated: str | None = None  # a raw date


class _Unusual(Exception):
    """The fast path met something feedparser handles differently; let feedparser read the feed."""


# ---- entry point -------------------------------------------------------------------------------


def parse_feed(
    body: bytes, ctx: ParseContext, *, content_type: str | None = None, fast: bool = True
) -> ParsedFeed[EntryData]:
    """Parse one fetched body; ``fast=False`` forces feedparser (tests compare the two paths)."""
    text = decode_body(body, http_charset(content_type))
    if text.lstrip()[:1] == "{":
        return _finish(_json_items(text, ctx), ctx, "json")
    document = _defused(_valid_references(_utf8_document(text)), ctx.url)
    root = _lxml_root(document, ctx.url)
    raw = _lxml_items(root, ctx) if fast and root is not None else None
    if raw is not None:
        return _finish(raw, ctx, "lxml")
    return _finish(_feedparser_items(document, root, ctx), ctx, "feedparser")


def _finish(raw: _RawFeed, ctx: ParseContext, parser: str) -> ParsedFeed[EntryData]:
    """Every reader ends here, so all of them keep the same items and word the same skip reasons.

    An item that cannot become an entry, whatever the reason, is skipped with that reason and never
    costs its siblings; items over ``max_items`` are one reason line, not one each (bounded memory).
    """
    raw = _within_max_items(raw, ctx)
    kept: list[EntryData] = []
    skipped: list[str] = []
    for position, item in zip(raw.positions or itertools.count(1), raw.items, strict=False):
        entry = _kept(item, ctx)
        if isinstance(entry, EntryData):
            kept.append(entry)
        else:
            skipped.append(f"item {position}: {entry}")
    if raw.dropped:
        skipped.append(
            f"{raw.dropped} items left out: over fetch.max_items ({ctx.max_items}), the newest kept"
        )
    meta = _feed_meta(raw.meta or _RawMeta(), ctx)
    return ParsedFeed(tuple(kept), tuple(skipped), raw.ttl, raw.warning, parser, len(kept), meta)


def _feed_meta(raw: _RawMeta, ctx: ParseContext) -> FeedMeta:
    """The feed's own id (else its URL), title (plain text), home page (an absolute http(s) URL) and
    updated date (a usable one, in UTC), each bounded like an item's, or None."""
    title = capped(plain_text((raw.title or "")[: TITLE_MAX * 4])) or None
    link = absolute_url(raw.link, ctx.url) if raw.link and len(raw.link) <= LINK_MAX else None
    if link is not None and not link.lower().startswith(("http://", "https://")):
        link = None
    feed_id = (raw.id or "").strip() or ctx.url
    updated = parse_date(raw.updated, ctx.timezone)
    usable = updated is not None and _when(updated, ctx) == _USABLE
    return FeedMeta(
        id=feed_id if len(feed_id) <= ID_MAX else None,
        title=title,
        link=link,
        updated=updated.astimezone(UTC).replace(microsecond=0) if usable and updated else None,
    )


def _kept(item: _RawItem, ctx: ParseContext) -> EntryData | str:
    """The item's entry, or why it has none: an item no one foresaw must not fail its whole feed."""
    reason = _why_unusable(item)
    if reason is not None:
        return reason
    try:
        return _entry(item, ctx)
    except Exception as exc:
        return f"unreadable ({_error_text(exc)})"


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {_one_line(error)}"


# ---- fetch.max_items: the newest items, chosen before they are read --------------------------------


def _pick(
    things: Sequence[T],
    date_of: Callable[[T], str | None],
    read: Callable[[T], _RawItem],
    ctx: ParseContext,
    ttl: int | None = None,
) -> _RawFeed:
    """``read`` the newest ``max_items`` of a document's items, and only those: the dates are peeked
    at first, so a document of 400,000 items costs a date each, not an entry each."""
    if len(things) <= ctx.max_items:
        return _RawFeed(tuple(read(thing) for thing in things), ttl=ttl)
    chosen = _newest([date_of(thing) for thing in things], ctx)
    return _RawFeed(
        tuple(read(things[index]) for index in chosen),
        ttl=ttl,
        positions=tuple(index + 1 for index in chosen),
        dropped=len(things) - len(chosen),
    )


def _newest(dates: Sequence[str | None], ctx: ParseContext) -> list[int]:
    """Indexes, in document order, of the newest ``max_items`` items by their own dates.

    Undated items rank after dated ones, in document order (feeds list their newest first), so a
    feed without dates keeps its first items; equal dates keep the earlier item.
    """
    ranks = [_rank(raw, ctx) for raw in dates]
    return sorted(heapq.nsmallest(ctx.max_items, range(len(ranks)), key=ranks.__getitem__))


def _rank(raw: str | None, ctx: ParseContext) -> float:
    """Newer sorts first; no usable date sorts last. ISO 8601 dates (JSON Feed, Atom) are read by
    ``fromisoformat`` first, a tenth of ``parse_date``'s time, since every item of a huge document
    is ranked."""
    moment = _iso_date(raw, ctx.timezone) or parse_date(raw, ctx.timezone)
    if moment is None or _when(moment, ctx) != _USABLE:
        return math.inf
    return -moment.timestamp()


def _iso_date(raw: str | None, default_tz: tzinfo) -> datetime | None:
    if not raw or not raw[:1].isdigit() or len(raw) > _DATE_MAX:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=default_tz)


def _within_max_items(raw: _RawFeed, ctx: ParseContext) -> _RawFeed:
    """The last guard: a reader that could not cut early (feedparser found more items than counted)."""
    if len(raw.items) <= ctx.max_items:
        return raw
    chosen = _newest([item.published or item.updated for item in raw.items], ctx)
    positions = raw.positions or tuple(range(1, len(raw.items) + 1))
    return replace(
        raw,
        items=tuple(raw.items[index] for index in chosen),
        positions=tuple(positions[index] for index in chosen),
        dropped=raw.dropped + len(raw.items) - len(chosen),
    )


# ---- bytes → text --------------------------------------------------------------------------------


def http_charset(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, if any."""
    match = _CHARSET.search(content_type or "")
    return match.group(1).lower() if match else None


def decode_body(body: bytes, declared: str | None = None) -> str:
    """Decode a feed whatever its label says: BOM, then UTF-16/32 by its NULs, then valid UTF-8, then
    the declared charset, then GB18030.

    A UTF-16 or UTF-32 body without a BOM starts with ``<`` or ``{`` padded with NUL bytes (XML 1.0
    Appendix F), which would pass as valid UTF-8, so those bytes are looked at first, and a UTF-16/32
    label on bytes without them is wrong. Valid UTF-8 wins over a declaration because non-ASCII text
    in another encoding is almost never valid UTF-8, while servers and templates mislabel UTF-8 all
    the time; GB2312/GBK labels are read as GB18030 (their superset), and GB18030 is the last try
    because this aggregator reads Chinese news, where a GBK body labelled UTF-8 is the usual mistake.
    """
    codec = _bom_codec(body) or _wide_codec(body)
    if codec is not None:
        return body.decode(codec, errors="replace")
    label = _codec(declared or _xml_declared_encoding(body))
    if label and label.startswith(("utf-16", "utf-32")):
        label = None
    order = ["utf-8", *([label] if label else []), "gb18030"]
    for codec in order:
        try:
            return body.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode(label or "utf-8", errors="replace")


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# Which of the first four bytes are NUL → the encoding: "<?", "<r", "{" or a space in UTF-16/32
# without a BOM (00 00 00 3C is UTF-32BE, 3C 00 3F 00 is UTF-16LE, ...).
_WIDE: dict[tuple[bool, ...], str] = {
    (True, True, True, False): "utf-32-be",
    (False, True, True, True): "utf-32-le",
    (True, False, True, False): "utf-16-be",
    (False, True, False, True): "utf-16-le",
}


def _bom_codec(body: bytes) -> str | None:
    return next((codec for bom, codec in _BOMS if body.startswith(bom)), None)


def _wide_codec(body: bytes) -> str | None:
    """UTF-16/32 without a BOM, told by where the NULs of an ASCII first character fall."""
    return _WIDE.get(tuple(byte == 0 for byte in body[:4])) if len(body) >= 4 else None


def _xml_declared_encoding(body: bytes) -> str | None:
    match = _XML_DECL_ENCODING.match(body[:256])
    return match.group(1).decode("ascii").lower() if match else None


def _codec(label: str | None) -> str | None:
    """A Python codec name for a charset label; GB2312/GBK become GB18030."""
    if not label:
        return None
    name = label.strip().lower()
    if name in _GB_FAMILY:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _utf8_document(text: str) -> bytes:
    """The text as UTF-8 bytes whose XML declaration says UTF-8, so no parser re-guesses the charset."""
    stripped = _XML_DECL.sub("", text.lstrip("\ufeff"), count=1).lstrip()
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + stripped.encode("utf-8")


def _valid_references(document: bytes) -> bytes:
    """Numeric character references to no character (a lone surrogate, past U+10FFFF) as U+FFFD:
    for one such reference lxml refuses the whole document and feedparser's loose parser raises."""
    if b"&#" not in document:
        return document
    return _CHARACTER_REFERENCE.sub(_valid_reference, document)


def _valid_reference(match: re.Match[bytes]) -> bytes:
    hexadecimal, decimal = match.groups()
    digits = (hexadecimal or decimal).lstrip(b"0")
    code = int(digits or b"0", 16 if hexadecimal else 10) if len(digits) <= 8 else -1
    return match.group(0) if 0 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else b"&#xFFFD;"


def _defused(document: bytes, location: str) -> bytes:
    """Remove a DOCTYPE with an internal subset (where entities are declared) from the prolog.

    Any ``<!ENTITY`` still left in the prolog (a subset we could not delimit) refuses the document;
    the same text inside the content (an article about XML, in CDATA) is just text.
    """
    root = _ROOT_START.search(document)
    prolog_end = root.start() if root else len(document)
    if not _HAS_DOCTYPE.search(document, 0, prolog_end):
        return document
    document = _DOCTYPE_SUBSET.sub(b"", document[:prolog_end], count=1) + document[prolog_end:]
    root = _ROOT_START.search(document)
    if _HAS_ENTITY.search(document, 0, root.start() if root else len(document)):
        raise FeedParseError(location, "document declares XML entities; refused")
    return document


# ---- fast path: lxml ------------------------------------------------------------------------------


def _lxml_root(document: bytes, url: str) -> Any | None:
    """The document's tree, or ``None`` when feedparser alone may read it (a DOCTYPE, not well-formed)."""
    if _HAS_DOCTYPE.search(document, 0, 4096):
        return None
    try:
        return etree.fromstring(document, _LXML_PARSER, base_url=url)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _lxml_items(root: Any, ctx: ParseContext) -> _RawFeed | None:
    """Read well-formed RSS 2.0 / Atom 1.0 from its tree, or ``None`` to let feedparser do it: also
    when the fast path meets anything it did not foresee, since feedparser reads every feed."""
    try:
        if root.tag == "rss" and root.get("version", "").strip() in _FAST_RSS_VERSIONS:
            return _rss_feed(root, ctx)
        if root.tag == f"{_ATOM}feed":
            raw = _pick(list(root.iterchildren(f"{_ATOM}entry")), _element_date, _atom_item, ctx)
            return replace(raw, meta=_atom_meta(root))
    except Exception:
        return None
    return None


def _atom_meta(root: Any) -> _RawMeta:
    links = [_atom_link(link) for link in root.iterchildren(f"{_ATOM}link")]
    title = root.find(f"{_ATOM}title")
    return _RawMeta(
        id=_fp_text(root.findtext(f"{_ATOM}id")),
        title=_leaf_text(title) if title is not None else None,
        link=next((link for link in links if link), None),
        updated=_fp_text(root.findtext(f"{_ATOM}updated")),
    )


def _rss_feed(root: Any, ctx: ParseContext) -> _RawFeed:
    channel = root.find("channel")
    if channel is None:
        raise _Unusual("no channel")
    items = channel.findall("item")
    if len(items) != sum(1 for _ in root.iter("item")):
        raise _Unusual("items outside the channel")
    raw = _pick(items, _element_date, _rss_item, ctx, ttl=_ttl(_fp_text(channel.findtext("ttl"))))
    meta = _RawMeta(
        title=_fp_text(channel.findtext("title")),
        link=_fp_text(channel.findtext("link")),
        updated=_fp_text(channel.findtext("lastBuildDate")) or _fp_text(channel.findtext("pubDate")),
    )
    return replace(raw, meta=meta)


def _element_date(element: Any) -> str | None:
    """An item element's own date as written (published, else updated), without reading the item."""
    updated = None
    for child in element:
        tag = child.tag
        if tag in _PUBLISHED_TAGS:
            return str(child.text or "") or None
        if tag in _UPDATED_TAGS and updated is None:
            updated = str(child.text or "") or None
    return updated


def _item_elements(root: Any) -> list[Any]:
    """A feed tree's items in document order: children of the root (Atom, RSS 1.0) or of its channel."""
    found = []
    for child in root:
        name = _local_name(child)
        if name in _ITEM_NAMES:
            found.append(child)
        elif name == "channel":
            found.extend(item for item in child if _local_name(item) in _ITEM_NAMES)
    return found


def _local_name(element: Any) -> str:
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


_ATOM03 = "{http://purl.org/atom/ns#}"
_PUBLISHED_TAGS = frozenset(
    {"pubDate", f"{_DCTERMS}issued", f"{_DCTERMS}created", f"{_ATOM}published", f"{_ATOM03}issued"}
)
_UPDATED_TAGS = frozenset({f"{_DC}date", f"{_DCTERMS}modified", f"{_ATOM}updated", f"{_ATOM03}modified"})
_ITEM_NAMES = frozenset({"item", "entry"})


def _rss_item(item: Any) -> _RawItem:
    """One RSS item, mirroring feedparser: first non-empty title wins, later duplicates overwrite."""
    fields: dict[str, str] = {}
    authors: list[str] = []
    terms: list[str] = []
    bases: dict[str, str | None] = {}
    guid_is_link = False
    for child in item:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if tag in _FOLDED_BY_FEEDPARSER or tag.startswith(_ATOM):
            raise _Unusual(tag)  # feedparser folds these into the item in its own way
        name = _RSS_FIELDS.get(tag)
        if name is None:
            continue
        value = _leaf_text(child)
        if name == "title":
            if "title" not in fields:
                bases["title"] = child.base
                if value:
                    fields["title"] = value
        elif name == "guid":
            guid_is_link = _attribute(child, "ispermalink", "true") == "true"
            fields["guid"] = _join(child.base, value) if guid_is_link and value else value
            if guid_is_link:
                fields.setdefault("link", fields["guid"])
        elif name == "link":
            fields["link"] = _fix_link_text(_join(child.base, value) if value else value)
        elif name == "author":
            authors.append(value)  # empty ones too: feedparser's bookkeeping counts them
        elif name == "term":
            if value:
                terms.append(value)
        elif name in ("summary", "content") and name in fields:
            raise _Unusual(f"second {tag}")
        else:
            fields[name] = value
            bases[name] = child.base
    return _RawItem(
        guid=fields.get("guid"),
        link=fields.get("link"),
        title=fields.get("title"),
        content=fields.get("content"),
        summary=fields.get("summary"),
        author=_rss_author(authors),
        published=fields.get("published"),
        updated=fields.get("updated"),
        terms=tuple(terms),
        base=bases.get("content") or bases.get("summary") or bases.get("title"),
    )


_FOLDED_BY_FEEDPARSER = frozenset({"source", f"{_DC}title", f"{_DCTERMS}title"})
_RSS_FIELDS = {
    "title": "title",
    "link": "link",
    "guid": "guid",
    "description": "summary",
    f"{_CONTENT}encoded": "content",
    "author": "author",
    f"{_DC}creator": "author",
    "category": "term",
    f"{_DC}subject": "term",
    "pubDate": "published",
    f"{_DCTERMS}issued": "published",
    f"{_DC}date": "updated",
    f"{_DCTERMS}modified": "updated",
}


def _rss_author(authors: list[str]) -> str | None:
    """The name in ``news@example.com (编辑部)``, else the address, as feedparser splits it.

    feedparser's bookkeeping for several author elements in one item is stateful; leave those to it.
    """
    if len(authors) > 1:
        raise _Unusual("several authors")
    if not authors or not authors[0]:
        return None
    text = authors[0]
    match = _EMAIL.search(text)
    if not match:
        return text
    name = text.replace(match.group(0), "")
    for wrapper in ("()", "<>", "&lt;&gt;"):
        name = name.replace(wrapper, "")
    name = name.strip()
    name = name.removeprefix("(").removesuffix(")").strip()
    return name or match.group(0)


def _atom_item(entry: Any) -> _RawItem:
    """One Atom 1.0 entry, mirroring feedparser (last alternate link wins; the id stands in for a link)."""
    fields: dict[str, str] = {}
    bases: dict[str, str | None] = {}
    author: str | None = None
    terms: list[str] = []
    for child in entry:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(_ATOM):
            continue
        local = tag[len(_ATOM) :]
        if local == "title":
            value = _atom_text(child, html_escape=False)
            if "title" not in fields:
                bases["title"] = child.base
                if value:
                    fields["title"] = value
        elif local == "link":
            href = _atom_link(child)
            if href is not None:
                fields["link"] = href
        elif local == "id":
            value = _leaf_text(child)
            fields["guid"] = _join(child.base, value) if value else value
            fields.setdefault("link", fields["guid"])
        elif local in ("content", "summary"):
            if local in fields:
                raise _Unusual(f"second {local}")
            fields[local] = _atom_text(child, html_escape=True)
            bases[local] = child.base
        elif local in ("published", "updated"):
            fields[local] = _leaf_text(child)
        elif local == "author" and author is None:
            author = _atom_author(child)
        elif local == "category":
            term = child.get("term") or _leaf_text(child) or child.get("label")
            if term:
                terms.append(term)
    return _RawItem(
        guid=fields.get("guid"),
        link=fields.get("link"),
        title=fields.get("title"),
        content=fields.get("content"),
        summary=fields.get("summary"),
        author=author,
        published=fields.get("published"),
        updated=fields.get("updated"),
        terms=tuple(terms),
        base=bases.get("content") or bases.get("summary") or bases.get("title"),
    )


def _atom_text(element: Any, html_escape: bool) -> str:
    """An Atom text construct as HTML (``html_escape``) or as given; xhtml/out-of-line content steps aside."""
    kind = _content_type(element.get("type", "text"))
    if element.get("src") is not None or kind not in ("text/plain", "text/html"):
        raise _Unusual(f"atom content type {kind}")
    value = _leaf_text(element)
    return html.escape(value, quote=False) if html_escape and kind == "text/plain" else value


def _atom_link(element: Any) -> str | None:
    rel = element.get("rel", "alternate")
    kind = element.get("type", "application/atom+xml" if rel == "self" else "text/html")
    href = element.get("href")
    if href is None:
        raise _Unusual("link without href")
    if rel == "alternate" and _content_type(kind) in _HTML_TYPES:
        return _join(element.base, href)
    return None


def _atom_author(element: Any) -> str | None:
    name = email = None
    for child in element:
        if child.tag in (f"{_ATOM}name", f"{_ATOM}email"):
            if len(child):
                raise _Unusual("markup in an author")
            value = (child.text or "").strip()  # feedparser leaves these raw: no mojibake repair
            name, email = (value, email) if child.tag == f"{_ATOM}name" else (name, value)
    return name or email or None


def _leaf_text(element: Any) -> str:
    """An element's text as feedparser's ``pop`` leaves it; child elements mean markup we don't mirror."""
    if len(element):
        raise _Unusual(f"markup inside {element.tag}")
    return _fp_text(element.text)


def _fp_text(value: str | None) -> str:
    """Strip, undo UTF-8-read-as-Latin-1 mojibake, map C1 controls via Windows-1252 (as feedparser does)."""
    text = (value or "").strip()
    if text.isascii():
        return text
    if not _BEYOND_LATIN1.search(text):  # only then can it be UTF-8 bytes read as Latin-1
        with contextlib.suppress(UnicodeDecodeError):
            text = text.encode("iso-8859-1").decode("utf-8")
    return text.translate(_CP1252) if _C1_CONTROLS.search(text) else text


def _fix_link_text(link: str) -> str:
    """feedparser's repair of ``&amp;`` and ``&name;`` left in RSS link text."""
    return _LINK_ENTITY.sub(r"&\g<1>", link.replace("&amp;", "&"))


def _attribute(element: Any, name: str, default: str) -> str:
    """An attribute by case-insensitive name (feedparser lower-cases attribute names)."""
    for key, value in element.attrib.items():
        if str(key).lower() == name:
            return str(value)
    return default


def _content_type(kind: str) -> str:
    name = kind.strip().lower()
    return _TYPE_NAMES.get(name, name)


def _join(base: str | None, uri: str) -> str:
    """feedparser's ``_urljoin``: collapse ``scheme:///`` then join against the base.

    A plain absolute http(s) URL is its own answer (``urljoin`` would split and rejoin it unchanged);
    skipping that work halves the fast path's time on typical feeds.
    """
    if _PLAIN_ABSOLUTE.match(uri):
        return uri
    uri = _URI_FIXER.sub(r"\1\3", uri)
    try:
        return urljoin(base or "", uri)
    except ValueError:
        return ""


def _ttl(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


# ---- fallback: feedparser -------------------------------------------------------------------------


def _feedparser_items(document: bytes, root: Any | None, ctx: ParseContext) -> _RawFeed:
    """Read anything feedparser knows (RSS 0.9x/1.0, Atom 0.3, broken XML via its loose parser)."""
    url = ctx.url
    document, positions, dropped = _within_limit(document, root, ctx)
    try:
        result = feedparser.parse(
            io.BytesIO(document),
            sanitize_html=False,  # normalize sanitizes; here the HTML stays as the feed gave it
            resolve_relative_uris=False,
            response_headers={"content-type": "application/xml; charset=utf-8", "content-location": url},
        )
    except Exception as exc:  # feedparser reports what it can as "bozo"; anything else is no feed
        raise FeedParseError(url, f"not a feed: {_error_text(exc)}") from None
    warning = _one_line(result.get("bozo_exception")) if result.get("bozo") else None
    if not result.get("version") and not result.get("entries"):
        raise FeedParseError(url, f"not a feed: {warning or 'unknown format'}")
    feed = result.get("feed", {})
    items = tuple(_read_feedparser_entry(entry, url) for entry in result.get("entries", []))
    positions = positions if len(positions) == len(items) else ()
    meta = _RawMeta(
        id=_json_str(feed.get("id")),
        title=_json_str(feed.get("title")),
        link=_json_str(feed.get("link")),
        updated=_json_str(feed.get("updated")),
    )
    return _RawFeed(
        items, ttl=_ttl(feed.get("ttl")), warning=warning, positions=positions, dropped=dropped, meta=meta
    )


def _within_limit(document: bytes, root: Any | None, ctx: ParseContext) -> tuple[bytes, tuple[int, ...], int]:
    """The document for feedparser with at most ``max_items`` items, its items' positions, and how
    many it lost. feedparser costs more per item than all the rest, so the cut comes before it:
    the newest items of a tree, else (not well-formed) the first ones in the bytes."""
    if not _more_items_than(document, ctx.max_items):
        return document, (), 0
    if root is None:
        return _truncated(document, ctx.max_items)
    elements = _item_elements(root)
    if len(elements) <= ctx.max_items:
        return document, (), 0
    chosen = _newest([_element_date(element) for element in elements], ctx)
    keep = set(chosen)
    for index, element in enumerate(elements):
        if index not in keep:
            element.getparent().remove(element)
    reduced = etree.tostring(root.getroottree(), encoding="utf-8", xml_declaration=True)
    return reduced, tuple(index + 1 for index in chosen), len(elements) - len(chosen)


def _more_items_than(document: bytes, limit: int) -> bool:
    return next(itertools.islice(_ITEM_START.finditer(document), limit, None), None) is not None


def _truncated(document: bytes, limit: int) -> tuple[bytes, tuple[int, ...], int]:
    """The bytes before the item after the ``limit``-th: feedparser's loose parser reads the rest."""
    starts = _ITEM_START.finditer(document)
    cut = next(itertools.islice(starts, limit, None))
    return document[: cut.start()], (), 1 + sum(1 for _ in starts)


def _read_feedparser_entry(entry: dict[str, Any], url: str) -> _RawItem:
    try:
        return _from_feedparser(entry, url)
    except Exception as exc:
        return _RawItem(unusable=f"unreadable ({_error_text(exc)})")


def _from_feedparser(entry: dict[str, Any], url: str) -> _RawItem:
    contents = entry.get("content") or []
    content = contents[0] if contents else None
    summary = entry.get("summary_detail")
    title = entry.get("title_detail")
    authors = entry.get("authors") or []
    first_author = authors[0] if authors else {}
    tags: list[Mapping[str, Any]] = entry.get("tags") or []
    terms = (tag.get("term") or tag.get("label") for tag in tags)
    return _RawItem(
        guid=entry.get("id"),
        link=entry.get("link"),
        title=title.get("value") if title else entry.get("title"),
        content=_detail_html(content),
        summary=_detail_html(summary),
        author=first_author.get("name") or first_author.get("email") or None,
        published=dict.get(entry, "published"),  # FeedParserDict would answer "updated" with "published"
        updated=dict.get(entry, "updated"),
        terms=tuple(term for term in terms if term),
        base=(content or summary or title or {}).get("base") or url,
    )


def _detail_html(detail: Mapping[str, Any] | None) -> str | None:
    if not detail:
        return None
    value = str(detail.get("value") or "")
    return html.escape(value, quote=False) if detail.get("type") == "text/plain" else value


def _one_line(error: object) -> str:
    return " ".join(str(error).split())[:300] or type(error).__name__


# ---- JSON Feed ------------------------------------------------------------------------------------


def _json_items(text: str, ctx: ParseContext) -> _RawFeed:
    """JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1)."""
    url = ctx.url
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: nesting deeper than the stack
        raise FeedParseError(url, f"invalid JSON: {_one_line(exc)}") from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise FeedParseError(url, "not a JSON Feed (no jsonfeed.org version)")
    items = data.get("items")
    if not isinstance(items, list):
        raise FeedParseError(url, "JSON Feed without an items list")
    raw = _pick(items, _json_date, functools.partial(_read_json_item, url=url), ctx)
    meta = _RawMeta(
        id=_json_str(data.get("feed_url")),
        title=_json_str(data.get("title")),
        link=_json_str(data.get("home_page_url")),
    )
    return replace(raw, meta=meta)


def _json_date(item: object) -> str | None:
    if not isinstance(item, dict):
        return None
    return _json_str(item.get("date_published")) or _json_str(item.get("date_modified"))


def _read_json_item(item: object, url: str) -> _RawItem:
    try:
        return _json_item(item, url)
    except Exception as exc:
        return _RawItem(unusable=f"unreadable ({_error_text(exc)})")


def _json_item(item: object, url: str) -> _RawItem:
    if not isinstance(item, dict):
        return _RawItem(unusable="not a JSON object")
    link = _json_str(item.get("url")) or _json_str(item.get("external_url"))
    content = _json_str(item.get("content_html"))
    text = _json_str(item.get("content_text"))
    summary = _json_str(item.get("summary"))
    if content is None and text is not None:
        content = html.escape(text, quote=False)
    authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
    author = next((_json_str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")), None)
    raw_tags = item.get("tags")
    tags: list[object] = raw_tags if isinstance(raw_tags, list) else []
    return _RawItem(
        guid=_json_str(item.get("id")),
        link=_join(url, link) if link else None,
        title=_json_str(item.get("title")),
        content=content,
        summary=summary,
        author=author,
        published=_json_str(item.get("date_published")),
        updated=_json_str(item.get("date_modified")),
        terms=tuple(term for term in (_json_str(tag, lone="") for tag in tags) if term),
        base=url,
    )


def _json_str(value: object, lone: str = "\ufffd") -> str | None:
    """A JSON value as text. JSON may spell lone UTF-16 surrogates (``\\ud800``), which no UTF-8
    encoder takes (hashing, lxml, SQLite), so they become ``lone`` here, where they come from:
    U+FFFD, or nothing in a tag, which names a category feed."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    if not text.isascii():
        text = _SURROGATES.sub(lone, text).strip()
    return text or None


# ---- raw item → EntryData -----------------------------------------------------------------------


def _why_unusable(raw: _RawItem) -> str | None:
    """Why an item cannot become an entry, or ``None``; any text is enough, so short news flashes
    with neither title, link nor id are kept rather than lost."""
    if raw.unusable:
        return raw.unusable
    if raw.guid or _usable_link(raw.link) or raw.title or _text(raw).strip():
        return None
    return "empty (no title, link, id or text)"


def _entry(raw: _RawItem, ctx: ParseContext) -> EntryData:
    """The one place dates, ids and categories are decided, whichever reader found the item."""
    guid, link, title = raw.guid or None, _usable_link(raw.link), raw.title or ""
    raw_date = raw.published or raw.updated or ""
    item_id = guid or link or title or _text_id(_text(raw), raw_date)
    published, updated, is_fetch_time = _dates(raw, ctx)
    terms = tuple(dict.fromkeys(raw.terms))
    return EntryData(
        source=ctx.source,
        item_id=item_id,
        title=title,
        content=_text(raw),
        link=link,
        guid=guid,
        summary=(raw.summary or None) if raw.content else None,  # else it is the content already
        author=raw.author or None,
        published=published,
        updated=updated,
        raw_date=raw_date,
        categories=(ctx.category,) if ctx.category else terms,
        tags=terms,
        base_url=raw.base or ctx.url,
        date_is_fetch_time=is_fetch_time,
    )


def _text(raw: _RawItem) -> str:
    """The item's HTML body: the full content, else the summary."""
    return raw.content or raw.summary or ""


def _text_id(text: str, raw_date: str) -> str:
    """An id for an item that brings none: derived from what it says and its date, so the same item
    gets the same id on every fetch (and is not stored again) until its text changes."""
    digest = hashlib.sha256(f"{text}\0{raw_date}".encode("utf-8", "surrogatepass")).hexdigest()
    return f"sha256:{digest[:32]}"


def _usable_link(link: str | None) -> str | None:
    """Only web links: feedparser offers an Atom ``urn:`` id as the link when there is no other."""
    if not link:
        return None
    return link if link[:8].lower().startswith(("http://", "https://")) else None


def _dates(raw: _RawItem, ctx: ParseContext) -> tuple[datetime, datetime | None, bool]:
    """(published, updated, published-is-fetch-time).

    Only a usable date dates an item (see ``_when``); published falls back to the item's updated
    date, then to the fetch time, recorded as such so that later fetches keep the first one. An
    updated date ahead of the clock is the fetch time: the item changed by then at the latest.
    """
    published = parse_date(raw.published, ctx.timezone)
    updated = parse_date(raw.updated, ctx.timezone)
    updated_is = _when(updated, ctx)
    if updated_is != _USABLE:
        updated = ctx.fetched_at if updated_is == _AHEAD else None
    if published is not None and _when(published, ctx) == _USABLE:
        return published, updated, False
    if updated is not None and updated_is == _USABLE:
        return updated, updated, False
    return ctx.fetched_at, updated, True


_USABLE, _AHEAD, _UNUSABLE = "usable", "ahead", "unusable"


def _when(moment: datetime | None, ctx: ParseContext) -> str:
    """Whether a date can date an item: a date before 1970 or past what UTC can hold is a
    placeholder or a typo (0001-01-01) that readers cannot even read back, and one over a day
    ahead is a wrong clock (``_AHEAD``)."""
    if moment is None:
        return _UNUSABLE
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return _UNUSABLE
    if utc < EARLIEST:
        return _UNUSABLE
    return _AHEAD if utc > ctx.fetched_at + FUTURE_TOLERANCE else _USABLE


def parse_date(raw: str | None, default_tz: tzinfo) -> datetime | None:
    """A feed date as an aware datetime in its own zone; a date without a zone is in ``default_tz``.

    RFC 3339 / ISO 8601 and ``2022-01-24 22:56:53 +0800``-style dates (also ``2022年01月24日 22:56``),
    RFC 822 with zone names, then whatever feedparser's date handlers read (taken as UTC).
    """
    text = (raw or "").strip()
    if not text or len(text) > _DATE_MAX:
        return None
    for reader in (_numeric_date, _rfc822_date, _other_date):
        try:
            found = reader(text, default_tz)
        except (ValueError, OverflowError):  # a year 0, a 30 February: no date
            found = None
        if found is not None:
            return found
    return None


_DATE_MAX = 100  # no date takes more characters; a longer text is not tried (bounded work)


def _other_date(text: str, default_tz: tzinfo) -> datetime | None:
    """Whatever feedparser's date handlers read, taken as UTC."""
    parsed = _feedparser_date(text)
    if parsed is None:
        return None
    return datetime(parsed[0], parsed[1], parsed[2], parsed[3], parsed[4], parsed[5], tzinfo=UTC)


def _numeric_date(text: str, default_tz: tzinfo) -> datetime | None:
    match = _NUMERIC_DATE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    clock = (int(hour or 0), int(minute or 0), int(second or 0), micro)
    return datetime(int(year), int(month), int(day), *clock, tzinfo=_zone(zone, default_tz))


def _zone(token: str | None, default_tz: tzinfo) -> tzinfo:
    if token is None:
        return default_tz
    if token.upper() in ("Z", "UTC", "GMT"):
        return UTC
    digits = token[1:].replace(":", "").ljust(4, "0")
    seconds = int(digits[:2]) * 3600 + int(digits[2:4]) * 60
    return _offset_zone(-seconds if token[0] == "-" else seconds)


def _rfc822_date(text: str, default_tz: tzinfo) -> datetime | None:
    common = _RFC822_COMMON.match(text)
    if common is not None:  # "Tue, 25 Jan 2022 00:00:00 +0800": nearly every feed, read directly
        day, month, year, hour, minute, second, zone = common.groups()
        moment = datetime(
            int(year), _MONTHS[month.lower()], int(day), int(hour), int(minute), int(second or 0)
        )
        return moment.replace(tzinfo=_offset_zone(0 if zone.isalpha() else _offset_seconds(zone)))
    parts = parsedate_tz(text)
    if parts is None:
        return None
    naive = datetime(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
    if _ENDS_WITH_CLOCK.search(text):  # parsedate_tz reads "no zone" as UTC; we read it as local
        return naive.replace(tzinfo=default_tz)
    return naive.replace(tzinfo=_offset_zone(parts[9] or 0))


_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_RFC822_COMMON = re.compile(
    rf"(?:[a-z]{{3}},\s*)?(\d{{1,2}}) ({'|'.join(_MONTH_NAMES)}) (\d{{4}}) "
    r"(\d{2}):(\d{2})(?::(\d{2}))? ([+-]\d{4}|GMT|UTC|UT|Z)\Z",
    re.IGNORECASE,
)


def _offset_seconds(zone: str) -> int:
    seconds = int(zone[1:3]) * 3600 + int(zone[3:5]) * 60
    return -seconds if zone[0] == "-" else seconds


@functools.lru_cache(maxsize=64)
def _offset_zone(seconds: int) -> tzinfo:
    """One tzinfo per UTC offset, shared: a feed's items nearly all carry the same one."""
    return timezone(timedelta(seconds=seconds))
