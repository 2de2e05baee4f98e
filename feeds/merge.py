"""The merge policy: which copy of a news item the entry shows, and what storing a copy changes.

Every source's latest copy of an item is kept (``Copy``); the entry readers see is computed from
them, never from the order they arrived in:

- the canonical copy is the one of highest source priority; ties go to the copy first seen, then
  to the source name (and the item id, for two copies from one source);
- title, link, content, summary and author come from the canonical copy; categories are the union
  over all copies; tags are the canonical copy's, then the others' new ones; ``published`` is the
  earliest date a copy gave itself (the fetch time only when none did); ``updated`` is the canonical
  copy's version time, so it moves only when what the entry shows changes;
- a copy without an infoCode whose normalized title equals another such copy's, within the
  near-duplicate window, joins that entry.

All of it is pure: ``decide`` takes the stored copies and the incoming one and returns what to do;
``feeds/store`` carries it out. Change the merge here, test it without a database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from feeds.model import Copy, Entry, Outcome, StoredEntry
from feeds.timefmt import iso

Priorities = Mapping[str, int]
UNKNOWN_PRIORITY = 0  # shown for a copy whose source is no longer in the config


@dataclass(frozen=True, slots=True)
class MergePolicy:
    """The merge's settings, from the config: source priorities and the near-duplicate window."""

    priorities: Priorities
    near_window: timedelta | None = None  # None: near-duplicates are not merged

    @property
    def fingerprint(self) -> str:
        """Identifies what ``combine`` depends on besides the copies: a change re-merges every entry."""
        text = "\n".join(f"{name}\0{value}" for name, value in sorted(self.priorities.items()))
        return hashlib.sha256(text.encode()).hexdigest()


def priority_of(copy: Copy, priorities: Priorities) -> int:
    return priorities.get(copy.source, UNKNOWN_PRIORITY)


def precedence(copy: Copy, priorities: Priorities) -> tuple[bool, int, datetime, str, str]:
    """Sort key: the canonical copy sorts first. Never the arrival order: only the copies' own facts.

    A copy from a source no longer in the config ranks below every configured one, whatever its
    priority was (priorities may be negative).
    """
    known = copy.source in priorities
    return (not known, -priority_of(copy, priorities), copy.first_seen, copy.source, copy.item_id)


def ranked(copies: Iterable[Copy], priorities: Priorities) -> list[Copy]:
    """The copies, canonical first."""
    return sorted(copies, key=lambda copy: precedence(copy, priorities))


# ---- one source's copy ---------------------------------------------------------------------------


def same_copy(stored_hash: str | None, incoming: Entry) -> bool:
    """The source sent the very copy it sent last time: nothing to do (``revise``'s first rule,
    which the store checks before reading anything else)."""
    return stored_hash == incoming.content_hash


def unchanged_home(homes: Mapping[str, str], incoming: Entry) -> str | None:
    """The key under which the source's item is already stored exactly as it came in, if it is:
    nothing to do. ``homes`` maps the keys holding a copy of the item to that copy's digest. Besides
    its own key, an item without an infoCode may live under the entry it joined as a near-duplicate.
    """
    if same_copy(homes.get(incoming.key), incoming):
        return incoming.key
    if incoming.info_code:
        return None
    return next((key for key, digest in sorted(homes.items()) if same_copy(digest, incoming)), None)


def first_version(incoming: Entry, now: datetime) -> Copy:
    """A copy the store has not seen: first seen now, dated by its own updated (else published) date."""
    return Copy.of(incoming, first_seen=now, updated=max(incoming.updated, incoming.published))


def revise(old: Copy | None, incoming: Entry, now: datetime) -> Copy | None:
    """The copy to keep for ``incoming``'s source and item, or None when the stored one still holds.

    A copy's ``updated`` is its version time: its own updated date for the first version seen (else
    its published date); on a later change the copy's own updated date when it moved forward, else
    the time the change was seen. An undated item keeps the time it was first seen as its date.
    """
    if old is None:
        return first_version(incoming, now)
    if same_copy(old.content_hash, incoming):
        return None
    published = old.published if incoming.date_is_fetch_time else incoming.published
    candidate = Copy.of(incoming, first_seen=old.first_seen, updated=old.updated, published=published)
    if not old.content_hash:  # stored by a migration without its text: this is its first real version
        return replace(candidate, updated=max(incoming.updated, published))
    if candidate.shown() == old.shown():
        return candidate  # a new digest of the same text: keep it, change nothing a reader sees
    own = max(incoming.updated, published)
    return replace(candidate, updated=own if own > old.updated else max(now, old.updated))


# ---- the entry computed from its copies ----------------------------------------------------------


def combine(key: str, copies: Sequence[Copy], priorities: Priorities) -> StoredEntry:
    """The entry its copies make (see the module docstring); ``copies`` must not be empty."""
    if len(copies) == 1:  # most entries: the copy as it is (the same result, without the sorting)
        canonical = copies[0]
        published, info_code = canonical.published, canonical.info_code
        categories, tags = canonical.categories, canonical.tags
        sources: tuple[str, ...] = (canonical.source,)
    else:
        order = ranked(copies, priorities)
        canonical = order[0]
        own_dates = [copy.published for copy in order if not copy.date_is_fetch_time]
        published = min(own_dates or [copy.published for copy in order])
        info_code = next((copy.info_code for copy in order if copy.info_code), None)
        categories = tuple(sorted({slug for copy in order for slug in copy.categories}))
        tags = tuple(dict.fromkeys(tag for copy in order for tag in copy.tags))
        sources = tuple(sorted({copy.source for copy in order}))
    updated = max(canonical.updated, published)
    return StoredEntry(
        key=key,
        info_code=info_code,
        title=canonical.title,
        link=canonical.link,
        content=canonical.content,
        summary=canonical.summary,
        author=canonical.author,
        published=published,
        updated=updated,
        categories=categories,
        tags=tags,
        sources=sources,
        content_hash=canonical.content_hash,
        canonical=(canonical.source, canonical.item_id),
    )


def shown_changed(before: StoredEntry | None, after: StoredEntry) -> bool:
    """Whether a reader of the feeds (or a webhook consumer) would see a difference."""
    return before is None or before.shown() != after.shown()


# ---- storing one incoming copy -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decision:
    """What storing one incoming copy does; ``feeds/store`` carries it out, in this order.

    ``copy``: the source's copy to write (None: unchanged). ``entry``: the entry to write (None: nothing
    about it changed, though ``sources`` may have grown); with a ``duplicate`` outcome it only moves
    to another copy of the same text. ``event``: the webhook to queue, if any.
    """

    key: str  # the entry the copy belongs to (a near-duplicate's is another item's key)
    outcome: Outcome
    copy: Copy | None
    entry: StoredEntry | None
    event: str | None
    copies: tuple[Copy, ...] = ()  # the entry's copies after the change, when ``entry`` is set


def decide(
    stored: StoredEntry | None,
    copies: Sequence[Copy],
    incoming: Entry,
    priorities: Priorities,
    now: datetime,
) -> Decision:
    """Store ``incoming`` (after the rules) into the entry ``stored`` whose copies are ``copies``
    (both for its key; ``copies`` includes those a rule dropped).

    New when the entry comes into the feeds; updated when what it shows changes; dropped when a rule
    dropped the incoming copy; else a duplicate (a lower-priority copy whose text changed lands here:
    kept, but nothing a reader sees moves).
    """
    old = next((c for c in copies if (c.source, c.item_id) == (incoming.source, incoming.item_id)), None)
    copy = revise(old, incoming, now)
    if copy is None and stored is not None:
        return Decision(incoming.key, Outcome.DUPLICATE, None, None, None)
    current = copy or old
    assert current is not None, "revise gives a copy when there was none"
    everyone = [c for c in copies if c is not old] + [current]
    entry, event = settle(stored, incoming.key, everyone, priorities)
    kept = tuple(c for c in everyone if c.dropped_by is None)
    if current.dropped_by is not None:
        outcome = Outcome.DROPPED
    elif event == "entry.created":
        outcome = Outcome.NEW
    elif event == "entry.updated":
        outcome = Outcome.UPDATED
    else:
        outcome = Outcome.DUPLICATE
    return Decision(incoming.key, outcome, copy, entry, event, kept)


def settle(
    stored: StoredEntry | None, key: str, copies: Sequence[Copy], priorities: Priorities
) -> tuple[StoredEntry | None, str | None]:
    """The entry ``copies`` make now (those a rule dropped included), and the webhook event that
    announces the change; ``(None, None)`` when nothing about the entry changed.

    An entry whose every copy a rule dropped leaves the feeds (it is kept, hidden, so a rule change
    can bring it back): ``entry.deleted`` if it was in them, ``entry.created`` when it comes back.
    Besides what it shows, a change of the copy it shows it from is a change to store (no event).
    """
    kept = [copy for copy in copies if copy.dropped_by is None]
    if not kept:
        if stored is None:
            return replace(combine(key, copies, priorities), hidden=True), None
        return (None, None) if stored.hidden else (replace(stored, hidden=True), "entry.deleted")
    entry = combine(key, kept, priorities)
    if stored is None or stored.hidden:
        return entry, "entry.created"
    if shown_changed(stored, entry):
        return entry, "entry.updated"
    return (entry, None) if entry.canonical != stored.canonical else (None, None)


# ---- near-duplicates -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NearCandidate:
    """A stored copy with the same normalized title as an incoming one, and no infoCode on its entry."""

    key: str
    published: datetime


def may_be_near_duplicate(incoming: Entry) -> bool:
    """Whether a copy can be matched by title at all: no infoCode (two different infoCodes are two
    items, whatever their titles), a normalized title, and a date of its own to compare."""
    return not incoming.info_code and bool(incoming.title_key) and not incoming.date_is_fetch_time


def near_duplicate_of(incoming: Entry, candidates: Iterable[NearCandidate], window: timedelta) -> str | None:
    """The key of the entry ``incoming`` is a near-duplicate of, or None.

    The candidates (stored copies with the same ``title_key``, their entries without an infoCode)
    count when their own dates lie within ``window`` of the incoming one's. Of several, the closest
    in time wins, then the smallest key: the same answer whatever order they came in.
    """
    if not may_be_near_duplicate(incoming):
        return None
    near = [
        c for c in candidates if c.key != incoming.key and abs(c.published - incoming.published) <= window
    ]
    if not near:
        return None
    return min(near, key=lambda c: (abs(c.published - incoming.published), c.key)).key


def takes_the_name(incoming_key: str, found_key: str, found_first_seen: datetime, now: datetime) -> bool:
    """Whether the entry a near-duplicate joins is renamed to the near-duplicate's own key.

    An entry's key is its permanent id, so an entry stored in an earlier run keeps it. Within one
    run, though, which of two near-duplicate copies was stored first depends on fetch order; naming
    the entry after the smallest of their keys gives the same id whatever that order was.
    """
    return found_first_seen == now and incoming_key < found_key


# ---- showing and explaining a merge --------------------------------------------------------------


def copies_json(copies: Iterable[Copy], priorities: Priorities) -> list[dict[str, object]]:
    """The entry's copies as ``feeds entries --json`` and webhooks show them, canonical first."""
    order = ranked(copies, priorities)
    return [
        {
            "source": copy.source,
            "item_id": copy.item_id,
            "link": copy.link,
            "title": copy.title,
            "first_seen": iso(copy.first_seen),
            "updated": iso(copy.updated),
            "priority": priority_of(copy, priorities),
            "canonical": position == 0,
        }
        for position, copy in enumerate(order)
    ]


# ---- explaining a merge --------------------------------------------------------------------------


def explain(entry: StoredEntry, copies: Sequence[Copy], priorities: Priorities) -> list[str]:
    """Why the entry shows what it shows, in sentences: ``feeds explain KEY``."""
    if not copies:
        return [f"{entry.key}: no copies are stored any more; the entry keeps what it last showed."]
    order = ranked(copies, priorities)
    canonical = order[0]
    lines = [
        f"{entry.key}: {len(order)} cop{'y' if len(order) == 1 else 'ies'} from {', '.join(entry.sources)}."
    ]
    lines.append(f"Canonical: {_name(canonical)}, {_why_first(order, priorities)}")
    lines.append("It gives the title, link, content, summary and author.")
    dated = [c for c in order if not c.date_is_fetch_time]
    earliest = min(dated or order, key=lambda c: (c.published, precedence(c, priorities)))
    how = "its own date" if dated else "when it was first seen (no copy gives a date)"
    lines.append(f"Published {_when(entry.published)}: the earliest, from {_name(earliest)} ({how}).")
    lines.append(f"Updated {_when(entry.updated)}: the canonical copy's version time.")
    for copy in order[1:]:
        added = [s for s in copy.categories if not any(s in c.categories for c in order if c is not copy)]
        tags = [t for t in copy.tags if t not in canonical.tags]
        extra = []
        if added:
            extra.append(f"categories {', '.join(added)}")
        if tags:
            extra.append(f"tags {', '.join(tags)}")
        gives = f"adds {' and '.join(extra)}" if extra else "adds nothing the canonical copy lacks"
        lines.append(f"Also {_name(copy)}: priority {priority_of(copy, priorities)}, {gives}.")
    return lines


def _why_first(order: Sequence[Copy], priorities: Priorities) -> str:
    canonical = order[0]
    top = priority_of(canonical, priorities)
    if len(order) == 1:
        return f"the only copy (priority {top})."
    runner = order[1]
    if priority_of(runner, priorities) < top:
        return f"the highest priority ({top}; next {priority_of(runner, priorities)})."
    if runner.source not in priorities:
        return f"priority {top}; {_name(runner)} is from a source no longer configured."
    if runner.first_seen > canonical.first_seen:
        return f"priority {top} like {_name(runner)}, but first seen earlier ({_when(canonical.first_seen)})."
    tie = "source name" if runner.source != canonical.source else "item id"
    return f"priority {top} and first seen at the same time as {_name(runner)}; its {tie} sorts first."


def _name(copy: Copy) -> str:
    return f"{copy.source} ({copy.item_id})"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def explain_rules(entry: StoredEntry, copies: Sequence[Copy]) -> list[str]:
    """What the content rules did to the entry's copies (``feeds explain``)."""
    lines = []
    if entry.hidden:
        lines.append(f"{entry.key}: in no feed, as a rule dropped every copy (they stay stored).")
    for copy in sorted(copies, key=lambda c: (c.source, c.item_id)):
        if copy.dropped_by is not None:
            lines.append(f"Not part of it: {_name(copy)}, dropped by rule {copy.dropped_by}.")
        elif copy.original is not None:
            fields = [name for name in ("title", "link", "content", "author", "categories")
                      if getattr(copy.original, name) != getattr(copy.text, name)]  # fmt: skip
            lines.append(f"Rules rewrote the {', '.join(fields)} of {_name(copy)}.")
    return lines
