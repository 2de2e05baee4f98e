"""WebSub publish pings to a real local hub stub; queued in the store so a crash loses none.

The hub stub is on loopback, which feeds refuses by default: tests that reach it set
``fetch.allow_private`` (``make_config``) or pass an allowing guard.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feedserver import FakeDNS
from webhook_receiver import Behaviour, WebhookReceiver, brotli_bomb

from feeds.config import Config
from feeds.netguard import NetGuard
from feeds.notify import MAX_AGE, deliver_pending_sync
from feeds.store import Store
from feeds.websub import ping_hub, topic_url

T0 = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)
ATOM = "https://feeds.example.com/feeds/all.atom.xml"
RSS = "https://feeds.example.com/feeds/all.rss.xml"
ALLOWED = NetGuard(allow_private=True)


@pytest.fixture
def hub() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as stub:
        stub.behaviour.ok_status = 202
        yield stub


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "feeds.db") as opened:
        yield opened


def make_config(tmp_path: Path, hub_url: str | None, allow_private: bool = True) -> Config:
    raw: dict[str, object] = {
        "site": {"url": "https://feeds.example.com"},
        "output_dir": str(tmp_path / "public"),
        "fetch": {"allow_private": allow_private},
        "base_dir": str(tmp_path),
    }
    if hub_url:
        raw["websub"] = {"hub": hub_url}
    return Config.model_validate(raw)


def pings(hub: WebhookReceiver) -> list[dict[str, list[str]]]:
    return [request.form() for request in hub.accepted()]


def test_ping_hub_posts_publish_forms(hub: WebhookReceiver) -> None:
    results = asyncio.run(ping_hub(hub.url, [ATOM, RSS, ATOM], guard=ALLOWED))
    assert [(r.topic, r.status, r.ok) for r in results] == [(ATOM, 202, True), (RSS, 202, True)]
    forms = sorted(pings(hub), key=lambda form: form["hub.topic"])
    assert forms == [
        {"hub.mode": ["publish"], "hub.topic": [ATOM], "hub.url": [ATOM]},
        {"hub.mode": ["publish"], "hub.topic": [RSS], "hub.url": [RSS]},
    ]
    assert all(r.headers["content-type"] == "application/x-www-form-urlencoded" for r in hub.accepted())


def test_ping_hub_reports_failures_without_raising(hub: WebhookReceiver) -> None:
    hub.behaviour.always = 500
    [failed] = asyncio.run(ping_hub(hub.url, [ATOM], guard=ALLOWED))
    assert not failed.ok and failed.status == 500 and not failed.refused
    [down] = asyncio.run(ping_hub("http://127.0.0.1:9/", [ATOM], timeout=1, guard=ALLOWED))
    assert not down.ok and down.status is None and down.error and not down.refused


def test_queued_pings_are_sent_once_and_coalesced(tmp_path: Path, store: Store, hub: WebhookReceiver) -> None:
    config = make_config(tmp_path, hub.url)
    store.outbox.queue_hub_ping(ATOM, T0)
    store.outbox.queue_hub_ping(ATOM, T0)  # changed twice before delivery: one ping covers both
    store.outbox.queue_hub_ping(RSS, T0)
    report = deliver_pending_sync(config, store, T0)
    assert report.pings_delivered == 2
    assert sorted(form["hub.topic"][0] for form in pings(hub)) == [ATOM, RSS]
    assert deliver_pending_sync(config, store, T0 + timedelta(minutes=1)).pings_delivered == 0

    store.outbox.queue_hub_ping(ATOM, T0 + timedelta(hours=1))  # changed again later: pinged again
    assert deliver_pending_sync(config, store, T0 + timedelta(hours=1)).pings_delivered == 1
    assert len(hub.accepted()) == 3


def test_failed_pings_are_retried_then_given_up(tmp_path: Path, store: Store, hub: WebhookReceiver) -> None:
    config = make_config(tmp_path, hub.url)
    hub.behaviour.fail_first = 1
    store.outbox.queue_hub_ping(ATOM, T0)
    assert deliver_pending_sync(config, store, T0).pings_retrying == 1
    assert deliver_pending_sync(config, store, T0 + timedelta(seconds=10)).pings_delivered == 0  # not due
    assert deliver_pending_sync(config, store, T0 + timedelta(minutes=1)).pings_delivered == 1

    hub.behaviour.always = 500
    store.outbox.queue_hub_ping(RSS, T0)
    report = deliver_pending_sync(config, store, T0 + MAX_AGE)
    assert report.pings_dead == 1 and store.outbox.pending_pings() == 0


def test_a_newer_change_survives_an_older_pings_success(tmp_path: Path, store: Store) -> None:
    store.outbox.queue_hub_ping(ATOM, T0)
    [in_flight] = store.outbox.due_pings(T0)
    store.outbox.queue_hub_ping(ATOM, T0)  # the feed changed again while the ping was on the wire
    store.outbox.record_ping(in_flight, 202, None, T0, None)
    assert store.outbox.pending_pings() == 1


def test_pings_wait_while_no_hub_is_configured(tmp_path: Path, store: Store, hub: WebhookReceiver) -> None:
    store.outbox.queue_hub_ping(ATOM, T0)
    deliver_pending_sync(make_config(tmp_path, None), store, T0)
    assert store.outbox.pending_pings() == 1 and not hub.requests()


def test_topic_url(tmp_path: Path) -> None:
    config = make_config(tmp_path, None)
    assert topic_url(config, "feeds/all.atom.xml") == ATOM
    assert topic_url(config, config.output_path / "feeds" / "all.rss.xml") == RSS


# ---- hostile hubs: private addresses, huge and compressed answers -------------------------------


def test_a_hub_on_loopback_is_refused_by_default(hub: WebhookReceiver) -> None:
    [result] = asyncio.run(ping_hub(hub.url, [ATOM]))
    assert result.refused and not result.ok and result.status is None
    assert "127.0.0.1 is a loopback address" in (result.error or "") and not hub.requests()


def test_a_refused_hub_ping_is_given_up_at_once(tmp_path: Path, store: Store, hub: WebhookReceiver) -> None:
    config = make_config(tmp_path, hub.url, allow_private=False)
    store.outbox.queue_hub_ping(ATOM, T0)
    report = deliver_pending_sync(config, store, T0)
    assert (report.pings_delivered, report.pings_retrying, report.pings_dead) == (0, 0, 1)
    assert store.outbox.pending_pings() == 0 and not hub.requests()
    [error] = store.conn.execute("SELECT last_error FROM websub_pings").fetchone()
    assert "refused" in error and "fetch.allow_private" in error


def test_a_hub_name_that_resolves_inside_is_refused() -> None:
    dns = FakeDNS({"hub.example.test": ["10.20.30.40"]})
    [result] = asyncio.run(ping_hub("https://hub.example.test/", [ATOM], guard=NetGuard(resolver=dns)))
    assert result.refused and "hub.example.test resolves to 10.20.30.40, a private address" in (
        result.error or ""
    )


def test_a_hubs_huge_error_page_and_bomb_are_read_only_in_part(
    tmp_path: Path, store: Store, hub: WebhookReceiver
) -> None:
    """A hub's huge error page, and a brotli bomb: each answer is read only up to ``ANSWER_LIMIT``."""
    bomb = brotli_bomb(256 * 2**20)  # built before measuring
    hub.behaviour.paths = {
        "/huge": Behaviour(always=500, body=b"busy ", padding=256 * 2**20),
        "/bomb": Behaviour(ok_status=202, body=bomb, headers={"content-encoding": "br"}),
    }
    started = time.monotonic()
    tracemalloc.start()
    try:
        [huge] = asyncio.run(ping_hub(hub.url_for("huge"), [ATOM], guard=ALLOWED))
        [bombed] = asyncio.run(ping_hub(hub.url_for("bomb"), [ATOM], guard=ALLOWED))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20 and time.monotonic() - started < 5
    assert huge.status == 500 and huge.error == "HTTP 500 busy " + "x" * 195 and not huge.refused
    assert bombed.ok and bombed.status == 202

    config = make_config(tmp_path, hub.url_for("huge"))
    store.outbox.queue_hub_ping(ATOM, T0)
    assert deliver_pending_sync(config, store, T0).pings_retrying == 1  # recorded, retried as usual
