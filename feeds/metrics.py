"""The operator's view of a store: Prometheus metrics, readiness, and who may read them.

``feeds serve`` answers ``/metrics`` and ``/readyz`` from the store, not from memory, because the
process that does the work is another one: a cron ``feeds run --once`` every few minutes, or the
daemon. Each scrape reads one snapshot (``feeds.store.figures``) and turns it into metric families
here; the counters are kept in the store (``feeds.store.meta``), so they only ever go up, whichever
process fetched.

The decisions are pure functions over values (``families``, ``source_state``, ``readiness``,
``allowed``), tested without a database or a socket. ``StoreCollector`` is the thin part that reads
the store at each ``collect``, registered on a private ``CollectorRegistry`` (never the global one,
which would add the serving process's own Python and GC series: figures of the wrong process).

No label carries a source name, URL, category or anything else from the config or the feeds: label
values come from fixed sets, so nothing secret (a URL's userinfo or token) can leak into a scrape,
and the number of series stays the same however many sources or categories there are.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from feeds.errors import StoreError
from feeds.policy import FAILING_AFTER
from feeds.store import figures
from feeds.store.figures import Figures, SourceGroup

SOURCE_STATES = ("ok", "failing", "gone")
# What a fetch can come to (model.FetchStatus, less "deferred": a request not made).
FETCH_OUTCOMES = ("ok", "not_modified", "unchanged", "gone", "error")
DELIVERY_STATUSES = ("pending", "delivered", "dead", "disabled")  # the deliveries table's CHECK

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def source_state(group: SourceGroup) -> str:
    """``gone`` (410, no longer polled), ``failing`` (as many consecutive errors as make the
    ``source.failing`` webhook, ``policy.FAILING_AFTER``) or ``ok`` (answering, or not yet fetched)."""
    if group.gone:
        return "gone"
    return "failing" if group.errors >= FAILING_AFTER else "ok"


def families(snapshot: Figures, now: datetime) -> list[Metric]:
    """The metric families of one snapshot; every label value from a fixed set, zeros included, so
    a series exists from the first scrape on (``rate()`` and alerts need no "absent" special case)."""
    states, lists = _by_state(snapshot.sources), _by_state(snapshot.lists)
    fetches = dict(snapshot.fetches)
    deliveries = dict(snapshot.deliveries)
    waited = None if snapshot.outbox_oldest is None else (now - snapshot.outbox_oldest).total_seconds()
    oldest = 0.0 if waited is None else max(0.0, waited)
    return [
        _gauge("feeds_store_up", "1: the store was read for this scrape.", 1),
        _labelled(GaugeMetricFamily, "feeds_sources", "Configured remote feeds by state.", "state", states),
        _labelled(
            GaugeMetricFamily, "feeds_lists", "Configured OPML subscription lists by state.", "state", lists
        ),
        _gauge("feeds_entries", "Entries in the store that feeds show.", snapshot.entries),
        _labelled(
            CounterMetricFamily,
            "feeds_fetches",
            "Remote fetches by outcome, since the store was created.",
            "outcome",
            {outcome: fetches.get(outcome, 0) for outcome in FETCH_OUTCOMES},
        ),
        _gauge(
            "feeds_outbox_pending",
            "Webhook deliveries and WebSub pings owed, and events not yet queued per endpoint.",
            snapshot.outbox_pending,
        ),
        _gauge(
            "feeds_outbox_oldest_age_seconds",
            "Age of the longest-waiting thing in the outbox (0 when it is empty).",
            oldest,
        ),
        _labelled(
            GaugeMetricFamily,
            "feeds_webhook_deliveries",
            "Webhook deliveries on record by status (dead: gave up; disabled: the endpoint answered 410).",
            "status",
            {status: deliveries.get(status, 0) for status in DELIVERY_STATUSES},
        ),
        _gauge(
            "feeds_failures",
            "Rejected posts, feed items and output files on record (feeds failures).",
            snapshot.failures,
        ),
        _gauge(
            "feeds_last_cycle_timestamp_seconds",
            "When the last cycle completed, Unix time (0: never).",
            _timestamp(snapshot.last_cycle),
        ),
        _gauge(
            "feeds_last_build_timestamp_seconds",
            "When the last build of the outputs completed, Unix time (0: never).",
            _timestamp(snapshot.last_build),
        ),
    ]


def _by_state(groups: Iterable[SourceGroup]) -> dict[str, int]:
    states = dict.fromkeys(SOURCE_STATES, 0)
    for group in groups:
        states[source_state(group)] += group.count
    return states


def unavailable() -> list[Metric]:
    """What a scrape says when the store cannot be read: ``feeds_store_up 0`` and nothing else, so no
    stale or invented figure is reported (the reason is in ``/readyz``)."""
    return [_gauge("feeds_store_up", "1: the store was read for this scrape.", 0)]


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _labelled(
    kind: type[GaugeMetricFamily] | type[CounterMetricFamily],
    name: str,
    documentation: str,
    label: str,
    values: dict[str, int],
) -> Metric:
    family = kind(name, documentation, labels=[label])
    for value, count in values.items():
        family.add_metric([value], count)
    return family


def _timestamp(moment: datetime | None) -> float:
    return 0.0 if moment is None else moment.timestamp()


def readiness(last_cycle: datetime | None, now: datetime, stale_after: float) -> str | None:
    """Why the store is not ready, or None when it is: a cycle has completed within ``stale_after``."""
    if last_cycle is None:
        return "no cycle has completed yet"
    age = (now - last_cycle).total_seconds()
    if age > stale_after:
        return f"the last cycle completed {age:.0f} s ago, more than serve.stale_after ({stale_after:g} s)"
    return None


def allowed(client: str | None, networks: Sequence[Network]) -> bool:
    """Whether a client address is inside one of ``networks``; an IPv4 client reached over an IPv6
    socket (``::ffff:127.0.0.1``) counts as its IPv4 address. No address (a Unix socket): no."""
    if not client:
        return False
    try:
        address = ipaddress.ip_address(client.split("%", 1)[0])  # drop an IPv6 zone ("fe80::1%eth0")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)


class StoreCollector(Collector):
    """Reads the store at each scrape (``collect``); describes nothing up front, so registering it
    reads nothing."""

    def __init__(self, path: Path | str, clock: Callable[[], datetime]) -> None:
        self.path = path
        self.clock = clock

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        try:
            snapshot = figures.read(self.path, error_cap=FAILING_AFTER)
        except StoreError:
            return unavailable()
        return families(snapshot, self.clock())


def registry_for(path: Path | str, clock: Callable[[], datetime]) -> CollectorRegistry:
    """A private registry whose only collector reads the store at ``path``."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(path, clock))
    return registry
