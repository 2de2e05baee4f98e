"""Source claims and host turns (feeds/store/claims.py) on this session's PostgreSQL, and the host
turn policy (feeds/policy.py) without a database. Two stores opened on one database stand for two
workers: what one holds, the other neither takes nor waits for."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from feeds.config import RemoteSource
from feeds.policy import HostTurn, host_turn
from feeds.store import Store
from feeds.store.claims import Claims

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
LEASE = 300.0


@pytest.fixture
def two(pg_url: str) -> Iterator[tuple[Store, Store]]:
    first, second = Store.open(pg_url), Store.open(pg_url)
    first.sources.sync(
        [RemoteSource(name=f"s{n}", url=f"https://h{n % 2}.example/{n}.xml") for n in range(10)]
    )
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def claims(store: Store) -> Claims:
    assert store.claims is not None
    return store.claims


def test_two_workers_claim_disjoint_sources_and_a_lease_keeps_them(two: tuple[Store, Store]) -> None:
    first, second = two
    mine = claims(first).claim("a", T0, LEASE, 6)
    theirs = claims(second).claim("b", T0, LEASE, 6)
    assert len(mine) == 6 and len(theirs) == 4 and not set(mine) & set(theirs)
    assert claims(first).claim("a", T0, LEASE, 6) == []  # all leased
    assert claims(first).leased() == {name: "a" for name in mine} | {name: "b" for name in theirs}


def test_an_expired_lease_is_taken_by_another_worker(two: tuple[Store, Store]) -> None:
    first, second = two
    held = claims(first).claim("dead", T0, 60, 10)
    assert claims(second).claim("b", T0 + timedelta(seconds=59), LEASE, 10) == []
    assert claims(second).claim("b", T0 + timedelta(seconds=61), LEASE, 10) == held


def test_a_run_claims_each_source_once_even_when_all_are_asked_for(two: tuple[Store, Store]) -> None:
    first, _ = two
    got = claims(first).claim("a", T0, LEASE, 4, every=True)
    claims(first).release("a")
    again = claims(first).claim("a", T0, LEASE, 10, every=True, done=got)
    assert len(again) == 6 and not set(got) & set(again)


def test_released_leases_are_due_again_at_once(two: tuple[Store, Store]) -> None:
    first, second = two
    held = claims(first).claim("a", T0, LEASE, 10)
    assert claims(first).release("a") == 10
    assert claims(second).claim("b", T0, LEASE, 10) == held


def test_claims_skip_rows_another_transaction_has_locked(two: tuple[Store, Store], pg_url: str) -> None:
    """SKIP LOCKED: a claim never waits on a row a write holds; it takes the others."""
    first, _ = two
    with psycopg.connect(pg_url) as other:
        other.execute("SELECT name FROM sources WHERE name IN ('s0', 's1') FOR UPDATE")
        started = time.monotonic()
        got = claims(first).claim("a", T0, LEASE, 10)
        assert time.monotonic() - started < 2
        assert sorted(got) == sorted(f"s{n}" for n in range(2, 10))


def test_a_host_turn_holds_per_host_across_workers(two: tuple[Store, Store]) -> None:
    first, second = two
    mine, theirs = claims(first).host_turns("a"), claims(second).host_turns("b")
    turn_a, token_a = mine.take("h.example", 2, 0.0, 30, T0, 0.1)
    turn_b, token_b = theirs.take("h.example", 2, 0.0, 30, T0, 0.1)
    assert turn_a.go and turn_b.go and token_a and token_b
    third, none = theirs.take("h.example", 2, 0.0, 30, T0, 0.1)
    assert third == HostTurn(False, wait=0.1) and none is None
    mine.give_back(token_a)
    assert theirs.take("h.example", 2, 0.0, 30, T0, 0.1)[0].go
    assert mine.take("other.example", 2, 0.0, 30, T0, 0.1)[0].go  # hosts are apart


def test_a_dead_workers_turn_expires(two: tuple[Store, Store]) -> None:
    first, second = two
    assert claims(first).host_turns("dead").take("h.example", 1, 0.0, 0.2, T0, 0.1)[0].go
    assert not claims(second).host_turns("b").take("h.example", 1, 0.0, 30, T0, 0.1)[0].go
    time.sleep(0.3)
    assert claims(second).host_turns("b").take("h.example", 1, 0.0, 30, T0, 0.1)[0].go


def test_host_turns_keep_their_spacing_and_retry_after(two: tuple[Store, Store], pg_url: str) -> None:
    first, second = two
    assert claims(first).host_turns("a").take("h.example", 5, 10.0, 30, T0, 0.1)[0].go
    waiting = claims(second).host_turns("b").take("h.example", 5, 10.0, 30, T0, 0.1)[0]
    assert not waiting.go and 9 < waiting.wait <= 10
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE hosts SET retry_after_until = '2026-11-30T13:00:00Z', next_start = NULL")
    deferred = claims(second).host_turns("b").take("h.example", 5, 10.0, 30, T0, 0.1)[0]
    assert deferred == HostTurn(False, deferred_until=datetime(2026, 11, 30, 13, tzinfo=UTC))


@pytest.mark.parametrize(
    ("in_flight", "next_start", "retry_after", "expected"),
    [
        (0, None, None, HostTurn(True)),
        (1, 99.0, None, HostTurn(True)),
        (2, None, None, HostTurn(False, wait=0.5)),
        (0, 103.0, None, HostTurn(False, wait=3.0)),
        (0, None, T0 + timedelta(minutes=5), HostTurn(False, deferred_until=T0 + timedelta(minutes=5))),
        (0, None, T0 - timedelta(minutes=5), HostTurn(True)),
    ],
)
def test_host_turn_policy(
    in_flight: int, next_start: float | None, retry_after: datetime | None, expected: HostTurn
) -> None:
    assert host_turn(in_flight, 2, next_start, 100.0, retry_after, T0, 0.5) == expected
