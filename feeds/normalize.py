"""EntryData (as a parser read it) → Entry (what the store keeps and the feeds show).

Here dates become UTC, HTML is sanitized (no script, event handlers, ``javascript:`` URLs or tracking
pixels) with every URL made absolute in the same pass, titles become plain text, categories become
safe slugs, and the news-item key is computed.

Whatever an item brings, what leaves here can be stored and emitted, and costs bounded work: every
text encodes as UTF-8 (lone surrogates, which JSON can spell, become U+FFFD), dates lie within
[EARLIEST, LATEST), titles, bodies, ids and label lists have a size cap, and any failure is the
item's ``ItemError``, which the pipeline records while the item's siblings go on.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import nh3

from feeds.dedup import find_info_code, news_item_key
from feeds.errors import ItemError
from feeds.model import Category, Entry, EntryData
from feeds.slugs import CategoryResolver, UnsafeCategory
from feeds.titles import title_key

# Stored dates lie in [EARLIEST, LATEST): an earlier one is a placeholder or a typo (0001-01-01) that
# RSS readers cannot read back (they want four-digit years), and LATEST is past any date a post may
# give (2200) yet far from year 9999, where adding the dedup window to a date overflows.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2300, 1, 1, tzinfo=UTC)
TITLE_MAX = 1024  # characters of a title or an author: more is a body pasted into the wrong field
CONTENT_MAX = 1 << 20  # characters of sanitized HTML (content, summary): lxml refuses 10 MB text nodes
ID_MAX = 2048  # characters of a guid or item id; a longer one is stood in for by its digest
LINK_MAX = 16384  # characters of a link; a longer one is dropped (no link beats a useless one)
# Tags and categories per item (each category is a feed of its own), and characters of a tag: as
# many as a post may have (parse/post.py refuses a post with more), so a post is never cut here.
LABELS_MAX = 100
LABEL_MAX = 200

_URL_ATTRIBUTES = frozenset({"href", "src", "cite", "poster", "longdesc", "action"})
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# Characters an XML feed cannot carry (C0 controls, surrogates, U+FFFE/F) or should not (C1 controls).
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# ... and what plain text (titles, authors, tags) should not carry either: the bidirectional
# embedding, override and isolate controls, which make a title read as something else (a reversed
# file name, a spoofed link) and leak their direction into the text a reader puts around it.
_PLAIN_UNSAFE = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_TITLE_SOURCE_MAX = 64 * TITLE_MAX  # markup read for a title or an author (bounded work)
_REFERENCE_MAX = 40  # characters of the longest character reference (&CounterClockwiseContourIntegral;)
_ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"video", "audio", "source", "picture", "section"}
# ``class`` is kept (it cannot carry script) so that rules can select site chrome by it (``p.em_media``).
_ALLOWED_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "*": {"class"},
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height", "style"},  # style: only a pixel's, see _filter
    "video": {"src", "poster", "controls", "width", "height"},
    "audio": {"src", "controls"},
    "source": {"src", "type"},
}


# An http(s) URL that urljoin would hand back unchanged whatever the base: ASCII, a host, no
# whitespace, controls, brackets or ";" (params), and no empty query or fragment for it to drop.
_UNCHANGED_BY_URLJOIN = re.compile(
    r"https?://[^/\s\[\];?#\x00-\x1f\x7f-\U0010ffff][^\s\[\];\x00-\x1f\x7f-\U0010ffff]*"
)


def absolute_url(value: str, base: str) -> str | None:
    """Protocol-relative URLs take ``https:``; relative ones resolve against ``base``. ``None`` when
    the URL (or the base it needs) cannot be parsed, such as ``http://[bad/``: no link beats a
    broken one, and one bad link must not cost the rest of its item or feed."""
    value = value.strip()
    if value.startswith("//"):
        value = f"https:{value}"
    elif base.startswith("//"):
        base = f"https:{base}"
    if _UNCHANGED_BY_URLJOIN.fullmatch(value) and not value.endswith(("?", "#")) and "?#" not in value:
        return value  # most links already are: skip urljoin's parse and rebuild (a fifth of normalize)
    try:
        return urljoin(base, value)
    except ValueError:
        return None


@dataclass(slots=True)
class _Cleaning:
    """One sanitizer call: the base URL links resolve against, and whether a tracking pixel was seen."""

    base: str
    pixel: bool = False


_CLEANING: ContextVar[_Cleaning] = ContextVar("cleaning")


def _filter(element: str, attribute: str, value: str) -> str | None:
    """Every URL made absolute; an image's size and style looked at for tracking pixels, in the pass
    the sanitizer makes anyway (a pass of our own over every body would cost more)."""
    if attribute in _URL_ATTRIBUTES:
        return absolute_url(value, _CLEANING.get().base)
    if element != "img" or attribute not in _PIXEL_ATTRIBUTES:
        return value
    if attribute != "style":
        size = _SIZE_VALUE.fullmatch(value)
        if size is not None and float(size[1]) <= 1:
            _CLEANING.get().pixel = True
        return value
    if _is_pixel(f' style="{value}"'):
        _CLEANING.get().pixel = True
        return value  # kept only to mark the image for removal
    return None


_PIXEL_ATTRIBUTES = frozenset({"width", "height", "style"})
_SIZE_VALUE = re.compile(r"\s*(\d+(?:\.\d*)?)\s*(?:px)?\s*", re.IGNORECASE)


# One sanitizer, built once: nh3.clean() with options rebuilds it per call (~10x slower). The base
# URL for making links absolute changes per item, so the filter reads it from a context variable.
_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    attribute_filter=_filter,
    url_schemes={"http", "https", "mailto"},
    link_rel=None,
)


def clean_html(fragment: str, base: str, limit: int = CONTENT_MAX) -> str:
    """Sanitized HTML with absolute URLs and no tracking pixels, at most ``limit`` characters: what
    every emitted feed carries.

    A longer body is cut before it is sanitized, where no tag or character reference is open, and
    the sanitizer closes the elements the cut left open, so what is kept is whole markup. Escaping
    and absolute URLs can make the result longer than its source: then the result is cut again.
    """
    cleaned = _sanitize(_cut_html(fragment, limit), base)
    closing = 0  # what closing the elements a cut leaves open adds
    for _ in range(3):
        if len(cleaned) <= limit:
            return cleaned
        cut = _cut_html(cleaned, max(0, limit - closing))
        cleaned = _sanitize(cut, base)
        closing += len(cleaned) - len(cut)
    return cleaned if len(cleaned) <= limit else html.escape(plain_text(cleaned)[: limit // 6], quote=False)


def _sanitize(fragment: str, base: str) -> str:
    """nh3's clean, then, only where it saw one, the tracking pixels removed from its output, whose
    tags are regular: lower case, every attribute value in double quotes."""
    cleaning = _Cleaning(base)
    token = _CLEANING.set(cleaning)
    try:
        cleaned = _CLEANER.clean(fragment)
    finally:
        _CLEANING.reset(token)
    return _IMG.sub(_unless_pixel, cleaned) if cleaning.pixel else cleaned


def _cut_html(fragment: str, limit: int) -> str:
    """At most ``limit`` characters of HTML, ending outside any tag and character reference."""
    if len(fragment) <= limit:
        return fragment
    head = fragment[:limit]
    tag = head.rfind("<")
    if tag > head.rfind(">"):
        head = head[:tag]
    reference = head.rfind("&", max(0, len(head) - _REFERENCE_MAX))
    if reference != -1 and ";" not in head[reference:]:
        head = head[:reference]
    return head


# An <img> tag as the sanitizer writes it; the patterns below read its lower-cased attributes.
_IMG = re.compile(r"""<img\b(?:[^<>"']|"[^"]*"|'[^']*')*>""")
_SIZE_ATTRIBUTE = re.compile(r"""\s(?:width|height)\s*=\s*["']?\s*(\d+(?:\.\d*)?)(?:px)?\s*(?=["'\s/>])""")
_STYLE = re.compile(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_STYLE_SIZE = re.compile(
    r"(?:^|;)\s*(?:max-)?(?:width|height)\s*:\s*(\d+(?:\.\d*)?)(?:px)?\s*(?:!important\s*)?(?=;|$)"
)
_STYLE_HIDDEN = re.compile(r"(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)\b")


def _unless_pixel(match: re.Match[str]) -> str:
    """Images a pixel or less in size, or hidden, are there to tell a tracker who reads the item,
    never to be seen (``width="1" height="1"``, ``style="width:0"``): they go."""
    tag = match.group(0)
    if 'width="' not in tag and 'height="' not in tag and 'style="' not in tag:
        return tag
    return "" if _is_pixel(tag) else tag


def _is_pixel(tag: str) -> bool:
    """Whether any width or height the tag (or attribute) gives, as such or in its style, is at most
    1px, or its style hides it: an image one pixel wide shows nothing whatever its height."""
    tag = tag.lower()
    if any(float(size) <= 1 for size in _SIZE_ATTRIBUTE.findall(tag)):
        return True
    if "style" not in tag:
        return False
    for double, single in _STYLE.findall(tag):
        style = double or single
        if _STYLE_HIDDEN.search(style) or any(float(size) <= 1 for size in _STYLE_SIZE.findall(style)):
            return True
    return False


def plain_text(fragment: str) -> str:
    """Markup, entities and characters XML cannot carry out, whitespace collapsed: titles are plain
    text in every format, and a title that was only control characters counts as no title.
    Bidirectional controls go too (see ``_PLAIN_UNSAFE``)."""
    text = _PLAIN_UNSAFE.sub("", html.unescape(_TAG.sub(" ", fragment)))
    return _SPACE.sub(" ", text).strip()


def capped(text: str, limit: int = TITLE_MAX) -> str:
    """At most ``limit`` characters, a cut one ending in "…" so a reader sees that it was cut."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_SENTENCE_END = re.compile(r"[。！？!?]|[.](?=\s|$)")
TITLE_FROM_TEXT_MAX = 60
UNTITLED = "(untitled)"


def title_from_text(text: str) -> str:
    """A title for an item that has none (Mastodon-style feeds): the first sentence of its plain
    text, at most ``TITLE_FROM_TEXT_MAX`` characters. Never its URL, which says nothing."""
    end = _SENTENCE_END.search(text)
    sentence = (text[: end.end()] if end else text).strip()
    if len(sentence) > TITLE_FROM_TEXT_MAX:
        sentence = sentence[: TITLE_FROM_TEXT_MAX - 1].rstrip() + "…"
    return sentence or UNTITLED


def content_hash(*parts: object) -> str:
    """A digest of what a reader sees; equal digests mean "the same copy" (a duplicate)."""
    digest = hashlib.sha256()
    for part in parts:
        text = part if isinstance(part, str) else repr(part)
        digest.update(text.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def normalize(data: EntryData, categories: CategoryResolver, site_url: str, fetched_at: datetime) -> Entry:
    """Make one parsed item storable; raises ItemError when it cannot be (e.g. an unsafe category).

    Whatever else goes wrong with one item (an input nobody foresaw) is its ItemError too, so the
    pipeline records that item and keeps its siblings, instead of losing the whole feed.
    """
    try:
        return _normalize(_valid_text(data), categories, site_url, fetched_at)
    except ItemError:
        raise
    except UnsafeCategory as exc:
        raise ItemError(_item_location(data), str(exc)) from None
    except Exception as exc:
        reason = " ".join(str(exc).split())[:300]
        raise ItemError(_item_location(data), f"cannot be stored ({type(exc).__name__}: {reason})") from None


def _normalize(data: EntryData, categories: CategoryResolver, site_url: str, fetched_at: datetime) -> Entry:
    link = (
        absolute_url(data.link, data.base_url or site_url)
        if data.link and len(data.link) <= LINK_MAX
        else None
    )
    base = data.base_url or link or site_url
    content = clean_html(data.content, base)
    summary = clean_html(data.summary, base) if data.summary else None
    given_title = capped(plain_text(data.title[:_TITLE_SOURCE_MAX]))
    text = "" if given_title else plain_text(content or summary or "")
    title = given_title or title_from_text(text)
    resolved = _categories(data.categories, categories)
    published, updated, is_fetch_time = _dates(data, fetched_at)
    guid = _bounded_id(data.guid) if data.guid else data.guid
    info_code = find_info_code(data.info_code, data.link, guid, data.content)
    key = news_item_key(info_code, guid, link, data.source, given_title, data.raw_date, text)
    slugs = tuple(sorted(c.slug for c in resolved))
    tags = _labels(data.tags)
    author = capped(plain_text((data.author or "")[:_TITLE_SOURCE_MAX])) or None
    return Entry(
        key=key,
        info_code=info_code,
        title=title,
        link=link,
        content=content,
        summary=summary,
        author=author,
        published=published,
        updated=updated,
        categories=resolved,
        tags=tags,
        source=data.source,
        item_id=_bounded_id(data.item_id),
        content_hash=content_hash(title, link, content, summary, author, slugs, tags, data.raw_date or ""),
        raw_date=data.raw_date,
        date_is_fetch_time=is_fetch_time,
        title_key="" if info_code else title_key(given_title),
    )


# Tags and categories lose their lone surrogates with the other characters plain text drops.
_TEXT_FIELDS = (
    *("item_id", "title", "content", "link", "guid", "summary", "author", "raw_date", "info_code"),
    "base_url",
)


def _valid_text(data: EntryData) -> EntryData:
    """The item with every lone surrogate replaced by U+FFFD: JSON can spell them (``\\ud800``), and
    nothing downstream can encode them (hashing, SQLite, lxml), so one would fail far from here."""
    changes: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = getattr(data, name)
        if value and _has_surrogates(value):
            changes[name] = _SURROGATES.sub("\ufffd", value)
    return dataclasses.replace(data, **changes) if changes else data


def _has_surrogates(text: str) -> bool:
    """Whether UTF-8 cannot carry the text (encoding is a third of a regex search's time)."""
    if text.isascii():
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _item_location(data: EntryData) -> str:
    """The item's id as an error names it: valid text, and not a megabyte long."""
    return _bounded_id(_SURROGATES.sub("\ufffd", data.item_id))


def _bounded_id(value: str) -> str:
    """An id as ids go; a longer one (a body pasted as a guid) is stood in for by its digest, the
    same on every fetch, instead of filling keys, logs and every emitted feed."""
    if len(value) <= ID_MAX:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()


def _dates(data: EntryData, fetched_at: datetime) -> tuple[datetime, datetime, bool]:
    """(published, updated, date_is_fetch_time) in UTC, to the second, within [EARLIEST, LATEST).

    The parsers already give no other date; this holds for any EntryData. A date outside is no date:
    published becomes the fetch time, recorded as such; updated becomes published.
    """
    published = _stored_date(data.published)
    is_fetch_time = data.date_is_fetch_time
    if published is None:
        is_fetch_time = is_fetch_time or data.published is not None
        published = fetched_at.astimezone(UTC)
    updated = max(_stored_date(data.updated) or published, published)
    return published.replace(microsecond=0), updated.replace(microsecond=0), is_fetch_time


def _stored_date(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):  # 0001-01-01 in a zone east of UTC is before year 1 in UTC
        return None
    return utc if EARLIEST <= utc < LATEST else None


def _categories(names: Iterable[str], resolver: CategoryResolver) -> tuple[Category, ...]:
    """The item's distinct categories, the first ``LABELS_MAX`` (each is a feed of its own), named
    without control or direction characters; a name with no safe slug refuses the item."""
    found: dict[Category, None] = {}
    for given in names:
        name = _PLAIN_UNSAFE.sub("", given).strip()
        if name:
            found[resolver.resolve(name)] = None
            if len(found) == LABELS_MAX:
                break
    return tuple(found)


def _labels(values: Iterable[str]) -> tuple[str, ...]:
    """Tags without control or direction characters, distinct, the first ``LABELS_MAX``, each cut to
    ``LABEL_MAX`` characters."""
    found: dict[str, None] = {}
    for value in values:
        label = capped(_PLAIN_UNSAFE.sub("", value).strip(), LABEL_MAX)
        if label:
            found[label] = None
            if len(found) == LABELS_MAX:
                break
    return tuple(found)
