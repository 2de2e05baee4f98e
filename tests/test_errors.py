"""Errors carry their context, render it in one line, and survive the trip from a worker process."""

from __future__ import annotations

import pickle

import pytest

from feeds.errors import ConfigError, FeedsError, FetchError, ItemError, LockHeld, SourceError, StoreError
from feeds.notify import WebhookError
from feeds.parse.feed import FeedParseError

ERRORS: list[FeedsError] = [
    ConfigError("config.yaml", "unknown key", key="feed.limt"),
    SourceError("demo", "https://x/rss", "gone"),
    ItemError("/posts/a.md", "no title", line=2),
    FetchError("https://x/rss", "timeout", "timed out after 30 s"),
    StoreError("feeds.db", "newer schema"),
    LockHeld("feeds.db.lock"),
    FeedParseError("https://x/rss", "not a feed"),
    WebhookError("delivery 3", "no such delivery"),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_errors_round_trip_through_pickle(error: FeedsError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


def test_messages_name_the_place() -> None:
    assert str(ItemError("/posts/a.md", "no title", line=2)) == "/posts/a.md:2: no title"
    assert str(ConfigError("c.yaml", "unknown key", key="feed.limt")) == "c.yaml: feed.limt: unknown key"
