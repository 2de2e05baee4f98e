"""Values that flow between the pipeline's stages.

sources/ read bytes → parse/ gives ``EntryData`` → normalize gives ``Entry`` (one source's copy) →
merge decides what storing it does → store keeps each ``Copy`` and the ``StoredEntry`` computed
from them → emit writes feeds of entries. All frozen: a stage makes a
new value instead of growing the one it was handed.
"""

from __future__ import annotations

import dataclasses
import enum
import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from feeds.timefmt import iso

T = TypeVar("T")


def pickled_as_call(cls: type[T]) -> type[T]:
    """Pickle instances as the call ``cls(*fields)``.

    Items cross to and from worker processes by the ten thousand, and the default for slotted
    dataclasses (a state mapping set back field by field) costs over twice as much to load
    (measured: 0.78 against 0.32 ms per 50 entries), on the process that also stores them.
    """
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    assert len(names) > 1, "attrgetter of one name returns a bare value"
    fields_of = operator.attrgetter(*names)

    def __reduce__(self: T) -> tuple[type[T], tuple[object, ...]]:
        return cls, fields_of(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


@pickled_as_call
@dataclass(frozen=True, slots=True)
class EntryData:
    """One item as a parser read it: raw text, aware datetimes, nothing resolved or cleaned yet."""

    source: str  # source name from the config
    item_id: str  # local: path relative to the posts folder; remote: guid, else link, else title
    title: str
    content: str  # HTML (markdown already rendered for posts)
    link: str | None = None
    guid: str | None = None
    summary: str | None = None
    author: str | None = None
    published: datetime | None = None  # aware; None when the item gave no usable date
    updated: datetime | None = None  # aware
    raw_date: str | None = None  # the date exactly as the item gave it ("" when none)
    categories: tuple[str, ...] = ()  # names as given (may be Chinese; slugged by normalize)
    tags: tuple[str, ...] = ()
    info_code: str | None = None  # explicit infoCode (front matter); normalize also looks in URLs
    base_url: str | None = None  # what relative URLs in link/content resolve against
    date_is_fetch_time: bool = False  # published was unknown and stands in as "first seen"


@pickled_as_call
@dataclass(frozen=True, slots=True)
class FeedMeta:
    """What a remote feed says of itself (cleaned): the source shown on entries republished from it."""

    id: str | None = None  # its Atom id, else its URL
    title: str | None = None  # plain text
    link: str | None = None  # its home page: an absolute http(s) URL
    updated: datetime | None = None  # UTC


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an entry's canonical copy came from, when that is a remote feed (``emit``'s attribution)."""

    source: str  # the source's name in the config
    feed_url: str  # the feed's current URL
    meta: FeedMeta


@pickled_as_call
@dataclass(frozen=True, slots=True)
class Category:
    """A category feed: ``slug`` names files (``[a-z0-9_-]`` only), ``title`` is shown to readers."""

    slug: str
    title: str


@pickled_as_call
@dataclass(frozen=True, slots=True)
class Text:
    """The part of a copy that rules read and may rewrite (``feeds/rules.py``); categories are slugs."""

    title: str
    link: str | None
    content: str
    author: str | None
    tags: tuple[str, ...]
    categories: tuple[str, ...]


@pickled_as_call
@dataclass(frozen=True, slots=True)
class Entry:
    """A normalized item from one source: UTC dates, clean absolute HTML, its news-item key."""

    key: str
    info_code: str | None
    title: str  # plain text
    link: str | None  # absolute
    content: str  # sanitized HTML, absolute URLs
    summary: str | None
    author: str | None
    published: datetime  # UTC
    updated: datetime  # UTC
    categories: tuple[Category, ...]
    tags: tuple[str, ...]
    source: str
    item_id: str
    content_hash: (
        str  # over what a reader sees: title, link, content, summary, author, categories, tags, date
    )
    raw_date: str | None = None
    date_is_fetch_time: bool = False
    title_key: str = ""  # the normalized title near-duplicates match on; "" when it has an infoCode
    # What the rules made of it: the rule that dropped it (stored, but in no entry), and its text as
    # the source sent it when a rule rewrote any of it. Key, digest and title_key stay the source's.
    dropped_by: str | None = None
    original: Text | None = None

    @property
    def text(self) -> Text:
        return Text(self.title, self.link, self.content, self.author, self.tags, self.slugs)

    @property
    def slugs(self) -> tuple[str, ...]:
        """The feeds this copy puts the entry in, sorted: how the store records them."""
        if len(self.categories) == 1:  # the usual case, asked twice for every stored entry
            return (self.categories[0].slug,)
        return tuple(sorted({category.slug for category in self.categories}))


@dataclass(frozen=True, slots=True)
class Copy:
    """One source's latest copy of a news item, as the store keeps it: normalized, after the rules,
    with the text as it came in (``original``) where a rule rewrote it.

    ``updated`` is this version's time (see ``merge.revise``), ``first_seen`` when the store first
    had a copy of this item from this source: both are what ranks and dates the merged entry. A copy
    a rule dropped (``dropped_by``) is kept, so a rule change can bring it back, but is in no entry.
    """

    key: str
    source: str
    item_id: str
    info_code: str | None
    title: str
    link: str | None
    content: str
    summary: str | None
    author: str | None
    published: datetime  # UTC: the copy's own date, else when it was first seen
    updated: datetime  # UTC: this version's time
    categories: tuple[str, ...]  # slugs, sorted
    tags: tuple[str, ...]
    content_hash: str  # normalize's digest of the copy's text ("" when a migration could not know it)
    first_seen: datetime
    raw_date: str | None = None
    date_is_fetch_time: bool = False
    title_key: str = ""
    dropped_by: str | None = None
    original: Text | None = None
    retired: bool = False  # its source no longer sends it; kept while its entry shows it

    @property
    def text(self) -> Text:
        return Text(self.title, self.link, self.content, self.author, self.tags, self.categories)

    @property
    def as_sent(self) -> Text:
        """The text as the source sent it, before any rule."""
        return self.text if self.original is None else self.original

    @classmethod
    def of(
        cls, entry: Entry, first_seen: datetime, updated: datetime, published: datetime | None = None
    ) -> Copy:
        return cls(
            key=entry.key,
            source=entry.source,
            item_id=entry.item_id,
            info_code=entry.info_code,
            title=entry.title,
            link=entry.link,
            content=entry.content,
            summary=entry.summary,
            author=entry.author,
            published=entry.published if published is None else published,
            updated=updated,
            categories=entry.slugs,
            tags=entry.tags,
            content_hash=entry.content_hash,
            first_seen=first_seen,
            raw_date=entry.raw_date,
            date_is_fetch_time=entry.date_is_fetch_time,
            title_key=entry.title_key,
            dropped_by=entry.dropped_by,
            original=entry.original,
        )

    def shown(self) -> tuple[object, ...]:
        """What this copy could put in front of a reader: a change here is a new version."""
        return (
            self.info_code,
            self.title,
            self.link,
            self.content,
            self.summary,
            self.author,
            self.published,
            self.categories,
            self.tags,
            self.dropped_by,
        )


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as the store keeps it: one per news-item key, computed from its copies (``merge``)."""

    key: str
    info_code: str | None
    title: str
    link: str | None
    content: str
    summary: str | None
    author: str | None
    published: datetime  # UTC: the earliest date a copy gave itself
    updated: datetime  # UTC: the canonical copy's version time
    categories: tuple[str, ...]  # slugs
    tags: tuple[str, ...]
    sources: tuple[str, ...]
    content_hash: str  # the canonical copy's digest of its text
    canonical: tuple[str, str] = ("", "")  # (source, item id) of the copy whose text it shows
    hidden: bool = False  # rules dropped every copy: stored, but in no feed
    # For the feeds' attribution (not part of what ``shown`` compares): each kept copy's source and
    # link, canonical first, and the remote feed the canonical copy came from, if it did.
    copy_links: tuple[tuple[str, str | None], ...] = ()
    origin: Origin | None = None

    def shown(self) -> tuple[object, ...]:
        """Everything the feeds and webhooks show of the entry (not which sources carried it)."""
        return (
            self.info_code,
            self.title,
            self.link,
            self.content,
            self.summary,
            self.author,
            self.published,
            self.updated,
            self.categories,
            self.tags,
        )

    def to_json(self, copies: list[dict[str, object]] | None = None) -> dict[str, object]:
        """The entry as ``feeds entries --json`` prints it and webhooks carry it (the contract's fields);
        ``copies`` as ``merge.copies_json`` describes them."""
        return {
            "key": self.key,
            "info_code": self.info_code,
            "title": self.title,
            "link": self.link,
            "categories": list(self.categories),
            "tags": list(self.tags),
            "published": iso(self.published),
            "updated": iso(self.updated),
            "sources": list(self.sources),
            "copies": copies or [],
            "author": self.author,
            "summary": self.summary,
            "content_html": self.content,
        }


class Outcome(enum.Enum):
    """What storing one normalized entry did."""

    NEW = "new"
    UPDATED = "updated"
    DUPLICATE = "duplicate"
    DROPPED = "dropped"  # a rule dropped the copy (kept in the store, in no entry)
    BURIED = "buried"  # retention deleted its entry (a tombstone): not imported again


@pickled_as_call
@dataclass(frozen=True, slots=True)
class ItemFailure:
    """One rejected item (or whole source): where, why, and the line when known."""

    source: str
    location: str  # file path or URL
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.location}:{self.line}" if self.line else self.location
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class RunSummary:
    """Counts for one cycle, printed as the run's summary line."""

    new: int = 0
    updated: int = 0
    duplicate: int = 0
    failed: int = 0
    skipped: int = 0  # items read but not stored (drafts, empty items), each named at -v
    unchanged: int = 0  # unchanged files / 304s: no work done
    changed_categories: frozenset[str] = field(default_factory=frozenset)
    failures: tuple[ItemFailure, ...] = ()

    def line(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.duplicate} duplicate, "
            f"{self.failed} failed, {self.skipped} skipped, {self.unchanged} unchanged"
        )

    def __add__(self, other: RunSummary) -> RunSummary:
        return RunSummary(
            new=self.new + other.new,
            updated=self.updated + other.updated,
            duplicate=self.duplicate + other.duplicate,
            failed=self.failed + other.failed,
            skipped=self.skipped + other.skipped,
            unchanged=self.unchanged + other.unchanged,
            changed_categories=self.changed_categories | other.changed_categories,
            failures=self.failures + other.failures,
        )


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Which output files a build rewrote (relative to output_dir); unchanged ones are not touched."""

    written: tuple[str, ...]
    categories: int
    failed: tuple[str, ...] = ()  # "path: reason" of each output that could not be written


# ---- fetching: what the fetcher (feeds/sources/remote.py) hands the store -------------------------


class FetchStatus(enum.StrEnum):
    """What one fetch of a remote source came to."""

    OK = "ok"  # a new body was parsed (it may hold no items)
    NOT_MODIFIED = "not_modified"  # 304
    UNCHANGED = "unchanged"  # 200 with the same body as last time: not parsed
    GONE = "gone"  # 410: polling stops until the config URL changes or set_gone(name, False)
    ERROR = "error"
    DEFERRED = "deferred"  # not requested: its host asked us to wait (Retry-After) during this run


@dataclass(frozen=True, slots=True)
class SourceState:
    """A remote source's state after one fetch: what ``store.sources.record`` saves."""

    url: str  # current URL (after a chain of permanent redirects)
    aliases: tuple[str, ...]  # earlier URLs, oldest first
    status: str  # HTTP status ("200", "304", "404"), "file", or an error kind ("timeout", "dns", ...)
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    host: str | None = None  # host[:port] for Retry-After sharing; None for files
    retry_after: datetime | None = None  # the host must not be asked again before this
    floor: datetime | None = None  # Cache-Control / Expires / <ttl>: no point polling before this
    ttl: int | None = None  # the feed's RSS <ttl> in minutes, remembered for later 304s
    warning: str | None = None  # the body was malformed but still yielded items
    meta: FeedMeta | None = None  # what the body said of its feed (None: no body was read)
    error: str | None = None  # one line
    count_error: bool = True  # False when the failure is blamed on our own network
    duration_ms: int = 0


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One source's fetch: what its parse step made of a new body (or nothing) and its new state.

    ``entries`` are the body's items ready to store, each a normalized ``Entry`` or the failure of
    an item that could not become one. The fetcher does not make them: its caller's parse step does
    (the pipeline's parses and normalizes in a worker, in one trip), and the fetcher hands back what
    that step returned, so the store needs nothing from anywhere else.
    """

    source: str
    entries: tuple[Entry | ItemFailure, ...]
    failure: ItemFailure | None
    skipped: tuple[str, ...]  # why each unusable item in the body was left out (ParsedFeed.skipped)
    outcome: FetchStatus
    state: SourceState
    parser: str | None = None  # "lxml", "feedparser" or "json" when a body was parsed
    found: int = 0  # usable items the body carried

    @property
    def unchanged(self) -> bool:
        """Nothing new to store (304, same body, or not requested)."""
        return self.outcome in (FetchStatus.NOT_MODIFIED, FetchStatus.UNCHANGED, FetchStatus.DEFERRED)
