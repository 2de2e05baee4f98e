"""Views: extra feeds selected from the stored entries (config ``views:``), emitted like categories.

An entry is in a view when it is in any of the view's categories or carries any of its tags (a list
that is absent selects nothing by itself; with both absent, every entry passes this part) and every
``match`` pattern (RE2, the rules' engine) finds something in its field. Pure: ``View.includes``
decides for one entry; the pipeline asks the store for candidates newest first and stops at the
feed's limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from feeds.config import Config
from feeds.model import Category, StoredEntry
from feeds.rules import Pattern, compile_pattern


@dataclass(frozen=True, slots=True)
class View:
    slug: str
    title: str
    categories: frozenset[str]  # slugs
    tags: frozenset[str]
    match: tuple[tuple[str, Pattern], ...] = ()

    @property
    def category(self) -> Category:
        """The view as emit sees it: a feed with a slug and a title."""
        return Category(self.slug, self.title)

    def includes(self, entry: StoredEntry) -> bool:
        if (self.categories or self.tags) and not (
            self.categories.intersection(entry.categories) or self.tags.intersection(entry.tags)
        ):
            return False
        return all(pattern.search(getattr(entry, name) or "") for name, pattern in self.match)


def from_config(config: Config) -> tuple[View, ...]:
    """The config's views, their category names resolved to slugs as posts' categories are."""
    from feeds.slugs import CategoryResolver

    resolver = CategoryResolver(config.categories)
    return tuple(
        View(
            slug=view.slug,
            title=view.title or view.slug,
            categories=frozenset(resolver.resolve(name).slug for name in view.categories or ()),
            tags=frozenset(view.tags or ()),
            match=tuple((name, compile_pattern(pattern)) for name, pattern in (view.match or {}).items()),
        )
        for view in config.views
    )
