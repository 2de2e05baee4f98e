"""EntryData (as a parser read it) → Entry (what the store keeps and the feeds show).

Here dates become UTC, HTML is sanitized (no script, event handlers or ``javascript:`` URLs) with
every URL made absolute in the same pass, titles become plain text, categories become safe slugs, and
the news-item key is computed.
"""

from __future__ import annotations

import hashlib
import html
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from urllib.parse import urljoin

import nh3

from feeds.dedup import find_info_code, news_item_key
from feeds.errors import ItemError
from feeds.model import Entry, EntryData
from feeds.slugs import CategoryResolver, UnsafeCategory
from feeds.titles import title_key

_URL_ATTRIBUTES = frozenset({"href", "src", "cite", "poster", "longdesc", "action"})
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# Characters an XML feed cannot carry (C0 controls, surrogates, U+FFFE/F) or should not (C1 controls).
XML_UNSAFE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"video", "audio", "source", "picture", "section"}
_ALLOWED_ATTRIBUTES = {
    **nh3.ALLOWED_ATTRIBUTES,
    "a": {"href", "hreflang", "title"},
    "img": {"src", "alt", "title", "width", "height"},
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
    if _UNCHANGED_BY_URLJOIN.fullmatch(value) and not value.endswith(("?", "#")) and "?#" not in value:
        return value  # most links already are: skip urljoin's parse and rebuild (a fifth of normalize)
    if value.startswith("//"):
        value = f"https:{value}"
    elif base.startswith("//"):
        base = f"https:{base}"
    try:
        return urljoin(base, value)
    except ValueError:
        return None


_BASE_URL: ContextVar[str] = ContextVar("base_url")


def _absolutize(element: str, attribute: str, value: str) -> str | None:
    if attribute in _URL_ATTRIBUTES:
        return absolute_url(value, _BASE_URL.get())
    return value


# One sanitizer, built once: nh3.clean() with options rebuilds it per call (~10x slower). The base
# URL for making links absolute changes per item, so the filter reads it from a context variable.
_CLEANER = nh3.Cleaner(
    tags=_ALLOWED_TAGS,
    attributes=_ALLOWED_ATTRIBUTES,
    attribute_filter=_absolutize,
    url_schemes={"http", "https", "mailto"},
    link_rel=None,
)


def clean_html(fragment: str, base: str) -> str:
    """Sanitized HTML with absolute URLs: what every emitted feed carries."""
    token = _BASE_URL.set(base)
    try:
        return _CLEANER.clean(fragment)
    finally:
        _BASE_URL.reset(token)


def plain_text(fragment: str) -> str:
    """Markup, entities and characters XML cannot carry out, whitespace collapsed: titles are plain
    text in every format, and a title that was only control characters counts as no title."""
    text = XML_UNSAFE.sub("", html.unescape(_TAG.sub(" ", fragment)))
    return _SPACE.sub(" ", text).strip()


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
    """Make one parsed item storable; raises ItemError when it cannot be (e.g. an unsafe category)."""
    link = absolute_url(data.link, data.base_url or site_url) if data.link else None
    base = data.base_url or link or site_url
    content = clean_html(data.content, base)
    summary = clean_html(data.summary, base) if data.summary else None
    given_title = plain_text(data.title)
    text = "" if given_title else plain_text(content or summary or "")
    title = given_title or title_from_text(text)
    try:
        resolved = tuple(dict.fromkeys(categories.resolve(name) for name in data.categories if name.strip()))
    except UnsafeCategory as exc:
        raise ItemError(data.item_id, str(exc)) from None
    published = (data.published or fetched_at).astimezone(UTC)
    updated = max((data.updated or published).astimezone(UTC), published)
    info_code = find_info_code(data.info_code, data.link, data.guid, data.content)
    key = news_item_key(info_code, data.guid, link, data.source, given_title, data.raw_date, text)
    slugs = tuple(sorted(c.slug for c in resolved))
    tags = tuple(dict.fromkeys(t.strip() for t in data.tags if t.strip()))
    author = plain_text(data.author or "") or None
    return Entry(
        key=key,
        info_code=info_code,
        title=title,
        link=link,
        content=content,
        summary=summary,
        author=author,
        published=published.replace(microsecond=0),
        updated=updated.replace(microsecond=0),
        categories=resolved,
        tags=tags,
        source=data.source,
        item_id=data.item_id,
        content_hash=content_hash(title, link, content, summary, author, slugs, tags, data.raw_date or ""),
        raw_date=data.raw_date,
        date_is_fetch_time=data.date_is_fetch_time,
        title_key="" if info_code else title_key(given_title),
    )
