"""SQL for the webhook outbox and WebSub pings.

``events`` rows are written by ``EntryRepo.add_event`` (entries) and ``add_source_event`` (source
health) in the caller's transaction. ``fan_out`` turns new events into one ``deliveries`` row per
matching endpoint, in a transaction of its own, and moves ``outbox_cursor`` past them: an event
committed before a crash is fanned out by the next run, and no event is fanned out twice. The
delivery loop (feeds/notify.py) reads the queue per endpoint in event order and records each
attempt here. Every method that writes opens (or joins) a ``Store.transaction()``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from feeds.timefmt import iso, parse_iso

if TYPE_CHECKING:
    from feeds.store import Store

ENTRY_EVENTS = frozenset({"entry.created", "entry.updated", "entry.deleted"})
SOURCE_EVENTS = frozenset({"source.failing", "source.recovered", "source.gone"})
FAILED_STATUSES = ("dead", "disabled")
_FAN_OUT_BATCH = 2000
_DELIVERY_COLUMNS = """d.id, e.id, e.seq, e.type, d.endpoint, d.status, d.attempts, d.queued, d.next_attempt,
    d.last_attempt, d.last_status, d.last_error, d.delivered_at, e.created"""


@dataclass(frozen=True, slots=True)
class EndpointFilter:
    """Which events one endpoint wants: ``None`` means every category / every event type.

    The category filter only looks at events that carry categories (entry events); source events
    carry none unless the fetcher gave the source's category, and are selected by ``events`` alone.
    """

    url: str
    categories: frozenset[str] | None = None
    events: frozenset[str] | None = None

    def matches(self, event_type: str, categories: Sequence[str]) -> bool:
        if self.events is not None and event_type not in self.events:
            return False
        if self.categories is None or not categories:
            return True
        return not self.categories.isdisjoint(categories)


@dataclass(frozen=True, slots=True)
class QueuedDelivery:
    """One delivery ready to send: the stored body is sent byte for byte on every attempt."""

    id: int
    event_id: str
    event_seq: int
    endpoint: str
    payload: str
    attempts: int
    queued: datetime
    next_attempt: datetime


@dataclass(frozen=True, slots=True)
class DeliveryInfo:
    """A delivery as ``feeds webhooks deliveries`` shows it."""

    id: int
    event_id: str
    event_seq: int
    event_type: str
    endpoint: str
    status: str
    attempts: int
    queued: datetime
    next_attempt: datetime | None  # None once it is no longer pending
    last_attempt: datetime | None
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    event_created: datetime

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "endpoint": self.endpoint,
            "status": self.status,
            "attempts": self.attempts,
            "queued": iso(self.queued),
            "next_attempt": _iso_or_none(self.next_attempt),
            "last_attempt": _iso_or_none(self.last_attempt),
            "last_status": self.last_status,
            "last_error": self.last_error,
            "delivered_at": _iso_or_none(self.delivered_at),
            "event_created": iso(self.event_created),
        }


@dataclass(frozen=True, slots=True)
class EndpointState:
    """An endpoint as the store knows it, with its queue counts per delivery status."""

    url: str
    status: str  # active | disabled
    first_seen: datetime
    disabled_at: datetime | None
    disabled_reason: str | None
    counts: Mapping[str, int]  # pending / delivered / dead / disabled → rows
    last_error: str | None
    last_delivered: datetime | None


@dataclass(frozen=True, slots=True)
class QueuedPing:
    """A WebSub publish ping owed to the hub for one topic (feed URL)."""

    topic: str
    version: int
    attempts: int
    queued: datetime
    next_attempt: datetime


class OutboxRepo:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn = store.conn

    # ---- events ----------------------------------------------------------------------------

    def add_source_event(
        self,
        event_type: str,
        source_name: str,
        data: Mapping[str, Any],
        now: datetime,
        categories: Iterable[str] = (),
    ) -> str:
        """Queue ``source.failing`` / ``source.recovered`` / ``source.gone`` for a source.

        Call it in the transaction that records the source's new state, so the event commits with it.
        ``data`` is merged into the body's ``data`` after ``{"source": source_name}``; datetimes in it
        are written as RFC 3339.
        """
        if event_type not in SOURCE_EVENTS:
            raise ValueError(
                f"unknown source event type {event_type!r}; expected one of {sorted(SOURCE_EVENTS)}"
            )
        event_id = new_event_id(now)
        payload = {"type": event_type, "timestamp": iso(now), "data": {"source": source_name, **data}}
        with self._store.transaction():
            self._conn.execute(
                "INSERT INTO events (id, type, entry_key, categories, payload, created) "
                "VALUES (?, ?, NULL, ?, ?, ?)",
                (event_id, event_type, _dumps(sorted(set(categories))), _dumps(payload), iso(now)),
            )
        return event_id

    def event_payload(self, event_id: str) -> str | None:
        row = self._conn.execute("SELECT payload FROM events WHERE id = ?", (event_id,)).fetchone()
        return None if row is None else str(row[0])

    # ---- endpoints and fan-out -------------------------------------------------------------

    def register_endpoints(self, urls: Iterable[str], now: datetime) -> None:
        with self._store.transaction():
            self._conn.executemany(
                "INSERT INTO endpoints (url, first_seen) VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
                [(url, iso(now)) for url in urls],
            )

    def disabled_endpoints(self) -> frozenset[str]:
        rows = self._conn.execute("SELECT url FROM endpoints WHERE status = 'disabled'")
        return frozenset(url for (url,) in rows)

    def fan_out(self, endpoints: Sequence[EndpointFilter], now: datetime) -> int:
        """Queue every event past the cursor for each matching, active endpoint; returns events seen.

        Each batch is one transaction that also moves the cursor, so a crash repeats nothing and
        loses nothing. Endpoints added to the config later get events from then on, not history.
        """
        total = 0
        while True:
            with self._store.transaction():
                seen = self._fan_out_batch(endpoints, now)
            total += seen
            if seen < _FAN_OUT_BATCH:
                return total

    def _fan_out_batch(self, endpoints: Sequence[EndpointFilter], now: datetime) -> int:
        cursor = int(self._conn.execute("SELECT seq FROM outbox_cursor WHERE id = 1").fetchone()[0])
        events = self._conn.execute(
            "SELECT seq, type, categories FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
            (cursor, _FAN_OUT_BATCH),
        ).fetchall()
        if not events:
            return 0
        disabled = self.disabled_endpoints()
        active = [endpoint for endpoint in endpoints if endpoint.url not in disabled]
        rows = [
            (seq, endpoint.url, iso(now), iso(now))
            for seq, event_type, categories in events
            for endpoint in active
            if endpoint.matches(event_type, json.loads(categories))
        ]
        self._conn.executemany(
            "INSERT INTO deliveries (event_seq, endpoint, queued, next_attempt) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (event_seq, endpoint) DO NOTHING",
            rows,
        )
        self._conn.execute("UPDATE outbox_cursor SET seq = ? WHERE id = 1", (events[-1][0],))
        return len(events)

    def unfanned_count(self) -> int:
        cursor = self._conn.execute("SELECT seq FROM outbox_cursor WHERE id = 1").fetchone()[0]
        return int(self._conn.execute("SELECT count(*) FROM events WHERE seq > ?", (cursor,)).fetchone()[0])

    # ---- the delivery queue ----------------------------------------------------------------

    def endpoints_with_pending(self) -> list[str]:
        rows = self._conn.execute("SELECT DISTINCT endpoint FROM deliveries WHERE status = 'pending'")
        return sorted(url for (url,) in rows)

    def pending_for(self, endpoint: str, limit: int, after_seq: int = 0) -> list[QueuedDelivery]:
        """The endpoint's pending deliveries in event order (the order they must be sent in)."""
        rows = self._conn.execute(
            """SELECT d.id, e.id, e.seq, d.endpoint, e.payload, d.attempts, d.queued, d.next_attempt
               FROM deliveries d JOIN events e ON e.seq = d.event_seq
               WHERE d.endpoint = ? AND d.status = 'pending' AND d.event_seq > ?
               ORDER BY d.event_seq LIMIT ?""",
            (endpoint, after_seq, limit),
        ).fetchall()
        return [
            QueuedDelivery(
                row[0], row[1], row[2], row[3], row[4], row[5], parse_iso(row[6]), parse_iso(row[7])
            )
            for row in rows
        ]

    def record_delivered(self, delivery_ids: Sequence[int], statuses: Sequence[int], now: datetime) -> None:
        """Mark sent deliveries done; a batch is one transaction (the throughput path)."""
        with self._store.transaction():
            self._conn.executemany(
                """UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, last_attempt = ?,
                       last_status = ?, last_error = NULL, delivered_at = ?
                   WHERE id = ? AND status = 'pending'""",
                [
                    (iso(now), status, iso(now), delivery_id)
                    for delivery_id, status in zip(delivery_ids, statuses, strict=True)
                ],
            )

    def record_failed(
        self,
        delivery_id: int,
        status: int | None,
        error: str,
        now: datetime,
        next_attempt: datetime | None,
    ) -> None:
        """Record a failed attempt: retry at ``next_attempt``, or dead-letter it when that is None."""
        new_status = "pending" if next_attempt is not None else "dead"
        with self._store.transaction():
            self._conn.execute(
                """UPDATE deliveries SET status = ?, attempts = attempts + 1, last_attempt = ?,
                       last_status = ?, last_error = ?, next_attempt = ?
                   WHERE id = ? AND status = 'pending'""",
                (new_status, iso(now), status, error, iso(next_attempt or now), delivery_id),
            )

    def expire_behind(self, endpoint: str, deadline_queued: datetime, now: datetime) -> int:
        """Dead-letter the endpoint's pending deliveries queued before ``deadline_queued``.

        Called when the head of an endpoint's queue is dead-lettered: the events queued behind it
        during the same outage are past their own deadline too, and trying each in turn (one per pass)
        would keep a dead endpoint busy for days. ``feeds webhooks replay`` brings any of them back.
        """
        with self._store.transaction():
            cursor = self._conn.execute(
                """UPDATE deliveries SET status = 'dead', last_attempt = COALESCE(last_attempt, ?),
                       last_error = COALESCE(last_error, 'expired behind a dead-lettered event')
                   WHERE endpoint = ? AND status = 'pending' AND queued <= ?""",
                (iso(now), endpoint, iso(deadline_queued)),
            )
            return cursor.rowcount

    def disable_endpoint(self, endpoint: str, reason: str, now: datetime) -> int:
        """The endpoint answered 410 Gone: stop sending to it; returns the pending rows set aside."""
        with self._store.transaction():
            self._conn.execute(
                "INSERT INTO endpoints (url, first_seen) VALUES (?, ?) ON CONFLICT (url) DO NOTHING",
                (endpoint, iso(now)),
            )
            self._conn.execute(
                "UPDATE endpoints SET status = 'disabled', disabled_at = ?, disabled_reason = ? "
                "WHERE url = ?",
                (iso(now), reason, endpoint),
            )
            cursor = self._conn.execute(
                "UPDATE deliveries SET status = 'disabled' WHERE endpoint = ? AND status = 'pending'",
                (endpoint,),
            )
            return cursor.rowcount

    def enable_endpoint(self, endpoint: str) -> bool:
        """Undo a 410 disable (the consumer is back). Set-aside deliveries stay until replayed."""
        with self._store.transaction():
            cursor = self._conn.execute(
                "UPDATE endpoints SET status = 'active', disabled_at = NULL, disabled_reason = NULL "
                "WHERE url = ? AND status = 'disabled'",
                (endpoint,),
            )
            return cursor.rowcount > 0

    def requeue(self, delivery_ids: Sequence[int], now: datetime) -> int:
        """Put deliveries back in the queue as new (attempts and the 3-day deadline start again)."""
        with self._store.transaction():
            cursor = self._conn.executemany(
                """UPDATE deliveries SET status = 'pending', attempts = 0, queued = ?, next_attempt = ?,
                       delivered_at = NULL WHERE id = ?""",
                [(iso(now), iso(now), delivery_id) for delivery_id in delivery_ids],
            )
            endpoints = {
                row[0]
                for delivery_id in delivery_ids
                for row in self._conn.execute("SELECT endpoint FROM deliveries WHERE id = ?", (delivery_id,))
            }
            for endpoint in endpoints:
                self.enable_endpoint(endpoint)
            return cursor.rowcount

    # ---- reading for the CLI ---------------------------------------------------------------

    def delivery(self, delivery_id: int) -> DeliveryInfo | None:
        row = self._conn.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.event_seq "
            "WHERE d.id = ?",
            (delivery_id,),
        ).fetchone()
        return None if row is None else _delivery_from_row(row)

    def deliveries_of_event(self, event_id: str) -> list[DeliveryInfo]:
        rows = self._conn.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.event_seq "
            "WHERE e.id = ? ORDER BY d.id",
            (event_id,),
        )
        return [_delivery_from_row(row) for row in rows]

    def deliveries(self, failed_only: bool = False, limit: int | None = None) -> list[DeliveryInfo]:
        """Newest first. ``failed_only``: dead, disabled, or pending after at least one failed attempt."""
        where = "WHERE d.status IN ('dead', 'disabled') OR (d.status = 'pending' AND d.attempts > 0)"
        sql = (
            f"SELECT {_DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.event_seq "
            f"{where if failed_only else ''} ORDER BY d.id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [_delivery_from_row(row) for row in self._conn.execute(sql)]

    def endpoint_states(self) -> list[EndpointState]:
        rows = self._conn.execute(
            "SELECT url, status, first_seen, disabled_at, disabled_reason FROM endpoints ORDER BY url"
        ).fetchall()
        return [self._endpoint_state(row) for row in rows]

    def _endpoint_state(self, row: tuple[Any, ...]) -> EndpointState:
        url, status, first_seen, disabled_at, reason = row
        counts = dict(
            self._conn.execute(
                "SELECT status, count(*) FROM deliveries WHERE endpoint = ? GROUP BY status", (url,)
            )
        )
        last_error = self._conn.execute(
            "SELECT last_error FROM deliveries WHERE endpoint = ? AND last_error IS NOT NULL "
            "ORDER BY last_attempt DESC LIMIT 1",
            (url,),
        ).fetchone()
        last_delivered = self._conn.execute(
            "SELECT max(delivered_at) FROM deliveries WHERE endpoint = ?", (url,)
        ).fetchone()[0]
        return EndpointState(
            url=url,
            status=status,
            first_seen=parse_iso(first_seen),
            disabled_at=_parse_or_none(disabled_at),
            disabled_reason=reason,
            counts=counts,
            last_error=None if last_error is None else last_error[0],
            last_delivered=_parse_or_none(last_delivered),
        )

    # ---- WebSub pings ----------------------------------------------------------------------

    def queue_hub_ping(self, topic_url: str, now: datetime) -> None:
        """Owe the hub a publish ping for ``topic_url`` (a feed whose bytes just changed).

        Call it after the changed file is in place. A ping already pending for the topic keeps its
        place and retry schedule; its version is bumped so an in-flight ping for the older bytes
        does not clear the newer change.
        """
        with self._store.transaction():
            self._conn.execute(
                """INSERT INTO websub_pings (topic, queued, next_attempt) VALUES (?, ?, ?)
                   ON CONFLICT (topic) DO UPDATE SET
                       version = websub_pings.version + 1,
                       attempts = CASE WHEN websub_pings.status = 'pending' THEN websub_pings.attempts
                                       ELSE 0 END,
                       queued = CASE WHEN websub_pings.status = 'pending' THEN websub_pings.queued
                                     ELSE excluded.queued END,
                       next_attempt = CASE WHEN websub_pings.status = 'pending' THEN websub_pings.next_attempt
                                           ELSE excluded.next_attempt END,
                       status = 'pending', delivered_at = NULL""",
                (topic_url, iso(now), iso(now)),
            )

    def due_pings(self, now: datetime) -> list[QueuedPing]:
        rows = self._conn.execute(
            "SELECT topic, version, attempts, queued, next_attempt FROM websub_pings "
            "WHERE status = 'pending' AND next_attempt <= ? ORDER BY topic",
            (iso(now),),
        )
        return [
            QueuedPing(topic, version, attempts, parse_iso(q), parse_iso(n))
            for topic, version, attempts, q, n in rows
        ]

    def pending_deliveries(self) -> int:
        """Webhook deliveries still owed (the delivery report's ``pending``)."""
        row = self._conn.execute("SELECT count(*) FROM deliveries WHERE status = 'pending'").fetchone()
        return int(row[0])

    def pending_pings(self) -> int:
        return int(
            self._conn.execute("SELECT count(*) FROM websub_pings WHERE status = 'pending'").fetchone()[0]
        )

    def record_ping(
        self,
        ping: QueuedPing,
        status: int | None,
        error: str | None,
        now: datetime,
        next_attempt: datetime | None,
    ) -> None:
        """Record one publish attempt: ``error`` None = the hub took it; else retry or give up.

        Only the version that was sent is settled; a newer queue for the topic stays pending.
        """
        if error is None:
            outcome, next_at, delivered = "delivered", now, iso(now)
        else:
            outcome, next_at, delivered = ("pending" if next_attempt else "dead"), next_attempt or now, None
        with self._store.transaction():
            self._conn.execute(
                """UPDATE websub_pings SET attempts = attempts + 1, last_attempt = ?, last_status = ?,
                       last_error = ?, status = CASE WHEN version = ? THEN ? ELSE 'pending' END,
                       next_attempt = CASE WHEN version = ? THEN ? ELSE ? END,
                       delivered_at = CASE WHEN version = ? THEN ? ELSE NULL END
                   WHERE topic = ?""",
                (
                    iso(now),
                    status,
                    error,
                    ping.version,
                    outcome,
                    ping.version,
                    iso(next_at),
                    iso(now),
                    ping.version,
                    delivered,
                    ping.topic,
                ),
            )

    # ---- housekeeping ----------------------------------------------------------------------

    def prune(self, now: datetime, keep: timedelta) -> int:
        """Forget settled events older than ``keep`` (their bodies carry whole entries).

        An event goes once it is fanned out, older than ``keep``, and none of its deliveries is pending
        or was touched within ``keep``; its deliveries go with it (ON DELETE CASCADE).
        """
        cutoff = iso(now - keep)
        with self._store.transaction():
            cursor = self._conn.execute(
                """DELETE FROM events
                   WHERE created < ? AND seq <= (SELECT seq FROM outbox_cursor WHERE id = 1)
                     AND NOT EXISTS (
                         SELECT 1 FROM deliveries d WHERE d.event_seq = events.seq
                           AND (d.status = 'pending' OR COALESCE(d.last_attempt, d.queued) >= ?))""",
                (cutoff, cutoff),
            )
            self._conn.execute(
                "DELETE FROM websub_pings WHERE status != 'pending' AND COALESCE(last_attempt, queued) < ?",
                (cutoff,),
            )
            return cursor.rowcount


def new_event_id(now: datetime) -> str:
    """A webhook-id in the same form ``EntryRepo.add_event`` makes: sortable by time, then random."""
    return f"msg_{now.strftime('%Y%m%d%H%M%S')}_{secrets.token_hex(8)}"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=_json_default)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def _parse_or_none(text: str | None) -> datetime | None:
    return None if text is None else parse_iso(text)


def _delivery_from_row(row: tuple[Any, ...]) -> DeliveryInfo:
    (did, event_id, seq, event_type, endpoint, status, attempts, queued, next_attempt) = row[:9]
    last_attempt, last_status, last_error, delivered_at, created = row[9:]
    return DeliveryInfo(
        id=did,
        event_id=event_id,
        event_seq=seq,
        event_type=event_type,
        endpoint=endpoint,
        status=status,
        attempts=attempts,
        queued=parse_iso(queued),
        next_attempt=parse_iso(next_attempt) if status == "pending" else None,
        last_attempt=_parse_or_none(last_attempt),
        last_status=last_status,
        last_error=last_error,
        delivered_at=_parse_or_none(delivered_at),
        event_created=parse_iso(created),
    )
