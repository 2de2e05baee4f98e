"""OPML subscription lists at run time: read or fetch each list, keep it, expand it into sources.

A list is a row of the sources table (kind ``opml``) and is fetched by the feeds' own fetcher
(``feeds/sources/remote.py``: address checks, ``max_bytes``, timeouts, per-host limits, conditional
GET, redirects, Retry-After), so an unreachable list is recorded and backed off exactly like a
failing feed, and is never fatal. What it is parsed into (``feeds/sources/opml.py``) is kept on
its row: the sources it last listed go on being polled while it fails, or answers 304.

``expand`` turns the config's lists into remote sources from those stored outlines alone, so every
command (``run``, ``build``, ``sources``, ``entries``, the daemon) sees the same sources with the
same names and priorities without fetching anything: the merge ranks copies by the configured
sources, and a command that saw fewer would re-merge every entry.

A file list is read at every refresh (a read and a hash: the fetcher skips an unchanged body); a
URL list only when due, on its ``interval`` and its backoff.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Never

from feeds import policy
from feeds.config import Config, OpmlList, RemoteSource, shown_location
from feeds.model import FetchResult, FetchStatus, ItemFailure, RunSummary
from feeds.slugs import CategoryResolver
from feeds.sources import opml
from feeds.store.sources import OPML, SourceRow

if TYPE_CHECKING:
    from feeds.netguard import NetGuard
    from feeds.parse.feed import ParseContext, ParsedFeed
    from feeds.sources.gates import HostGates
    from feeds.store.interface import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Refreshed:
    """What a refresh of the lists gives the cycle: the expanded config, and what went wrong."""

    config: Config
    summary: RunSummary


def expand(config: Config, store: Storage) -> Config:
    """``config`` with each list's sources among its remote sources, from the lists' stored outlines
    (nothing is fetched); the same config again when it has no lists. Applying it twice is harmless."""
    if not config.lists:
        return config
    direct = tuple(remote for remote in config.remote if remote.opml is None)
    expansion = _expansion(config, direct, _documents(store.sources.list_outlines()))
    return config.model_copy(update={"remote": direct + expansion.sources})


def sync(config: Config, store: Storage) -> Config:
    """Expand, then make the sources table match: the lists' rows, and every source's row (those
    that left their list are marked unconfigured and no longer polled; their entries stay)."""
    store.sources.sync_lists(config.lists)
    expanded = expand(config, store)
    store.sources.sync(expanded.remote)
    return expanded


async def refresh(
    config: Config,
    store: Storage,
    now: datetime,
    force_all: bool = False,
    names: Collection[str] | None = None,
    guard: NetGuard | None = None,
    gates: HostGates | None = None,
) -> Refreshed:
    """Read the file lists and fetch the due URL lists (``names``: only those; ``force_all``: every
    URL list outside a Retry-After window), store what each gave, and return the expanded config.

    Outline problems are recorded under the list's name (``feeds failures``) and logged once, when
    first seen; a list that could not be read keeps its last good outlines."""
    if not config.lists:
        return Refreshed(config, RunSummary())
    store.sources.sync_lists(config.lists)
    fresh: dict[str, opml.OpmlDocument] = {}
    failures = await _fetch_lists(config, store, now, force_all, names, guard, gates, fresh)
    expanded = expand(config, store)
    failures += _record_problems(config, store, fresh, now)
    return Refreshed(expanded, RunSummary(failed=len(failures), failures=tuple(failures)))


# ---- fetching -------------------------------------------------------------------------------------


async def _fetch_lists(
    config: Config,
    store: Storage,
    now: datetime,
    force_all: bool,
    names: Collection[str] | None,
    guard: NetGuard | None,
    gates: HostGates | None,
    fresh: dict[str, opml.OpmlDocument],
) -> list[ItemFailure]:
    """Fetch the due lists; each one's state and outlines commit together. ``fresh`` gets every
    document parsed in this run, usable or not (its problems are reported)."""
    due = _due(config, store, now, force_all, names)
    if not due:  # an idle cron run loads neither the fetcher nor the parser
        return []
    from feeds.parse.feed import FeedParseError, ParsedFeed
    from feeds.sources.remote import Fetcher, plan_one

    plans = [plan_one(config, _as_source(entry, row.url), row, now) for entry, row in due]

    async def parse(body: bytes, context: ParseContext, content_type: str | None) -> ParsedFeed[Never]:
        """The fetcher's parse step for a list: its outlines go to ``fresh``, and no entries."""
        try:
            document = opml.parse_opml(body)
        except opml.OpmlError as exc:
            raise FeedParseError(context.url, exc.reason) from None
        fresh[context.source] = document
        if not document.outlines:
            reason = f"no outline with a usable xmlUrl ({len(document.problems)} refused)"
            raise FeedParseError(context.url, reason)
        return ParsedFeed((), (), None, None, "opml", len(document.outlines))

    shown = {entry.list_name: entry.shown for entry in config.lists}
    failures: list[ItemFailure] = []
    notify = bool(config.webhooks)
    async with Fetcher(config.fetch, now, parse, guard=guard, gates=gates) as fetcher:
        async for result in fetcher.run(plans):
            with store.transaction():
                store.sources.record(result, new=0, updated=0, now=now, notify=notify)
                document = fresh.get(result.source)
                if result.outcome is FetchStatus.OK and document is not None:
                    store.sources.save_outlines(result.source, _to_json(document))
                    log.info("OPML list %s: %d feeds", shown[result.source], len(document.outlines))
            failure = _list_failure(result, shown[result.source])
            if failure is not None:
                log.warning("OPML list %s: %s", failure.location, failure.reason)
                failures.append(failure)
    return failures


def _due(
    config: Config, store: Storage, now: datetime, force_all: bool, names: Collection[str] | None
) -> list[tuple[OpmlList, SourceRow]]:
    """The lists to read now, with their rows: file lists always, URL lists when due."""
    rows = {row.name: row for row in store.sources.rows() if row.kind == OPML}
    windows = store.sources.host_windows(now)
    due = []
    for entry in config.lists:
        row = rows.get(entry.list_name)
        if row is None or (names is not None and entry.list_name not in names):
            continue
        window = windows.get(row.host) if row.host else None
        every = force_all or not entry.is_url  # a file is cheap to look at: every time
        if policy.is_due(
            row.next_due, now, force_all=every, gone=row.gone, enabled=entry.enabled, host_window=window
        ):
            due.append((entry, row))
    return due


def _as_source(entry: OpmlList, url: str) -> RemoteSource:
    """The list as the fetcher's plan needs it (its name, its current URL, its timezone)."""
    return RemoteSource(name=entry.list_name, url=url, interval=entry.interval, timezone=entry.timezone)


def _list_failure(result: FetchResult, shown: str) -> ItemFailure | None:
    """A failed fetch named by the list's location without secrets (its URL may hold a token)."""
    if result.failure is None:
        return None
    reason = result.failure.reason
    for url in {result.failure.location, result.state.url}:
        reason = reason.replace(url, shown_location(url))
    return ItemFailure(result.source, shown, reason)


# ---- outlines in the store ------------------------------------------------------------------------


def _to_json(document: opml.OpmlDocument) -> str:
    outlines = [outline.to_json() for outline in document.outlines]
    problems = [problem.to_json() for problem in document.problems]
    return json.dumps({"outlines": outlines, "problems": problems}, ensure_ascii=False)


def _documents(stored: Mapping[str, str]) -> dict[str, opml.OpmlDocument]:
    """The stored lists, by name; a row that cannot be read back counts as no list yet."""
    documents = {}
    for name, text in stored.items():
        try:
            data: Any = json.loads(text)
            documents[name] = opml.OpmlDocument(
                tuple(opml.Outline.from_json(item) for item in data["outlines"]),
                tuple(opml.OutlineProblem.from_json(item) for item in data["problems"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("OPML list %s: stored outlines unreadable (%s); read again next time", name, exc)
    return documents


def _expansion(
    config: Config, direct: tuple[RemoteSource, ...], documents: Mapping[str, opml.OpmlDocument]
) -> opml.Expansion:
    lists = [
        (entry, documents[entry.list_name].outlines) for entry in config.lists if entry.list_name in documents
    ]
    taken = {source.source_name for source in config.local} | {remote.name for remote in direct}
    taken |= {entry.list_name for entry in config.lists}
    urls = {remote.url: remote.name for remote in direct}
    return opml.expand(lists, taken, urls, CategoryResolver(config.categories))


def _record_problems(
    config: Config, store: Storage, fresh: Mapping[str, opml.OpmlDocument], now: datetime
) -> list[ItemFailure]:
    """Make each list's recorded problems (``feeds failures``) what its outlines have now: those of
    the document read in this run, else of its stored one, and those of the expansion. Returns the
    problems not recorded before (they are logged; the rest were logged when first seen)."""
    documents = _documents(store.sources.list_outlines())
    direct = tuple(remote for remote in config.remote if remote.opml is None)
    expanded = _expansion(config, direct, documents).problems
    current: list[ItemFailure] = []
    for entry in config.lists:
        document = fresh.get(entry.list_name) or documents.get(entry.list_name)
        problems = list(document.problems if document else ())
        problems += [found.problem for found in expanded if found.list_name == entry.list_name]
        current += [_failure(entry, problem) for problem in problems]
    names = {entry.list_name for entry in config.lists}
    before = {(f.source, f.location): f for f in store.entries.failures() if f.source in names}
    now_keys = {(failure.source, failure.location) for failure in current}
    changed = [failure for failure in current if before.get((failure.source, failure.location)) != failure]
    gone = before.keys() - now_keys
    if changed or gone:  # an idle run with the same problems writes nothing
        with store.transaction():
            for source, location in gone:
                store.entries.clear_failure(source, location)
            for failure in changed:
                store.entries.record_failure(failure, now)
    new = [failure for failure in current if (failure.source, failure.location) not in before]
    for failure in new:
        log.warning("OPML list %s: %s", failure.location, failure.reason)
    return new


def _failure(entry: OpmlList, problem: opml.OutlineProblem) -> ItemFailure:
    where = problem.where(entry.shown)
    line = f" (line {problem.line})" if problem.line else ""
    return ItemFailure(entry.list_name, f"{where}{line}", problem.reason)
