"""The values passed between stages: they survive the trip to and from worker processes whole."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import pytest

from feeds.model import Category, Entry, EntryData, ItemFailure

WHEN = datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
CATEGORY = Category("zhengquanshibaowang", "证券时报网")
VALUES = [
    CATEGORY,
    ItemFailure("local", "_posts/broken.md", "front matter is not YAML", line=3),
    ItemFailure("remote", "https://x.example/rss", "HTTP 500"),
    EntryData(
        "local",
        "2022-01-24-a.md",
        "标题",
        "<p>正文</p>",
        link="https://x.example/a",
        published=WHEN,
        categories=("证券时报网",),
        tags=("A股",),
        info_code="NW202201241234",
        date_is_fetch_time=True,
    ),
    Entry(
        key="NW202201241234",
        info_code="NW202201241234",
        title="标题",
        link="https://x.example/a",
        content="<p>正文</p>",
        summary=None,
        author="记者",
        published=WHEN,
        updated=WHEN,
        categories=(CATEGORY,),
        tags=("A股",),
        source="local",
        item_id="2022-01-24-a.md",
        content_hash="0" * 64,
        raw_date="2022-01-24 22:56:53 +0800",
        date_is_fetch_time=False,
    ),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda value: type(value).__name__)
def test_values_pickle_round_trip_equal(value: object) -> None:
    assert pickle.loads(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)) == value
