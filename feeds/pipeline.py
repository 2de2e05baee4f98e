"""One cycle, stage by stage: sources → parse → normalize → merge/store → emit → notify.

The CLI and the scheduler both drive these functions. Each source's results are committed in
transactions of their own (local posts in batches), so a crash at any point keeps what was committed
and the next run picks up the rest; a broken item is recorded and skipped, the run goes on.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from feeds import __version__, paths, rules
from feeds.config import Config, LocalSource
from feeds.errors import ItemError
from feeds.merge import Decision, MergePolicy
from feeds.model import (
    BuildResult,
    Entry,
    EntryData,
    FetchResult,
    FetchStatus,
    ItemFailure,
    Outcome,
    RunSummary,
)
from feeds.parallel import LazyPool, bulk_gc, ordered_map, ready_batches
from feeds.slugs import ALL, CategoryResolver
from feeds.sources.local import PostFile, list_posts, read_post
from feeds.store.entries import FileState
from feeds.timefmt import utcnow

# What only some runs need is imported where it is used: an idle cron run (nothing changed, nothing
# to build) must not pay for the parsers, the sanitizer, the fetcher or the emitters.
if TYPE_CHECKING:
    from feeds.notify import DeliveryReport
    from feeds.parse.feed import ParseContext, ParsedFeed
    from feeds.sources.gates import HostGates
    from feeds.sources.remote import Parse
    from feeds.store.interface import Storage

log = logging.getLogger(__name__)

BATCH = 500  # local files per transaction: bounded loss on a crash, few fsyncs
# Categories the store has not seen that one source may add in one run. Each is a feed (three files
# and an OPML line), so a hostile or broken source must not mint them without bound; the items
# beyond it are failures, read again on later runs.
MAX_NEW_CATEGORIES = 50
Progress = Callable[[int], None]


def merge_policy(config: Config) -> MergePolicy:
    """The merge's settings from the config: priorities, and the near-duplicate window if on."""
    window = timedelta(seconds=config.dedup.window) if config.dedup.near else None
    return MergePolicy(config.priorities, window)


def retention_cutoff(config: Config, now: datetime) -> datetime | None:
    """Entries published before this are deleted (``feed.retain``); None keeps everything."""
    return None if config.feed.retain is None else now - timedelta(seconds=config.feed.retain)


def too_old(entry: Entry, cutoff: datetime | None) -> bool:
    """A copy older than the retention period is not stored: it would be deleted at the end of the
    very run that stored it (and announced to webhooks in between)."""
    return cutoff is not None and entry.published < cutoff


def expire(config: Config, store: Storage, now: datetime) -> int:
    """Retention: delete the entries older than ``feed.retain``, leaving tombstones (see
    ``EntryRepo.bury_older_than``); returns how many."""
    cutoff = retention_cutoff(config, now)
    if cutoff is None:
        return 0
    buried = store.entries.bury_older_than(cutoff, now)
    if buried:
        log.info("retention: deleted %d entries published before %s", buried, cutoff.isoformat())
    return buried


def remerge(config: Config, store: Storage, now: datetime) -> int:
    """Re-apply the rules to every stored copy if they changed since they were last applied, and
    re-merge every entry if the priorities did: a config change takes effect without fetching."""
    policy, notify = merge_policy(config), bool(config.webhooks)
    with bulk_gc():
        reapplied = store.entries.reapply_rules(
            rules.from_config(config), policy, now, notify, map_rows=ordered_map
        )
    if reapplied is not None and reapplied.copies:
        log.info(
            "rules changed: re-applied to %d stored copies, %d rewritten or dropped, %d entries changed",
            reapplied.copies,
            reapplied.rewritten,
            reapplied.entries,
        )
    changed = store.entries.remerge_if_policy_changed(policy, now, notify)
    return changed + (reapplied.entries if reapplied else 0)


class Tally:
    """Counts for one source while it is being stored, turned into one RunSummary at the end
    (adding frozen summaries item by item cost more than the counting)."""

    def __init__(self) -> None:
        self.outcomes = {outcome: 0 for outcome in Outcome}
        self.touched: set[str] = set()
        self.failures: list[ItemFailure] = []
        self.skipped = 0
        self.unchanged = 0

    def stored(self, decision: Decision) -> None:
        """Count one stored copy; a change to its entry touches its categories' feeds and ``all``.
        A copy a rule dropped counts as skipped (read, stored, in no feed)."""
        self.outcomes[decision.outcome] += 1
        if decision.outcome is Outcome.DROPPED:
            rule = decision.copy.dropped_by if decision.copy else None
            self.skip(decision.key, f"dropped by rule {rule}")
        elif decision.outcome is Outcome.BURIED:
            self.skip(decision.key, "deleted by feed.retain before; not imported again")
        if decision.entry is not None:
            self.touched.add(ALL)
            self.touched.update(decision.entry.categories)

    def remerged(self) -> None:
        """An entry that changed because one of its copies went away: an update of it."""
        self.outcomes[Outcome.UPDATED] += 1
        self.touched.add(ALL)

    def skip(self, where: str, reason: str) -> None:
        """An item read but not stored (a draft, an empty item): counted, and named at -v."""
        log.info("%s: skipped: %s", where, reason)
        self.skipped += 1

    def failed(self, failure: ItemFailure) -> None:
        log.warning("%s", failure)
        self.failures.append(failure)

    def summary(self) -> RunSummary:
        return RunSummary(
            new=self.outcomes[Outcome.NEW],
            updated=self.outcomes[Outcome.UPDATED],
            duplicate=self.outcomes[Outcome.DUPLICATE],
            failed=len(self.failures),
            skipped=self.skipped,
            unchanged=self.unchanged,
            changed_categories=frozenset(self.touched),
            failures=tuple(self.failures),
        )


class KnownCategories:
    """The category slugs the store has feeds for, and those this run's sources added.

    Read from the store when first needed, not up front: an idle rescan or a run of 304s brings
    no entry to check, and the read scans every entry's category rows.
    """

    def __init__(self, store: Storage) -> None:
        self._store = store
        self._slugs: set[str] | None = None

    def fresh(self, slugs: Iterable[str]) -> list[str]:
        """The slugs among ``slugs`` that would be new categories."""
        if self._slugs is None:
            self._slugs = {category.slug for category in self._store.entries.categories()}
        return [slug for slug in slugs if slug not in self._slugs]

    def add(self, slugs: Iterable[str]) -> None:
        if self._slugs is not None:
            self._slugs.update(slugs)


class CategoryBudget:
    """The new categories one source may still add in this run (see MAX_NEW_CATEGORIES)."""

    def __init__(self, source: str, known: KnownCategories, limit: int = MAX_NEW_CATEGORIES) -> None:
        self.source = source
        self.limit = limit
        self.refused = 0
        self._known = known  # shared by the run's sources: a category one of them added is known
        self._left = limit

    def refuse(self, entry: Entry, location: str) -> ItemFailure | None:
        """The failure of an entry that would exceed the allowance; None (and counted) otherwise."""
        fresh = self._known.fresh(entry.slugs)
        if not fresh:
            return None
        if len(fresh) > self._left:
            self.refused += 1
            return ItemFailure(
                self.source,
                location,
                f"new categories {', '.join(fresh)} exceed the {self.limit} new categories a source "
                "may add in one run; it is read again on the next run",
            )
        self._left -= len(fresh)
        self._known.add(fresh)
        return None


# ---- local posts -----------------------------------------------------------------------------


def ingest_local(
    config: Config, store: Storage, now: datetime | None = None, progress: Progress | None = None
) -> RunSummary:
    """Scan every configured posts folder; unchanged files cost a stat, not a read."""
    now = now or utcnow()
    resolver = CategoryResolver(config.categories)
    known = KnownCategories(store)
    summary = RunSummary()
    with bulk_gc():
        for source in config.local:
            budget = CategoryBudget(source.source_name, known)
            summary += _ingest_folder(config, store, source, resolver, now, progress, budget)
    return summary


@dataclass(frozen=True, slots=True)
class PostContext:
    """What preparing a post needs besides the file: small and picklable, sent to worker processes."""

    source: str
    zone: str
    default_category: str | None
    site_url: str
    resolver: CategoryResolver
    now: datetime
    rules: rules.RuleSet = rules.NO_RULES


@dataclass(frozen=True, slots=True)
class PreparedPost:
    """A post file read, parsed and normalized (in a worker), ready for the store (in this process)."""

    digest: str
    entry: Entry | None = None  # None for a draft, an unchanged file or a failure
    failure: ItemFailure | None = None
    unchanged: bool = False


def prepare_post(context: PostContext, task: tuple[PostFile, FileState | None]) -> PreparedPost:
    """Read, hash, parse and normalize one post; the CPU-heavy part, safe to run in a worker."""
    from feeds.normalize import normalize
    from feeds.parse.post import MAX_POST_BYTES, parse_post

    post, before = task
    location = post.location
    try:
        raw = read_post(post, MAX_POST_BYTES)
    except ItemError as exc:
        return PreparedPost("", failure=ItemFailure(context.source, location, exc.reason, exc.line))
    digest = hashlib.sha256(raw).hexdigest()
    if before is not None and digest == before.content_hash:  # touched, not changed
        return PreparedPost(digest, unchanged=True)
    try:
        data = parse_post(raw, post.relpath, location, context.source, ZoneInfo(context.zone))
        if data is None:
            return PreparedPost(digest)
        if context.default_category and not data.categories:
            data = replace(data, categories=(context.default_category,))
        entry = context.rules.apply_to_entry(normalize(data, context.resolver, context.site_url, context.now))
    except ItemError as exc:
        return PreparedPost(digest, failure=ItemFailure(context.source, location, exc.reason, exc.line))
    return PreparedPost(digest, entry=entry)


def _ingest_folder(
    config: Config,
    store: Storage,
    source: LocalSource,
    resolver: CategoryResolver,
    now: datetime,
    progress: Progress | None,
    budget: CategoryBudget,
) -> RunSummary:
    root = config.resolve(source.path)
    name = source.source_name
    tally = Tally()
    if not root.is_dir():
        failure = ItemFailure(name, str(root), "posts folder not found")
        with store.transaction():
            store.entries.record_failure(failure, now)
        tally.failed(failure)
        return tally.summary()
    context = PostContext(
        name,
        source.timezone or config.site.timezone,
        source.category,
        config.site.url,
        resolver,
        now,
        rules.from_config(config),
    )
    known = store.entries.file_index(name)
    failing = store.entries.failing_locations(name)

    def changed_posts() -> Iterator[tuple[PostFile, FileState | None]]:
        """Stream the posts whose size or mtime moved; count the rest as unchanged."""
        for post in list_posts(root):
            before = known.pop(post.relpath, None)
            if before and before.size == post.size and before.mtime_ns == post.mtime_ns:
                tally.unchanged += 1
                if progress:
                    progress(1)
                continue
            yield post, before

    cutoff = retention_cutoff(config, now)
    step = PostStep(name, merge_policy(config), now, bool(config.webhooks), tally, budget, cutoff)
    prepared = ordered_map(partial(prepare_post, context), changed_posts())
    with store.batches(BATCH) as commit_point:
        for (post, before), result in prepared:
            _store_post(store, step, post, before, result, failing)
            commit_point()
            if progress:
                progress(1)
        _forget_removed(store, step, root, known)
        if str(root) in failing:
            store.entries.clear_failure(name, str(root))
    return tally.summary()


@dataclass(frozen=True, slots=True)
class PostStep:
    """What storing each post of one folder shares."""

    source: str
    policy: MergePolicy
    now: datetime
    notify: bool
    tally: Tally
    budget: CategoryBudget
    cutoff: datetime | None = None  # feed.retain: posts published before it are not stored

    def forget(self, store: Storage, key: str, relpath: str) -> None:
        """This folder's post no longer gives a copy of ``key``: its entry re-merges from the rest."""
        if store.entries.forget_copy(key, self.source, relpath, self.policy, self.now, self.notify):
            self.tally.remerged()


def _store_post(
    store: Storage,
    step: PostStep,
    post: PostFile,
    before: FileState | None,
    result: PreparedPost,
    failing: set[str],
) -> None:
    """Record one prepared post: its copy, its failure, or just its new mtime."""
    if result.entry is not None:
        refused = step.budget.refuse(result.entry, post.location)
        if refused is not None:
            _postpone(store, step, post, before, refused)
            return
    source, tally = step.source, step.tally
    key = result.entry.key if result.entry else None
    index = FileState(post.size, post.mtime_ns, result.digest, key)
    if result.unchanged and before is not None:
        store.entries.record_file(source, post.relpath, replace(index, entry_key=before.entry_key))
        tally.unchanged += 1
        return
    if result.failure is not None:  # its last good copy stays, and leaves if the file is deleted
        store.entries.record_failure(result.failure, step.now)
        store.entries.record_file(
            source, post.relpath, replace(index, entry_key=before.entry_key if before else None)
        )
        tally.failed(result.failure)
        return
    if post.location in failing:
        store.entries.clear_failure(source, post.location)
    if result.entry is None or too_old(result.entry, step.cutoff):  # a draft, or past feed.retain
        if before and before.entry_key:
            step.forget(store, before.entry_key, post.relpath)
        store.entries.record_file(source, post.relpath, replace(index, entry_key=None))
        why = "a draft (published: false)" if result.entry is None else "older than feed.retain"
        tally.skip(post.location, why)
        return
    decision = store.entries.apply(result.entry, step.now, step.policy, step.notify)
    index = replace(index, entry_key=decision.key)  # a near-duplicate's copy lives under another key
    if before and before.entry_key and before.entry_key != index.entry_key:
        step.forget(store, before.entry_key, post.relpath)
    store.entries.record_file(source, post.relpath, index)
    tally.stored(decision)


def _postpone(
    store: Storage, step: PostStep, post: PostFile, before: FileState | None, failure: ItemFailure
) -> None:
    """A post refused for this run only: recorded, and its index row made stale (no size, no
    digest) so the next scan reads it again instead of skipping it as unchanged."""
    store.entries.record_failure(failure, step.now)
    stale = FileState(-1, -1, "", before.entry_key if before else None)
    store.entries.record_file(step.source, post.relpath, stale)
    step.tally.failed(failure)


def _forget_removed(store: Storage, step: PostStep, root: Path, removed: dict[str, FileState]) -> None:
    """Deleted post files stop contributing to their entries; the entries stay (feeds keep history)."""
    for relpath, state in removed.items():
        if state.entry_key:
            step.forget(store, state.entry_key, relpath)
        store.entries.forget_file(step.source, relpath, str(root / relpath))


# ---- remote feeds ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NormalizeContext:
    """What normalizing remote items needs: small and picklable, sent to worker processes."""

    resolver: CategoryResolver
    site_url: str
    now: datetime
    rules: rules.RuleSet = rules.NO_RULES


def normalize_items(context: NormalizeContext, items: tuple[EntryData, ...]) -> list[Entry | ItemFailure]:
    """Normalize one feed's items (in a worker when there are many); a bad item becomes its failure."""
    from feeds.normalize import normalize

    out: list[Entry | ItemFailure] = []
    for data in items:
        try:
            entry = normalize(data, context.resolver, context.site_url, context.now)
            out.append(context.rules.apply_to_entry(entry))
        except ItemError as exc:
            out.append(ItemFailure(data.source, exc.location, exc.reason))
    return out


def parse_and_normalize(
    context: NormalizeContext, parse_context: ParseContext, content_type: str | None, body: bytes
) -> ParsedFeed[Entry | ItemFailure]:
    """Parse a fetched body and normalize its items in one go: one trip to a worker, not two, and
    only the normalized items travel back (the parser's ``EntryData`` stay in the worker)."""
    from feeds.parse.feed import parse_feed

    parsed = parse_feed(body, parse_context, content_type=content_type)
    return parsed.with_items(tuple(normalize_items(context, parsed.items)))


def parse_step(context: NormalizeContext, pool: LazyPool) -> Parse:
    """The fetcher's parse step: ``parse_and_normalize`` in one of ``pool``'s workers (or here,
    while a pool is not worth starting). Its entries come back in the fetch result itself, so
    the pipeline stores ``result.entries`` as they are: no table of them kept on the side."""
    import asyncio

    async def parse(
        body: bytes, parse_context: ParseContext, content_type: str | None
    ) -> ParsedFeed[Entry | ItemFailure]:
        job = partial(parse_and_normalize, context, parse_context, content_type)
        return await asyncio.wrap_future(pool.submit(job, body))

    return parse


GROUP = 16  # most fetched sources stored in one transaction


async def ingest_remote(
    config: Config,
    store: Storage,
    now: datetime | None = None,
    force_all: bool = False,
    sources: Collection[str] | None = None,
    gates: HostGates | None = None,
    pool: LazyPool | None = None,
) -> RunSummary:
    """Fetch due remote sources (``sources``: only those; ``gates``: limits shared with other
    fetches, as the daemon's jobs share them) and store each one's items with its new
    state, while other fetches go on and worker processes parse and normalize the next bodies
    (``pool``: processes kept by the caller across calls; else this call's own).

    Results are stored in groups: whatever finished while the last group was being written goes
    into the next transaction. Each source's items and state still commit together; a commit
    costs as much as ~15 stored entries, so a first cycle over many feeds spends far less on them.
    Nothing waits on the network inside a transaction.
    """
    from feeds.sources.remote import fetch_due  # here, not at the top: a local-only run does without

    now = now or utcnow()
    context = NormalizeContext(
        CategoryResolver(config.categories), config.site.url, now, rules.from_config(config)
    )
    summary = RunSummary()
    policy = merge_policy(config)
    known = KnownCategories(store)
    with bulk_gc(), _pool(pool) as workers:
        parse = parse_step(context, workers)
        results = fetch_due(config, store, now, parse, force_all=force_all, sources=sources, gates=gates)
        async with contextlib.aclosing(ready_batches(results, GROUP)) as groups:  # stops fetching on error
            async for group in groups:
                with store.transaction():
                    for result in group:
                        summary += _store_fetch(config, store, result, now, policy, known)
    return summary


async def ingest_claimed(
    config: Config,
    store: Storage,
    owner: str,
    force_all: bool = False,
    gates: HostGates | None = None,
    until_done: bool = True,
    pool: LazyPool | None = None,
) -> tuple[RunSummary, int]:
    """Fetch what this process can claim (a store shared by workers: ``store.claims``), batch by
    batch, each source at most once; ``until_done``: until nothing due is left to claim, else one
    batch (a worker's step). Claimed sources are fetched and stored like ``ingest_remote``'s.
    Returns the counts and how many sources were claimed."""
    claims = store.claims
    assert claims is not None
    summary, done = RunSummary(), set[str]()
    batch = max(config.fetch.concurrency, 1)
    with _pool(pool) as workers:  # one pool for every batch
        while True:
            now = utcnow()
            names = claims.claim(owner, now, config.scheduler.lease, batch, every=force_all, done=done)
            if not names:
                return summary, len(done)
            done.update(names)
            summary += await ingest_remote(
                config, store, now, force_all=True, sources=names, gates=gates, pool=workers
            )
            if not until_done:
                return summary, len(done)


def _pool(given: LazyPool | None) -> contextlib.AbstractContextManager[LazyPool]:
    """The caller's parse pool, left open for its next use; else one of our own, closed after."""
    return contextlib.nullcontext(given) if given is not None else LazyPool()


def _store_fetch(
    config: Config,
    store: Storage,
    result: FetchResult,
    now: datetime,
    policy: MergePolicy,
    known: KnownCategories | None = None,
) -> RunSummary:
    """One source's entries and its new state, in one transaction. ``known``: the run's known
    categories (this source's own when not given)."""
    tally = Tally()
    budget = CategoryBudget(result.source, KnownCategories(store) if known is None else known)
    notify = bool(config.webhooks)
    cutoff = retention_cutoff(config, now)
    for reason in result.skipped:
        tally.skip(result.source, reason)
    if result.unchanged:
        tally.unchanged += 1
    with store.transaction():
        for item in result.entries:
            if isinstance(item, ItemFailure):
                tally.failed(item)
            elif too_old(item, cutoff):
                tally.skip(item.item_id, "older than feed.retain")
            elif (refused := budget.refuse(item, item.item_id)) is not None:
                tally.failed(refused)
            else:
                tally.stored(store.entries.apply(item, now, policy, notify))
        new, updated = tally.outcomes[Outcome.NEW], tally.outcomes[Outcome.UPDATED]
        store.sources.record(
            _read_again_if(budget.refused > 0, result), new=new, updated=updated, now=now, notify=notify
        )
        if result.outcome is FetchStatus.OK:
            _record_item_failures(store, result.source, tally.failures, now)
    if result.failure is not None:
        tally.failed(result.failure)
    return tally.summary()


def _read_again_if(refused: bool, result: FetchResult) -> FetchResult:
    """A result whose items were refused for this run forgets its body's validators and digest,
    so the next fetch reads and stores the same body again instead of finding it unchanged."""
    if not refused:
        return result
    return replace(result, state=replace(result.state, etag=None, last_modified=None, body_hash=None))


def _record_item_failures(store: Storage, source: str, failures: list[ItemFailure], now: datetime) -> None:
    """A freshly read body's item failures replace the source's recorded ones (``feeds failures``):
    an item that is now stored, or no longer in the feed, is cleared."""
    current = {failure.location for failure in failures}
    for location in store.entries.failing_locations(source) - current:
        store.entries.clear_failure(source, location)
    for failure in failures:
        store.entries.record_failure(failure, now)


def expand_lists(config: Config, store: Storage) -> Config:
    """The config with its OPML lists' sources, as last stored (``lists.expand``; no fetching)."""
    if not config.lists:
        return config
    from feeds import lists

    return lists.expand(config, store)


# ---- emit (feeds/publish.py writes the outputs) -----------------------------------------------


def build(config: Config, store: Storage, only: Iterable[str] | None = None) -> BuildResult:
    """Re-apply changed rules and priorities, then write the outputs (``publish.build``); a full
    build records what it was built from, so later runs know the files are current."""
    config = _merged(config, store)
    return _publish(config, store, only)


def build_dirty(config: Config, store: Storage) -> BuildResult:
    """Rebuild the feeds whose entries changed since their last build, as the store recorded it.

    The marks are written with the entry changes, so a run killed after committing entries but
    before building them is published by the next run, not forgotten. A config that changes what
    the outputs say (the site, titles, limits, views) rebuilds them all; a run with nothing to
    build and every file in place returns without loading the renderers, which is most of what an
    idle cron run would otherwise spend.
    """
    config = _merged(config, store)
    if store.meta.outputs_fingerprint() != outputs_fingerprint(config):
        return _publish(config, store, None)
    dirty = store.entries.dirty_feeds()
    if not dirty and not store.entries.dirty_months():
        feeds = [ALL, *(c.slug for c in store.entries.categories()), *(v.slug for v in config.views)]
        if _all_present(config.output_path, feeds):
            return BuildResult(written=(), categories=len(feeds) - len(config.views))
    return _publish(config, store, dirty)


def _merged(config: Config, store: Storage) -> Config:
    """The config with its lists' sources (the merge ranks by every source), after re-applying
    changed rules and priorities to the stored entries."""
    config = expand_lists(config, store)
    remerge(config, store, utcnow())
    return config


def _publish(config: Config, store: Storage, only: Iterable[str] | None) -> BuildResult:
    from feeds import publish

    with bulk_gc():  # a full build makes an object per entry of every feed and archive month
        result = publish.build(config, store, only)
    if only is None:
        store.meta.set_outputs_fingerprint(outputs_fingerprint(config))
    store.meta.mark_build(utcnow())  # /metrics: feeds_last_build_timestamp_seconds
    return result


def outputs_fingerprint(config: Config) -> str:
    """The config's part in every output file (and the code's version): when it changes, files
    written under the old one are stale although no entry changed."""
    shown = config.model_dump(mode="json", include={"site", "categories", "feed", "views", "websub"})
    return hashlib.sha256(f"{__version__}\n{json.dumps(shown, sort_keys=True)}".encode()).hexdigest()


def _all_present(root: Path, feeds: list[str]) -> bool:
    """Every current file of these feeds exists (one deleted by hand is written again)."""
    try:
        return all((root / relative).exists() for relative in paths.current_files(feeds))
    except paths.OutputPathError:
        return False  # a slug that cannot name files: the build reports it


# ---- one whole cycle -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CycleResult:
    """What ``feeds run --once`` reports: the ingest counts and, when webhooks are set up, delivery."""

    summary: RunSummary
    build: BuildResult
    delivery: DeliveryReport | None


def run_cycle(
    config: Config, store: Storage, force_all: bool = False, progress: Progress | None = None
) -> CycleResult:
    """Scan, fetch, store, rebuild what changed, deliver: what ``feeds run --once`` does.

    OPML lists are read (and fetched when due) first: the cycle then runs on the config they
    expand to, so their sources are fetched and ranked like configured ones."""
    now = utcnow()
    summary = RunSummary()
    if config.lists:
        import asyncio  # only with lists or remote sources: an idle local-only run does without it

        from feeds import lists

        refreshed = asyncio.run(lists.refresh(config, store, now, force_all=force_all))
        config, summary = refreshed.config, refreshed.summary
    remerge(config, store, now)
    with store.exclusive("scan"):  # posts live on one machine; one process reads them at a time
        summary += ingest_local(config, store, now, progress)
    if config.remote:
        summary += _fetch_remote(config, store, now, force_all)
    result = publish_changes(config, store, now)
    assert result is not None  # waited for the builder's turn
    delivery = deliver(config, store)
    store.meta.mark_cycle(utcnow())  # what /readyz judges staleness by
    return CycleResult(summary, result, delivery)


def _fetch_remote(config: Config, store: Storage, now: datetime, force_all: bool) -> RunSummary:
    """Every due remote source, fetched and stored; on a store shared by workers, those claimed
    (workers may be fetching the rest), waiting for each batch."""
    import asyncio

    claims = store.claims
    if claims is None:
        return asyncio.run(ingest_remote(config, store, now, force_all=force_all))
    from feeds.sources.gates import SharedHostGates
    from feeds.store.claims import owner_name

    owner = owner_name()
    store.sources.sync(config.remote)

    async def fetch() -> RunSummary:  # the gates' locks belong to this event loop
        gates = SharedHostGates(config.fetch, claims.host_turns(owner))
        summary, _ = await ingest_claimed(config, store, owner, force_all, gates)
        return summary

    return asyncio.run(fetch())


def publish_changes(config: Config, store: Storage, now: datetime, wait: bool = True) -> BuildResult | None:
    """Retention, then the dirty feeds rebuilt and announced to the hub, as the one builder (on a
    store shared by workers, another process may be building: ``wait`` for it, or else return None)."""
    with store.exclusive("build", wait=wait) as mine:
        if not mine:
            return None
        expire(config, store, now)
        result = build_dirty(config, store)
        announce(config, store, result)
    return result


def announce(config: Config, store: Storage, result: BuildResult) -> None:
    """Queue WebSub pings for the feeds whose bytes changed (sent with the webhooks, retried alike)."""
    if not config.websub or not result.written:
        return
    from feeds import websub

    now = utcnow()
    with store.transaction():
        for relative in result.written:
            store.outbox.queue_hub_ping(websub.topic_url(config, relative), now)


def deliver(config: Config, store: Storage) -> DeliveryReport | None:
    """Send due webhooks and hub pings; None when neither is configured (nothing to say)."""
    if not config.webhooks and not config.websub:
        return None
    from feeds.notify import deliver_pending_sync

    return deliver_pending_sync(config, store)
