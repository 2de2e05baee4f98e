"""One cycle, stage by stage: sources → parse → normalize → dedup/store → emit → notify.

The CLI and the scheduler both drive these functions. Each source's results are committed in
transactions of their own (local posts in batches), so a crash at any point keeps what was committed
and the next run picks up the rest; a broken item is recorded and skipped, the run goes on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from feeds import emit
from feeds.config import Config, LocalSource
from feeds.errors import FeedsError, ItemError
from feeds.model import Category, Entry, ItemFailure, Outcome, RunSummary
from feeds.normalize import normalize
from feeds.parse.post import MAX_POST_BYTES, parse_post
from feeds.slugs import ALL, CategoryResolver
from feeds.sources.local import PostFile, list_posts, read_post
from feeds.store import Store
from feeds.store.entries import FileState
from feeds.timefmt import utcnow

log = logging.getLogger(__name__)

BATCH = 500  # local files per transaction: bounded loss on a crash, few fsyncs
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Which output files a build rewrote (relative to output_dir); unchanged ones are not touched."""

    written: tuple[str, ...]
    categories: int


def summarize(outcome: Outcome, entry: Entry) -> RunSummary:
    """A one-item summary: counts plus the feeds (categories and ``all``) a change touches."""
    if outcome is Outcome.DUPLICATE:
        return RunSummary(duplicate=1)
    touched = frozenset({ALL, *(c.slug for c in entry.categories)})
    if outcome is Outcome.NEW:
        return RunSummary(new=1, changed_categories=touched)
    return RunSummary(updated=1, changed_categories=touched)


def failed(failure: ItemFailure) -> RunSummary:
    log.warning("%s", failure)
    return RunSummary(failed=1, failures=(failure,))


# ---- local posts -----------------------------------------------------------------------------


def ingest_local(config: Config, store: Store, now: datetime | None = None, progress: Progress | None = None) -> RunSummary:
    """Scan every configured posts folder; unchanged files cost a stat, not a read."""
    now = now or utcnow()
    resolver = CategoryResolver(config.categories)
    summary = RunSummary()
    for source in config.local:
        summary += _ingest_folder(config, store, source, resolver, now, progress)
    return summary


def _ingest_folder(
    config: Config,
    store: Store,
    source: LocalSource,
    resolver: CategoryResolver,
    now: datetime,
    progress: Progress | None,
) -> RunSummary:
    root = config.resolve(source.path)
    name = source.source_name
    if not root.is_dir():
        with store.transaction():
            failure = ItemFailure(name, str(root), "posts folder not found")
            store.entries.record_failure(failure, now)
        return failed(failure)
    zone = ZoneInfo(source.timezone or config.site.timezone)
    known = store.entries.file_index(name)
    summary = RunSummary()
    pending = 0
    store.conn.execute("BEGIN IMMEDIATE")
    try:
        for post in list_posts(root):
            summary += _ingest_file(config, store, source, post, known.pop(post.relpath, None), resolver, zone, now)
            pending += 1
            if progress:
                progress(1)
            if pending >= BATCH:
                store.conn.execute("COMMIT")
                store.conn.execute("BEGIN IMMEDIATE")
                pending = 0
        _forget_removed(store, name, root, known)
        store.conn.execute("COMMIT")
    except BaseException:
        store.conn.execute("ROLLBACK")
        raise
    return summary


def _ingest_file(
    config: Config,
    store: Store,
    source: LocalSource,
    post: PostFile,
    before: FileState | None,
    resolver: CategoryResolver,
    zone: ZoneInfo,
    now: datetime,
) -> RunSummary:
    """One post file → stored entry, or a recorded failure. Unchanged files are skipped."""
    name = source.source_name
    if before and before.size == post.size and before.mtime_ns == post.mtime_ns:
        return RunSummary(skipped=1)
    location = str(post.path)
    try:
        raw = read_post(post, MAX_POST_BYTES)
    except ItemError as exc:
        return _failed_file(store, name, post, exc, "", now)
    digest = hashlib.sha256(raw).hexdigest()
    if before and before.content_hash == digest:  # touched, not changed
        store.entries.record_file(name, post.relpath, replace(before, size=post.size, mtime_ns=post.mtime_ns))
        return RunSummary(skipped=1)
    try:
        data = parse_post(raw, post.relpath, location, name, zone)
        if data is not None and source.category and not data.categories:
            data = replace(data, categories=(source.category,))
        entry = None if data is None else normalize(data, resolver, config.site.url, now)
    except ItemError as exc:
        return _failed_file(store, name, post, exc, digest, now)
    store.entries.clear_failure(name, location)
    if before and before.entry_key and (entry is None or before.entry_key != entry.key):
        store.entries.forget_copy(before.entry_key, name, post.relpath)
    store.entries.record_file(name, post.relpath, FileState(post.size, post.mtime_ns, digest, entry.key if entry else None))
    if entry is None:  # a draft: published: false
        return RunSummary(skipped=1)
    return summarize(store.entries.apply(entry, now), entry)


def _failed_file(store: Store, source: str, post: PostFile, exc: ItemError, digest: str, now: datetime) -> RunSummary:
    """Record the failure, and the file's hash so an unchanged broken file is not parsed again."""
    failure = ItemFailure(source, str(post.path), exc.reason, exc.line)
    store.entries.record_failure(failure, now)
    store.entries.record_file(source, post.relpath, FileState(post.size, post.mtime_ns, digest, None))
    return failed(failure)


def _forget_removed(store: Store, source: str, root: Path, removed: dict[str, FileState]) -> None:
    """Deleted post files stop claiming their entries' categories; the entries stay (feeds keep history)."""
    for relpath, state in removed.items():
        if state.entry_key:
            store.entries.forget_copy(state.entry_key, source, relpath)
        store.entries.forget_file(source, relpath, str(root / relpath))


# ---- remote feeds ----------------------------------------------------------------------------


async def ingest_remote(config: Config, store: Store, now: datetime | None = None, force_all: bool = False) -> RunSummary:
    """Fetch due remote sources; store each one's items and new state in one transaction as it arrives."""
    from feeds.sources.remote import fetch_due

    now = now or utcnow()
    resolver = CategoryResolver(config.categories)
    summary = RunSummary()
    async for result in fetch_due(config, store, now, force_all=force_all):
        source_summary = RunSummary()
        with store.transaction():
            for data in result.items:
                try:
                    entry = normalize(data, resolver, config.site.url, now)
                except ItemError as exc:
                    source_summary += failed(ItemFailure(result.source, exc.location, exc.reason))
                    continue
                source_summary += summarize(store.entries.apply(entry, now), entry)
            store.sources.record(result, new=source_summary.new, updated=source_summary.updated, now=now)
        if result.failure is not None:
            source_summary += failed(result.failure)
        summary += source_summary
    return summary


# ---- emit ------------------------------------------------------------------------------------


def build(config: Config, store: Store, only: Iterable[str] | None = None) -> BuildResult:
    """Render category feeds (all, or just ``only`` plus any whose files are missing) and the OPML.

    Files are written atomically and only when their bytes change, so an unchanged store rewrites
    nothing and readers' caches stay valid.
    """
    resolver = CategoryResolver(config.categories)
    stored = store.entries.categories()
    categories = [Category(ALL, config.site.title)] + [Category(c.slug, resolver.title(c.slug, c.title)) for c in stored]
    titles = {c.slug: c.title for c in categories}
    root = config.output_path
    wanted = None if only is None else set(only)
    hub = config.websub.hub if config.websub else None
    written: list[str] = []
    for category in categories:
        paths = emit.feed_paths(category.slug)
        if wanted is not None and category.slug not in wanted and all((root / p).exists() for p in paths.values()):
            continue
        entries = store.entries.recent(category.slug, config.feed.limit)
        for relative, data in emit.render_category(entries, category, config.site, titles, hub).items():
            if emit.write_if_changed(root, relative, data):
                written.append(relative)
    if emit.write_if_changed(root, "feeds/index.opml", emit.render_opml(categories, config.site)):
        written.append("feeds/index.opml")
    return BuildResult(written=tuple(written), categories=len(categories))


# ---- one whole cycle -------------------------------------------------------------------------


def run_cycle(config: Config, store: Store, force_all: bool = False, progress: Progress | None = None) -> RunSummary:
    """Scan, fetch, store, rebuild what changed, deliver: what ``feeds run --once`` does."""
    now = utcnow()
    summary = ingest_local(config, store, now, progress)
    if config.remote:
        summary += asyncio.run(ingest_remote(config, store, now, force_all=force_all))
    result = build(config, store, only=summary.changed_categories)
    _announce(config, store, result)
    _deliver(config, store)
    return summary


def _announce(config: Config, store: Store, result: BuildResult) -> None:
    """Queue WebSub pings for feeds whose bytes changed (delivered with the webhooks)."""
    if not config.websub or not result.written:
        return
    queue = getattr(store.outbox, "queue_hub_ping", None)
    if queue is None:
        return
    with store.transaction():
        for relative in result.written:
            queue(f"{config.site.url}/{relative}", utcnow())


def _deliver(config: Config, store: Store) -> None:
    try:
        from feeds.notify import deliver_pending_sync
    except ImportError:
        return
    try:
        deliver_pending_sync(config, store)
    except FeedsError as exc:
        log.warning("webhook delivery: %s", exc)
