"""The values passed between stages: they survive the trip to and from worker processes whole."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from feeds.model import Category, EntryData, ItemFailure
from feeds.normalize import normalize
from feeds.slugs import CategoryResolver

WHEN = datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
ITEM = EntryData(
    "local",
    "2022-01-24-a.md",
    "标题",
    "<p>正文</p>",
    link="https://x.example/a?infoCode=NW202201241234",
    author="记者",
    published=WHEN,
    raw_date="2022-01-24 22:56:53 +0800",
    categories=("证券时报网",),
    tags=("A股",),
    date_is_fetch_time=True,
)
VALUES = [
    Category("zhengquanshibaowang", "证券时报网"),
    ItemFailure("local", "_posts/broken.md", "front matter is not YAML", line=3),
    ItemFailure("remote", "https://x.example/rss", "HTTP 500"),
    ITEM,
    normalize(ITEM, CategoryResolver({}), "https://site.example/", WHEN),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda value: type(value).__name__)
def test_values_pickle_round_trip_equal(value: object) -> None:
    assert pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) == value
