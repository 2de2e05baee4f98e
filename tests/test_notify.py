"""Webhook outbox and delivery over real HTTP to a real verifying receiver on 127.0.0.1.

Time is a fake ``now`` handed to ``deliver_pending``: the 3-day retry schedule runs in a few passes.
The receiver is on loopback, which feeds refuses by default, so ``make_config`` sets
``fetch.allow_private``; the address-check tests turn it off again.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from feedserver import FakeDNS
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from webhook_receiver import Behaviour, WebhookReceiver, brotli_bomb, gzip_bomb

from feeds.config import Config
from feeds.merge import MergePolicy
from feeds.model import Category, Entry
from feeds.netguard import NetGuard
from feeds.notify import (
    MAX_AGE,
    RETRY_SCHEDULE,
    DeliveryReport,
    WebhookError,
    deliver_pending,
    deliver_pending_sync,
    list_deliveries,
    list_endpoints,
    replay,
    retry_at,
    send_test_ping,
    sign,
)
from feeds.store import Store

SECRET = "whsec_" + base64.b64encode(b"feeds-test-secret-0123456789abcd").decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"a-different-secret-0123456789abc").decode()
T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
TESTS = Path(__file__).parent


def make_entry(key: str, category: str = "markets", version: str = "1") -> Entry:
    """An already-normalized entry; ``version`` changes its content (an update)."""
    when = datetime(2024, 2, 1, 8, 0, 0, tzinfo=UTC)
    return Entry(
        key=key,
        info_code=key.upper(),
        title=f"Title {key} v{version}",
        link=f"https://news.example.com/{key}",
        content=f"<p>Body of {key}, version {version}</p>",
        summary=None,
        author="Desk",
        published=when,
        updated=when,
        categories=(Category(category, category.title()),),
        tags=("tag",),
        source="test-source",
        item_id=key,
        content_hash=f"{key}-{version}",
    )


def write_entry(store: Store, entry: Entry, now: datetime = T0) -> None:
    with store.transaction():
        store.entries.apply(entry, now, MergePolicy({}))


def make_config(
    tmp_path: Path, *webhooks: dict[str, Any], hub: str | None = None, allow_private: bool = True
) -> Config:
    raw: dict[str, Any] = {
        "site": {"title": "Test", "url": "https://feeds.example.com"},
        "store": str(tmp_path / "feeds.db"),
        "output_dir": str(tmp_path / "public"),
        "webhooks": list(webhooks),
        "fetch": {"allow_private": allow_private},
        "base_dir": str(tmp_path),
    }
    if hub:
        raw["websub"] = {"hub": hub}
    return Config.model_validate(raw)


def deliver(
    config: Config, store: Store, now: datetime, timeout: float = 2.0, guard: NetGuard | None = None
) -> DeliveryReport:
    return deliver_pending_sync(config, store, now, timeout=timeout, guard=guard)


def run_until_settled(config: Config, store: Store, start: datetime, passes: int = 20) -> list[datetime]:
    """Deliver repeatedly, jumping the fake clock to the next retry time, until nothing is pending.

    Returns the fake time of every pass.
    """
    now = start
    times = []
    for _ in range(passes):
        deliver(config, store, now)
        times.append(now)
        pending = [d for d in list_deliveries(store) if d.status == "pending"]
        if not pending:
            return times
        retrying = [d.next_attempt for d in pending if d.attempts and d.next_attempt]  # queue heads
        now = max(now, min(retrying, default=now))
    raise AssertionError("deliveries still pending after the pass budget")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "feeds.db") as opened:
        yield opened


@pytest.fixture
def rx() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(SECRET) as receiver:
        yield receiver


def event_ids(store: Store) -> list[str]:
    return [row[0] for row in store.conn.execute("SELECT id FROM events ORDER BY seq")]


# ---- signing ----------------------------------------------------------------------------------


def test_sign_matches_the_reference_library() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    body = '{"type":"entry.created","data":{"title":"证券"}}'
    expected = Webhook(SECRET).sign("msg_1", moment, body)
    assert sign(SECRET, "msg_1", int(moment.timestamp()), body) == expected
    assert sign(SECRET, "msg_1", int(moment.timestamp()), body.encode()) == expected


def test_bad_secret_is_an_error_naming_the_endpoint(tmp_path: Path, store: Store) -> None:
    config = make_config(tmp_path, {"url": "http://127.0.0.1:9/hook", "secret": "whsec_***"})
    write_entry(store, make_entry("a"))
    report = deliver(config, store, T0)
    assert report.problems and "http://127.0.0.1:9/hook" in report.problems[0]
    assert report.pending == 1  # queued, kept until the secret is fixed
    with pytest.raises(WebhookError):
        sign("whsec_***", "msg", 0, "x")


# ---- delivery ---------------------------------------------------------------------------------


def test_delivered_once_signed_with_the_contract_body(
    tmp_path: Path, store: Store, rx: WebhookReceiver
) -> None:
    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET})
    write_entry(store, make_entry("a"))
    report = deliver(config, store, T0)
    assert (report.fanned_out, report.delivered, report.pending) == (1, 1, 0)
    assert deliver(config, store, T0 + timedelta(minutes=1)).delivered == 0

    [got] = rx.requests()
    assert got.verified and got.status == 204
    assert got.webhook_id == event_ids(store)[0]
    body = Webhook(SECRET).verify(got.body, got.headers)
    stored = store.entries.get("a")
    assert stored is not None
    as_printed = store.entries.to_json(stored, MergePolicy({}))  # as `feeds entries --json` prints it
    assert body == {"type": "entry.created", "timestamp": "2024-03-01T12:00:00Z", "data": as_printed}
    for field in (
        "key",
        "info_code",
        "title",
        "link",
        "categories",
        "published",
        "updated",
        "sources",
        "copies",
    ):
        assert field in body["data"]
    assert got.headers["content-type"] == "application/json"

    write_entry(store, make_entry("a", version="2"), T0 + timedelta(hours=1))
    deliver(config, store, T0 + timedelta(hours=1))
    updated = rx.accepted()[-1].json()
    assert updated["type"] == "entry.updated" and updated["data"]["title"] == "Title a v2"


def test_duplicate_copy_queues_nothing(tmp_path: Path, store: Store, rx: WebhookReceiver) -> None:
    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET})
    write_entry(store, make_entry("a"))
    write_entry(store, make_entry("a"))
    deliver(config, store, T0)
    assert len(rx.requests()) == 1


def test_receiver_down_then_up_delivers_once_with_the_same_id(
    tmp_path: Path, store: Store, rx: WebhookReceiver
) -> None:
    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET})
    write_entry(store, make_entry("a"))
    rx.stop()
    report = deliver(config, store, T0)
    assert (report.delivered, report.retrying) == (0, 1)
    [delivery] = list_deliveries(store)
    assert delivery.attempts == 1 and delivery.last_status is None and delivery.last_error
    assert delivery.next_attempt is not None
    assert timedelta(seconds=20) <= delivery.next_attempt - T0 <= timedelta(seconds=40)
    assert deliver(config, store, T0 + timedelta(seconds=5)).retrying == 0  # not due yet: no attempt

    rx.start()
    rx.behaviour.fail_first = 2  # back, but answering 500 twice more
    run_until_settled(config, store, delivery.next_attempt)
    requests = rx.requests()
    assert [r.status for r in requests] == [500, 500, 204]
    assert {r.webhook_id for r in requests} == {event_ids(store)[0]}
    assert all(r.verified for r in requests)
    assert len({r.headers["webhook-timestamp"] for r in requests}) >= 1
    [delivery] = list_deliveries(store)
    assert (delivery.status, delivery.attempts) == ("delivered", 4)


def test_failing_forever_is_dead_lettered_after_three_days(
    tmp_path: Path, store: Store, rx: WebhookReceiver
) -> None:
    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET})
    rx.behaviour.always = 500
    write_entry(store, make_entry("a"))
    times = run_until_settled(config, store, T0)
    end = times[-1]

    [delivery] = list_deliveries(store, failed_only=True)
    assert delivery.status == "dead" and delivery.last_status == 500
    assert end == T0 + MAX_AGE  # the last attempt is pulled in to the deadline
    attempts = rx.requests()
    assert len(attempts) == delivery.attempts == len(times)
    assert len(times) in (9, 10)  # 5 quick retries, 2 or 3 daily ones (jitter), one at the deadline
    assert {r.webhook_id for r in attempts} == {delivery.event_id}
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    expected = [d.total_seconds() for d in RETRY_SCHEDULE] + [86400]  # then one pulled in to the deadline
    for gap, base in zip(gaps, expected, strict=False):
        assert 0.8 * base - 1 <= gap <= 1.2 * base + 1

    rx.behaviour.always = None
    result = replay(store, str(delivery.id), end)
    assert [d.status for d in result.requeued] == ["pending"]
    assert deliver(config, store, end).delivered == 1
    assert rx.accepted()[-1].webhook_id == delivery.event_id


def test_events_stuck_behind_a_dead_head_expire_with_it(
    tmp_path: Path, store: Store, rx: WebhookReceiver
) -> None:
    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET})
    rx.behaviour.always = 500
    write_entry(store, make_entry("a"))
    write_entry(store, make_entry("b"))
    run_until_settled(config, store, T0)
    assert [d.status for d in list_deliveries(store)] == ["dead", "dead"]
    assert {r.webhook_id for r in rx.requests()} == {event_ids(store)[0]}  # b never jumped the queue


def test_retry_schedule_is_exponential_with_jitter_and_a_deadline() -> None:
    import random

    rng = random.Random(7)
    delays = [retry_at(n, T0, T0, rng) for n in range(1, 9)]
    assert all(d is not None for d in delays)
    seconds = [(d - T0).total_seconds() for d in delays if d]
    for got, base in zip(seconds, [30, 120, 600, 3600, 6 * 3600, 86400, 86400, 86400], strict=True):
        assert 0.8 * base <= got <= 1.2 * base
    assert retry_at(9, T0, T0 + MAX_AGE, rng) is None
    assert retry_at(9, T0, T0 + MAX_AGE - timedelta(hours=1), rng) == T0 + MAX_AGE
    assert retry_at(1, T0, T0, rng, retry_after=900) == T0 + timedelta(seconds=900)


def test_410_disables_the_endpoint_and_spares_the_others(
    tmp_path: Path, store: Store, rx: WebhookReceiver
) -> None:
    gone, alive = rx.url_for("gone"), rx.url_for("alive")
    config = make_config(tmp_path, {"url": gone, "secret": SECRET}, {"url": alive, "secret": SECRET})
    rx.behaviour.paths["/gone"] = type(rx.behaviour)(always=410)
    write_entry(store, make_entry("a"))
    write_entry(store, make_entry("b"))
    report = deliver(config, store, T0)
    assert report.disabled_endpoints == (gone,)
    assert len(rx.requests("/gone")) == 1 and len(rx.accepted("/alive")) == 2

    write_entry(store, make_entry("c"), T0 + timedelta(minutes=1))
    deliver(config, store, T0 + timedelta(days=1))
    assert len(rx.requests("/gone")) == 1 and len(rx.accepted("/alive")) == 3
    states = {info.url: info for info in list_endpoints(config, store)}
    assert states[gone].status == "disabled" and states[gone].disabled == 2  # a (410) and b, set aside
    assert states[alive].status == "active" and states[alive].delivered == 3
    json.dumps([info.to_json() for info in states.values()])


def test_category_and_event_filters(tmp_path: Path, store: Store, rx: WebhookReceiver) -> None:
    config = make_config(
        tmp_path,
        {"url": rx.url_for("markets"), "secret": SECRET, "categories": ["markets"]},
        {"url": rx.url_for("updates"), "secret": SECRET, "events": ["entry.updated"]},
        {"url": rx.url_for("all"), "secret": SECRET},
    )
    write_entry(store, make_entry("m", "markets"))
    write_entry(store, make_entry("t", "tech"))
    write_entry(store, make_entry("t", "tech", version="2"))
    with store.transaction():
        store.outbox.add_source_event("source.failing", "demo", {"error": "timeout"}, T0)
    deliver(config, store, T0)

    def seen(path: str) -> list[tuple[str, str]]:
        return [(r.json()["type"], r.json()["data"].get("key", "")) for r in rx.accepted(path)]

    assert seen("/markets") == [("entry.created", "m"), ("source.failing", "")]
    assert seen("/updates") == [("entry.updated", "t")]
    assert [t for t, _ in seen("/all")] == [
        "entry.created",
        "entry.created",
        "entry.updated",
        "source.failing",
    ]


def test_source_event_body(tmp_path: Path, store: Store, rx: WebhookReceiver) -> None:
    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET})
    with store.transaction():
        store.outbox.add_source_event("source.gone", "demo", {"url": "https://x/rss", "since": T0}, T0)
    deliver(config, store, T0)
    assert rx.accepted()[0].json() == {
        "type": "source.gone",
        "timestamp": "2024-03-01T12:00:00Z",
        "data": {"source": "demo", "url": "https://x/rss", "since": "2024-03-01T12:00:00Z"},
    }
    with pytest.raises(ValueError):
        store.outbox.add_source_event("source.exploded", "demo", {}, T0)


def test_wrong_secret_fails_verification_at_the_receiver(tmp_path: Path, store: Store) -> None:
    with WebhookReceiver(OTHER_SECRET) as receiver:
        config = make_config(tmp_path, {"url": receiver.url, "secret": SECRET})
        write_entry(store, make_entry("a"))
        report = deliver(config, store, T0)
        [got] = receiver.requests()
    assert not got.verified and got.status == 400 and "signature" in (got.error or "").lower()
    assert report.retrying == 1
    tampered = got.body.replace(b"Title", b"Tit1e")
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(tampered, got.headers)
    Webhook(SECRET).verify(got.body, got.headers)  # the untampered body verifies with the right key


def test_per_endpoint_order_is_event_order(tmp_path: Path, store: Store, rx: WebhookReceiver) -> None:
    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET})
    for key in "abcde":
        write_entry(store, make_entry(key))
    rx.behaviour.fail_first = 2
    run_until_settled(config, store, T0)
    ids = event_ids(store)
    arrived = [r.webhook_id for r in rx.requests()]
    assert arrived == [ids[0], ids[0], ids[0], *ids[1:]]  # the failing head held the rest back
    assert [r.json()["data"]["key"] for r in rx.accepted()] == list("abcde")


def test_a_slow_endpoint_does_not_hold_up_another(tmp_path: Path, store: Store) -> None:
    with WebhookReceiver(SECRET) as slow, WebhookReceiver(SECRET) as fast:
        slow.behaviour.delay = 3.0
        config = make_config(
            tmp_path, {"url": slow.url, "secret": SECRET}, {"url": fast.url, "secret": SECRET}
        )
        for key in "abc":
            write_entry(store, make_entry(key))
        started = time.monotonic()
        report = deliver(config, store, T0, timeout=1.0)
        elapsed = time.monotonic() - started
        assert len(fast.accepted()) == 3
        assert max(r.at for r in fast.accepted()) - started < 0.9  # before the slow one's timeout
        assert len(slow.requests()) == 1  # timed out; the rest wait behind it, in order
        assert (report.delivered, report.retrying) == (3, 1)
        assert elapsed < 2.5  # the pass ended at the timeout, not when the slow endpoint answered
        [failed] = list_deliveries(store, failed_only=True)
        assert failed.endpoint == slow.url and "timeout" in (failed.last_error or "")


# ---- crash safety -----------------------------------------------------------------------------

_CRASH = """
import os, signal, sys
from datetime import UTC, datetime
sys.path.insert(0, {tests!r})
from test_notify import make_entry
from feeds.merge import MergePolicy
from feeds.store import Store
from feeds.store.outbox import EndpointFilter
store = Store.open({db!r})
with store.transaction():
    store.entries.apply(make_entry("crash"), datetime(2024, 3, 1, 12, tzinfo=UTC), MergePolicy({{}}))
if {fan_out!r}:
    store.outbox.register_endpoints([{url!r}], datetime(2024, 3, 1, 12, tzinfo=UTC))
    store.outbox.fan_out([EndpointFilter({url!r})], datetime(2024, 3, 1, 12, tzinfo=UTC))
os.kill(os.getpid(), signal.SIGKILL)  # dies before any delivery, like a power cut
"""


@pytest.mark.parametrize("fan_out", [False, True], ids=["before-fan-out", "after-fan-out"])
def test_a_crash_before_delivery_loses_nothing(tmp_path: Path, rx: WebhookReceiver, fan_out: bool) -> None:
    db = tmp_path / "feeds.db"
    Store.open(db).close()
    code = _CRASH.format(tests=str(TESTS), db=str(db), url=rx.url, fan_out=fan_out)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS.parent), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=30)
    assert proc.returncode == -9, proc.stderr.decode()
    assert not rx.requests()

    with Store.open(db) as store:
        report = deliver(make_config(tmp_path, {"url": rx.url, "secret": SECRET}), store, T0)
        assert (report.fanned_out, report.delivered) == (0 if fan_out else 1, 1)
        [got] = rx.accepted()
        assert got.json()["data"]["key"] == "crash" and got.webhook_id == event_ids(store)[0]
        assert deliver(make_config(tmp_path, {"url": rx.url, "secret": SECRET}), store, T0).delivered == 0


# ---- CLI-facing functions ---------------------------------------------------------------------


def test_replay_by_event_id_and_unknown_ids(tmp_path: Path, store: Store, rx: WebhookReceiver) -> None:
    config = make_config(
        tmp_path, {"url": rx.url_for("one"), "secret": SECRET}, {"url": rx.url, "secret": SECRET}
    )
    write_entry(store, make_entry("a"))
    deliver(config, store, T0)
    [event_id] = event_ids(store)
    result = replay(store, event_id, T0 + timedelta(hours=1))
    assert len(result.requeued) == 2 and all(d.status == "pending" for d in result.requeued)
    json.dumps(result.to_json())
    assert deliver(config, store, T0 + timedelta(hours=1)).delivered == 2
    assert [r.webhook_id for r in rx.accepted()] == [event_id] * 4
    with pytest.raises(WebhookError, match="no such"):
        replay(store, "msg_nope", T0)
    with pytest.raises(WebhookError, match="no such"):
        replay(store, "999", T0)


def test_listing_is_json_ready(tmp_path: Path, store: Store, rx: WebhookReceiver) -> None:
    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET, "categories": ["markets"]})
    rx.behaviour.fail_first = 1
    write_entry(store, make_entry("a"))
    write_entry(store, make_entry("b"))
    report = deliver(config, store, T0)
    assert "1 retrying" in report.line()
    json.dumps(report.to_json())
    [endpoint] = list_endpoints(config, store)
    assert (endpoint.status, endpoint.pending, endpoint.categories) == ("active", 2, ("markets",))
    assert endpoint.last_error and "500" in endpoint.last_error
    failed = list_deliveries(store, failed_only=True)
    assert [d.event_type for d in failed] == ["entry.created"]
    assert len(list_deliveries(store)) == 2
    json.dumps([d.to_json() for d in list_deliveries(store)])
    removed = make_config(tmp_path)
    assert [e.status for e in list_endpoints(removed, store)] == ["unconfigured"]


def test_test_ping_is_signed(rx: WebhookReceiver) -> None:
    import asyncio

    allowed = NetGuard(allow_private=True)
    result = asyncio.run(send_test_ping(rx.url, SECRET, guard=allowed))
    assert result.ok and result.status == 204
    [got] = rx.accepted()
    assert got.verified and got.json()["type"] == "ping" and got.webhook_id == result.webhook_id
    bad = asyncio.run(send_test_ping("http://127.0.0.1:9/hook", SECRET, timeout=1, guard=allowed))
    assert not bad.ok and bad.status is None and "refused" not in (bad.error or "")


def test_settled_events_are_pruned(tmp_path: Path, store: Store, rx: WebhookReceiver) -> None:
    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET})
    write_entry(store, make_entry("a"))
    deliver(config, store, T0)
    write_entry(store, make_entry("b"), T0 + timedelta(days=20))
    rx.stop()
    asyncio_report = deliver(config, store, T0 + timedelta(days=20))
    assert asyncio_report.retrying == 1
    assert len(event_ids(store)) == 1  # a: settled 20 days ago, gone; b: pending, kept


def test_deliver_pending_is_awaitable(tmp_path: Path, store: Store, rx: WebhookReceiver) -> None:
    import asyncio

    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET})
    write_entry(store, make_entry("a"))
    report = asyncio.run(deliver_pending(config, store, T0))
    assert report.delivered == 1


# ---- hostile endpoints: private addresses, huge and compressed answers -------------------------


def test_a_loopback_endpoint_is_refused_and_its_queue_dead_lettered(
    tmp_path: Path, store: Store, rx: WebhookReceiver
) -> None:
    config = make_config(tmp_path, {"url": rx.url, "secret": SECRET}, allow_private=False)
    for key in "abc":
        write_entry(store, make_entry(key))
    report = deliver(config, store, T0)
    assert (report.delivered, report.retrying, report.dead, report.pending) == (0, 0, 3, 0)
    assert not rx.requests()  # refused before connecting
    head, *behind = sorted(list_deliveries(store), key=lambda d: d.id)
    assert head.status == "dead" and head.attempts == 1 and head.last_status is None
    assert "refused: 127.0.0.1 is a loopback address" in (head.last_error or "")
    assert "fetch.allow_private" in (head.last_error or "")
    assert all(d.status == "dead" for d in behind)
    assert deliver(config, store, T0 + timedelta(days=1)).dead == 0  # nothing retried
    [endpoint] = list_endpoints(config, store)
    assert endpoint.status == "active" and endpoint.dead == 3  # not disabled: a config fix is enough

    allowed = make_config(tmp_path, {"url": rx.url, "secret": SECRET})
    write_entry(store, make_entry("d"), T0 + timedelta(days=1))
    assert deliver(allowed, store, T0 + timedelta(days=1)).delivered == 1
    replay(store, event_ids(store)[0], T0 + timedelta(days=1))
    assert deliver(allowed, store, T0 + timedelta(days=1)).delivered == 1
    assert [r.json()["data"]["key"] for r in rx.accepted()] == ["d", "a"]


def test_an_endpoint_name_that_resolves_inside_is_refused(tmp_path: Path, store: Store) -> None:
    dns = FakeDNS({"hooks.example.test": ["169.254.169.254"]})
    url = "http://hooks.example.test/hook"
    config = make_config(tmp_path, {"url": url, "secret": SECRET}, allow_private=False)
    write_entry(store, make_entry("a"))
    report = deliver(config, store, T0, guard=NetGuard(resolver=dns))
    assert report.dead == 1 and dns.asked == ["hooks.example.test"]
    [delivery] = list_deliveries(store)
    assert "hooks.example.test resolves to 169.254.169.254, a link-local address" in (
        delivery.last_error or ""
    )


def test_the_test_ping_refuses_what_delivery_refuses(rx: WebhookReceiver) -> None:
    import asyncio

    result = asyncio.run(send_test_ping(rx.url, SECRET))
    assert not result.ok and result.status is None and "loopback" in (result.error or "")
    assert not rx.requests()


def test_huge_and_compressed_answers_cost_no_memory(
    tmp_path: Path, store: Store, rx: WebhookReceiver
) -> None:
    """A brotli bomb, a gzip bomb and a 64 MiB error page, each read only to its first 64 KiB,
    while a well-behaved endpoint in the same pass gets its deliveries."""
    brotli_body, gzip_body = brotli_bomb(256 * 2**20), gzip_bomb(64 * 2**20)  # built before measuring
    rx.behaviour.paths = {
        "/br": Behaviour(ok_status=200, body=brotli_body, headers={"content-encoding": "br"}),
        "/gz": Behaviour(always=500, body=gzip_body, headers={"content-encoding": "gzip"}),
        "/huge": Behaviour(always=500, body=b"<html>error ", padding=64 * 2**20),
    }
    paths = ["br", "gz", "huge", "fine"]
    config = make_config(tmp_path, *({"url": rx.url_for(path), "secret": SECRET} for path in paths))
    for key in "ab":
        write_entry(store, make_entry(key))
    started = time.monotonic()
    tracemalloc.start()
    try:
        report = deliver(config, store, T0, timeout=5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20 and time.monotonic() - started < 5
    assert (report.delivered, report.retrying) == (4, 2)  # br and fine: a and b; gz and huge: a, retried
    assert len(rx.accepted("/fine")) == 2 and len(rx.accepted("/br")) == 2
    errors = {
        d.endpoint.rsplit("/", 1)[1]: d.last_error or "" for d in list_deliveries(store, failed_only=True)
    }
    assert errors["huge"] == "HTTP 500 <html>error " + "x" * 288
    assert errors["gz"] == "HTTP 500 " + "\x00" * 300  # the bomb's zeros: decoded, but 64 KiB only
