"""Category names → safe slugs and display titles.

A slug names output files, so it is ``[a-z0-9_-]`` or nothing: Chinese names become their pinyin
(``证券时报网`` → ``zhengquanshibaowang``, as the news site names it) unless the config maps them, and
a name that cannot be made safe (``../../etc``) is refused, never cleaned up into a path.

A slug is also short: every output file name is built from it, and one overlong category once
made every later build fail. A long slug is cut and ends in a hash of the whole, so it stays the
same on every run and distinct from the slugs of other long names.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache

from feeds.config import MAX_SLUG, SLUG_RE, CategoryConfig
from feeds.model import Category

ALL = "all"
_HASH_CHARS = 12  # hex digits of SHA-256 ending a cut slug
# Longer names are refused outright: no real category is this long, and turning a hostile feed's
# megabyte "category" into pinyin (and caching it) would cost a worker seconds and memory.
MAX_NAME = 1000
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SEPARATORS = re.compile(r"[\s_]+")


class UnsafeCategory(ValueError):
    """A category name that maps to no safe slug."""


def slugify(name: str) -> str:
    """Pinyin for CJK, lower-case ASCII, spaces to ``-``, at most MAX_SLUG characters; anything else
    is refused."""
    if len(name) > MAX_NAME:
        raise UnsafeCategory(
            f"category name of {len(name)} characters is too long (at most {MAX_NAME}); "
            "map it under `categories` in the config"
        )
    return _slugify(name)


def cap_slug(slug: str) -> str:
    """``slug`` if short enough, else its first characters and a hash of all of it (stable, unique)."""
    if len(slug) <= MAX_SLUG:
        return slug
    digest = hashlib.sha256(slug.encode()).hexdigest()[:_HASH_CHARS]
    return f"{slug[: MAX_SLUG - _HASH_CHARS - 1]}-{digest}"


@lru_cache(maxsize=4096)
def _slugify(name: str) -> str:
    text = name.strip()
    if _CJK.search(text):
        # pypinyin's phrase dictionary costs a third of a second to load: only a Chinese name pays it
        from pypinyin import lazy_pinyin

        text = "".join(lazy_pinyin(text))
    slug = _SEPARATORS.sub("-", text.strip()).lower()
    if not slug or not SLUG_RE.match(slug) or slug.strip("-_") == "":
        raise UnsafeCategory(
            f"category {name!r} cannot be turned into a safe feed name (a-z, 0-9, _ and - only); "
            "map it under `categories` in the config"
        )
    return cap_slug(slug)


class CategoryResolver:
    """Resolves category names as posts and feeds give them, through the config's ``categories``."""

    def __init__(self, configured: Mapping[str, CategoryConfig]) -> None:
        self._by_name: dict[str, Category] = {}
        for key, cfg in configured.items():
            category = Category(slug=cfg.slug or slugify(key), title=cfg.title or key)
            for name in (key, category.slug, cfg.title, *cfg.aliases):
                if name:
                    self._by_name.setdefault(name.strip().casefold(), category)
        self._titles = {c.slug: c.title for c in self._by_name.values()}

    def resolve(self, name: str) -> Category:
        """The category for ``name``; raises UnsafeCategory when it has no safe slug."""
        found = self._by_name.get(name.strip().casefold())
        if found is not None:
            return found
        slug = slugify(name)
        if slug == ALL:
            raise UnsafeCategory(
                f"category {name!r} collides with the built-in 'all' feed; map it in the config"
            )
        return Category(slug=slug, title=self._titles.get(slug, name.strip()))

    def title(self, slug: str, fallback: str) -> str:
        """The configured display title of a slug, else what the store recorded."""
        return self._titles.get(slug, fallback)
