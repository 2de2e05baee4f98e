"""SQL for news items: entries, their copies per source, categories, local file index, failures, events."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from feeds.dedup import decide
from feeds.model import Category, Entry, ItemFailure, Outcome, StoredEntry
from feeds.timefmt import iso, parse_iso

if TYPE_CHECKING:
    from feeds.store import Store

_ENTRY_COLUMNS = ", ".join(
    [
        "key",
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
    ]
)


_INSERT_ENTRY = (
    f"INSERT INTO entries ({_ENTRY_COLUMNS}, first_seen) VALUES ({', '.join('?' * 13)}) "
    "ON CONFLICT (key) DO NOTHING"
)
_INSERT_CATEGORY = "INSERT INTO entry_categories (slug, key, published) VALUES (?, ?, ?)"


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
        row = self._conn.execute(f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE key = ?", (key,)).fetchone()
        return None if row is None else self._with_sources(_entry_from_row(row))

    def apply(self, entry: Entry, now: datetime, notify: bool = True) -> Outcome:
        """Store one normalized copy: new entry, update, or duplicate. Call inside a transaction.

        In the same transaction, a change marks the feeds it touches for rebuilding (the schema's
        triggers do it) and, with ``notify`` (webhooks configured), queues an outbox event: both
        happen exactly when the change commits. A duplicate whose copy is unchanged costs two reads.
        """
        self.save_categories(entry.categories)
        slugs = entry.slugs
        if self._insert(entry, slugs, now):  # one statement decides "new" and stores it
            self._save_copy(entry, slugs, now)
            if notify:
                self._queue_event("entry.created", StoredEntry.first_copy(entry), now)
            return Outcome.NEW
        stored = self._conn.execute(
            "SELECT content_hash, updated FROM entries WHERE key = ?", (entry.key,)
        ).fetchone()
        copy = self._conn.execute(
            "SELECT content_hash, categories FROM entry_sources WHERE key = ? AND source = ? AND item_id = ?",
            (entry.key, entry.source, entry.item_id),
        ).fetchone()
        outcome = decide(stored[0], None if copy is None else copy[0], entry.content_hash)
        if outcome is Outcome.UPDATED:
            self._update(entry, updated=_bumped(parse_iso(stored[1]), entry.updated, now))
        if copy is None or copy[0] != entry.content_hash or copy[1] != _dumps_strings(slugs):
            self._save_copy(entry, slugs, now)
            self._refresh_categories(entry.key)
        if outcome is Outcome.UPDATED and notify:
            self.add_event("entry.updated", entry.key, now)
        return outcome

    def dirty_feeds(self) -> set[str]:
        return {row[0] for row in self._conn.execute("SELECT slug FROM dirty_feeds")}

    def clear_dirty(self, slugs: Iterable[str]) -> None:
        self._conn.executemany("DELETE FROM dirty_feeds WHERE slug = ?", [(slug,) for slug in slugs])

    def _save_copy(self, entry: Entry, slugs: tuple[str, ...], now: datetime) -> None:
        self._conn.execute(
            """INSERT INTO entry_sources
                   (key, source, item_id, content_hash, categories, raw_date, date_is_fetch_time,
                    first_seen, last_seen)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (key, source, item_id) DO UPDATE SET
                   content_hash = excluded.content_hash, categories = excluded.categories,
                   raw_date = excluded.raw_date, last_seen = excluded.last_seen""",
            (
                entry.key,
                entry.source,
                entry.item_id,
                entry.content_hash,
                _dumps_strings(slugs),
                entry.raw_date,
                int(entry.date_is_fetch_time),
                iso(now),
                iso(now),
            ),
        )

    def _insert(self, entry: Entry, slugs: tuple[str, ...], now: datetime) -> bool:
        """Insert a new entry with its categories; False (and nothing written) when the key exists."""
        published = iso(entry.published)
        cursor = self._conn.execute(
            _INSERT_ENTRY,
            (
                entry.key,
                entry.info_code,
                entry.title,
                entry.link,
                entry.content,
                entry.summary,
                entry.author,
                published,
                iso(max(entry.updated, entry.published)),
                _dumps_strings(slugs),
                _dumps_strings(entry.tags),
                entry.content_hash,
                iso(now),
            ),
        )
        if cursor.rowcount != 1:
            return False
        for slug in slugs:  # mostly one: a plain execute costs less than executemany's setup
            self._conn.execute(_INSERT_CATEGORY, (slug, entry.key, published))
        return True

    def _update(self, entry: Entry, updated: datetime) -> None:
        """Take the new copy's text; keep the first published time (never re-stamped)."""
        self._conn.execute(
            """UPDATE entries SET info_code = COALESCE(?, info_code), title = ?, link = COALESCE(?, link),
                   content = ?, summary = ?, author = ?, updated = ?, tags = ?, content_hash = ?
               WHERE key = ?""",
            (
                entry.info_code,
                entry.title,
                entry.link,
                entry.content,
                entry.summary,
                entry.author,
                iso(updated),
                _dumps_strings(entry.tags),
                entry.content_hash,
                entry.key,
            ),
        )

    def _refresh_categories(self, key: str) -> None:
        """An entry is in the union of the categories its copies gave it."""
        slugs: set[str] = set()
        for (categories,) in self._conn.execute("SELECT categories FROM entry_sources WHERE key = ?", (key,)):
            slugs.update(json.loads(categories))
        ordered = sorted(slugs)
        current = self._conn.execute(
            "SELECT categories, published FROM entries WHERE key = ?", (key,)
        ).fetchone()
        if current[0] == _dumps(ordered):
            return
        self._conn.execute("UPDATE entries SET categories = ? WHERE key = ?", (_dumps(ordered), key))
        self._conn.execute("DELETE FROM entry_categories WHERE key = ?", (key,))
        self._conn.executemany(_INSERT_CATEGORY, [(slug, key, current[1]) for slug in ordered])

    def forget_copy(self, key: str, source: str, item_id: str) -> None:
        """A file now yields another key (its infoCode changed): drop its old copy's category claim."""
        self._conn.execute(
            "DELETE FROM entry_sources WHERE key = ? AND source = ? AND item_id = ?", (key, source, item_id)
        )
        if self._conn.execute("SELECT 1 FROM entry_sources WHERE key = ? LIMIT 1", (key,)).fetchone():
            self._refresh_categories(key)

    def recent(self, category: str | None = None, limit: int | None = None) -> list[StoredEntry]:
        """Newest first (published, then key, so ties are ordered the same every time)."""
        limit_sql = "" if limit is None else f" LIMIT {int(limit)}"
        if category is None or category == "all":
            sql = f"SELECT {_ENTRY_COLUMNS} FROM entries ORDER BY published DESC, key{limit_sql}"
            rows = self._conn.execute(sql).fetchall()
        else:
            sql = (
                f"SELECT {_ENTRY_COLUMNS} FROM entries WHERE key IN ("
                f"SELECT key FROM entry_categories WHERE slug = ? ORDER BY published DESC, key{limit_sql})"
                " ORDER BY published DESC, key"
            )
            rows = self._conn.execute(sql, (category,)).fetchall()
        return [self._with_sources(_entry_from_row(row)) for row in rows]

    def count(self) -> int:
        return self._store.db.table("entries").count

    def _with_sources(self, entry: StoredEntry) -> StoredEntry:
        names = [
            row[0]
            for row in self._conn.execute(
                "SELECT DISTINCT source FROM entry_sources WHERE key = ? ORDER BY source", (entry.key,)
            )
        ]
        return replace(entry, sources=tuple(names))

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
            "ON CONFLICT (slug) DO UPDATE SET title = excluded.title WHERE title != excluded.title",
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
        rows = self._store.db.table("failures").rows_where(order_by="source, location")
        return [ItemFailure(row["source"], row["location"], row["reason"], row["line"]) for row in rows]

    # ---- outbox ----------------------------------------------------------------------------

    def add_event(self, event_type: str, entry_key: str, now: datetime) -> str:
        """Queue a webhook event carrying the entry as ``feeds entries --json`` prints it."""
        entry = self.get(entry_key)
        assert entry is not None, "add_event follows a write of the same entry"
        return self._queue_event(event_type, entry, now)

    def _queue_event(self, event_type: str, entry: StoredEntry, now: datetime) -> str:
        event_id = f"msg_{now.strftime('%Y%m%d%H%M%S')}_{secrets.token_hex(8)}"
        payload = {"type": event_type, "timestamp": iso(now), "data": entry.to_json()}
        self._conn.execute(
            "INSERT INTO events (id, type, entry_key, categories, payload, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (event_id, event_type, entry.key, _dumps(entry.categories), _dumps(payload), iso(now)),
        )
        return event_id


def _bumped(stored_updated: datetime, incoming_updated: datetime, now: datetime) -> datetime:
    """An update's new ``updated``: the copy's own time if it moved forward, else when we saw the change."""
    return incoming_updated if incoming_updated > stored_updated else max(now, stored_updated)


@lru_cache(maxsize=1024)
def _dumps_strings(strings: tuple[str, ...]) -> str:
    """Most entries share a handful of category and tag sets: encode each once."""
    return _dumps(list(strings))


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _entry_from_row(row: tuple[Any, ...]) -> StoredEntry:
    key, info_code, title, link, content, summary, author, published, updated, categories, tags, digest = row
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
    )
