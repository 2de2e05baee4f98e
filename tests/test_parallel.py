"""The worker pools: order kept, small inputs stay in-process, errors come back intact."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from feeds.parallel import LazyPool, ordered_map
from feeds.parse.feed import FeedParseError, ParseContext, parse_feed


def pid_of(_: int) -> int:
    return os.getpid()


def square(n: int) -> int:
    return n * n


def test_ordered_map_keeps_input_order_across_workers() -> None:
    items = list(range(1000))
    results = list(ordered_map(square, items, workers=2, threshold=10, chunk=7, window=2))
    assert results == [(n, n * n) for n in items]


def test_small_inputs_never_start_a_pool() -> None:
    assert {pid for _, pid in ordered_map(pid_of, range(5), workers=2, threshold=10)} == {os.getpid()}
    with LazyPool(threshold=10, workers=2) as pool:
        assert pool.submit(pid_of, 0).result() == os.getpid()


def test_large_inputs_use_worker_processes() -> None:
    pids = {pid for _, pid in ordered_map(pid_of, range(200), workers=2, threshold=10, chunk=5)}
    assert os.getpid() not in pids


def test_a_workers_error_arrives_whole() -> None:
    context = ParseContext("s", "https://x.example/rss", datetime.now(UTC), ZoneInfo("Asia/Shanghai"))
    with LazyPool(threshold=0, workers=2) as pool:
        future = pool.submit(partial(parse_feed, ctx=context), b"this is not a feed")
        with pytest.raises(FeedParseError) as caught:
            future.result(timeout=30)
    assert caught.value.location == "https://x.example/rss"
    assert caught.value.reason
