"""Emit's driver: write every output a build needs, from the store, and only what changed.

For each feed (``all``, each category, each view): its Atom, RSS and JSON Feed files and its page,
its monthly archive documents (the months ``feeds/archive.py`` says to redo), then ``index.opml``,
``index.html`` and the stylesheet. Files are written atomically and only when their bytes change;
one that cannot be written is recorded (source ``output``) without stopping the others.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from feeds import archive, emit, pages, paths, views
from feeds.config import Config
from feeds.model import BuildResult, Category, ItemFailure, StoredEntry
from feeds.slugs import ALL, CategoryResolver
from feeds.timefmt import utcnow

if TYPE_CHECKING:
    from feeds.store.interface import Storage

log = logging.getLogger(__name__)

INDEX_ENTRIES = 20  # the newest entries index.html shows
OUTPUT_SOURCE = "output"  # the source name under which output files that failed are recorded


class _Outputs:
    """Writes one build's files, noting a failure instead of raising it: one file that cannot be
    written (a full disk, a name the file system refuses) must not leave every other feed stale."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.written: list[str] = []  # relative paths whose bytes changed
        self.done: set[str] = set()  # paths written or already up to date
        self.failed: dict[str, str] = {}  # path → reason

    def write(self, relative: str, data: bytes) -> bool:
        """Write one file if its bytes changed; False (logged and noted) when it could not be."""
        location = str(self.root / relative)
        try:
            changed = emit.write_if_changed(self.root, relative, data)
        except paths.OutputPathError as exc:
            return self.fail(location, exc.reason)
        except OSError as exc:
            return self.fail(location, f"cannot write: {exc.strerror or exc}")
        if changed:
            self.written.append(relative)
        self.done.add(location)
        return True

    def remove(self, relative: str) -> None:
        """Delete an output file that no longer has a reason to exist (an archive month emptied)."""
        location = str(self.root / relative)
        try:
            removed = emit.remove_file(self.root, relative)
        except paths.OutputPathError as exc:
            self.fail(location, exc.reason)
        except OSError as exc:
            self.fail(location, f"cannot remove: {exc.strerror or exc}")
        else:
            if removed:
                self.written.append(relative)

    def fail(self, location: str, reason: str) -> bool:
        log.error("%s: %s", location, reason)
        self.failed[location] = reason
        return False

    def fit(self, categories: list[Category]) -> list[Category]:
        """The categories whose slugs can name files; the others (a store may hold an overlong one
        from before slugs were capped) are failures of their own."""
        usable = []
        for category in categories:
            try:
                paths.feed_paths(category.slug)
            except paths.OutputPathError as exc:
                self.fail(str(self.root / "feeds" / category.slug), exc.reason)
                continue
            usable.append(category)
        return usable


def build(config: Config, store: Storage, only: Iterable[str] | None = None) -> BuildResult:
    """Render category feeds (all, or just ``only`` plus any whose files are missing) and the OPML.

    Files are written atomically and only when their bytes change, so an unchanged store rewrites
    nothing and readers' caches stay valid. The feeds built are then cleared from the store's
    dirty set (see ``build_dirty``); a feed whose files could not be written stays in it, to be
    tried again, and is recorded as a failure without stopping the others.
    """
    store.refresh_statistics()
    categories = _categories(config, store)
    outputs = _Outputs(config.output_path)
    usable = outputs.fit(categories)
    wanted = None if only is None else set(only)
    failed = {c.slug for c in categories} - {c.slug for c in usable}
    titles = {c.slug: c.title for c in categories}
    # The marks as they stand before anything is rendered: only these are cleared at the end, so a
    # change another process stores meanwhile keeps its mark for the next build.
    feed_marks, month_marks = store.entries.dirty_feeds(), store.entries.dirty_months()
    months = None if wanted is None else set(month_marks)
    for category in usable:
        never = not store.entries.archived(category.slug)
        if _left_alone(config.output_path, category.slug, wanted) and not never:
            continue
        select = partial(store.entries.in_month, category=category.slug)
        candidates = store.entries.months(category.slug)
        newest = _write_archives(
            config, store, outputs, category, select, set(candidates).__contains__, candidates, months, titles
        )
        if not _write_category(config, store, outputs, category, titles, newest):
            failed.add(category.slug)
    shown = _write_views(config, store, outputs, usable, titles, wanted, months)
    _drop_archives(store, outputs, {feed.slug for feed in usable + shown})
    outputs.write(paths.OPML_PATH, emit.render_opml(usable + shown, config.site))
    _write_index(config, store, outputs, usable + shown, titles)
    built = {c.slug for c in categories} if wanted is None else wanted
    with store.transaction():  # a feed left with no entries is cleared too: nothing more to build
        done = built - failed
        store.entries.clear_dirty({slug: marks for slug, marks in feed_marks.items() if slug in done})
        if not outputs.failed:  # an archive month that failed is done again next time
            store.entries.clear_dirty_months(month_marks)
        _record_output_failures(store, outputs, full=wanted is None)
    failures = tuple(f"{location}: {reason}" for location, reason in outputs.failed.items())
    return BuildResult(written=tuple(outputs.written), categories=len(categories), failed=failures)


def _categories(config: Config, store: Storage) -> list[Category]:
    """Every feed to build: ``all`` first, then each stored category with its configured title."""
    resolver = CategoryResolver(config.categories)
    stored = store.entries.categories()
    return [Category(ALL, config.site.title)] + [
        Category(c.slug, resolver.title(c.slug, c.title)) for c in stored
    ]


def _write_views(
    config: Config,
    store: Storage,
    outputs: _Outputs,
    categories: list[Category],
    titles: dict[str, str],
    wanted: set[str] | None,
    months: set[str] | None,
) -> list[Category]:
    """Write each view's feeds (any entry change marks ``all`` dirty, which rebuilds them; a view
    whose bytes did not change writes nothing); returns the views to list. A view whose slug a
    category from a feed has taken is not written, and is reported: the category keeps its files."""
    taken = {category.slug for category in categories}
    listed: list[Category] = []
    for view in views.from_config(config):
        if view.slug in taken:
            outputs.fail(
                str(config.output_path / "feeds" / view.slug),
                f"view {view.slug!r} has the slug of a category; give the view another slug",
            )
            continue
        listed.append(view.category)
        never = not store.entries.archived(view.slug)
        left_alone = (
            wanted is not None and ALL not in wanted and _left_alone(config.output_path, view.slug, wanted)
        )
        if left_alone and not never:
            continue  # no entry changed since its last build, and its files are there
        chosen = itertools.islice(
            (entry for entry in store.entries.selected(view.categories, view.tags) if view.includes(entry)),
            config.feed.limit,
        )

        def in_view(month: str, view: views.View = view) -> list[StoredEntry]:
            return [entry for entry in store.entries.in_month(month) if view.includes(entry)]

        def any_in_view(month: str, view: views.View = view) -> bool:
            return any(view.includes(entry) for entry in store.entries.in_month(month))

        candidates = store.entries.months(ALL)
        newest = _write_archives(
            config, store, outputs, view.category, in_view, any_in_view, candidates, months, titles
        )
        hub = config.websub.hub if config.websub else None
        latest = list(chosen)
        files = emit.render_category(latest, view.category, config.site, titles, hub, newest)
        files[paths.page_path(view.slug)] = _page(config, latest, view.category, titles, newest)
        for relative, data in files.items():
            outputs.write(relative, data)
    return listed


def _left_alone(root: Path, slug: str, wanted: set[str] | None) -> bool:
    """A feed not asked for whose files (its page too) are all there is not rebuilt."""
    if wanted is None or slug in wanted:
        return False
    return all((root / path).exists() for path in paths.feed_files(slug))


def _write_category(
    config: Config,
    store: Storage,
    outputs: _Outputs,
    category: Category,
    titles: dict[str, str],
    newest_archive: str | None,
) -> bool:
    """Render and write one category's three files; False when any of them could not be written
    (each is tried: a failed Atom file does not keep its RSS and JSON twins stale)."""
    hub = config.websub.hub if config.websub else None
    entries = store.entries.recent(category.slug, config.feed.limit)
    files = emit.render_category(entries, category, config.site, titles, hub, newest_archive)
    files[paths.page_path(category.slug)] = _page(config, entries, category, titles, newest_archive)
    return all([outputs.write(relative, data) for relative, data in files.items()])


def _page(
    config: Config, entries: list[StoredEntry], feed: Category, titles: dict[str, str], newest: str | None
) -> bytes:
    title = config.site.title if feed.slug == ALL else feed.title
    return pages.render_page(entries, feed, title, config.site, titles, newest)


def _write_index(
    config: Config, store: Storage, outputs: _Outputs, feeds: list[Category], titles: dict[str, str]
) -> None:
    """``index.html`` and the stylesheet the pages share, at the root of the output folder."""
    listed = [(feed, config.site.title if feed.slug == ALL else feed.title) for feed in feeds]
    newest = store.entries.recent(ALL, min(config.feed.limit, INDEX_ENTRIES))
    outputs.write(paths.INDEX_PATH, pages.render_index(listed, newest, config.site, titles))
    outputs.write(paths.STYLE_PATH, pages.STYLE.encode())


def _drop_archives(store: Storage, outputs: _Outputs, feeds: set[str]) -> None:
    """A category left with no entries (retention deleted them, say), or a view no longer in the
    config, loses its archive documents: they would go on publishing entries that are gone."""
    for slug in sorted(store.entries.archived_slugs() - feeds):
        months = store.entries.archived(slug)
        for month in sorted(months):
            outputs.remove(paths.archive_path(slug, month))
        with store.transaction():
            store.entries.set_archived(slug, (), months)


def _write_archives(
    config: Config,
    store: Storage,
    outputs: _Outputs,
    feed: Category,
    select: Callable[[str], list[StoredEntry]],
    has_entries: Callable[[str], bool],
    candidates: list[str],
    dirty: set[str] | None,
    titles: dict[str, str],
) -> str | None:
    """One feed's monthly archive documents (``feeds/archive.py`` decides which); returns the month
    its current feed links as ``prev-archive``. ``dirty``: the months whose entries changed (None:
    every month, as for a feed that has no archive yet).

    The plan needs only whether each month has entries; a month's entries are read when its document
    is rendered, and let go after it, so a full build holds one month at a time, not the archive."""
    known = store.entries.archived(feed.slug)
    months = set(candidates) | known
    look = months if dirty is None or not known else months & dirty
    plan = archive.plan(known, {month: has_entries(month) for month in sorted(look)})
    for month in plan.write:
        data = emit.render_archive(
            select(month), feed, month, config.site, titles, archive.neighbours(plan.months, month)
        )
        outputs.write(paths.archive_path(feed.slug, month), data)
    for month in plan.remove:
        outputs.remove(paths.archive_path(feed.slug, month))
    with store.transaction():
        store.entries.set_archived(feed.slug, set(plan.months) - known, plan.remove)
    return plan.newest


def _record_output_failures(store: Storage, outputs: _Outputs, full: bool) -> None:
    """Output failures go in the failures table (``feeds failures``); a path written since, or after
    a full build any path that no longer failed, is cleared."""
    for location in store.entries.failing_locations(OUTPUT_SOURCE):
        if location in outputs.done or (full and location not in outputs.failed):
            store.entries.clear_failure(OUTPUT_SOURCE, location)
    now = utcnow()
    for location, reason in outputs.failed.items():
        store.entries.record_failure(ItemFailure(OUTPUT_SOURCE, location, reason), now)
