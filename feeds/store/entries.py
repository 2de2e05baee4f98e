"""SQL for news items: entries, their copies per source, categories, local file index, failures, events.

What storing a copy does is decided by ``feeds.merge`` (a pure function over the stored copies and
the incoming one); this module reads what it needs and carries the decision out.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Any

from feeds import merge
from feeds.merge import Decision, MergePolicy, NearCandidate
from feeds.model import Category, Copy, Entry, FeedMeta, ItemFailure, Origin, Outcome, StoredEntry, Text
from feeds.rules import RuleSet
from feeds.timefmt import iso, parse_iso

if TYPE_CHECKING:
    from feeds.store import Store

_ENTRY_COLUMNS = (
    "key, info_code, title, link, summary, author, published, updated, categories, tags, content_hash, "
    "canonical_source, canonical_item_id, hidden"
)
# An entry with the text of its canonical copy (stored only there).
_SELECT_ENTRY = (
    "SELECT e.key, e.info_code, e.title, e.link, COALESCE(c.content, ''), e.summary, e.author, e.published, "
    "e.updated, e.categories, e.tags, e.content_hash, e.canonical_source, e.canonical_item_id, e.hidden "
    "FROM entries AS e LEFT JOIN copies AS c "
    "ON c.key = e.key AND c.source = e.canonical_source AND c.item_id = e.canonical_item_id"
)
_COPY_COLUMNS = ", ".join(
    [
        "key",
        "source",
        "item_id",
        "info_code",
        "title",
        "link",
        "content",
        "summary",
        "author",
        "published",
        "updated",
        "categories",
        "tags",
        "content_hash",
        "first_seen",
        "raw_date",
        "date_is_fetch_time",
        "title_key",
        "dropped_by",
        "original",
    ]
)

# The same, without the text as sent (a second article's worth of bytes a merge never reads).
_COPY_COLUMNS_WITHOUT_ORIGINAL = _COPY_COLUMNS.replace(", original", ", NULL")

_INSERT_ENTRY = f"INSERT INTO entries ({_ENTRY_COLUMNS}, first_seen) VALUES ({', '.join('?' * 15)})"
_UPDATE_ENTRY = (
    "UPDATE entries SET info_code = ?, title = ?, link = ?, summary = ?, author = ?, published = ?, "
    "updated = ?, categories = ?, tags = ?, content_hash = ?, canonical_source = ?, canonical_item_id = ?, "
    "hidden = ? WHERE key = ?"
)
_UPSERT_COPY = (
    f"INSERT INTO copies ({_COPY_COLUMNS}, last_seen) VALUES ({', '.join('?' * 21)}) "
    "ON CONFLICT (source, item_id, key) DO UPDATE SET info_code = excluded.info_code, "
    "title = excluded.title, link = excluded.link, content = excluded.content, "
    "summary = excluded.summary, author = excluded.author, published = excluded.published, "
    "updated = excluded.updated, categories = excluded.categories, tags = excluded.tags, "
    "content_hash = excluded.content_hash, raw_date = excluded.raw_date, "
    "date_is_fetch_time = excluded.date_is_fetch_time, title_key = excluded.title_key, "
    "first_seen = excluded.first_seen, last_seen = excluded.last_seen, retired = 0, "
    "dropped_by = excluded.dropped_by, original = excluded.original"
)
# A copy's text as the rules left it, for re-applying changed rules (``reapply_rules``).
_REWRITE_COPY = (
    "UPDATE copies SET title = ?, link = ?, content = ?, author = ?, categories = ?, dropped_by = ?, "
    "original = ? WHERE rowid = ?"
)
_INSERT_CATEGORY = "INSERT INTO entry_categories (slug, key, published) VALUES (?, ?, ?)"
# Stored copies a new copy without an infoCode may be a near-duplicate of (merge.near_duplicate_of).
NEAR_CANDIDATES = (
    "SELECT c.key, c.published FROM copies AS c JOIN entries AS e ON e.key = c.key "
    "WHERE c.title_key = ? AND c.title_key != '' AND c.published BETWEEN ? AND ? "
    "AND c.date_is_fetch_time = 0 AND c.retired = 0 AND e.info_code IS NULL"
)
# Everything storing a copy must know first, in one statement: where the source's item has its copy
# (0: key, digest), whether an entry has the copy's key (1), near-duplicate candidates (2: key, date),
# whether retention deleted the copy's key (3).
_LOOKUP = (
    "SELECT 0, key, content_hash FROM copies WHERE source = ? AND item_id = ? AND retired = 0 "
    "UNION ALL SELECT 1, key, NULL FROM entries WHERE key = ? "
    f"UNION ALL {NEAR_CANDIDATES.replace('SELECT c.key', 'SELECT 2, c.key', 1)} "
    "UNION ALL SELECT 3, key, NULL FROM tombstones WHERE key = ?"
)
_FINGERPRINT = "merge_fingerprint"
_RULES_FINGERPRINT = "rules_fingerprint"
_SOURCES_BATCH = 2000  # entries whose kept copies one statement reads (a JSON array of their keys)
# Their kept copies' links, in the order ``_with_sources`` reads one entry's.
_SELECT_COPY_LINKS = (
    "SELECT key, source, item_id, link FROM copies WHERE key IN (SELECT value FROM json_each(?)) "
    "AND retired = 0 AND dropped_by IS NULL ORDER BY key, source, item_id"
)
_REAPPLY_BATCH = 2000  # stored copies read at a time when rules are re-applied
# Every copy, by key, with its rowid and whether it is retired: what re-applying rules reads (once).
_REAPPLY_SELECT = (
    f"SELECT rowid, retired, {_COPY_COLUMNS} FROM copies WHERE (key, rowid) > (?, ?) "
    "ORDER BY key, rowid LIMIT ?"
)
_AT = {name: place for place, name in enumerate(["rowid", "retired", *_COPY_COLUMNS.split(", ")])}
_ROW_KEY = _AT["key"]  # where each column is in a _REAPPLY_SELECT row
_REWRITTEN = ("title", "link", "content", "author", "categories", "dropped_by")  # as _REWRITE_COPY sets them
_VIEW_BATCH = 64  # rows a view reads at a time: it usually stops at its feed's limit
_REWRITE_BATCH = 100  # entries whose rewritten copies are written with one read and one executemany
Reruled = tuple[tuple[Any, ...], "tuple[Any, ...] | None"]  # a _REAPPLY_SELECT row and its rewrite
RowMapper = Callable[
    [Callable[[tuple[Any, ...]], "tuple[Any, ...] | None"], Iterable[tuple[Any, ...]]],
    Iterable[tuple[tuple[Any, ...], "tuple[Any, ...] | None"]],
]


def _serial_map(
    fn: Callable[[tuple[Any, ...]], tuple[Any, ...] | None], rows: Iterable[tuple[Any, ...]]
) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...] | None]]:
    return ((row, fn(row)) for row in rows)


@dataclass(frozen=True, slots=True)
class _Found:
    """What ``_LOOKUP`` found for one incoming copy."""

    homes: dict[str, str]  # key → digest of this source's copy of the item (one key, but after a key change)
    exists: bool  # an entry has the copy's own key
    near: list[NearCandidate]
    buried: bool = False  # retention deleted the entry of the copy's key: it is not imported again


@dataclass(frozen=True, slots=True)
class Reapplied:
    """What re-applying changed rules did: copies read, copies rewritten, entries changed."""

    copies: int
    rewritten: int
    entries: int


@dataclass(frozen=True, slots=True)
class StoredText:
    """One stored copy's text as its source sent it: what ``feeds rules test`` runs the rules on."""

    key: str
    source: str
    item_id: str
    text: Text


@dataclass(frozen=True, slots=True)
class FileState:
    """What the last scan saw of one post file."""

    size: int
    mtime_ns: int
    content_hash: str
    entry_key: str | None


class EntryRepo:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn = store.conn
        self._saved_categories: set[Category] = set()

    # ---- entries ---------------------------------------------------------------------------

    def get(self, key: str) -> StoredEntry | None:
        entry = self._row(key)
        return None if entry is None else self._with_sources(entry)

    def copies(self, key: str, dropped: bool = False, originals: bool = False) -> list[Copy]:
        """Every source's copy of the entry, in no particular order (``merge.ranked`` orders them).
        A copy its source dropped (retired) is no longer one of them; one a rule dropped is only
        with ``dropped`` (it is stored, but not part of the entry). The text as sent, which only
        rewriting a copy elsewhere or explaining it needs, is read only with ``originals``."""
        columns = _COPY_COLUMNS if originals else _COPY_COLUMNS_WITHOUT_ORIGINAL
        sql = f"SELECT {columns} FROM copies WHERE key = ? AND retired = 0"
        if not dropped:
            sql += " AND dropped_by IS NULL"
        return [_copy_from_row(row) for row in self._conn.execute(sql, (key,))]

    def apply(self, entry: Entry, now: datetime, policy: MergePolicy, notify: bool = True) -> Decision:
        """Store one source's copy and re-merge its entry as ``merge.decide`` says. Call inside a
        transaction.

        In the same transaction, a change marks the feeds it touches for rebuilding (the schema's
        triggers do it) and, with ``notify`` (webhooks configured), queues an outbox event: both
        happen exactly when the change commits. A copy its source sent unchanged costs one read.
        """
        self.save_categories(entry.categories)
        found = self._lookup(entry, policy)
        if found.buried:
            return Decision(entry.key, Outcome.BURIED, None, None, None)
        unchanged_at = merge.unchanged_home(found.homes, entry)
        if unchanged_at is not None:
            return Decision(unchanged_at, Outcome.DUPLICATE, None, None, None)
        natural_key = entry.key
        stored = self._row(natural_key) if found.exists else None
        moved: list[Copy] = []
        if stored is None:
            entry, moved = self._join_near_duplicate(entry, policy, now, found.near)
            stored = self._row(entry.key) if entry.key != natural_key and not moved else None
        for key in found.homes.keys() - {entry.key}:  # a source's item has one copy: it leaves its old entry
            self.forget_copy(key, entry.source, entry.item_id, policy, now, notify)
        copies = self.copies(entry.key, dropped=True) if stored is not None else moved
        decision = merge.decide(stored, copies, entry, policy.priorities, now)
        self._carry_out(decision, stored, policy, now, notify)
        if stored is not None and decision.entry is None and _attribution_moved(copies, decision.copy):
            self._touch(stored)
        for copy in moved:  # an entry renamed to this copy's key: its copies follow, after its row
            self._write_copy(copy, now)
        if moved:  # the entry was counted as new when its first copy came in, earlier in this run
            return replace(decision, outcome=Outcome.UPDATED)
        return decision

    def _carry_out(
        self, decision: Decision, stored: StoredEntry | None, policy: MergePolicy, now: datetime, notify: bool
    ) -> None:
        if decision.entry is not None:
            self._write_entry(decision.entry, stored, now)
        if decision.copy is not None:
            self._write_copy(decision.copy, now)
        if decision.event is not None and decision.entry is not None and notify:
            self._announce(decision.event, decision.entry, decision.copies, policy, now)

    def _announce(
        self, event_type: str, entry: StoredEntry, copies: Sequence[Copy], policy: MergePolicy, now: datetime
    ) -> None:
        """Queue the event with the entry as ``feeds entries --json`` prints it, from copies at hand.
        An entry leaving the feeds is announced only if it ever was (an event about it was queued)."""
        if event_type == "entry.deleted" and not self._ever_announced(entry.key):
            return
        data = entry.to_json(merge.copies_json(copies, policy.priorities))
        self._queue_event(event_type, entry, data, now)

    def _ever_announced(self, key: str) -> bool:
        row = self._conn.execute("SELECT 1 FROM events WHERE entry_key = ? LIMIT 1", (key,)).fetchone()
        return row is not None

    def _lookup(self, entry: Entry, policy: MergePolicy) -> _Found:
        """One read for what the merge needs to know before anything else (see ``_LOOKUP``)."""
        window = policy.near_window
        if window is not None and merge.may_be_near_duplicate(entry):
            low, high = iso(entry.published - window), iso(entry.published + window)
            title_key = entry.title_key
        else:
            title_key, low, high = "", "", ""  # matches nothing (the index holds no empty title keys)
        params = (entry.source, entry.item_id, entry.key, title_key, low, high, entry.key)
        homes: dict[str, str] = {}
        exists = buried = False
        candidates: list[NearCandidate] = []
        for kind, key, value in self._conn.execute(_LOOKUP, params):
            if kind == 0:
                homes[key] = value
            elif kind == 1:
                exists = True
            elif kind == 2:
                candidates.append(NearCandidate(key, parse_iso(value)))
            else:
                buried = True
        return _Found(homes, exists, candidates, buried)

    def _join_near_duplicate(
        self, entry: Entry, policy: MergePolicy, now: datetime, candidates: list[NearCandidate]
    ) -> tuple[Entry, list[Copy]]:
        """A copy with an unseen key that is a near-duplicate of a stored entry joins that entry.

        When that entry was first stored in this same run and the copy's key sorts first, the entry
        is renamed to the copy's key instead (``merge.takes_the_name``): its copies come back to be
        stored under the new key once the renamed entry's row is written.
        """
        if policy.near_window is None or not candidates:
            return entry, []
        found = merge.near_duplicate_of(entry, candidates, policy.near_window)
        if found is None:
            return entry, []
        if merge.takes_the_name(entry.key, found, self._first_seen(found), now) and not self._announced(
            found
        ):
            return entry, self._take_apart(found, entry.key)
        return replace(entry, key=found), []

    def _first_seen(self, key: str) -> datetime:
        return parse_iso(
            self._conn.execute("SELECT first_seen FROM entries WHERE key = ?", (key,)).fetchone()[0]
        )

    def _announced(self, key: str) -> bool:
        """Whether any webhook event about the entry has left the outbox's queue for an endpoint."""
        row = self._conn.execute(
            "SELECT 1 FROM events WHERE entry_key = ? AND seq <= (SELECT seq FROM outbox_cursor) LIMIT 1",
            (key,),
        ).fetchone()
        return row is not None

    def _take_apart(self, key: str, new_key: str) -> list[Copy]:
        """Remove an entry that is about to be stored under ``new_key``: its unsent events go, its
        post files will point at the new key, and its copies are handed back, renamed."""
        copies = [replace(copy, key=new_key) for copy in self.copies(key, dropped=True, originals=True)]
        self._conn.execute("DELETE FROM events WHERE entry_key = ?", (key,))
        self._conn.execute("DELETE FROM entries WHERE key = ?", (key,))  # its copies and category rows too
        self._conn.execute("UPDATE files SET entry_key = ? WHERE entry_key = ?", (new_key, key))
        return copies

    def _row(self, key: str) -> StoredEntry | None:
        row = self._conn.execute(f"{_SELECT_ENTRY} WHERE e.key = ?", (key,)).fetchone()
        return None if row is None else _entry_from_row(row)

    def _write_entry(self, entry: StoredEntry, before: StoredEntry | None, now: datetime) -> None:
        """Insert or update the entry row; its category rows follow its categories and date."""
        published = iso(entry.published)
        categories = _dumps_strings(entry.categories)
        values = (
            entry.info_code,
            entry.title,
            entry.link,
            entry.summary,
            entry.author,
            published,
            iso(entry.updated),
            categories,
            _dumps_strings(entry.tags),
            entry.content_hash,
            *entry.canonical,
            int(entry.hidden),
        )
        if before is None:
            self._conn.execute(_INSERT_ENTRY, (entry.key, *values, iso(now)))
            added: Iterable[str] = () if entry.hidden else entry.categories
        else:
            self._conn.execute(_UPDATE_ENTRY, (*values, entry.key))
            added = self._drop_category_rows(entry, before)
        for slug in added:  # mostly one: a plain execute costs less than executemany's setup
            self._conn.execute(_INSERT_CATEGORY, (slug, entry.key, published))

    def _drop_category_rows(self, entry: StoredEntry, before: StoredEntry) -> Iterable[str]:
        """Remove the category rows an updated entry no longer has; returns the slugs to add. A copy
        that only brings a new category (the usual cross-source case) touches that one row. A hidden
        entry has none: it is in no feed."""
        if entry.hidden or before.hidden or before.published != entry.published:
            self._conn.execute("DELETE FROM entry_categories WHERE key = ?", (entry.key,))
            return () if entry.hidden else entry.categories
        for slug in set(before.categories) - set(entry.categories):
            self._conn.execute("DELETE FROM entry_categories WHERE key = ? AND slug = ?", (entry.key, slug))
        return [slug for slug in entry.categories if slug not in before.categories]

    def _write_copy(self, copy: Copy, now: datetime) -> None:
        self._conn.execute(
            _UPSERT_COPY,
            (
                copy.key,
                copy.source,
                copy.item_id,
                copy.info_code,
                copy.title,
                copy.link,
                copy.content,
                copy.summary,
                copy.author,
                iso(copy.published),
                iso(copy.updated),
                _dumps_strings(copy.categories),
                _dumps_strings(copy.tags),
                copy.content_hash,
                iso(copy.first_seen),
                copy.raw_date,
                int(copy.date_is_fetch_time),
                copy.title_key,
                copy.dropped_by,
                _original_json(copy),
                iso(now),
            ),
        )

    def forget_copy(
        self, key: str, source: str, item_id: str, policy: MergePolicy, now: datetime, notify: bool
    ) -> bool:
        """A post file is gone or now yields another key: drop its copy and re-merge the entry from
        the rest (with none left, the entry stays as it was: feeds keep history). True when what
        the entry shows changed (announced as ``entry.updated``)."""
        retired = self._conn.execute(
            "UPDATE copies SET retired = 1 WHERE key = ? AND source = ? AND item_id = ? AND retired = 0",
            (key, source, item_id),
        ).rowcount
        changed = self._remerge(key, policy, now, notify)
        if retired and not changed and (stored := self._row(key)) is not None:
            self._touch(stored)  # its link leaves the entry's attribution
        self._conn.execute(  # retired copies are kept only while their entry still shows one
            "DELETE FROM copies WHERE key = ? AND retired = 1 AND NOT EXISTS (SELECT 1 FROM entries AS e "
            "WHERE e.key = ? AND e.canonical_source = copies.source "
            "AND e.canonical_item_id = copies.item_id)",
            (key, key),
        )
        return changed

    def _touch(self, entry: StoredEntry) -> None:
        """Mark the feeds showing the entry for rebuilding, though the entry row did not change: the
        copies its attribution lists did (the triggers see only entry rows)."""
        if entry.hidden:
            return
        self._conn.executemany(
            "INSERT INTO dirty_feeds (slug) VALUES (?) "
            "ON CONFLICT (slug) DO UPDATE SET marks = dirty_feeds.marks + 1",
            [(slug,) for slug in ("all", *entry.categories)],
        )
        self._conn.execute(
            "INSERT INTO dirty_months (month) VALUES (?) "
            "ON CONFLICT (month) DO UPDATE SET marks = dirty_months.marks + 1",
            (iso(entry.published)[:7],),
        )

    def _remerge(self, key: str, policy: MergePolicy, now: datetime, notify: bool) -> bool:
        """Compute the entry again from its stored copies (see ``merge.settle``); True when what the
        feeds show of it changed. With no copies left, the entry stays as it was."""
        stored = self._row(key)
        if stored is None:
            return False
        return self._settle(stored, self.copies(key, dropped=True), policy, now, notify)

    def _settle(
        self, stored: StoredEntry, copies: list[Copy], policy: MergePolicy, now: datetime, notify: bool
    ) -> bool:
        """Write the entry ``copies`` now make (``merge.settle``) and queue its event; True when what
        the feeds show of it changed. Copies kept only for history show it on its stored date."""
        if not copies:
            return False
        if any(copy.retired for copy in copies):
            copies = [replace(copy, published=stored.published) for copy in copies]
        key = stored.key
        entry, event = merge.settle(stored, key, copies, policy.priorities)
        if entry is None:
            return False
        self._write_entry(entry, stored, now)
        if event is None:
            return False  # the same text from another copy
        if notify:
            kept = [copy for copy in copies if copy.dropped_by is None]
            self._announce(event, entry, kept, policy, now)
        return True

    # ---- rules -----------------------------------------------------------------------------

    def reapply_rules(
        self,
        rules: RuleSet,
        policy: MergePolicy,
        now: datetime,
        notify: bool,
        map_rows: RowMapper = _serial_map,
    ) -> Reapplied | None:
        """Re-apply the rules to every stored copy, from its text as sent, when they differ from the
        rules the copies were stored under (a fingerprint in ``meta``); then re-merge the entries
        whose copies changed. None when the rules are the same. ``map_rows`` runs the rules over the
        copies (the pipeline passes its worker processes); results come back in order, by key, so
        each entry is settled once, from the rows already read, a hundred entries at a time.

        One transaction: a run killed midway leaves the copies as they were and the old fingerprint,
        so the next run re-applies them all.
        """
        row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (_RULES_FINGERPRINT,)).fetchone()
        if row is not None and row[0] == rules.fingerprint:
            return None
        seen = rewritten = changed = 0
        with self._store.transaction():
            if row is not None or rules:  # a store never ruled has nothing to re-apply with no rules
                self.save_categories(rules.categories)
                batch: list[list[Reruled]] = []
                for group in _by_key(map_rows(partial(_reruled, rules), self._copy_rows())):
                    seen += len(group)
                    if any(update is not None for _, update in group):
                        batch.append(group)
                    if len(batch) == _REWRITE_BATCH:
                        rewritten, changed = self._rewrite_copies(
                            batch, policy, now, notify, rewritten, changed
                        )
                        batch = []
                rewritten, changed = self._rewrite_copies(batch, policy, now, notify, rewritten, changed)
            self._set_meta(_RULES_FINGERPRINT, rules.fingerprint)
        return Reapplied(seen, rewritten, changed)

    def _rewrite_copies(
        self,
        batch: list[list[Reruled]],
        policy: MergePolicy,
        now: datetime,
        notify: bool,
        rewritten: int,
        changed: int,
    ) -> tuple[int, int]:
        """Write some entries' copies (each group: an entry's copy rows, each with its rewrite, if
        any) as the rules now make them, then settle each entry from those rows: all of its copies,
        read once. The entries as they were are read first, in one statement: their text is read
        through the copies about to change."""
        if not batch:
            return rewritten, changed
        keys = [group[0][0][_ROW_KEY] for group in batch]
        sql = f"{_SELECT_ENTRY} WHERE e.key IN ({', '.join('?' * len(keys))})"
        before = {row[0]: _entry_from_row(row) for row in self._conn.execute(sql, keys)}
        updates = [update for group in batch for _, update in group if update is not None]
        self._conn.executemany(_REWRITE_COPY, updates)
        for key, group in zip(keys, batch, strict=True):
            stored = before.get(key)
            if stored is None:
                continue
            copies = [_rewritten_copy(row, update) for row, update in group]
            live = [copy for copy in copies if not copy.retired]
            settled = self._settle(stored, live or copies, policy, now, notify)
            if not settled:
                self._touch(stored)  # a copy's link (its attribution) may have changed
            changed += settled
        return rewritten + len(updates), changed

    def _copy_rows(self) -> Iterator[tuple[Any, ...]]:
        """Every copy's row for re-applying rules, by key, read a batch at a time."""
        after: tuple[str, int] = ("", 0)
        while True:
            rows = self._conn.execute(_REAPPLY_SELECT, (*after, _REAPPLY_BATCH)).fetchall()
            if not rows:
                return
            after = (rows[-1][_ROW_KEY], rows[-1][0])
            yield from rows

    def stored_texts(
        self, source: str | None = None, category: str | None = None, limit: int | None = None
    ) -> Iterator[StoredText]:
        """Every stored copy's text as its source sent it (``feeds rules test``), by key."""
        sql = (
            "SELECT key, source, item_id, title, link, content, author, tags, categories, original "
            "FROM copies WHERE (? IS NULL OR source = ?) "
            "AND (? IS NULL OR EXISTS (SELECT 1 FROM json_each(copies.categories) WHERE value = ?)) "
            "ORDER BY key, source, item_id"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for key, name, item_id, *text, original in self._conn.execute(
            sql, (source, source, category, category)
        ):
            shown = _text_from_row(text)
            yield StoredText(
                key, name, item_id, shown if original is None else _original_text(shown, original)
            )

    def _set_meta(self, name: str, value: str) -> None:
        self._conn.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def remerge_if_policy_changed(self, policy: MergePolicy, now: datetime, notify: bool) -> int:
        """Re-merge every entry when the priorities differ from the last merge's: a config change
        takes effect on the next run or build, without fetching. Returns the entries that changed."""
        row = self._conn.execute("SELECT value FROM meta WHERE name = ?", (_FINGERPRINT,)).fetchone()
        if row is not None and row[0] == policy.fingerprint:
            return 0
        changed = 0
        with self._store.transaction():
            keys = [
                key
                for (key,) in self._conn.execute(
                    "SELECT DISTINCT key FROM copies WHERE retired = 0 ORDER BY key"
                )
            ]
            for key in keys:
                changed += self._remerge(key, policy, now, notify)
            self._set_meta(_FINGERPRINT, policy.fingerprint)
        return changed

    # ---- retention -------------------------------------------------------------------------

    def bury_older_than(self, cutoff: datetime, now: datetime) -> int:
        """Delete the entries published before ``cutoff``, with their copies and category rows (the
        feeds they were in are marked dirty), leaving a tombstone per key so that no source brings
        one back; returns how many. One transaction."""
        before = iso(cutoff)
        with self._store.transaction():
            buried = self._conn.execute(
                "INSERT INTO tombstones (key, deleted) SELECT key, ? FROM entries WHERE published < ? "
                "ON CONFLICT (key) DO UPDATE SET deleted = excluded.deleted",
                (iso(now), before),
            ).rowcount
            if buried:
                self._conn.execute("DELETE FROM entries WHERE published < ?", (before,))
                self._conn.execute(
                    "UPDATE files SET entry_key = NULL WHERE entry_key IN (SELECT key FROM tombstones "
                    "WHERE deleted = ?)",
                    (iso(now),),
                )
        return int(buried)

    # ---- archives --------------------------------------------------------------------------

    def dirty_months(self) -> dict[str, int]:
        """Archive months marked for rebuilding, each with its count of marks (``clear_dirty_months``)."""
        return dict(self._conn.execute("SELECT month, marks FROM dirty_months"))

    def clear_dirty_months(self, marks: Mapping[str, int]) -> None:
        """Clear the months a build read as ``marks`` and has rendered; one marked again since (a
        change stored meanwhile, by another process) keeps its mark."""
        self._conn.executemany("DELETE FROM dirty_months WHERE month = ? AND marks = ?", list(marks.items()))

    def months(self, category: str) -> list[str]:
        """The UTC months (``YYYY-MM``) in which the feed's entries were published, oldest first."""
        if category == "all":
            rows = self._conn.execute("SELECT DISTINCT substr(published, 1, 7) FROM entries WHERE hidden = 0")
        else:
            rows = self._conn.execute(
                "SELECT DISTINCT substr(published, 1, 7) FROM entry_categories WHERE slug = ?", (category,)
            )
        return sorted(row[0] for row in rows)

    def in_month(self, month: str, category: str = "all") -> list[StoredEntry]:
        """Every entry of the feed published in ``month`` (UTC), newest first."""
        start, end = f"{month}-01T00:00:00Z", f"{_next_month(month)}-01T00:00:00Z"
        if category == "all":
            sql = f"{_SELECT_ENTRY} WHERE e.hidden = 0 AND e.published >= ? AND e.published < ?"
            params: tuple[str, ...] = (start, end)
        else:
            sql = (
                f"{_SELECT_ENTRY} WHERE e.key IN (SELECT key FROM entry_categories "
                "WHERE slug = ? AND published >= ? AND published < ?)"
            )
            params = (category, start, end)
        rows = self._conn.execute(f"{sql} ORDER BY e.published DESC, e.key", params).fetchall()
        return self._all_with_sources([_entry_from_row(row) for row in rows])

    def archived(self, slug: str) -> set[str]:
        """The months the feed has an archive document for, as the last build left them."""
        rows = self._conn.execute("SELECT month FROM archive_months WHERE slug = ?", (slug,))
        return {row[0] for row in rows}

    def archived_slugs(self) -> set[str]:
        return {row[0] for row in self._conn.execute("SELECT DISTINCT slug FROM archive_months")}

    def set_archived(self, slug: str, added: Iterable[str], removed: Iterable[str]) -> None:
        self._conn.executemany(
            "INSERT INTO archive_months (slug, month) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(slug, m) for m in added],
        )
        self._conn.executemany(
            "DELETE FROM archive_months WHERE slug = ? AND month = ?", [(slug, m) for m in removed]
        )

    def dirty_feeds(self) -> dict[str, int]:
        """Feeds marked for rebuilding, each with its count of marks (``clear_dirty``)."""
        return dict(self._conn.execute("SELECT slug, marks FROM dirty_feeds"))

    def clear_dirty(self, marks: Mapping[str, int]) -> None:
        """Clear the feeds a build read as ``marks`` and has written; one marked again since keeps
        its mark (see ``clear_dirty_months``)."""
        self._conn.executemany("DELETE FROM dirty_feeds WHERE slug = ? AND marks = ?", list(marks.items()))

    def recent(self, category: str | None = None, limit: int | None = None) -> list[StoredEntry]:
        """Newest first (published, then key, so ties are ordered the same every time)."""
        limit_sql = "" if limit is None else f" LIMIT {int(limit)}"
        if category is None or category == "all":
            sql = f"{_SELECT_ENTRY} WHERE e.hidden = 0 ORDER BY e.published DESC, e.key{limit_sql}"
            rows = self._conn.execute(sql).fetchall()
        else:
            sql = (
                f"{_SELECT_ENTRY} WHERE e.key IN ("
                f"SELECT key FROM entry_categories WHERE slug = ? ORDER BY published DESC, key{limit_sql})"
                " ORDER BY e.published DESC, e.key"
            )
            rows = self._conn.execute(sql, (category,)).fetchall()
        return self._all_with_sources([_entry_from_row(row) for row in rows])

    def selected(self, categories: Iterable[str], tags: Iterable[str]) -> Iterator[StoredEntry]:
        """Entries in any of ``categories`` or with any of ``tags`` (with neither given: every
        entry), newest first, read as the caller goes: a view stops at its feed's limit."""
        wanted_categories, wanted_tags = sorted(categories), sorted(tags)
        sql = (
            f"{_SELECT_ENTRY} WHERE e.hidden = 0 AND (? OR EXISTS (SELECT 1 FROM entry_categories AS ec "
            "WHERE ec.key = e.key AND ec.slug IN (SELECT value FROM json_each(?))) "
            "OR EXISTS (SELECT 1 FROM json_each(e.tags) AS t "
            "WHERE t.value IN (SELECT value FROM json_each(?)))) "
            "ORDER BY e.published DESC, e.key"
        )
        every = not wanted_categories and not wanted_tags
        params = (every, _dumps(wanted_categories), _dumps(wanted_tags))
        cursor = self._conn.execute(sql, params)
        while rows := cursor.fetchmany(_VIEW_BATCH):
            yield from self._all_with_sources([_entry_from_row(row) for row in rows])

    def count(self) -> int:
        """Entries in the feeds (not those every copy of which a rule dropped)."""
        return int(self._conn.execute("SELECT count(*) FROM entries WHERE hidden = 0").fetchone()[0])

    def _with_sources(self, entry: StoredEntry) -> StoredEntry:
        """The entry with its sources, each kept copy's link (canonical first) and, when its canonical
        copy came from a remote feed, what that feed says of itself (the feeds' attribution)."""
        return self._all_with_sources([entry])[0]

    def _all_with_sources(self, entries: list[StoredEntry]) -> list[StoredEntry]:
        """``_with_sources`` for many entries (an archive month holds thousands on a first build; a
        feed's newest; a view's next rows), their copies read a batch per statement and each source's
        attribution once, not two statements per entry."""
        copies: dict[str, list[tuple[str, str, str | None]]] = {}
        for start in range(0, len(entries), _SOURCES_BATCH):
            keys = _dumps([entry.key for entry in entries[start : start + _SOURCES_BATCH]])
            for key, source, item_id, link in self._conn.execute(_SELECT_COPY_LINKS, (keys,)):
                copies.setdefault(key, []).append((source, item_id, link))
        origins = {source: self._origin(source) for source in {entry.canonical[0] for entry in entries}}
        return [
            self._sourced(entry, copies.get(entry.key, []), origins[entry.canonical[0]]) for entry in entries
        ]

    @staticmethod
    def _sourced(
        entry: StoredEntry, rows: Sequence[tuple[str, str, str | None]], origin: Origin | None
    ) -> StoredEntry:
        names = tuple(dict.fromkeys(source for source, _, _ in rows))
        ordered = sorted(rows, key=lambda row: (row[0], row[1]) != entry.canonical)  # stable: canonical first
        links = tuple((source, link) for source, _, link in ordered)
        return replace(entry, sources=names, copy_links=links, origin=origin)

    def _origin(self, source: str) -> Origin | None:
        row = self._conn.execute(
            "SELECT url, feed_id, feed_title, feed_link, feed_updated FROM sources WHERE name = ?", (source,)
        ).fetchone()
        if row is None:
            return None  # a local source: the site's own post
        url, feed_id, title, link, updated = row
        return Origin(
            source, url, FeedMeta(feed_id or url, title, link, parse_iso(updated) if updated else None)
        )

    # ---- categories ------------------------------------------------------------------------

    def forget_cached(self) -> None:
        """After a rollback: what this connection remembered writing may no longer be there."""
        self._saved_categories.clear()

    def save_categories(self, categories: Iterable[Category]) -> None:
        """Record slug → title; the titles already written by this connection are not written again."""
        fresh = [c for c in categories if c not in self._saved_categories]
        if not fresh:
            return
        self._conn.executemany(
            "INSERT INTO categories (slug, title) VALUES (?, ?) "
            "ON CONFLICT (slug) DO UPDATE SET title = excluded.title "
            "WHERE categories.title != excluded.title",
            [(c.slug, c.title) for c in fresh],
        )
        self._saved_categories.update(fresh)

    def categories(self) -> list[Category]:
        """Categories that hold at least one entry, by slug."""
        rows = self._conn.execute(
            "SELECT slug, title FROM categories WHERE slug IN (SELECT DISTINCT slug FROM entry_categories) "
            "ORDER BY slug"
        )
        return [Category(slug, title) for slug, title in rows]

    # ---- local file index ------------------------------------------------------------------

    def file_index(self, source: str) -> dict[str, FileState]:
        rows = self._conn.execute(
            "SELECT path, size, mtime_ns, content_hash, entry_key FROM files WHERE source = ?", (source,)
        )
        return {path: FileState(size, mtime, digest, key) for path, size, mtime, digest, key in rows}

    def record_file(self, source: str, path: str, state: FileState) -> None:
        self._conn.execute(
            """INSERT INTO files (source, path, size, mtime_ns, content_hash, entry_key)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (source, path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                   content_hash = excluded.content_hash, entry_key = excluded.entry_key""",
            (source, path, state.size, state.mtime_ns, state.content_hash, state.entry_key),
        )

    def forget_file(self, source: str, path: str, location: str) -> None:
        """A deleted post file: drop its index row and any failure recorded for it."""
        self._conn.execute("DELETE FROM files WHERE source = ? AND path = ?", (source, path))
        self.clear_failure(source, location)

    # ---- failures --------------------------------------------------------------------------

    def record_failure(self, failure: ItemFailure, now: datetime) -> None:
        self._conn.execute(
            """INSERT INTO failures (source, location, line, reason, first_seen, last_seen)
               VALUES (?, ?, ?, ?, ?, ?)
               ON CONFLICT (source, location) DO UPDATE SET line = excluded.line, reason = excluded.reason,
                   last_seen = excluded.last_seen""",
            (failure.source, failure.location, failure.line, failure.reason, iso(now), iso(now)),
        )

    def clear_failure(self, source: str, location: str) -> None:
        self._conn.execute("DELETE FROM failures WHERE source = ? AND location = ?", (source, location))

    def failing_locations(self, source: str) -> set[str]:
        return {
            row[0] for row in self._conn.execute("SELECT location FROM failures WHERE source = ?", (source,))
        }

    def failures(self) -> list[ItemFailure]:
        rows = self._conn.execute(
            "SELECT source, location, reason, line FROM failures ORDER BY source, location"
        )
        return [ItemFailure(source, location, reason, line) for source, location, reason, line in rows]

    # ---- outbox ----------------------------------------------------------------------------

    def add_event(self, event_type: str, entry_key: str, now: datetime, policy: MergePolicy) -> str:
        """Queue a webhook event carrying the entry as ``feeds entries --json`` prints it."""
        entry = self.get(entry_key)
        assert entry is not None, "add_event follows a write of the same entry"
        data = entry.to_json(merge.copies_json(self.copies(entry_key), policy.priorities))
        return self._queue_event(event_type, entry, data, now)

    def to_json(self, entry: StoredEntry, policy: MergePolicy) -> dict[str, object]:
        """The entry with its copies, as ``feeds entries --json`` prints it and webhooks carry it."""
        return entry.to_json(merge.copies_json(self.copies(entry.key), policy.priorities))

    def _queue_event(
        self, event_type: str, entry: StoredEntry, data: dict[str, object], now: datetime
    ) -> str:
        event_id = f"msg_{now.strftime('%Y%m%d%H%M%S')}_{secrets.token_hex(8)}"
        payload = {"type": event_type, "timestamp": iso(now), "data": data}
        self._conn.execute(
            "INSERT INTO events (id, type, entry_key, categories, payload, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (event_id, event_type, entry.key, _dumps(entry.categories), _dumps(payload), iso(now)),
        )
        return event_id


@lru_cache(maxsize=1024)
def _dumps_strings(strings: tuple[str, ...]) -> str:
    """Most entries share a handful of category and tag sets: encode each once."""
    return _dumps(list(strings))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _entry_from_row(row: tuple[Any, ...]) -> StoredEntry:
    (key, info_code, title, link, content, summary, author, published, updated, categories, tags, digest,
     canonical_source, canonical_item_id, hidden) = row  # fmt: skip
    return StoredEntry(
        key=key,
        info_code=info_code,
        title=title,
        link=link,
        content=content,
        summary=summary,
        author=author,
        published=parse_iso(published),
        updated=parse_iso(updated),
        categories=tuple(json.loads(categories)),
        tags=tuple(json.loads(tags)),
        sources=(),
        content_hash=digest,
        canonical=(canonical_source, canonical_item_id),
        hidden=bool(hidden),
    )


def _copy_from_row(row: Sequence[Any], with_original: bool = True) -> Copy:
    (key, source, item_id, info_code, title, link, content, summary, author, published, updated,
     categories, tags, digest, first_seen, raw_date, fetch_time, title_key, dropped_by,
     original) = row  # fmt: skip
    categories, tags = tuple(json.loads(categories)), tuple(json.loads(tags))
    return Copy(
        key=key,
        source=source,
        item_id=item_id,
        info_code=info_code,
        title=title,
        link=link,
        content=content,
        summary=summary,
        author=author,
        published=parse_iso(published),
        updated=parse_iso(updated),
        categories=categories,
        tags=tags,
        content_hash=digest,
        first_seen=parse_iso(first_seen),
        raw_date=raw_date,
        date_is_fetch_time=bool(fetch_time),
        title_key=title_key,
        dropped_by=dropped_by,
        original=None
        if original is None or not with_original
        else _original_text(Text(title, link, content, author, tags, categories), original),
    )


_ORIGINAL_FIELDS = ("title", "link", "content", "author", "categories")


def _original_json(copy: Copy) -> str | None:
    """The fields a rule rewrote, as the source sent them (the rest are as stored)."""
    if copy.original is None:
        return None
    return _as_sent_json(copy.original, copy.text)


def _as_sent_json(sent: Text, shown: Text) -> str | None:
    """``copies.original``: each field a rule rewrote, as sent. The content, an article's worth of
    text, is kept as what differs from the stored content: ``[prefix, suffix, middle]``, the
    lengths of the stored content's start and end it shares, and the text between them (a removed
    footer is a few hundred characters, not the article again)."""
    changed: dict[str, object] = {}
    for name in _ORIGINAL_FIELDS:
        before, after = getattr(sent, name), getattr(shown, name)
        if before != after:
            changed[name] = _content_delta(before, after) if name == "content" else before
    return _dumps(changed) if changed else None


def _content_delta(sent: str, shown: str) -> list[object]:
    limit = min(len(sent), len(shown))
    prefix = _shared(limit, lambda n: sent[:n] == shown[:n])
    suffix = _shared(limit - prefix, lambda n: sent[len(sent) - n :] == shown[len(shown) - n :])
    return [prefix, suffix, sent[prefix : len(sent) - suffix]]


def _shared(limit: int, equal: Callable[[int], bool]) -> int:
    """The largest n <= limit for which ``equal(n)`` holds (it holds for 0, and for every smaller n
    when for n): a binary search, each step one comparison in C."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if equal(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _text_from_row(row: Sequence[Any]) -> Text:
    title, link, content, author, tags, categories = row
    return Text(title, link, content, author, tuple(json.loads(tags)), tuple(json.loads(categories)))


def _original_text(shown: Text, original: str) -> Text:
    """The text as sent, from the stored text and ``copies.original`` (see ``_as_sent_json``)."""
    changed = json.loads(original)
    if "categories" in changed:
        changed["categories"] = tuple(changed["categories"])
    delta = changed.get("content")
    if isinstance(delta, list):
        prefix, suffix, middle = delta
        content = shown.content
        changed["content"] = content[:prefix] + middle + content[len(content) - suffix :]
    return replace(shown, **changed)


def _reruled(rules: RuleSet, row: Sequence[Any]) -> tuple[Any, ...] | None:
    """The ``_REWRITE_COPY`` parameters of a stored copy (a ``_REAPPLY_SELECT`` row) the rules now
    make different; None when they leave it as stored. Pure, so it runs in worker processes."""
    at = _AT
    source, dropped_by, original = row[at["source"]], row[at["dropped_by"]], row[at["original"]]
    shown = Text(
        row[at["title"]],
        row[at["link"]],
        row[at["content"]],
        row[at["author"]],
        tuple(json.loads(row[at["tags"]])),
        tuple(json.loads(row[at["categories"]])),
    )
    sent = shown if original is None else _original_text(shown, original)
    verdict = rules.apply(source, sent)
    if verdict.text == shown and verdict.dropped_by == dropped_by:
        return None
    after = verdict.text
    return (
        after.title,
        after.link,
        after.content,
        after.author,
        _dumps_strings(after.categories),
        verdict.dropped_by,
        _as_sent_json(sent, after),
        row[0],
    )


def _attribution_moved(copies: Sequence[Copy], written: Copy | None) -> bool:
    """Whether writing ``written`` changes the kept copies' links an entry's feeds list (a new copy,
    a new link, a copy dropped or kept again), though what the entry shows did not change."""
    if written is None:
        return False
    old = next((c for c in copies if (c.source, c.item_id) == (written.source, written.item_id)), None)
    if old is None:
        return written.dropped_by is None and written.link is not None
    return (old.link, old.dropped_by) != (written.link, written.dropped_by)


def _by_key(results: Iterable[Reruled]) -> Iterator[list[Reruled]]:
    """Consecutive rows of one key (the rows come by key), as one group each."""
    group: list[Reruled] = []
    for found in results:
        if group and found[0][_ROW_KEY] != group[0][0][_ROW_KEY]:
            yield group
            group = []
        group.append(found)
    if group:
        yield group


def _rewritten_copy(row: Sequence[Any], update: Sequence[Any] | None) -> Copy:
    """A ``_REAPPLY_SELECT`` row's copy (without its text as sent), as ``update`` rewrites it."""
    if update is not None:
        row = list(row)
        for name, value in zip(_REWRITTEN, update, strict=False):
            row[_AT[name]] = value
    copy = _copy_from_row(row[2:], with_original=False)
    return replace(copy, retired=True) if row[1] else copy


def _next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"
