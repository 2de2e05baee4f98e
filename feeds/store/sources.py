"""SQL for remote sources: state, fetch log, host-wide Retry-After.

The fetcher only reads here (``rows``, ``host_windows``); the pipeline calls ``record`` inside the
transaction that stores a fetch's items, so a source's validators (ETag, body hash) never move ahead
of the entries they describe. When to poll next is decided by ``feeds.policy``; this module only
gathers its inputs and saves its answer.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from feeds import policy
from feeds.config import shown_location
from feeds.errors import SourceError
from feeds.model import FetchResult, FetchStatus
from feeds.timefmt import iso, parse_iso

if TYPE_CHECKING:
    from feeds.config import OpmlList, RemoteSource
    from feeds.store import Store

FETCH_LOG_KEEP = 20
_ANSWERED = (FetchStatus.OK, FetchStatus.NOT_MODIFIED, FetchStatus.UNCHANGED)  # the source answered

_ROW_COLUMNS = (
    "name, url, config_url, aliases, interval, enabled, etag, last_modified, body_hash, last_fetch, "
    "last_status, error_count, last_error, warning, next_due, min_next_due, gone, item_rate, "
    "last_success, ttl, kind, list"
)
FEED, OPML = "feed", "opml"  # sources.kind: a feed, or an OPML subscription list (feeds/lists.py)


@functools.lru_cache(maxsize=4096)
def host_of(url: str) -> str | None:
    """The key sources share a Retry-After and a politeness gate by: ``host[:port]``, lower-case."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return parts.hostname.lower()
    default = 443 if parts.scheme.lower() == "https" else 80
    return parts.hostname.lower() if port in (None, default) else f"{parts.hostname.lower()}:{port}"


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One source's stored state, as the fetcher needs it."""

    name: str
    url: str  # current (after permanent redirects)
    config_url: str
    aliases: tuple[str, ...]
    interval: float
    enabled: bool
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    last_fetch: datetime | None
    last_status: str | None
    error_count: int
    last_error: str | None
    warning: str | None
    next_due: datetime | None
    min_next_due: datetime | None
    gone: bool
    item_rate: float | None
    last_success: datetime | None
    ttl: int | None = None  # the feed's <ttl>, minutes
    kind: str = FEED
    list: str | None = None  # the OPML list a feed came from (no secrets); None: configured directly

    @property
    def host(self) -> str | None:
        return host_of(self.url)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One line of ``feeds sources``."""

    name: str
    url: str
    config_url: str
    aliases: tuple[str, ...]
    status: str | None
    gone: bool
    enabled: bool
    error_count: int
    last_error: str | None
    warning: str | None
    last_fetch: datetime | None
    last_success: datetime | None
    next_due: datetime | None
    retry_after: datetime | None  # the host's Retry-After window, when one is open
    list: str | None = None  # the OPML list it came from; None when configured directly
    kind: str = FEED  # "feed", or "opml" for a subscription list's own row

    def to_json(self) -> dict[str, object]:
        """The contract's fields (``feeds sources --json``), times as RFC 3339 UTC or null."""
        return {
            "name": self.name,
            "kind": self.kind,
            "list": self.list,
            "url": self.url,
            "config_url": self.config_url,
            "aliases": list(self.aliases),
            "status": self.status,
            "gone": self.gone,
            "enabled": self.enabled,
            "error_count": self.error_count,
            "last_error": self.last_error,
            "warning": self.warning,
            "last_fetch": _iso_or_none(self.last_fetch),
            "last_success": _iso_or_none(self.last_success),
            "next_due": _iso_or_none(self.next_due),
            "retry_after": _iso_or_none(self.retry_after),
        }


class SourceRepo:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn = store.conn
        self.rng = random.Random()  # backoff jitter; tests seed it

    # ---- config ----------------------------------------------------------------------------

    def sync(self, remotes: Sequence[RemoteSource]) -> None:
        """Make the table match the config: add new names, reset a source whose config URL changed.

        A changed URL is a new feed to us: validators, body hash, errors and the gone flag are
        cleared and it is due at once. Other sources keep their state; names no longer configured
        (or no longer in their OPML list) keep their rows, marked unconfigured, so adding them back
        does not refetch from scratch. The rows of OPML lists themselves are ``sync_lists``'s.
        """
        with self._store.transaction():
            self._conn.execute("UPDATE sources SET configured = 0 WHERE kind = ?", (FEED,))
            for remote in remotes:
                self._sync_one(remote.name, remote.url, FEED)
                self._conn.execute(
                    "UPDATE sources SET interval = ?, enabled = ?, configured = 1, list = ? WHERE name = ?",
                    (remote.interval, int(remote.enabled), remote.opml, remote.name),
                )

    def sync_lists(self, lists: Sequence[OpmlList]) -> None:
        """The same for OPML lists: one row each, holding its fetch state and last good outlines;
        a changed location starts the list afresh (its old outlines are forgotten)."""
        with self._store.transaction():
            self._conn.execute("UPDATE sources SET configured = 0 WHERE kind = ?", (OPML,))
            for entry in lists:
                self._sync_one(entry.list_name, entry.opml, OPML)
                self._conn.execute(
                    "UPDATE sources SET interval = ?, enabled = ?, configured = 1, list = NULL "
                    "WHERE name = ?",
                    (entry.interval, int(entry.enabled), entry.list_name),
                )

    def _sync_one(self, name: str, url: str, kind: str) -> None:
        row = self._conn.execute("SELECT config_url, kind FROM sources WHERE name = ?", (name,)).fetchone()
        if row is None:
            self._conn.execute(
                "INSERT INTO sources (name, url, config_url, kind) VALUES (?, ?, ?, ?)",
                (name, url, url, kind),
            )
        elif tuple(row) != (url, kind):
            self._conn.execute(
                """UPDATE sources SET url = ?, config_url = ?, kind = ?, aliases = '[]', etag = NULL,
                       last_modified = NULL, body_hash = NULL, error_count = 0, last_error = NULL,
                       warning = NULL, next_due = NULL, min_next_due = NULL, gone = 0, item_rate = NULL,
                       ttl = NULL, outlines = NULL
                   WHERE name = ?""",
                (url, url, kind, name),
            )

    def set_gone(self, name: str, gone: bool) -> None:
        """Mark a source gone (stop polling) or bring it back (due at once, errors forgotten)."""
        with self._store.transaction():
            if gone:
                cursor = self._conn.execute(
                    "UPDATE sources SET gone = 1, next_due = NULL WHERE name = ?", (name,)
                )
            else:
                cursor = self._conn.execute(
                    "UPDATE sources SET gone = 0, error_count = 0, next_due = NULL WHERE name = ?", (name,)
                )
        if cursor.rowcount == 0:
            raise SourceError(name, "sources", "no such remote source")

    # ---- reads -----------------------------------------------------------------------------

    def list_outlines(self) -> dict[str, str]:
        """Each configured OPML list's last good outlines (JSON, as ``save_outlines`` got them), by name."""
        cursor = self._conn.execute(
            "SELECT name, outlines FROM sources WHERE kind = ? AND configured = 1 AND outlines IS NOT NULL",
            (OPML,),
        )
        return dict(cursor.fetchall())

    def save_outlines(self, name: str, outlines: str) -> None:
        """Keep a list's newly read outlines (call inside the transaction that records its fetch)."""
        self._conn.execute("UPDATE sources SET outlines = ? WHERE name = ?", (outlines, name))

    def rows(self, configured_only: bool = True) -> list[SourceRow]:
        where = "WHERE configured = 1" if configured_only else ""
        cursor = self._conn.execute(f"SELECT {_ROW_COLUMNS} FROM sources {where} ORDER BY name")
        return [_row(values) for values in cursor]

    def get(self, name: str) -> SourceRow | None:
        values = self._conn.execute(f"SELECT {_ROW_COLUMNS} FROM sources WHERE name = ?", (name,)).fetchone()
        return None if values is None else _row(values)

    def host_windows(self, now: datetime) -> dict[str, datetime]:
        """Hosts inside a Retry-After window at ``now``, and when each window ends."""
        cursor = self._conn.execute(
            "SELECT host, retry_after_until FROM hosts WHERE retry_after_until > ?", (iso(now),)
        )
        return {host: parse_iso(until) for host, until in cursor}

    def statuses(self) -> list[SourceStatus]:
        windows = dict(self._conn.execute("SELECT host, retry_after_until FROM hosts"))
        result = []
        for row in self.rows():
            until = windows.get(row.host) if row.host else None
            shown = shown_location if row.kind == OPML else _as_is  # a list's URL may carry a token
            result.append(
                SourceStatus(
                    name=row.name,
                    url=shown(row.url),
                    config_url=shown(row.config_url),
                    aliases=tuple(map(shown, row.aliases)),
                    status=row.last_status,
                    gone=row.gone,
                    enabled=row.enabled,
                    error_count=row.error_count,
                    last_error=_scrubbed(row.last_error, row) if row.kind == OPML else row.last_error,
                    warning=row.warning,
                    last_fetch=row.last_fetch,
                    last_success=row.last_success,
                    next_due=None if row.gone else row.next_due,
                    retry_after=parse_iso(until) if until else None,
                    list=row.list,
                    kind=row.kind,
                )
            )
        return result

    def log(self, name: str) -> list[dict[str, Any]]:
        """The source's recent fetches, newest first (for diagnostics and tests)."""
        cursor = self._conn.execute(
            "SELECT at, status, error, duration_ms, items, new, updated FROM fetch_log "
            "WHERE source = ? ORDER BY id DESC",
            (name,),
        )
        keys = ("at", "status", "error", "duration_ms", "items", "new", "updated")
        return [dict(zip(keys, values, strict=True)) for values in cursor]

    # ---- writes ----------------------------------------------------------------------------

    def record(
        self, result: FetchResult, new: int, updated: int, now: datetime, notify: bool = False
    ) -> None:
        """Save one fetch's outcome: state, log line, host window, next poll. Call inside a transaction.

        With ``notify`` (webhooks configured), a change worth announcing (``policy.source_event``)
        queues its ``source.*`` event in the same transaction."""
        row = self.get(result.source)
        if row is None:
            raise SourceError(result.source, result.state.url, "fetched a source that is not in the store")
        state = result.state
        if state.host and state.retry_after is not None:
            self._open_host_window(state.host, state.retry_after)
        if result.outcome is FetchStatus.DEFERRED:  # not requested: not a fetch, not counted
            self._defer(row, state.retry_after)
            return
        self._store.meta.count_fetch(result.outcome)
        self._append_log(result, new, updated, now)
        error_count = _error_count(result, row.error_count)
        # A list brings no items: its "rate" would be 0 a day and stretch its polls to a day.
        rate = None if row.kind == OPML else policy.item_rate(self._history(row.name), now)
        due = self._next_due(result, row, error_count, rate, now)
        self._save_state(result, row, error_count, rate, due, now)
        event = policy.source_event(
            row.error_count, row.gone, error_count, result.outcome is FetchStatus.GONE
        )
        if notify and event is not None:
            data = {"url": result.state.url, "status": result.state.status, "error": result.state.error}
            if row.kind == OPML:  # a list's URL may carry a token; webhook consumers get it without
                data = {
                    **data,
                    "url": shown_location(result.state.url),
                    "error": _scrubbed(data["error"], row),
                }
            self._store.outbox.add_source_event(event, row.name, {**data, "error_count": error_count}, now)

    def _next_due(
        self, result: FetchResult, row: SourceRow, error_count: int, rate: float | None, now: datetime
    ) -> datetime | None:
        if result.outcome is FetchStatus.GONE:
            return None
        schedule = policy.Schedule(
            interval=row.interval,
            ok=result.outcome in _ANSWERED,
            error_count=error_count,
            counted=result.state.count_error,
            retry_after=result.state.retry_after,
            floor=result.state.floor,
            items_per_day=rate,
        )
        return policy.next_due(schedule, now, self.rng)

    def _save_state(
        self,
        result: FetchResult,
        row: SourceRow,
        error_count: int,
        rate: float | None,
        due: datetime | None,
        now: datetime,
    ) -> None:
        state = result.state
        success = result.outcome in _ANSWERED
        self._conn.execute(
            """UPDATE sources SET url = ?, aliases = ?, etag = ?, last_modified = ?, body_hash = ?,
                   last_fetch = ?, last_success = ?, last_status = ?, error_count = ?, last_error = ?,
                   warning = ?, next_due = ?, min_next_due = ?, gone = ?, item_rate = ?, ttl = ?,
                   lease_owner = NULL, lease_until = NULL
               WHERE name = ?""",
            (
                state.url,
                json.dumps(list(state.aliases), ensure_ascii=False),
                state.etag,
                state.last_modified,
                state.body_hash,
                iso(now),
                iso(now) if success else _iso_or_none(row.last_success),
                state.status,
                error_count,
                None if success else state.error,
                state.warning if result.outcome is FetchStatus.OK else row.warning,
                _iso_or_none(due),
                _iso_or_none(state.floor),
                int(result.outcome is FetchStatus.GONE),
                rate,
                state.ttl,
                row.name,
            ),
        )
        if state.meta is not None:
            meta = state.meta
            self._conn.execute(
                "UPDATE sources SET feed_id = ?, feed_title = ?, feed_link = ?, feed_updated = ? "
                "WHERE name = ?",
                (meta.id, meta.title, meta.link, _iso_or_none(meta.updated), row.name),
            )

    def _defer(self, row: SourceRow, until: datetime | None) -> None:
        """Not requested (its host is inside a Retry-After window): due when the window closes."""
        if until is not None:
            self._conn.execute(
                "UPDATE sources SET next_due = ?, lease_owner = NULL, lease_until = NULL WHERE name = ?",
                (iso(until), row.name),
            )

    def _open_host_window(self, host: str, until: datetime) -> None:
        self._conn.execute(
            """INSERT INTO hosts (host, retry_after_until) VALUES (?, ?)
               ON CONFLICT (host) DO UPDATE SET retry_after_until = CASE
                   WHEN hosts.retry_after_until > excluded.retry_after_until THEN hosts.retry_after_until
                   ELSE excluded.retry_after_until END""",
            (host, iso(until)),
        )

    def _append_log(self, result: FetchResult, new: int, updated: int, now: datetime) -> None:
        self._conn.execute(
            """INSERT INTO fetch_log (source, at, status, error, duration_ms, items, new, updated)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                result.source,
                iso(now),
                result.state.status,
                result.state.error,
                result.state.duration_ms,
                result.found,
                new,
                updated,
            ),
        )
        self._conn.execute(
            """DELETE FROM fetch_log WHERE source = ? AND id NOT IN
                   (SELECT id FROM fetch_log WHERE source = ? ORDER BY id DESC LIMIT ?)""",
            (result.source, result.source, FETCH_LOG_KEEP),
        )

    def _history(self, name: str) -> list[policy.FetchRecord]:
        """Successful fetches in the log: what the item rate is estimated from."""
        cursor = self._conn.execute(
            "SELECT at, new FROM fetch_log WHERE source = ? AND status IN ('200', '304', 'file') ORDER BY id",
            (name,),
        )
        return [policy.FetchRecord(parse_iso(at), int(new)) for at, new in cursor]


def _error_count(result: FetchResult, previous: int) -> int:
    """Consecutive errors: reset by any answer with content or "unchanged"; untouched when not our fault."""
    if result.outcome in _ANSWERED:
        return 0
    if result.outcome is FetchStatus.ERROR and result.state.count_error:
        return previous + 1
    return previous


def _row(values: Sequence[Any]) -> SourceRow:
    (name, url, config_url, aliases, interval, enabled, etag, last_modified, body_hash, last_fetch) = values[
        :10
    ]
    (last_status, error_count, last_error, warning, next_due, min_next_due, gone, item_rate) = values[10:18]
    return SourceRow(
        name=name,
        url=url,
        config_url=config_url,
        aliases=tuple(json.loads(aliases or "[]")),
        interval=float(interval),
        enabled=bool(enabled),
        etag=etag,
        last_modified=last_modified,
        body_hash=body_hash,
        last_fetch=_parse_or_none(last_fetch),
        last_status=last_status,
        error_count=int(error_count),
        last_error=last_error,
        warning=warning,
        next_due=_parse_or_none(next_due),
        min_next_due=_parse_or_none(min_next_due),
        gone=bool(gone),
        item_rate=item_rate,
        last_success=_parse_or_none(values[18]),
        ttl=values[19],
        kind=values[20],
        list=values[21],
    )


def _as_is(text: str) -> str:
    return text


def _scrubbed(text: str | None, row: SourceRow) -> str | None:
    """An error line with the list's own URLs (which may carry a token) shown without secrets."""
    if text is None:
        return None
    for url in {row.url, row.config_url, *row.aliases}:
        text = text.replace(url, shown_location(url))
    return text


def _parse_or_none(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def _iso_or_none(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None
