"""Category names → safe slugs: pinyin for Chinese, config mappings, refusals."""

from __future__ import annotations

import pytest

from feeds.config import MAX_SLUG, SLUG_RE, CategoryConfig
from feeds.model import Category
from feeds.slugs import MAX_NAME, CategoryResolver, UnsafeCategory, slugify


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


@pytest.mark.parametrize("name", ["a" * 300, "证券时报网" * 60, "a-" * 200 + "b", "x " * 150])
def test_long_names_get_a_capped_stable_slug(name: str) -> None:
    """Issue 10: a slug names files (``<slug>.atom.xml``, and a temp file beside it), so it must stay
    well under the 255-byte file-name limit; the cut keeps a hash so the slug stays unique."""
    slug = slugify(name)
    assert len(slug) <= MAX_SLUG
    assert len(f".{slug}.atom.xml.abcdefgh.tmp".encode()) < 255
    assert SLUG_RE.match(slug)
    assert slugify(name) == slug == CategoryResolver({}).resolve(name).slug
    assert slugify(name + "z") != slug  # the same first 80 characters, another category


def test_short_slugs_are_not_changed_by_the_cap() -> None:
    exact = "a" * MAX_SLUG
    assert slugify(exact) == exact
    assert slugify("b" * (MAX_SLUG + 1)) != "b" * MAX_SLUG


def test_absurdly_long_names_are_refused_not_slugged() -> None:
    """A hostile feed's megabyte "category" is refused as a whole (cheaply), not turned into pinyin."""
    with pytest.raises(UnsafeCategory, match="characters"):
        slugify("证" * (MAX_NAME + 1))
