"""Scheduling decisions as plain functions: a fake clock (fixed datetimes) and a seeded random."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from feeds import policy
from feeds.policy import FetchRecord, Schedule

NOW = datetime(2022, 1, 25, 8, 0, tzinfo=UTC)
HOUR = 3600.0
DAY = 86400.0


def test_backoff_doubles_from_the_interval_with_bounded_jitter() -> None:
    rng = random.Random(1)
    for count, base in [(1, 1200.0), (2, 2400.0), (3, 4800.0), (4, 9600.0)]:
        waits = [policy.backoff(600.0, count, rng) for _ in range(200)]
        assert min(waits) >= base * 0.9 - 1e-9 and max(waits) <= base * 1.1 + 1e-9
        assert len(set(waits)) > 100  # jitter: sources failing together spread out


def test_backoff_is_capped_at_a_day_and_never_below_the_interval() -> None:
    rng = random.Random(2)
    assert all(policy.backoff(900.0, 40, rng) <= DAY for _ in range(100))
    assert policy.backoff(900.0, 1000, rng) <= DAY
    assert all(
        policy.backoff(2 * DAY, 3, rng) == 2 * DAY for _ in range(10)
    )  # a long interval is its own cap
    assert policy.backoff(600.0, 0, rng) >= 600.0


def test_backoff_is_reproducible_with_a_seed() -> None:
    assert policy.backoff(600, 3, random.Random(5)) == policy.backoff(600, 3, random.Random(5))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        ("0", NOW),
        (" 60 ", NOW + timedelta(seconds=60)),
        ("Tue, 25 Jan 2022 09:00:00 GMT", NOW + timedelta(hours=1)),
        ("Tue, 25 Jan 2022 07:00:00 GMT", NOW),  # in the past: now
        (str(30 * 86400), NOW + timedelta(days=7)),  # capped
        ("Tue, 01 Mar 2022 00:00:00 GMT", NOW + timedelta(days=7)),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, expected: datetime | None) -> None:
    assert policy.parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"cache-control": "public, max-age=1800"}, NOW + timedelta(minutes=30)),
        ({"cache-control": 'max-age="600"'}, NOW + timedelta(minutes=10)),
        ({"cache-control": "max-age=0"}, None),
        ({"cache-control": "no-cache, max-age=600"}, None),
        ({"cache-control": "no-store"}, None),
        ({"cache-control": "max-age=31536000"}, NOW + timedelta(days=1)),  # capped
        ({"expires": "Tue, 25 Jan 2022 10:00:00 GMT"}, NOW + timedelta(hours=2)),
        ({"expires": "0"}, None),
        ({"expires": "Tue, 25 Jan 2022 07:00:00 GMT"}, None),
        (
            {"cache-control": "max-age=60", "expires": "Tue, 25 Jan 2022 10:00:00 GMT"},
            NOW + timedelta(minutes=1),
        ),
        ({}, None),
    ],
)
def test_cache_floor(headers: dict[str, str], expected: datetime | None) -> None:
    assert policy.cache_floor(headers, NOW) == expected


def test_ttl_floor() -> None:
    assert policy.ttl_floor(30, NOW) == NOW + timedelta(minutes=30)
    assert policy.ttl_floor(100000, NOW) == NOW + timedelta(days=1)
    assert policy.ttl_floor(0, NOW) is None and policy.ttl_floor(None, NOW) is None


@pytest.mark.parametrize(
    ("configured", "rate", "expected"),
    [
        (900.0, None, 900.0),  # nothing known yet: as configured
        (60.0, None, 300.0),  # clamped up to 5 min
        (3 * DAY, None, DAY),  # clamped down to a day
        (900.0, 0.0, DAY),  # a silent feed: daily
        (900.0, 24.0, 1800.0),  # an item an hour: every half hour
        (900.0, 2000.0, 300.0),  # very busy: 5 min floor
        (4 * HOUR, 2000.0, HOUR),  # never more than 4x as often as configured
        (900.0, 0.5, DAY),
    ],
)
def test_adaptive_interval(configured: float, rate: float | None, expected: float) -> None:
    assert policy.adaptive_interval(configured, rate) == pytest.approx(expected)


def test_item_rate_ignores_the_first_fetchs_backlog() -> None:
    history = [FetchRecord(NOW - timedelta(hours=24), 50), FetchRecord(NOW - timedelta(hours=12), 6)]
    history.append(FetchRecord(NOW, 6))
    assert policy.item_rate(history, NOW) == pytest.approx(12.0)


def test_item_rate_needs_an_hour_of_history() -> None:
    assert policy.item_rate([FetchRecord(NOW, 5)], NOW) is None
    assert policy.item_rate([FetchRecord(NOW - timedelta(minutes=10), 5), FetchRecord(NOW, 1)], NOW) is None


def test_next_due_after_success_respects_the_floor() -> None:
    rng = random.Random(0)
    plain = Schedule(interval=900.0, ok=True, error_count=0)
    assert policy.next_due(plain, NOW, rng) == NOW + timedelta(seconds=900)
    floored = Schedule(interval=900.0, ok=True, error_count=0, floor=NOW + timedelta(hours=2))
    assert policy.next_due(floored, NOW, rng) == NOW + timedelta(hours=2)
    adaptive = Schedule(
        interval=900.0, ok=True, error_count=0, items_per_day=24.0, floor=NOW + timedelta(hours=1)
    )
    assert policy.next_due(adaptive, NOW, rng) == NOW + timedelta(hours=1)  # never below the server's floor


def test_next_due_after_errors() -> None:
    rng = random.Random(0)
    failing = Schedule(interval=900.0, ok=False, error_count=3)
    due = policy.next_due(failing, NOW, rng)
    assert NOW + timedelta(seconds=7200 * 0.9) <= due <= NOW + timedelta(seconds=7200 * 1.1)
    told = Schedule(interval=900.0, ok=False, error_count=3, retry_after=NOW + timedelta(minutes=5))
    assert policy.next_due(told, NOW, rng) == NOW + timedelta(minutes=5)
    ours = Schedule(interval=900.0, ok=False, error_count=0, counted=False)
    assert policy.next_due(ours, NOW, rng) == NOW + timedelta(seconds=900)


@pytest.mark.parametrize(
    ("attempted", "unreachable", "down"),
    [
        (["a", "b", "c"], ["a", "b"], True),
        (["a", "b", "c", "d"], ["a", "b"], False),  # half is not most
        (["a", "b", "c", "d"], ["a", "b", "c"], True),
        (["a", "b"], ["a", "b"], False),  # too few hosts to tell
        (["a", "b", "c"], [], False),
        (["a", "b", "c"], ["x", "y", "z"], False),  # only hosts tried in this run count
    ],
)
def test_network_down(attempted: list[str], unreachable: list[str], down: bool) -> None:
    assert policy.network_down(attempted, unreachable) is down


def test_is_due() -> None:
    later = NOW + timedelta(hours=1)
    assert policy.is_due(None, NOW)
    assert policy.is_due(NOW, NOW) and not policy.is_due(later, NOW)
    assert policy.is_due(later, NOW, force_all=True)
    assert not policy.is_due(None, NOW, force_all=True, gone=True)
    assert not policy.is_due(None, NOW, enabled=False)
    assert not policy.is_due(None, NOW, force_all=True, host_window=later)
    assert policy.is_due(None, NOW, host_window=NOW - timedelta(seconds=1))


def test_latest() -> None:
    assert policy.latest([None, NOW, NOW + timedelta(1), None]) == NOW + timedelta(1)
    assert policy.latest([None]) is None


def test_source_events_mark_turning_points_only() -> None:
    from feeds.policy import FAILING_AFTER, source_event

    assert source_event(0, False, 1, False) is None  # one error is weather
    assert source_event(FAILING_AFTER - 1, False, FAILING_AFTER, False) == "source.failing"
    assert source_event(FAILING_AFTER, False, FAILING_AFTER + 1, False) is None  # said once
    assert source_event(FAILING_AFTER + 2, False, 0, False) == "source.recovered"
    assert source_event(1, False, 0, False) is None  # never announced as failing
    assert source_event(0, False, 1, True) == "source.gone"
    assert source_event(1, True, 2, True) is None
