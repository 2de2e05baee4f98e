"""OPML subscription lists: bytes → outlines (``parse_opml``), outlines → remote sources (``expand``).

Both are pure: no network, no store, no clock. The fetching and the store's copy of each list's
last good outlines live in ``feeds/lists.py``.

Why the parse is this careful: a list may come from a URL someone else controls, and every outline
becomes a source feeds polls. So lxml reads it with entity resolution, DTD loading and network off,
a document declaring entities is refused before parsing, an outline whose ``xmlUrl`` is not an
absolute http(s) URL (``file:``, ``javascript:``, a relative path, garbage) is refused on its own,
and at most ``MAX_FEEDS`` outlines are taken. One bad outline is a problem reported with its
position, line and title; the others are still used.

Why the expansion is a policy of its own: names and categories must come out the same on every run
and in every command (the store keys copies by source name), whatever was fetched when.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from feeds.config import OpmlList, RemoteSource
from feeds.errors import FeedsError
from feeds.slugs import CategoryResolver, UnsafeCategory

MAX_FEEDS = 10_000  # outlines with an xmlUrl taken from one list; the rest are reported, not used
MAX_URL = 2048  # characters: longer is not an address anyone subscribes to
MAX_NAME = 100  # characters of a source name made from a title
MAX_CATEGORY = 200  # characters of a category name taken from an outline
MAX_PROBLEMS = 100  # problems reported per list; a list of 10,000 bad outlines says so in one more line
FEED_TYPES = frozenset({"rss", "atom", "feed", "json"})

_HAS_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_HAS_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
# Control and format characters (bidi overrides among them) never belong in a name shown in a terminal.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


class OpmlError(FeedsError):
    """The whole document is unusable as a list (not XML, entities, not OPML); its last good
    outlines stay in use."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Outline:
    """One usable ``<outline xmlUrl=…>``: where it is and what it says."""

    position: int  # 1-based, among all <outline> elements in document order
    line: int | None
    url: str
    title: str | None  # its title, else its text (cleaned); None when it has neither
    category: str | None  # from its `category` attribute: the last segment of the first path
    parent: str | None  # the title (else text) of the nearest enclosing outline

    def to_json(self) -> dict[str, object]:
        return {
            "position": self.position,
            "line": self.line,
            "url": self.url,
            "title": self.title,
            "category": self.category,
            "parent": self.parent,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outline:
        return cls(
            position=int(data["position"]),
            line=data.get("line"),
            url=str(data["url"]),
            title=data.get("title"),
            category=data.get("category"),
            parent=data.get("parent"),
        )


@dataclass(frozen=True, slots=True)
class OutlineProblem:
    """An outline that was not used (or used differently), and why; ``position`` 0: the list."""

    position: int
    line: int | None
    title: str | None
    reason: str

    def where(self, shown: str) -> str:
        """``subs.opml: outline 3 'Tech'``: how ``feeds failures`` names it."""
        if self.position == 0:
            return shown
        title = f" {_quoted(self.title)}" if self.title else ""
        return f"{shown}: outline {self.position}{title}"

    def to_json(self) -> dict[str, object]:
        return {"position": self.position, "line": self.line, "title": self.title, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OutlineProblem:
        return cls(int(data["position"]), data.get("line"), data.get("title"), str(data["reason"]))


@dataclass(frozen=True, slots=True)
class OpmlDocument:
    """A parsed list: the outlines to subscribe to, and the outlines that were refused."""

    outlines: tuple[Outline, ...]
    problems: tuple[OutlineProblem, ...]


# ---- parse ----------------------------------------------------------------------------------------


def parse_opml(data: bytes) -> OpmlDocument:
    """Read an OPML document; raises OpmlError when it is no list at all.

    The size bound is the caller's (``fetch.max_bytes``, enforced where the bytes are read).
    """
    root = _root(data)
    outlines: list[Outline] = []
    problems: list[OutlineProblem] = []
    seen: dict[str, int] = {}
    position = 0
    for element in root.iter():
        if not isinstance(element.tag, str) or _local(element.tag) != "outline":
            continue
        position += 1
        attributes = {str(key).lower(): str(value) for key, value in element.attrib.items()}
        title = _label(attributes)
        found = _outline(position, element, attributes, title, seen)
        if isinstance(found, OutlineProblem):
            problems.append(found)
        elif found is not None and len(outlines) >= MAX_FEEDS:
            reason = f"over {MAX_FEEDS} feeds in one list; ignored"
            problems.append(_problem(position, element, title, reason))
        elif found is not None:
            seen[found.url] = position
            outlines.append(found)
    if position == 0:
        raise OpmlError("no <outline> elements: not a subscription list")
    return OpmlDocument(tuple(outlines), _capped(problems))


def _root(data: bytes) -> Any:
    from lxml import etree  # the CLI must not load lxml for commands that read no list

    if _HAS_ENTITY.search(data) or _HAS_DOCTYPE.search(data):  # an OPML document has no use for either
        raise OpmlError("document declares a DOCTYPE or XML entities; refused")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except (etree.LxmlError, ValueError) as exc:  # XMLSyntaxError and the parser's other refusals
        raise OpmlError(f"not well-formed XML: {_one_line(str(exc))}") from None
    if root is None or _local(root.tag) != "opml":
        tag = _local(root.tag) if root is not None else "nothing"
        raise OpmlError(f"not an OPML document (root element <{tag}>)")
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise OpmlError("document uses XML entities; refused")
    return root


def _outline(
    position: int, element: Any, attributes: dict[str, str], title: str | None, seen: dict[str, int]
) -> Outline | OutlineProblem | None:
    """The outline to subscribe to, the reason it cannot be, or None for a folder."""
    raw = attributes.get("xmlurl")
    if raw is None:
        kind = attributes.get("type", "").strip().lower()
        if kind in FEED_TYPES:
            return _problem(position, element, title, f'type="{kind}" but no xmlUrl')
        return None
    url = raw.strip()
    reason = url_problem(url)
    if reason is None and url in seen:
        reason = f"the same xmlUrl as outline {seen[url]}; ignored"
    if reason is not None:
        return _problem(position, element, title, reason)
    return Outline(
        position=position,
        line=element.sourceline,
        url=url,
        title=title,
        category=_category(attributes.get("category")),
        parent=_parent_label(element),
    )


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a listed feed's address, or None: absolute http(s) with a host only,
    so a list can never make feeds read a local file or another scheme."""
    if not url:
        return "empty xmlUrl"
    if len(url) > MAX_URL:
        return f"xmlUrl longer than {MAX_URL} characters"
    if not url.isprintable() or " " in url:  # isprintable: no control, format or separator characters
        return "xmlUrl contains spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is no number
    except ValueError as exc:
        return f"xmlUrl is not a URL ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        scheme = parts.scheme or "no scheme"
        return f"xmlUrl is not an absolute http(s) URL ({_shown(scheme)})"
    if not parts.hostname:
        return "xmlUrl has no host"
    return None


def _problem(position: int, element: Any, title: str | None, reason: str) -> OutlineProblem:
    return OutlineProblem(position, element.sourceline, title, reason)


def _capped(problems: list[OutlineProblem]) -> tuple[OutlineProblem, ...]:
    if len(problems) <= MAX_PROBLEMS:
        return tuple(problems)
    more = len(problems) - MAX_PROBLEMS
    summary = OutlineProblem(0, None, None, f"{more} more outlines refused (not listed one by one)")
    return (*problems[:MAX_PROBLEMS], summary)


def _local(tag: Any) -> str:
    """An element's name without its namespace, lower-case (some exporters write <Outline>)."""
    return str(tag).rsplit("}", 1)[-1].lower()


def _label(attributes: dict[str, str]) -> str | None:
    return clean_text(attributes.get("title") or "", MAX_NAME) or clean_text(
        attributes.get("text") or "", MAX_NAME
    )


def _parent_label(element: Any) -> str | None:
    parent = element.getparent()
    while parent is not None and _local(parent.tag) != "outline":
        if _local(parent.tag) in ("body", "opml"):
            return None
        parent = parent.getparent()
    if parent is None:
        return None
    attributes = {str(key).lower(): str(value) for key, value in parent.attrib.items()}
    return clean_text(attributes.get("title") or "", MAX_CATEGORY) or clean_text(
        attributes.get("text") or "", MAX_CATEGORY
    )


def _category(value: str | None) -> str | None:
    """OPML 2.0's ``category``: comma-separated slash paths (``/Tech/Linux,/News``); the last
    segment of the first path names the category (``Linux``)."""
    if not value:
        return None
    first = value.split(",", 1)[0]
    segments = [segment for segment in first.split("/") if segment.strip()]
    return clean_text(segments[-1], MAX_CATEGORY) if segments else None


def clean_text(value: str, limit: int) -> str | None:
    """Whitespace collapsed, control and bidi characters dropped, at most ``limit`` characters."""
    if not value.isprintable():  # the common case skips the per-character pass
        value = "".join(c for c in value if unicodedata.category(c) not in _INVISIBLE or c.isspace())
    text = _SPACE.sub(" ", value).strip()
    return text[:limit].rstrip() or None


def _one_line(text: str) -> str:
    """lxml's message without the "(<string>, line N)" it adds: the line is in the message already."""
    return re.sub(r"\s*\(<string>, line \d+\)$", "", " ".join(text.split()))[:200]


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(f"{text[:37]}...")


def _quoted(text: str) -> str:
    return repr(text[:60] + ("…" if len(text) > 60 else ""))


# ---- expand ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ListedProblem:
    """A problem found while expanding a list, named by its list (``OpmlList.list_name``)."""

    list_name: str
    problem: OutlineProblem


@dataclass(frozen=True, slots=True)
class Expansion:
    """The remote sources the lists give, in list order then document order, and what was refused."""

    sources: tuple[RemoteSource, ...]
    problems: tuple[ListedProblem, ...]


def expand(
    lists: Sequence[tuple[OpmlList, Sequence[Outline]]],
    taken_names: Collection[str],
    direct: Mapping[str, str],
    resolver: CategoryResolver,
) -> Expansion:
    """Each list's outlines as remote sources.

    ``taken_names``: every name already in use (local and directly configured remote sources, the
    lists' own names); ``direct``: the URLs of directly configured sources → their names, so an
    outline does not subscribe to a feed twice (the direct entry wins, as does an earlier list).

    A source is named from its outline's title (else its text, else its URL's host); a name already
    taken gets ``-2``, ``-3``… in order. Its category is the outline's ``category``, else its parent
    outline's title, else the list's ``category``, each used only when it makes a safe slug.
    """
    taken = set(taken_names)
    subscribed = dict(direct)
    sources: list[RemoteSource] = []
    problems: list[ListedProblem] = []
    for entry, outlines in lists:
        for outline in outlines:
            if outline.url in subscribed:
                reason = f"already subscribed as source {subscribed[outline.url]!r}; ignored"
                problems.append(ListedProblem(entry.list_name, _about(outline, reason)))
                continue
            name = unique_name(outline.title or _host(outline.url), taken)
            category, refused = _category_for(outline, entry, resolver)
            if refused:
                problems.append(ListedProblem(entry.list_name, _about(outline, "; ".join(refused))))
            taken.add(name)
            subscribed[outline.url] = name
            sources.append(
                RemoteSource(
                    name=name,
                    url=outline.url,
                    priority=entry.priority,
                    category=category,
                    interval=entry.interval,
                    timezone=entry.timezone,
                    enabled=entry.enabled,
                    opml=entry.shown,
                )
            )
    return Expansion(tuple(sources), tuple(problems))


def unique_name(base: str, taken: Collection[str]) -> str:
    """``base``, else ``base-2``, ``base-3``…: the first not in ``taken``."""
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _category_for(
    outline: Outline, entry: OpmlList, resolver: CategoryResolver
) -> tuple[str | None, list[str]]:
    """The first usable of the outline's category, its parent's title and the list's category;
    and why any earlier one was passed over."""
    refused = []
    for origin, name in (("category", outline.category), ("parent outline", outline.parent)):
        if not name:
            continue
        try:
            resolver.resolve(name)
        except UnsafeCategory as exc:
            refused.append(f"{origin} {_quoted(name)} not used: {exc}")
            continue
        return name, refused
    return entry.category, refused


def _about(outline: Outline, reason: str) -> OutlineProblem:
    return OutlineProblem(outline.position, outline.line, outline.title, reason)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or url)[:MAX_NAME]
