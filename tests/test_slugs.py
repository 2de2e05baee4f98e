"""Category names → safe slugs: pinyin for Chinese, config mappings, refusals."""

from __future__ import annotations

import pytest

from feeds.config import CategoryConfig
from feeds.model import Category
from feeds.slugs import CategoryResolver, UnsafeCategory, slugify


def test_chinese_name_becomes_pinyin() -> None:
    assert slugify("证券时报网") == "zhengquanshibaowang"
    assert slugify("A股 新闻") == "agu-xinwen"


@pytest.mark.parametrize("name", ["../../etc", "a/b", "..", "", "  ", "c:\\x", "%2e%2e"])
def test_unsafe_names_are_refused(name: str) -> None:
    with pytest.raises(UnsafeCategory):
        slugify(name)


def test_resolver_uses_config_title_and_slug() -> None:
    resolver = CategoryResolver(
        {
            "zhengquanshibaowang": CategoryConfig(title="证券时报网"),
            "宏观": CategoryConfig(slug="macro", aliases=("宏观经济",)),
        }
    )
    expected = Category("zhengquanshibaowang", "证券时报网")
    assert resolver.resolve("zhengquanshibaowang") == expected
    assert resolver.resolve("证券时报网") == expected
    assert resolver.resolve("宏观经济") == Category("macro", "宏观")
    assert resolver.resolve("东方财富网") == Category("dongfangcaifuwang", "东方财富网")
    with pytest.raises(UnsafeCategory):
        resolver.resolve("all")
