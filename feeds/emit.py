"""Render stored entries as Atom 1.0, RSS 2.0, JSON Feed 1.1 and an OPML index; write files atomically.

Rendering is pure: the same entries give the same bytes (no clock, no randomness, no dict-order luck),
so ``write_if_changed`` can skip files whose bytes did not change and a rebuild with nothing new touches
nothing, which keeps ETag/Last-Modified stable for every reader polling us.

feedgen builds the Atom and RSS documents. Where it falls short we hook in through its own extension
interface (an object with ``extend_ns``/``extend_atom``/``extend_rss``) instead of editing its output:
it copies only ``rel="self"`` into RSS (we add the WebSub hub link), has no RSS author without an e-mail
address (we add ``dc:creator``), and ties an Atom summary to the RSS description (we add the Atom
summary ourselves so RSS ``<description>`` always carries the full HTML). Its default "now" for
``updated``/``lastBuildDate`` is always overridden with the newest entry's time.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache, partial
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote, urlsplit

from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.config import SiteConfig
from feeds.model import Category, Origin, StoredEntry
from feeds.normalize import XML_UNSAFE, plain_text
from feeds.paths import OutputPathError, archive_path, feed_paths
from feeds.timefmt import iso

ALL_SLUG = "all"  # the feed of every entry, whatever its category
LANGUAGE = "zh-CN"  # RFC 5646; the site republishes Chinese financial news
GENERATOR = "feeds"
RSS_DOCS = "https://www.rssboard.org/rss-specification"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# The date in every tag: URI. Fixed so an id never changes (RFC 4151 wants the date the authority was
# held, not the entry's date); changing it would make every reader see every entry as new.
TAG_DATE = "2022"
# An empty feed still needs an <updated>; a constant keeps its bytes the same on every build.
EMPTY_FEED_UPDATED = datetime(2000, 1, 1, tzinfo=UTC)
UNTITLED = "(untitled)"

_MEDIA_TYPES = {"atom": "application/atom+xml", "rss": "application/rss+xml"}
_ATOM_NS = "http://www.w3.org/2005/Atom"
ARCHIVE_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005
_DC_NS = "http://purl.org/dc/elements/1.1/"
_DNS_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$")


# --- paths and ids -------------------------------------------------------------------------------


def feed_urls(slug: str, site: SiteConfig) -> dict[str, str]:
    """Absolute URLs of the three feed files, as readers subscribe to them."""
    return {fmt: f"{site.url}/{path}" for fmt, path in feed_paths(slug).items()}


def _home_url(site: SiteConfig) -> str:
    return f"{site.url}/"


@lru_cache(maxsize=16)
def tag_authority(site_url: str) -> str:
    """The site's host as an RFC 4151 authority: lower-case ASCII (IDNA), else ``localhost``."""
    host = urlsplit(site_url).hostname or ""
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        host = ""
    return host if _DNS_NAME.match(host) else "localhost"


def entry_id(key: str, site: SiteConfig) -> str:
    """The permanent id of an entry, minted from its news-item key only.

    Never from its link or category, which may change. Everything outside ``[A-Za-z0-9._~-]`` is
    percent-encoded (UTF-8), so the URI is ASCII, valid, and distinct keys give distinct ids.
    """
    return f"tag:{tag_authority(site.url)},{TAG_DATE}:{quote(key, safe='')}"


def feed_id(slug: str, site: SiteConfig) -> str:
    """The Atom id of a category feed; the ``/`` cannot clash with an (encoded) entry id."""
    return f"tag:{tag_authority(site.url)},{TAG_DATE}:feeds/{slug}"


# --- values prepared once, used by all three formats ---------------------------------------------


class _UtcTime(datetime):
    """A UTC time that feedgen prints as ``2022-01-24T14:56:53Z``.

    feedgen writes Atom dates with ``isoformat()``; overriding it gives one spelling of UTC across Atom
    and JSON Feed. RSS goes through ``strftime`` and reads ``Mon, 24 Jan 2022 14:56:53 +0000``.
    """

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return iso(self)


def _utc(moment: datetime) -> _UtcTime:
    """The store promises aware UTC; a naive value is taken as UTC rather than as local time."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return _UtcTime(aware.year, aware.month, aware.day, aware.hour, aware.minute, aware.second, tzinfo=UTC)


def clean_text(text: str) -> str:
    """Drop characters XML cannot carry (lxml would refuse the whole document otherwise)."""
    return XML_UNSAFE.sub("", text)


def _clean_line(text: str | None) -> str | None:
    """A cleaned one-value string (title, name, tag), or None when nothing visible is left."""
    if text is None:
        return None
    cleaned = clean_text(text).strip()
    return cleaned or None


@dataclass(frozen=True, slots=True)
class _Feed:
    """What the three documents say about the feed itself."""

    id: str
    title: str
    description: str
    home_url: str
    urls: Mapping[str, str]  # format -> absolute URL of that file
    hub: str | None
    author: str
    updated: _UtcTime
    prev_archive: str | None = None  # URL of the newest archive document (RFC 5005), if any


@dataclass(frozen=True, slots=True)
class _Item:
    """One entry, cleaned for XML once and shared by the three renderers."""

    id: str
    title: str
    link: str  # the entry's own, else the site's home page (see _prepare_item)
    content: str
    summary: str | None  # sanitized HTML, as normalize leaves it
    author: str | None
    published: _UtcTime
    updated: _UtcTime
    categories: tuple[Category, ...]  # slug + display title
    tags: tuple[str, ...]  # free tags not already said by a category
    source: _Source | None = None  # the remote feed the entry's text came from
    via: tuple[str, ...] = ()  # the other copies' links
    copies: tuple[tuple[str, str | None], ...] = ()  # (source name, link) of every kept copy


@dataclass(frozen=True, slots=True)
class _Source:
    """The remote feed an entry's canonical copy came from, cleaned for XML (attribution)."""

    id: str | None
    title: str  # the feed's own title, else the source's name
    link: str | None
    updated: _UtcTime | None
    url: str | None  # the feed's URL (RSS <source url>), when it is an http(s) one


def _feed_title(category: Category, site: SiteConfig) -> str:
    if category.slug == ALL_SLUG:
        return _clean_line(site.title) or GENERATOR
    return _clean_line(category.title) or category.slug


def _prepare_feed(category: Category, site: SiteConfig, items: Sequence[_Item], hub: str | None) -> _Feed:
    site_title = _clean_line(site.title) or GENERATOR
    updated = max((item.updated for item in items), default=_utc(EMPTY_FEED_UPDATED))
    return _Feed(
        id=feed_id(category.slug, site),
        title=_feed_title(category, site),
        description=_clean_line(site.description) or site_title,
        home_url=_home_url(site),
        urls=feed_urls(category.slug, site),
        hub=_clean_line(hub),
        author=_clean_line(site.author) or site_title,
        updated=updated,
    )


def _prepare_item(entry: StoredEntry, site: SiteConfig, category_titles: Mapping[str, str]) -> _Item:
    """Cleaned values of one entry.

    An entry without a link points at the site's home page: RSS readers expect an item ``<link>``, and
    feedparser would otherwise offer the Atom ``tag:`` id as the entry's link.
    """
    categories = tuple(
        Category(slug, _clean_line(category_titles.get(slug)) or slug) for slug in entry.categories
    )
    said = {c.slug for c in categories} | {c.title for c in categories}
    tags = _unique(tag for tag in map(_clean_line, entry.tags) if tag and tag not in said)
    link = _clean_line(entry.link) or _home_url(site)
    copies = tuple((name, _clean_line(url)) for name, url in entry.copy_links if _clean_line(name))
    return _Item(
        id=entry_id(entry.key, site),
        title=_clean_line(entry.title) or UNTITLED,
        link=link,
        content=clean_text(entry.content),
        summary=_clean_line(entry.summary),
        author=_clean_line(entry.author),
        published=_utc(entry.published),
        updated=_utc(entry.updated),
        categories=categories,
        tags=tags,
        source=_source(entry.origin),
        via=_unique(
            url for url in map(_clean_line, (u for _, u in entry.copy_links[1:])) if url and url != link
        ),
        copies=copies,
    )


@lru_cache(maxsize=4096)
def _source(origin: Origin | None) -> _Source | None:
    """Attribution for a remote feed's copy. A feed read from a file (as the shipped examples are)
    has no address a reader could use, and its path must not leak into what is published: its
    ``file:`` id and RSS ``<source>`` are left out. Cached: a feed's entries share a few origins."""
    if origin is None:
        return None
    meta = origin.meta
    feed_id = _clean_line(meta.id)
    url = _clean_line(origin.feed_url)
    return _Source(
        id=feed_id if feed_id and not feed_id.lower().startswith("file:") else None,
        title=_clean_line(meta.title) or _clean_line(origin.source) or "?",
        link=_clean_line(meta.link),
        updated=_utc(meta.updated) if meta.updated is not None else None,
        url=url if url and url.lower().startswith(("http://", "https://")) else None,
    )


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """Values in first-seen order, each once."""
    return tuple(dict.fromkeys(values))


# --- Atom and RSS through feedgen ----------------------------------------------------------------


class _RssChannelExtras:
    """feedgen extension for the RSS channel: declares ``dc:`` and adds the WebSub hub link and the
    link to the newest archive (RFC 5005 ``prev-archive``, as ``atom:link``)."""

    def __init__(self, hub: str | None, prev_archive: str | None = None) -> None:
        self.hub = hub
        self.prev_archive = prev_archive

    def extend_ns(self) -> dict[str, str]:
        return {"dc": _DC_NS}

    def extend_atom(self, feed: Any) -> Any:
        return feed

    def extend_rss(self, rss: Any) -> Any:
        if self.hub:
            etree.SubElement(rss[0], f"{{{_ATOM_NS}}}link", href=self.hub, rel="hub")
        if self.prev_archive:
            etree.SubElement(rss[0], f"{{{_ATOM_NS}}}link", href=self.prev_archive, rel="prev-archive")
        return rss


class _ArchiveExtras:
    """feedgen extension for an archive document: RFC 5005's ``<fh:archive/>``."""

    def extend_ns(self) -> dict[str, str]:
        return {"fh": ARCHIVE_NS}

    def extend_atom(self, feed: Any) -> Any:
        etree.SubElement(feed, f"{{{ARCHIVE_NS}}}archive")
        return feed

    def extend_rss(self, rss: Any) -> Any:
        return rss


class _ItemExtras:
    """feedgen extension for one entry: the Atom summary, ``rel="via"`` links and ``<source>``, the
    RSS ``dc:creator`` and ``<source url>`` (attribution: where the republished text came from)."""

    def __init__(self, item: _Item) -> None:
        self.item = item

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, entry: Any) -> Any:
        # feedgen builds Atom children un-namespaced under a literal xmlns attribute; match it.
        item = self.item
        if item.summary:
            etree.SubElement(entry, "summary", type="html").text = item.summary
        for url in item.via:
            etree.SubElement(entry, "link", href=url, rel="via")
        if item.source is not None:
            source = etree.SubElement(entry, "source")
            if item.source.id:
                etree.SubElement(source, "id").text = item.source.id
            etree.SubElement(source, "title").text = item.source.title
            if item.source.link:
                etree.SubElement(source, "link", href=item.source.link, rel="alternate")
            if item.source.updated is not None:
                etree.SubElement(source, "updated").text = item.source.updated.isoformat()
        return entry

    def extend_rss(self, rss_item: Any) -> Any:
        item = self.item
        if item.author:
            etree.SubElement(rss_item, f"{{{_DC_NS}}}creator").text = item.author
        if item.source is not None and item.source.url:
            etree.SubElement(rss_item, "source", url=item.source.url).text = item.source.title
        return rss_item


def _generator(feed: _Feed) -> Any:
    """A FeedGenerator with the feed-level fields both formats share."""
    fg = FeedGenerator()
    fg.id(feed.id)
    fg.title(feed.title)
    fg.subtitle(feed.description)
    fg.author(name=feed.author)
    fg.language(LANGUAGE.lower())
    fg.generator(GENERATOR)
    fg.docs(RSS_DOCS)
    fg.updated(feed.updated)  # also lastBuildDate; replaces feedgen's default of "now"
    fg.register_extension(
        "feeds_rss", partial(_RssChannelExtras, feed.hub, feed.prev_archive), None, atom=False, rss=True
    )
    return fg


def _add_item(fg: Any, item: _Item) -> None:
    fe = fg.add_entry(order="append")  # entries come newest first; keep that order
    fe.id(item.id)  # Atom <id> and RSS <guid isPermaLink="false">
    fe.title(item.title)
    fe.updated(item.updated)
    fe.published(item.published)
    fe.link(href=item.link, rel="alternate")
    fe.content(item.content, type="html")
    if item.author:
        fe.author(name=item.author)  # no e-mail: feedgen leaves RSS <author> out; dc:creator says it
    labelled = [{"term": c.slug, "label": c.title} for c in item.categories]
    if labelled or item.tags:
        fe.category(labelled + [{"term": tag} for tag in item.tags])
    fe.register_extension("feeds_item", partial(_ItemExtras, item), atom=True, rss=True)


def _links(fg: Any, feed: _Feed, fmt: str) -> None:
    """Point rel=self at the file being written; alternate goes last, feedgen's RSS <link> is the last."""
    links = [{"href": feed.urls[fmt], "rel": "self", "type": _MEDIA_TYPES[fmt]}]
    if feed.hub and fmt == "atom":
        links.append({"href": feed.hub, "rel": "hub"})
    if feed.prev_archive and fmt == "atom":
        links.append({"href": feed.prev_archive, "rel": "prev-archive", "type": _MEDIA_TYPES["atom"]})
    links.append({"href": feed.home_url, "rel": "alternate", "type": "text/html"})
    fg.link(links, replace=True)


def _atom_and_rss(feed: _Feed, items: Sequence[_Item]) -> tuple[bytes, bytes]:
    fg = _generator(feed)
    for item in items:
        _add_item(fg, item)
    _links(fg, feed, "atom")
    atom: bytes = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    _links(fg, feed, "rss")
    rss: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return atom, rss


# --- JSON Feed 1.1 -------------------------------------------------------------------------------


def _without_none(pairs: Iterable[tuple[str, object]]) -> dict[str, object]:
    """A JSON object in the given key order, optional members left out rather than null."""
    return {key: value for key, value in pairs if value is not None}


def _json_item(item: _Item) -> dict[str, object]:
    tags = _unique([c.title for c in item.categories] + list(item.tags))
    return _without_none(
        [
            ("id", item.id),
            ("url", item.link),
            ("title", item.title),
            ("content_html", item.content),
            ("summary", (plain_text(item.summary) or None) if item.summary else None),
            ("date_published", iso(item.published)),
            ("date_modified", iso(item.updated)),
            ("authors", [{"name": item.author}] if item.author else None),
            ("tags", list(tags) if tags else None),
            (
                "_feeds",
                {"copies": [_without_none([("source", n), ("url", u)]) for n, u in item.copies]}
                if item.copies
                else None,
            ),
        ]
    )


def _json_feed(feed: _Feed, items: Sequence[_Item]) -> bytes:
    document = _without_none(
        [
            ("version", JSON_FEED_VERSION),
            ("title", feed.title),
            ("home_page_url", feed.home_url),
            ("feed_url", feed.urls["json"]),
            ("description", feed.description),
            ("language", LANGUAGE),
            ("authors", [{"name": feed.author}]),
            ("hubs", [{"type": "WebSub", "url": feed.hub}] if feed.hub else None),
            ("items", [_json_item(item) for item in items]),
        ]
    )
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# --- public renderers ----------------------------------------------------------------------------


def render_category(
    entries: Sequence[StoredEntry],
    category: Category,
    site: SiteConfig,
    category_titles: Mapping[str, str],
    hub: str | None = None,
    newest_archive: str | None = None,
) -> dict[str, bytes]:
    """Atom, RSS and JSON Feed bytes of one category, keyed by path relative to ``output_dir``.

    ``entries`` are newest first and already limited; their order is kept. ``category.slug == "all"``
    is the feed of every entry, titled with the site's title. ``category_titles`` maps each slug an
    entry carries to the title shown to readers (slugs without one show as themselves).
    ``newest_archive``: the month (``YYYY-MM``) of the feed's newest archive document, linked as
    ``prev-archive`` from Atom and RSS.
    """
    items = [_prepare_item(entry, site, category_titles) for entry in entries]
    feed = _prepare_feed(category, site, items, hub)
    if newest_archive is not None:
        feed = replace(feed, prev_archive=archive_url(category.slug, newest_archive, site))
    atom, rss = _atom_and_rss(feed, items)
    paths = feed_paths(category.slug)
    return {paths["atom"]: atom, paths["rss"]: rss, paths["json"]: _json_feed(feed, items)}


def render_archive(
    entries: Sequence[StoredEntry],
    category: Category,
    month: str,
    site: SiteConfig,
    category_titles: Mapping[str, str],
    neighbours: tuple[str | None, str | None],
) -> bytes:
    """One month's archive document (RFC 5005) of a feed: every entry it published that month (UTC),
    newest first, marked ``<fh:archive/>``, linking its ``current`` feed and the ``prev-archive`` /
    ``next-archive`` months in ``neighbours`` where they exist. Atom only: the paged history readers
    follow is Atom's."""
    items = [_prepare_item(entry, site, category_titles) for entry in entries]
    current = _prepare_feed(category, site, items, None)
    feed = replace(current, id=f"{current.id}/archive/{month}", title=f"{current.title} ({month})")
    fg = _generator(feed)
    fg.register_extension("feeds_archive", _ArchiveExtras, None, atom=True, rss=False)
    for item in items:
        _add_item(fg, item)
    links = [
        {"href": archive_url(category.slug, month, site), "rel": "self", "type": _MEDIA_TYPES["atom"]},
        {"href": current.urls["atom"], "rel": "current", "type": _MEDIA_TYPES["atom"]},
    ]
    for rel, other in zip(("prev-archive", "next-archive"), neighbours, strict=True):
        if other is not None:
            links.append(
                {"href": archive_url(category.slug, other, site), "rel": rel, "type": _MEDIA_TYPES["atom"]}
            )
    links.append({"href": current.home_url, "rel": "alternate", "type": "text/html"})
    fg.link(links, replace=True)
    data: bytes = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


def archive_url(slug: str, month: str, site: SiteConfig) -> str:
    return f"{site.url}/{archive_path(slug, month)}"


def _with_all(categories: Sequence[Category], site: SiteConfig) -> list[Category]:
    """Every category once, the all-entries feed first, whether or not the caller listed it."""
    listed = {category.slug: category for category in categories}
    rest = [category for slug, category in listed.items() if slug != ALL_SLUG]
    return [listed.get(ALL_SLUG, Category(ALL_SLUG, site.title)), *rest]


def render_opml(categories: Sequence[Category], site: SiteConfig) -> bytes:
    """``feeds/index.opml``: one outline per feed (Atom; RSS and JSON sit beside it by name).

    One outline per category, not per format, so importing it into a reader subscribes once.
    """
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _clean_line(site.title) or GENERATOR
    body = etree.SubElement(root, "body")
    for category in _with_all(categories, site):
        title = _feed_title(category, site)
        attributes = {
            "type": "rss",
            "text": title,
            "title": title,
            "xmlUrl": feed_urls(category.slug, site)["atom"],
            "htmlUrl": _home_url(site),
        }
        etree.SubElement(body, "outline", attrib=attributes)
    data: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return data


# --- atomic writer -------------------------------------------------------------------------------


def _safe_target(root: Path, relative: str) -> Path:
    """``root/relative``, refusing anything that could land outside ``root``.

    Refused: empty, absolute, ``..`` anywhere, backslashes and NUL (a path meant for another system),
    and paths whose existing parts are symlinks leading out of ``root``.
    """
    pure = PurePosixPath(relative)
    if not relative or pure.is_absolute() or ".." in pure.parts or pure == PurePosixPath("."):
        raise OutputPathError(relative, "must be a relative path inside the output folder")
    if "\\" in relative or "\x00" in relative:
        raise OutputPathError(relative, "must not contain backslashes or NUL")
    base = root.resolve()
    target = base.joinpath(*pure.parts)
    if not target.resolve().is_relative_to(base):
        raise OutputPathError(relative, "resolves outside the output folder")
    return target


def _same_bytes(target: Path, data: bytes) -> bool:
    try:
        if target.stat().st_size != len(data):
            return False
        return target.read_bytes() == data
    except FileNotFoundError:
        return False


def _replace_atomically(target: Path, data: bytes) -> None:
    """Temp file beside the target, fsync, rename over it: readers see the old file or the new one.

    The directory is not fsynced (one more fsync per file): a power loss right after the rename can
    bring the old file back, which a full ``feeds build`` or the category's next change rewrites.
    """
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes 0600; these files are published
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def remove_file(root: Path, relative: str) -> bool:
    """Delete ``root/relative`` if it is there (refusing paths outside ``root``); True if it was."""
    target = _safe_target(root, relative)
    try:
        target.unlink()
    except FileNotFoundError:
        return False
    return True


def write_if_changed(root: Path, relative: str, data: bytes) -> bool:
    """Write ``data`` to ``root/relative`` atomically; False (file untouched) when it already holds it."""
    target = _safe_target(root, relative)
    if _same_bytes(target, data):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    _replace_atomically(target, data)
    return True
