"""Webhook delivery (Standard Webhooks) from the store's outbox, and WebSub pings.

How an event travels:

1. ``EntryRepo.apply`` (or ``OutboxRepo.add_source_event``) writes an ``events`` row in the same
   transaction as the change it announces, so a committed change always has its event.
2. ``deliver_pending`` fans new events out to one ``deliveries`` row per matching endpoint (its own
   transaction, guarded by a cursor), then sends what is due and records each result.
3. A 2xx answer settles a delivery. Anything else (or no answer within the timeout) is retried after
   about 30 s, 2 min, 10 min, 1 h, 6 h, then daily (each ±20 % jitter, a larger ``Retry-After`` wins),
   until 3 days after the delivery was queued; then it is dead-lettered. A 410 Gone disables the
   endpoint (``endpoints`` table) and sets its queue aside; events while it is disabled are not
   queued for it. ``replay`` (or ``enable_endpoint``) brings it back.
4. An endpoint whose address is not public (loopback, private, link-local...: ``feeds.netguard``,
   checked when the connection is opened) is refused unless ``fetch.allow_private`` is true. A
   refusal is a config matter, not an outage, so it is not retried: the attempt is recorded with the
   reason and the endpoint's whole pending queue is dead-lettered at once (each would be refused
   alike). The endpoint stays enabled, so once the config allows it (or its DNS points elsewhere)
   new events flow, and ``replay`` resends the dead ones. Disabling it instead, as a 410 does, would
   silently drop every event until someone re-enabled it by hand.

Only the start of an endpoint's answer is read (``netguard.ANSWER_LIMIT``, after decompression):
it serves as ``last_error`` and nothing else, so a huge body or a compression bomb costs nothing.

Ordering: strict per endpoint. Each endpoint's queue is sent in event order (``events.seq``), and a
failing event blocks the later ones *for that endpoint* until it is delivered or dead, so a consumer
never gets an update while the create before it is still being retried. When the head of a queue
is dead-lettered, rows queued behind it that are past their own 3-day deadline are dead-lettered
with it. Endpoints are served concurrently, so one slow or failing endpoint holds up only itself.

Delivery is at least once: a crash after a send and before its result is recorded sends it again,
with the same ``webhook-id`` (the event id), as on every retry, so consumers can drop repeats.
Time is injectable: ``now`` decides what is due and when retries fall (tests pass a fake one to
run the 3-day schedule in milliseconds); ``clock`` stamps ``webhook-timestamp``, which receivers
check against their own clock, so it stays real.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import httpx

from feeds.config import Config, WebhookConfig
from feeds.errors import FeedsError
from feeds.netguard import AddressRefused, NetGuard, read_capped
from feeds.store.outbox import DeliveryInfo, EndpointFilter, QueuedDelivery, QueuedPing
from feeds.timefmt import iso, utcnow
from feeds.websub import ping_hub

if TYPE_CHECKING:
    from feeds.store.interface import Storage

DEFAULT_TIMEOUT = 10.0
RETRY_SCHEDULE = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(days=1),  # and daily after that
)
MAX_AGE = timedelta(days=3)
JITTER = 0.2
MAX_RETRY_AFTER = timedelta(days=1)
KEEP_SETTLED = timedelta(days=14)
_BATCH = 200  # deliveries read per query, and the most successes recorded per commit
_FLUSH_SECONDS = 1.0  # ... or fewer, at least this often
_SNIPPET = 300
_RNG = random.Random()


class WebhookError(FeedsError):
    """A webhook endpoint or delivery cannot be used as asked (bad secret, unknown id)."""

    def __init__(self, subject: str, reason: str) -> None:
        self.subject = subject
        self.reason = reason
        super().__init__(f"{subject}: {reason}")


# ---- signing --------------------------------------------------------------------------------


def decode_secret(secret: str | bytes) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (raw bytes pass through)."""
    if isinstance(secret, bytes):
        return secret
    encoded = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookError("secret", "not base64 after the whsec_ prefix") from None
    if not key:
        raise WebhookError("secret", "empty key after the whsec_ prefix")
    return key


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: str | bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{msg_id}.{timestamp}.{body}">`` as Standard Webhooks defines it."""
    data = body.encode() if isinstance(body, str) else body
    digest = hmac.new(
        decode_secret(secret), f"{msg_id}.{timestamp}.".encode() + data, hashlib.sha256
    ).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def signed_headers(key: bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, msg_id, timestamp, body),
    }


# ---- the retry decision (pure) --------------------------------------------------------------


def retry_at(
    attempts: int,
    queued: datetime,
    now: datetime,
    rng: random.Random | None = None,
    retry_after: float | None = None,
) -> datetime | None:
    """When to try again after ``attempts`` failed attempts, or None to dead-letter.

    The last retry is pulled in to the deadline (queued + 3 days) so a delivery always gets one
    attempt at the end of its window.
    """
    deadline = queued + MAX_AGE
    if now >= deadline:
        return None
    base = RETRY_SCHEDULE[min(max(attempts, 1), len(RETRY_SCHEDULE)) - 1]
    delay = base * (1 + (rng or _RNG).uniform(-JITTER, JITTER))
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return min(now + delay, deadline)


# ---- values handed back ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A configured endpoint, secret decoded: what the sender needs."""

    url: str
    key: bytes = field(repr=False)
    filter: EndpointFilter

    @classmethod
    def from_config(cls, webhook: WebhookConfig) -> Endpoint:
        try:
            key = decode_secret(webhook.secret)
        except WebhookError as exc:
            raise WebhookError(webhook.url, f"webhook secret is {exc.reason}") from None
        return cls(webhook.url, key, endpoint_filter(webhook))


def endpoint_filter(webhook: WebhookConfig) -> EndpointFilter:
    return EndpointFilter(
        url=webhook.url,
        categories=None if webhook.categories is None else frozenset(webhook.categories),
        events=None if webhook.events is None else frozenset(webhook.events),
    )


@dataclass(frozen=True, slots=True)
class Attempt:
    """One HTTP attempt's outcome."""

    status: int | None  # None: no HTTP answer (refused, reset, timeout)
    error: str | None  # None: 2xx, delivered
    retry_after: float | None = None
    blocked: bool = False  # the endpoint's address is not allowed: never retried

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one ``deliver_pending`` pass did."""

    fanned_out: int = 0  # new events turned into delivery rows
    delivered: int = 0
    retrying: int = 0  # failed attempts with a retry scheduled
    dead: int = 0  # dead-lettered this pass
    disabled_endpoints: tuple[str, ...] = ()  # answered 410 this pass
    pending: int = 0  # deliveries still queued after the pass
    pings_delivered: int = 0
    pings_retrying: int = 0
    pings_dead: int = 0
    problems: tuple[str, ...] = ()  # endpoints skipped (bad secret), not fatal

    def line(self) -> str:
        text = (
            f"webhooks: {self.delivered} delivered, {self.retrying} retrying, {self.dead} dead, "
            f"{self.pending} pending"
        )
        if self.disabled_endpoints:
            text += f", disabled {', '.join(self.disabled_endpoints)}"
        if self.pings_delivered or self.pings_retrying or self.pings_dead:
            text += (
                f"; hub pings: {self.pings_delivered} sent, {self.pings_retrying} retrying, "
                f"{self.pings_dead} dead"
            )
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "fanned_out": self.fanned_out,
            "delivered": self.delivered,
            "retrying": self.retrying,
            "dead": self.dead,
            "disabled_endpoints": list(self.disabled_endpoints),
            "pending": self.pending,
            "pings_delivered": self.pings_delivered,
            "pings_retrying": self.pings_retrying,
            "pings_dead": self.pings_dead,
            "problems": list(self.problems),
        }


@dataclass(frozen=True, slots=True)
class EndpointInfo:
    """An endpoint for ``feeds webhooks list``: config, state, and queue counts."""

    url: str
    status: str  # active | disabled | unconfigured (in the store, no longer in the config)
    categories: tuple[str, ...] | None
    events: tuple[str, ...] | None
    pending: int
    delivered: int
    dead: int
    disabled: int  # deliveries set aside by a 410
    last_error: str | None
    last_delivered: datetime | None
    disabled_at: datetime | None
    disabled_reason: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "status": self.status,
            "categories": None if self.categories is None else list(self.categories),
            "events": None if self.events is None else list(self.events),
            "pending": self.pending,
            "delivered": self.delivered,
            "dead": self.dead,
            "disabled": self.disabled,
            "last_error": self.last_error,
            "last_delivered": None if self.last_delivered is None else iso(self.last_delivered),
            "disabled_at": None if self.disabled_at is None else iso(self.disabled_at),
            "disabled_reason": self.disabled_reason,
        }


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """Deliveries put back in the queue by ``replay``."""

    ref: str
    requeued: tuple[DeliveryInfo, ...]

    def to_json(self) -> dict[str, object]:
        return {"ref": self.ref, "requeued": [delivery.to_json() for delivery in self.requeued]}


@dataclass(frozen=True, slots=True)
class PingResult:
    """``feeds webhooks test URL``: one signed ``ping`` event, not stored, not retried."""

    url: str
    webhook_id: str
    status: int | None
    error: str | None
    elapsed_ms: int

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, object]:
        return {
            "url": self.url,
            "webhook_id": self.webhook_id,
            "status": self.status,
            "error": self.error,
            "ok": self.ok,
            "elapsed_ms": self.elapsed_ms,
        }


# ---- sending --------------------------------------------------------------------------------


def _client(timeout: float, guard: NetGuard) -> httpx.AsyncClient:
    return guard.client(timeout, httpx.Limits(max_connections=64, max_keepalive_connections=32))


async def post_signed(
    client: httpx.AsyncClient, url: str, key: bytes, msg_id: str, body: bytes, timestamp: int, timeout: float
) -> Attempt:
    """POST one signed body; the whole attempt (connect to last byte) is bounded by ``timeout``.

    ``client`` must be a guarded one (``NetGuard.client``): its refusal comes back as a blocked attempt.
    """
    headers = signed_headers(key, msg_id, timestamp, body)
    try:
        async with (
            asyncio.timeout(timeout),
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            snippet = await _read_some(response)
    except TimeoutError:
        return Attempt(None, f"timeout after {timeout:g} s")
    except AddressRefused as exc:
        return Attempt(None, str(exc), blocked=True)
    except httpx.HTTPError as exc:
        return Attempt(None, f"{type(exc).__name__}: {exc}".rstrip(": "))
    if 200 <= response.status_code < 300:
        return Attempt(response.status_code, None)
    error = f"HTTP {response.status_code} {snippet}".strip()
    return Attempt(response.status_code, error, _retry_after(response.headers.get("retry-after")))


async def _read_some(response: httpx.Response) -> str:
    """The start of the answer, for ``last_error``; a small body is read whole, which keeps the
    connection for the next delivery, a large one only up to ``ANSWER_LIMIT`` (decoded)."""
    answer = await read_capped(response)
    return answer[:_SNIPPET].decode("utf-8", "replace").strip()


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from webhook consumers; the schedule applies


# ---- one delivery pass ----------------------------------------------------------------------


@dataclass(slots=True)
class _Tally:
    """Counters the concurrent endpoint workers add to during a pass (frozen into the report)."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0
    disabled: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Pass:
    """What every worker in one pass shares."""

    store: Storage
    client: httpx.AsyncClient
    now: datetime
    clock: Callable[[], datetime]
    timeout: float
    rng: random.Random
    tally: _Tally


async def deliver_pending(
    config: Config,
    store: Storage,
    now: datetime | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    timeout: float = DEFAULT_TIMEOUT,
    rng: random.Random | None = None,
    guard: NetGuard | None = None,
) -> DeliveryReport:
    """One pass: fan out new events, send every due delivery and hub ping, record the results.

    ``guard`` replaces the address policy taken from ``fetch.allow_private`` (tests inject a resolver).
    """
    moment = now or clock()
    endpoints, problems = _configured_endpoints(config)
    outbox = store.outbox
    outbox.register_endpoints([webhook.url for webhook in config.webhooks], moment)
    fanned = outbox.fan_out([endpoint_filter(webhook) for webhook in config.webhooks], moment)
    tally = _Tally()
    async with _client(timeout, guard or NetGuard.for_config(config)) as client:
        run = _Pass(store, client, moment, clock, timeout, rng or _RNG, tally)
        senders = [
            _drain_endpoint(run, endpoints[url])
            for url in outbox.endpoints_with_pending()
            if url in endpoints
        ]
        pings, _ = await asyncio.gather(_deliver_pings(config, run), asyncio.gather(*senders))
    outbox.prune(moment, KEEP_SETTLED)
    return DeliveryReport(
        fanned_out=fanned,
        delivered=tally.delivered,
        retrying=tally.retrying,
        dead=tally.dead,
        disabled_endpoints=tuple(tally.disabled),
        pending=store.outbox.pending_deliveries(),
        pings_delivered=pings[0],
        pings_retrying=pings[1],
        pings_dead=pings[2],
        problems=tuple(problems),
    )


def deliver_pending_sync(
    config: Config,
    store: Storage,
    now: datetime | None = None,
    *,
    clock: Callable[[], datetime] = utcnow,
    timeout: float = DEFAULT_TIMEOUT,
    guard: NetGuard | None = None,
) -> DeliveryReport:
    """``deliver_pending`` for callers without an event loop (``feeds run --once``, the scheduler)."""
    return asyncio.run(deliver_pending(config, store, now, clock=clock, timeout=timeout, guard=guard))


def _configured_endpoints(config: Config) -> tuple[dict[str, Endpoint], list[str]]:
    """Endpoints by URL (the first wins if one is listed twice) and the ones skipped, with why."""
    endpoints: dict[str, Endpoint] = {}
    problems: list[str] = []
    for webhook in config.webhooks:
        if webhook.url in endpoints:
            continue
        try:
            endpoints[webhook.url] = Endpoint.from_config(webhook)
        except WebhookError as exc:
            problems.append(str(exc))
    return endpoints, problems


async def _drain_endpoint(run: _Pass, endpoint: Endpoint) -> None:
    """Send one endpoint's due queue in event order; stop at the first failure or not-yet-due row.
    One process at a time sends an endpoint's queue (on a store shared by workers, another may
    hold it: then this pass leaves it), so the endpoint gets its events in order."""
    with run.store.exclusive(f"endpoint {endpoint.url}", wait=False) as mine:
        if mine:
            await _drain(run, endpoint)


async def _drain(run: _Pass, endpoint: Endpoint) -> None:
    outbox = run.store.outbox
    after = 0
    while batch := outbox.pending_for(endpoint.url, _BATCH, after_seq=after):
        if not await _send_batch(run, endpoint, batch):
            return
        after = batch[-1].event_seq


async def _send_batch(run: _Pass, endpoint: Endpoint, batch: list[QueuedDelivery]) -> bool:
    """Send a batch in order; successes are recorded in few commits. False: stop this endpoint."""
    done: list[int] = []
    statuses: list[int] = []
    flushed = time.monotonic()
    try:
        for delivery in batch:
            if delivery.next_attempt > run.now:
                return False  # the head waits for its retry time; strict order holds the rest
            attempt = await _send(run, endpoint, delivery)
            if not attempt.ok:
                _flush(run, done, statuses)
                _record_failure(run, endpoint, delivery, attempt)
                return False
            done.append(delivery.id)
            statuses.append(attempt.status or 200)
            if len(done) >= _BATCH or time.monotonic() - flushed > _FLUSH_SECONDS:
                _flush(run, done, statuses)
                flushed = time.monotonic()
        return True
    finally:
        _flush(run, done, statuses)


async def _send(run: _Pass, endpoint: Endpoint, delivery: QueuedDelivery) -> Attempt:
    timestamp = int(run.clock().timestamp())
    body = delivery.payload.encode()
    return await post_signed(
        run.client, endpoint.url, endpoint.key, delivery.event_id, body, timestamp, run.timeout
    )


def _flush(run: _Pass, done: list[int], statuses: list[int]) -> None:
    if done:
        run.store.outbox.record_delivered(done, statuses, run.now)
        run.tally.delivered += len(done)
        done.clear()
        statuses.clear()


def _record_failure(run: _Pass, endpoint: Endpoint, delivery: QueuedDelivery, attempt: Attempt) -> None:
    outbox = run.store.outbox
    error = attempt.error or "failed"
    if attempt.blocked:
        _dead_letter_blocked(run, endpoint, delivery, error)
        return
    if attempt.status == 410:
        outbox.record_failed(delivery.id, attempt.status, error, run.now, run.now)
        outbox.disable_endpoint(endpoint.url, f"410 Gone at {iso(run.now)}", run.now)
        run.tally.disabled.append(endpoint.url)
        return
    next_at = retry_at(delivery.attempts + 1, delivery.queued, run.now, run.rng, attempt.retry_after)
    outbox.record_failed(delivery.id, attempt.status, error, run.now, next_at)
    if next_at is not None:
        run.tally.retrying += 1
        return
    run.tally.dead += 1 + outbox.expire_behind(endpoint.url, run.now - MAX_AGE, run.now)


def _dead_letter_blocked(run: _Pass, endpoint: Endpoint, delivery: QueuedDelivery, error: str) -> None:
    """A refused address: no retry, and the rest of the endpoint's queue dies with the head (module
    docstring, point 4), so a refused endpoint costs one attempt per pass, not one per event."""
    outbox = run.store.outbox
    outbox.record_failed(delivery.id, None, error, run.now, None)
    run.tally.dead += 1 + outbox.expire_behind(endpoint.url, run.now, run.now)


async def _deliver_pings(config: Config, run: _Pass) -> tuple[int, int, int]:
    """Send due WebSub pings to the configured hub; (sent, retrying, dead)."""
    if config.websub is None:
        return (0, 0, 0)
    with run.store.exclusive("hub pings", wait=False) as mine:
        return await _ping(config, run) if mine else (0, 0, 0)


async def _ping(config: Config, run: _Pass) -> tuple[int, int, int]:
    assert config.websub is not None
    due = run.store.outbox.due_pings(run.now)
    if not due:
        return (0, 0, 0)
    by_topic: dict[str, QueuedPing] = {ping.topic: ping for ping in due}
    results = await ping_hub(config.websub.hub, by_topic, client=run.client, timeout=run.timeout)
    counts = [0, 0, 0]
    for result in results:
        ping = by_topic[result.topic]
        retry = not result.ok and not result.refused  # a refused hub is a config matter
        next_at = retry_at(ping.attempts + 1, ping.queued, run.now, run.rng) if retry else None
        run.store.outbox.record_ping(ping, result.status, result.error, run.now, next_at)
        counts[0 if result.ok else (1 if next_at else 2)] += 1
    return (counts[0], counts[1], counts[2])


# ---- functions behind `feeds webhooks ...` --------------------------------------------------


def list_endpoints(config: Config, store: Storage) -> list[EndpointInfo]:
    """Every configured endpoint, then any the store still has queue rows for, by URL."""
    states = {state.url: state for state in store.outbox.endpoint_states()}
    configured = {webhook.url: webhook for webhook in reversed(config.webhooks)}
    infos = []
    for url in sorted(configured.keys() | states.keys()):
        webhook, state = configured.get(url), states.get(url)
        counts = state.counts if state else {}
        status = "unconfigured" if webhook is None else (state.status if state else "active")
        infos.append(
            EndpointInfo(
                url=url,
                status=status,
                categories=None if webhook is None else webhook.categories,
                events=None if webhook is None else webhook.events,
                pending=counts.get("pending", 0),
                delivered=counts.get("delivered", 0),
                dead=counts.get("dead", 0),
                disabled=counts.get("disabled", 0),
                last_error=state.last_error if state else None,
                last_delivered=state.last_delivered if state else None,
                disabled_at=state.disabled_at if state else None,
                disabled_reason=state.disabled_reason if state else None,
            )
        )
    return infos


def list_deliveries(
    store: Storage, failed_only: bool = False, limit: int | None = None
) -> list[DeliveryInfo]:
    """Newest first; ``failed_only`` keeps dead, disabled and pending-after-a-failure rows."""
    return store.outbox.deliveries(failed_only=failed_only, limit=limit)


def replay(store: Storage, delivery_or_event_id: str, now: datetime | None = None) -> ReplayResult:
    """Requeue one delivery (its number) or every delivery of one event (its ``msg_…`` id).

    The requeued rows start afresh (attempts 0, a new 3-day window) and keep their webhook-id; an
    endpoint disabled by a 410 is enabled again. They go out on the next ``deliver_pending``, ahead
    of newer pending events for the same endpoint (a queue is always sent in event order).
    """
    moment = now or utcnow()
    ref = delivery_or_event_id.strip()
    targets = _replay_targets(store, ref)
    store.outbox.requeue([delivery.id for delivery in targets], moment)
    refreshed = tuple(store.outbox.delivery(delivery.id) for delivery in targets)
    return ReplayResult(ref, tuple(delivery for delivery in refreshed if delivery is not None))


def _replay_targets(store: Storage, ref: str) -> Sequence[DeliveryInfo]:
    if ref.isdigit():
        delivery = store.outbox.delivery(int(ref))
        if delivery is None:
            raise WebhookError(f"delivery {ref}", "no such delivery")
        return [delivery]
    deliveries = store.outbox.deliveries_of_event(ref)
    if not deliveries:
        known = store.outbox.event_payload(ref) is not None
        reason = "the event matched no endpoint" if known else "no such event or delivery"
        raise WebhookError(f"event {ref}", reason)
    return deliveries


def enable_endpoint(store: Storage, url: str) -> bool:
    """Undo a 410 disable by hand; False when the endpoint was not disabled."""
    return store.outbox.enable_endpoint(url)


async def send_test_ping(
    url: str, secret: str, timeout: float = DEFAULT_TIMEOUT, *, guard: NetGuard | None = None
) -> PingResult:
    """POST a signed ``ping`` event to ``url`` once: checks reachability and the shared secret.

    The address is checked as a delivery would check it: pass ``NetGuard.for_config(config)``; the
    default refuses private addresses, like a config without ``fetch.allow_private``.
    """
    now = datetime.now(UTC)
    msg_id = f"msg_ping_{now.strftime('%Y%m%d%H%M%S')}_{random.getrandbits(32):08x}"
    payload = {"type": "ping", "timestamp": iso(now), "data": {"message": "test ping from feeds"}}
    body = json.dumps(payload, separators=(",", ":")).encode()
    started = time.monotonic()
    async with _client(timeout, guard or NetGuard()) as client:
        attempt = await post_signed(
            client, url, decode_secret(secret), msg_id, body, int(now.timestamp()), timeout
        )
    elapsed = int((time.monotonic() - started) * 1000)
    return PingResult(url, msg_id, attempt.status, attempt.error, elapsed)
