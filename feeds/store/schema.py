"""The database schema as numbered migrations on ``PRAGMA user_version``.

Migration N takes a database at version N-1 to N. A database newer than the last migration we know is
refused rather than guessed at (reader's habit): an older feeds must not scribble on a newer schema.
Each migration runs in one transaction with the version bump, so a crash leaves the old version whole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

V1 = """
-- One row per news item (the dedup key); the first copy's published time is kept.
CREATE TABLE entries (
    key TEXT PRIMARY KEY,
    info_code TEXT,
    title TEXT NOT NULL,
    link TEXT,
    content TEXT NOT NULL,
    summary TEXT,
    author TEXT,
    published TEXT NOT NULL,       -- RFC 3339 UTC, "2022-01-24T14:56:53Z": sorts as text
    updated TEXT NOT NULL,
    categories TEXT NOT NULL,      -- JSON list of slugs: the union over the entry's sources
    tags TEXT NOT NULL,            -- JSON list
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
CREATE INDEX entries_by_published ON entries (published DESC, key);

-- Which category feeds an entry appears in; denormalized published for the per-category query.
-- Small rows keyed by entry: WITHOUT ROWID keeps one B-tree for the key instead of table + index.
CREATE TABLE entry_categories (
    key TEXT NOT NULL REFERENCES entries (key) ON DELETE CASCADE,
    slug TEXT NOT NULL,
    published TEXT NOT NULL,
    PRIMARY KEY (key, slug)
) WITHOUT ROWID;
CREATE INDEX entry_categories_by_published ON entry_categories (slug, published DESC, key);

-- Every copy of an entry that a source carried: what made it a duplicate or an update.
CREATE TABLE entry_sources (
    key TEXT NOT NULL REFERENCES entries (key) ON DELETE CASCADE,
    source TEXT NOT NULL,
    item_id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    categories TEXT NOT NULL,      -- JSON list of slugs this copy put the entry in
    raw_date TEXT,
    date_is_fetch_time INTEGER NOT NULL DEFAULT 0,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (key, source, item_id)
) WITHOUT ROWID;

-- Feeds whose outputs must be rebuilt: marked by these triggers in the transaction that changes
-- their entries, cleared after the build, so a run that dies in between is published by the next.
CREATE TABLE dirty_feeds (
    slug TEXT PRIMARY KEY
);
CREATE TRIGGER entries_inserted_dirty AFTER INSERT ON entries BEGIN
    INSERT OR IGNORE INTO dirty_feeds (slug) VALUES ('all');
END;
CREATE TRIGGER entries_updated_dirty AFTER UPDATE ON entries BEGIN
    INSERT OR IGNORE INTO dirty_feeds (slug) VALUES ('all');
    INSERT OR IGNORE INTO dirty_feeds (slug) SELECT value FROM json_each(NEW.categories);
END;
CREATE TRIGGER entry_categories_inserted_dirty AFTER INSERT ON entry_categories BEGIN
    INSERT OR IGNORE INTO dirty_feeds (slug) VALUES (NEW.slug);
END;
CREATE TRIGGER entry_categories_deleted_dirty AFTER DELETE ON entry_categories BEGIN
    INSERT OR IGNORE INTO dirty_feeds (slug) VALUES (OLD.slug);
END;

CREATE TABLE categories (
    slug TEXT PRIMARY KEY,
    title TEXT NOT NULL
);

-- Local post files: skip unchanged ones by size + mtime, confirm by content hash.
CREATE TABLE files (
    source TEXT NOT NULL,
    path TEXT NOT NULL,            -- relative to the source folder
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    entry_key TEXT,                -- NULL when the file failed or was skipped (draft)
    PRIMARY KEY (source, path)
);

-- Items (files, feed items) and whole sources that were rejected, with the reason; cleared on success.
CREATE TABLE failures (
    source TEXT NOT NULL,
    location TEXT NOT NULL,
    line INTEGER,
    reason TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (source, location)
);

"""

# Remote sources: owned by the fetcher (feeds/sources/remote.py, feeds/store/sources.py).
V1_SOURCES = """
-- Remote sources: HTTP cache validators, health and schedule. One row per configured name; a name
-- dropped from the config keeps its row (configured = 0) so re-adding it keeps its validators.
CREATE TABLE sources (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,             -- current URL (after permanent redirects)
    config_url TEXT NOT NULL,      -- the URL the config gave; a config change resets url to it
    aliases TEXT NOT NULL DEFAULT '[]',  -- JSON list of earlier URLs, oldest first
    interval REAL NOT NULL DEFAULT 900,  -- configured seconds between polls
    enabled INTEGER NOT NULL DEFAULT 1,
    configured INTEGER NOT NULL DEFAULT 1,
    etag TEXT,
    last_modified TEXT,
    body_hash TEXT,                -- sha256 of the last decoded body: an equal 200 is "unchanged"
    last_fetch TEXT,
    last_success TEXT,
    last_status TEXT,              -- HTTP status ("200", "304", "404") or error kind ("timeout", "dns")
    error_count INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    warning TEXT,                  -- the last body was malformed but still read
    next_due TEXT,                 -- NULL: due now (or never, when gone)
    min_next_due TEXT,             -- floor from Cache-Control/Expires/<ttl>
    ttl INTEGER,                   -- the feed's RSS <ttl> (minutes): a floor on 304s too
    gone INTEGER NOT NULL DEFAULT 0,
    item_rate REAL                 -- recent new items per day, for adaptive intervals
);

CREATE TABLE fetch_log (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    duration_ms INTEGER,
    items INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX fetch_log_by_source ON fetch_log (source, id DESC);

-- A server's Retry-After applies to every source on its host (host[:port], lower-case).
CREATE TABLE hosts (
    host TEXT PRIMARY KEY,
    retry_after_until TEXT
);

"""

# Webhook outbox and delivery: owned by feeds/notify.py and feeds/store/outbox.py.
V1_DELIVERY = """
-- Webhook outbox: written in the same transaction as the entry change it announces.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,       -- webhook-id, the same on every retry
    type TEXT NOT NULL,
    entry_key TEXT,
    categories TEXT NOT NULL DEFAULT '[]',
    payload TEXT NOT NULL,         -- JSON body as sent
    created TEXT NOT NULL
);
CREATE INDEX events_by_created ON events (created);

-- How far fan-out has got: every event with seq <= this has its delivery rows. One row.
CREATE TABLE outbox_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
INSERT INTO outbox_cursor (id, seq) VALUES (1, 0);

-- Webhook endpoints seen in the config; an endpoint answering 410 Gone is disabled here.
CREATE TABLE endpoints (
    url TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    first_seen TEXT NOT NULL,
    disabled_at TEXT,
    disabled_reason TEXT
);

-- One row per (event, endpoint): the unit that is sent, retried, dead-lettered or replayed.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    event_seq INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
    endpoint TEXT NOT NULL REFERENCES endpoints (url),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'dead', 'disabled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    queued TEXT NOT NULL,          -- fan-out (or replay) time: the retry deadline counts from here
    next_attempt TEXT NOT NULL,
    last_attempt TEXT,
    last_status INTEGER,           -- HTTP status of the last attempt; NULL for a network error
    last_error TEXT,
    delivered_at TEXT,
    UNIQUE (event_seq, endpoint)
);
CREATE INDEX deliveries_queue ON deliveries (endpoint, status, event_seq);
CREATE INDEX deliveries_by_status ON deliveries (status, id);

-- WebSub publish pings still owed to the hub: one row per topic, coalesced while pending.
CREATE TABLE websub_pings (
    topic TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    version INTEGER NOT NULL DEFAULT 1,   -- bumped by every queue: a ping sent for an older one
    attempts INTEGER NOT NULL DEFAULT 0,  --   does not clear a newer change
    queued TEXT NOT NULL,
    next_attempt TEXT NOT NULL,
    last_attempt TEXT,
    last_status INTEGER,
    last_error TEXT,
    delivered_at TEXT
);
"""


def _v1(conn: sqlite3.Connection) -> None:
    conn.executescript(f"BEGIN;{V1}{V1_SOURCES}{V1_DELIVERY}")


V2 = """
-- Every source's latest copy of a news item, as it came in (normalized): the entry row is computed
-- from these (feeds/merge.py) and shows the text of one of them, its canonical copy, which is stored
-- only here. A rowid table: copies carry whole articles, too big for WITHOUT ROWID.
CREATE TABLE copies (
    key TEXT NOT NULL REFERENCES entries (key) ON DELETE CASCADE,
    source TEXT NOT NULL,
    item_id TEXT NOT NULL,
    info_code TEXT,
    title TEXT NOT NULL,
    link TEXT,
    content TEXT NOT NULL,
    summary TEXT,
    author TEXT,
    published TEXT NOT NULL,       -- the copy's own date, else when it was first seen
    updated TEXT NOT NULL,         -- this version's time
    categories TEXT NOT NULL,      -- JSON list of slugs this copy put the entry in
    tags TEXT NOT NULL,            -- JSON list
    content_hash TEXT NOT NULL,    -- '' when migration 2 could not know the copy's own text
    raw_date TEXT,
    date_is_fetch_time INTEGER NOT NULL DEFAULT 0,
    title_key TEXT NOT NULL DEFAULT '',  -- normalized title, only for copies without an infoCode
    retired INTEGER NOT NULL DEFAULT 0,  -- its source dropped it; kept only while its entry shows it
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    UNIQUE (source, item_id, key)  -- also where a source's item has its copy (and under which key)
);
CREATE INDEX copies_by_key ON copies (key);
CREATE INDEX copies_by_title ON copies (title_key, published) WHERE title_key != '';

-- Small facts about the store as a whole, such as the fingerprint of the merge's priorities.
CREATE TABLE meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The copy whose text the entry shows (its content lives in that copy's row only).
ALTER TABLE entries ADD COLUMN canonical_source TEXT NOT NULL DEFAULT '';
ALTER TABLE entries ADD COLUMN canonical_item_id TEXT NOT NULL DEFAULT '';
"""

# Version 1 kept one row per entry and, per source, only a digest of its copy. A copy whose digest is
# the entry's gets the entry's text; the others cannot be known, so they get the entry's text with an
# empty digest, and their sources are read again in full on the next run (local files by clearing
# their size and digest, remote feeds by forgetting their validators) to bring in each copy's own text.
_V2_COPIES = """
INSERT INTO copies (key, source, item_id, info_code, title, link, content, summary, author,
                    published, updated, categories, tags, content_hash, raw_date, date_is_fetch_time,
                    first_seen, last_seen)
SELECT e.key, s.source, s.item_id, e.info_code, e.title, e.link, e.content, e.summary, e.author,
       e.published, e.updated, s.categories, e.tags,
       CASE WHEN s.content_hash = e.content_hash THEN s.content_hash ELSE '' END,
       s.raw_date, s.date_is_fetch_time, s.first_seen, s.last_seen
FROM entry_sources AS s JOIN entries AS e ON e.key = s.key;
-- An entry whose posts were all deleted kept its text with no copy left: it gets a retired one.
INSERT INTO copies (key, source, item_id, info_code, title, link, content, summary, author,
                    published, updated, categories, tags, content_hash, retired, first_seen, last_seen)
SELECT key, '', '', info_code, title, link, content, summary, author, published, updated, categories,
       tags, content_hash, 1, first_seen, first_seen
FROM entries WHERE key NOT IN (SELECT key FROM entry_sources);
UPDATE entries SET (canonical_source, canonical_item_id) = (
    SELECT source, item_id FROM copies AS c WHERE c.key = entries.key
    ORDER BY c.content_hash = '', c.source, c.item_id LIMIT 1
);
ALTER TABLE entries DROP COLUMN content;
UPDATE files SET size = -1, content_hash = ''
WHERE EXISTS (SELECT 1 FROM copies AS c
              WHERE c.content_hash = '' AND c.source = files.source AND c.item_id = files.path);
UPDATE sources SET etag = NULL, last_modified = NULL, body_hash = NULL
WHERE name IN (SELECT source FROM copies WHERE content_hash = '');
DROP TABLE entry_sources;
"""


def _v2(conn: sqlite3.Connection) -> None:
    from feeds.titles import title_key  # the normalized titles near-duplicates are matched on

    if sqlite3.sqlite_version_info < (3, 35):
        raise sqlite3.NotSupportedError(f"SQLite {sqlite3.sqlite_version} is too old (3.35 or newer)")

    conn.executescript(f"BEGIN;{V2}{_V2_COPIES}")
    rows = conn.execute("SELECT rowid, title FROM copies WHERE info_code IS NULL").fetchall()
    conn.executemany(
        "UPDATE copies SET title_key = ? WHERE rowid = ?",
        [(title_key(title), rowid) for rowid, title in rows],
    )


V3 = """
-- Content rules (feeds/rules.py): a copy's text columns hold what the rules made of it; the fields a
-- rule rewrote are kept as the source sent them in `original`, so a rule change is re-applied to
-- every stored copy without fetching. A copy a rule dropped stays, in no entry.
ALTER TABLE copies ADD COLUMN dropped_by TEXT;   -- the rule that dropped it; NULL: kept
ALTER TABLE copies ADD COLUMN original TEXT;     -- JSON {field: value as sent}; NULL: no rule rewrote it
-- An entry whose every copy a rule dropped: kept (its copies may come back) but in no feed.
ALTER TABLE entries ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
DROP TRIGGER entries_inserted_dirty;
CREATE TRIGGER entries_inserted_dirty AFTER INSERT ON entries WHEN NEW.hidden = 0 BEGIN
    INSERT OR IGNORE INTO dirty_feeds (slug) VALUES ('all');
END;
"""


def _v3(conn: sqlite3.Connection) -> None:
    conn.executescript(f"BEGIN;{V3}")


V4 = """
-- Entries deleted by retention (`feed.retain`): no source may bring the key back.
CREATE TABLE tombstones (
    key TEXT PRIMARY KEY,
    deleted TEXT NOT NULL          -- when the entry was deleted
) WITHOUT ROWID;
-- A deleted entry leaves every feed it was in (its category rows mark theirs as they go).
CREATE TRIGGER entries_deleted_dirty AFTER DELETE ON entries WHEN OLD.hidden = 0 BEGIN
    INSERT OR IGNORE INTO dirty_feeds (slug) VALUES ('all');
END;
"""


def _v4(conn: sqlite3.Connection) -> None:
    conn.executescript(f"BEGIN;{V4}")


V5 = """
-- What each remote feed last said of itself: shown as the source of the entries republished from it.
ALTER TABLE sources ADD COLUMN feed_id TEXT;
ALTER TABLE sources ADD COLUMN feed_title TEXT;
ALTER TABLE sources ADD COLUMN feed_link TEXT;
ALTER TABLE sources ADD COLUMN feed_updated TEXT;
-- The next 200 is read again even if its body did not change, to learn what the feed says of itself.
UPDATE sources SET body_hash = NULL;
"""


def _v5(conn: sqlite3.Connection) -> None:
    conn.executescript(f"BEGIN;{V5}")


V6 = """
-- Archived feeds (RFC 5005): the months whose documents must be rebuilt, marked like dirty_feeds by
-- triggers in the transaction that changes an entry (its month before and after), and the months
-- each feed has an archive document for (written by the build, for the prev/next links).
CREATE TABLE dirty_months (
    month TEXT PRIMARY KEY         -- "2022-01": the UTC month of an entry's published date
) WITHOUT ROWID;
CREATE TABLE archive_months (
    slug TEXT NOT NULL,
    month TEXT NOT NULL,
    PRIMARY KEY (slug, month)
) WITHOUT ROWID;
CREATE TRIGGER entries_inserted_month AFTER INSERT ON entries WHEN NEW.hidden = 0 BEGIN
    INSERT OR IGNORE INTO dirty_months (month) VALUES (substr(NEW.published, 1, 7));
END;
CREATE TRIGGER entries_updated_month AFTER UPDATE ON entries BEGIN
    INSERT OR IGNORE INTO dirty_months (month) VALUES (substr(NEW.published, 1, 7));
    INSERT OR IGNORE INTO dirty_months (month) VALUES (substr(OLD.published, 1, 7));
END;
CREATE TRIGGER entries_deleted_month AFTER DELETE ON entries WHEN OLD.hidden = 0 BEGIN
    INSERT OR IGNORE INTO dirty_months (month) VALUES (substr(OLD.published, 1, 7));
END;
"""


def _v6(conn: sqlite3.Connection) -> None:
    conn.executescript(f"BEGIN;{V6}")


V7 = """
-- OPML subscription lists (feeds/lists.py). A list has a row of its own in `sources` (kind 'opml'),
-- fetched, backed off and shown like a feed, holding its last good outlines; each feed it lists
-- names it in `list`, so `feeds sources` can say where a source came from.
ALTER TABLE sources ADD COLUMN kind TEXT NOT NULL DEFAULT 'feed';   -- 'feed' or 'opml'
ALTER TABLE sources ADD COLUMN list TEXT;      -- a feed's list (path or URL, no secrets); NULL: configured
ALTER TABLE sources ADD COLUMN outlines TEXT;  -- an 'opml' row's last good list: JSON outlines and problems
"""


def _v7(conn: sqlite3.Connection) -> None:
    conn.executescript(f"BEGIN;{V7}")


V8 = """
-- Shared polling (feeds/worker.py, PostgreSQL stores): a worker leases the sources it claimed until
-- `lease_until`; one that dies loses only its leases, and another worker takes those sources when
-- they expire. A host's politeness holds across workers through its row: `next_start` (seconds
-- since the epoch, the database's clock) spaces request starts, and each request in flight holds a
-- `host_leases` row that expires by itself. SQLite stores have one process and never fill these.
ALTER TABLE sources ADD COLUMN lease_owner TEXT;
ALTER TABLE sources ADD COLUMN lease_until TEXT;
ALTER TABLE hosts ADD COLUMN next_start REAL;
CREATE TABLE host_leases (
    token TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    owner TEXT NOT NULL,
    until REAL NOT NULL
);
CREATE INDEX host_leases_by_host ON host_leases (host);
"""


def _v8(conn: sqlite3.Connection) -> None:
    conn.executescript(f"BEGIN;{V8}")


V9 = """
-- Dirty marks count: marking a feed or month again bumps `marks` instead of doing nothing, and a
-- build clears only the marks it read before rendering (slug and count both unchanged). A change
-- stored while another process builds (PostgreSQL workers) keeps its mark, and is built next time;
-- before, the build's clear erased it with the mark the build had read.
ALTER TABLE dirty_feeds ADD COLUMN marks INTEGER NOT NULL DEFAULT 1;
ALTER TABLE dirty_months ADD COLUMN marks INTEGER NOT NULL DEFAULT 1;
DROP TRIGGER entries_inserted_dirty;
CREATE TRIGGER entries_inserted_dirty AFTER INSERT ON entries WHEN NEW.hidden = 0 BEGIN
    INSERT INTO dirty_feeds (slug) VALUES ('all')
        ON CONFLICT (slug) DO UPDATE SET marks = marks + 1;
END;
DROP TRIGGER entries_updated_dirty;
CREATE TRIGGER entries_updated_dirty AFTER UPDATE ON entries BEGIN
    INSERT INTO dirty_feeds (slug) VALUES ('all')
        ON CONFLICT (slug) DO UPDATE SET marks = marks + 1;
    INSERT INTO dirty_feeds (slug) SELECT value FROM json_each(NEW.categories) WHERE true
        ON CONFLICT (slug) DO UPDATE SET marks = marks + 1;
END;
DROP TRIGGER entry_categories_inserted_dirty;
CREATE TRIGGER entry_categories_inserted_dirty AFTER INSERT ON entry_categories BEGIN
    INSERT INTO dirty_feeds (slug) VALUES (NEW.slug)
        ON CONFLICT (slug) DO UPDATE SET marks = marks + 1;
END;
DROP TRIGGER entry_categories_deleted_dirty;
CREATE TRIGGER entry_categories_deleted_dirty AFTER DELETE ON entry_categories BEGIN
    INSERT INTO dirty_feeds (slug) VALUES (OLD.slug)
        ON CONFLICT (slug) DO UPDATE SET marks = marks + 1;
END;
DROP TRIGGER entries_deleted_dirty;
CREATE TRIGGER entries_deleted_dirty AFTER DELETE ON entries WHEN OLD.hidden = 0 BEGIN
    INSERT INTO dirty_feeds (slug) VALUES ('all')
        ON CONFLICT (slug) DO UPDATE SET marks = marks + 1;
END;
DROP TRIGGER entries_inserted_month;
CREATE TRIGGER entries_inserted_month AFTER INSERT ON entries WHEN NEW.hidden = 0 BEGIN
    INSERT INTO dirty_months (month) VALUES (substr(NEW.published, 1, 7))
        ON CONFLICT (month) DO UPDATE SET marks = marks + 1;
END;
DROP TRIGGER entries_updated_month;
CREATE TRIGGER entries_updated_month AFTER UPDATE ON entries BEGIN
    INSERT INTO dirty_months (month) VALUES (substr(NEW.published, 1, 7))
        ON CONFLICT (month) DO UPDATE SET marks = marks + 1;
    INSERT INTO dirty_months (month) VALUES (substr(OLD.published, 1, 7))
        ON CONFLICT (month) DO UPDATE SET marks = marks + 1;
END;
DROP TRIGGER entries_deleted_month;
CREATE TRIGGER entries_deleted_month AFTER DELETE ON entries WHEN OLD.hidden = 0 BEGIN
    INSERT INTO dirty_months (month) VALUES (substr(OLD.published, 1, 7))
        ON CONFLICT (month) DO UPDATE SET marks = marks + 1;
END;
"""


def _v9(conn: sqlite3.Connection) -> None:
    conn.executescript(f"BEGIN;{V9}")


Migration = Callable[[sqlite3.Connection], None]

# Append only: MIGRATIONS[i] takes the database from version i to i + 1.
MIGRATIONS: list[Migration] = [_v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9]
LATEST = len(MIGRATIONS)

# The tables each version must have: checked after its migration, inside its transaction.
EXPECTED_TABLES: dict[int, frozenset[str]] = {
    1: frozenset(
        {"entries", "entry_categories", "entry_sources", "categories", "dirty_feeds", "files", "failures"}
        | {
            "sources",
            "fetch_log",
            "hosts",
            "events",
            "outbox_cursor",
            "deliveries",
            "endpoints",
            "websub_pings",
        }
    ),
}
EXPECTED_TABLES[2] = (EXPECTED_TABLES[1] - {"entry_sources"}) | {"copies", "meta"}
EXPECTED_TABLES[3] = EXPECTED_TABLES[2]
EXPECTED_TABLES[4] = EXPECTED_TABLES[3] | {"tombstones"}
EXPECTED_TABLES[5] = EXPECTED_TABLES[4]
EXPECTED_TABLES[6] = EXPECTED_TABLES[5] | {"dirty_months", "archive_months"}
EXPECTED_TABLES[7] = EXPECTED_TABLES[6]
EXPECTED_TABLES[8] = EXPECTED_TABLES[7] | {"host_leases"}
EXPECTED_TABLES[9] = EXPECTED_TABLES[8]
