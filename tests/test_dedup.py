"""The news-item key and the new/update/duplicate decision, as pure functions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from feeds.dedup import clean_link, find_info_code, news_item_key

SHARE = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178"


def test_info_code_order_front_matter_link_guid_body() -> None:
    assert find_info_code("NW1", SHARE, None, "") == "NW1"
    assert find_info_code(None, SHARE, "x?infocode=NW2", "") == "NW202201242259595178"
    assert find_info_code(None, "https://a/b", "x?INFOCODE=NW2", "") == "NW2"
    body = '<a href="https://a/?x=1">a</a> <a href="https://b/?infoCode=NW3&y=2">b</a>'
    assert find_info_code(None, None, None, body) == "NW3"
    assert find_info_code(None, "https://a/b", "guid-1", "<p>none</p>") is None


def test_key_fallbacks() -> None:
    assert news_item_key("NW1", "g", "https://a/", "s", "t", "d") == "NW1"
    assert news_item_key(None, "g-1", "https://a/", "s", "t", "d") == "guid:g-1"
    assert news_item_key(None, None, "https://A.com/x?utm_source=rss&id=3#top", "s", "t", None) == (
        "url:https://a.com/x?id=3"
    )
    undated = news_item_key(None, None, None, "s", "title", "")
    assert undated.startswith("hash:")
    assert undated == news_item_key(None, None, None, "s", "title", None)  # stable: no fetch time in it
    assert undated != news_item_key(None, None, None, "other", "title", "")


def test_clean_link_drops_tracking_and_default_port() -> None:
    assert clean_link("HTTP://Example.COM:80/a?utm_medium=x&fbclid=y&p=1") == "http://example.com/a?p=1"
    assert clean_link("https://example.com:8443/a") == "https://example.com:8443/a"
    assert clean_link("http://Example.com:99999/a?utm_source=x") == "http://example.com:99999/a"  # no raise


def test_an_item_without_a_title_is_keyed_by_its_text_and_date() -> None:
    key = news_item_key(None, None, None, "s1", "", "2022-01-24", "一段没有标题的快讯。")
    assert key.startswith("text:")
    assert key == news_item_key(
        None, None, None, "s2", "", "2022-01-24", "一段没有标题的快讯。"
    )  # any source
    assert key != news_item_key(None, None, None, "s1", "", "2022-01-25", "一段没有标题的快讯。")
    assert key != news_item_key(None, None, None, "s1", "", "2022-01-24", "另一段快讯。")


@given(st.text(min_size=1).filter(lambda s: s.strip() != ""), st.text(), st.text())
def test_key_is_deterministic(guid: str, title: str, date: str) -> None:
    assert news_item_key(None, guid, None, "s", title, date) == news_item_key(
        None, guid, None, "s", title, date
    )
