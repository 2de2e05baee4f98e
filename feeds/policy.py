"""When to poll a remote source next: pure functions over values, no clock, no I/O.

The fetcher and the store hand these functions what they saw (HTTP headers, error counts, item
rates, the time ``now``); tests drive them with a fake clock and a seeded ``random.Random``.
Limits: an interval never leaves [5 min, 24 h] (a configured interval outside it is kept as the
base for backoff, but adaptive polling stays inside); a server's Retry-After is honoured up to 7
days; a cache floor (Cache-Control, Expires, RSS ``<ttl>``) up to 24 h, so a server announcing a
year-long max-age is still polled daily.
"""

from __future__ import annotations

import email.utils
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MIN_INTERVAL = 5 * 60.0
MAX_INTERVAL = 24 * 3600.0
MAX_BACKOFF = 24 * 3600.0
MAX_RETRY_AFTER = 7 * 24 * 3600.0
MAX_FLOOR = 24 * 3600.0
BACKOFF_JITTER = 0.1  # ±10 %: sources failing together spread out instead of retrying in a herd
ADAPTIVE_MIN_FACTOR = 0.25  # adaptive polling never runs more than 4x as often as configured
RATE_WINDOW_MIN = 3600.0  # fewer seconds of history than this: no item rate yet
# Consecutive counted errors before a source is announced as failing: one timeout is weather, three
# in a row (with backoff between them) is something an operator wants to hear about.
FAILING_AFTER = 3

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(no-cache|no-store)\b", re.IGNORECASE)


def backoff(interval: float, error_count: int, rng: random.Random) -> float:
    """Seconds to wait after the ``error_count``-th consecutive error (1 = first).

    Doubles from the source's interval (first error: twice the interval), capped at 24 h, with
    ±10 % jitter; never shorter than the interval itself. Errors never disable a source.
    """
    cap = max(MAX_BACKOFF, interval)
    exponent = min(max(error_count, 1), 32)  # 2**32 intervals is far past any cap
    base = min(cap, interval * 2.0**exponent)
    jittered = base * (1.0 + rng.uniform(-BACKOFF_JITTER, BACKOFF_JITTER))
    return min(cap, max(interval, jittered))


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """The moment a ``Retry-After`` header (seconds or HTTP date) allows the next request, capped at 7 days.

    A date in the past or a negative number means "now"; garbage means no header.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        when = _http_date(text)
        if when is None:
            return None
        seconds = (when - now).total_seconds()
    return now + timedelta(seconds=min(max(seconds, 0.0), MAX_RETRY_AFTER))


def cache_floor(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """The earliest useful next poll from ``Cache-Control: max-age`` or ``Expires``, capped at 24 h.

    ``max-age`` wins over ``Expires`` (RFC 9111); ``no-cache``/``no-store`` mean no floor.
    ``headers`` keys must be lower-case.
    """
    control = headers.get("cache-control", "")
    if _NO_CACHE.search(control):
        return None
    match = _MAX_AGE.search(control)
    if match:
        return _capped_floor(now, float(match.group(1)))
    expires = headers.get("expires")
    if expires:
        when = _http_date(expires)
        if when is None:
            return None  # "Expires: 0" and other garbage mean "already expired"
        return _capped_floor(now, (when - now).total_seconds())
    return None


def ttl_floor(ttl_minutes: int | None, now: datetime) -> datetime | None:
    """The floor an RSS ``<ttl>`` (minutes) sets, capped at 24 h."""
    if ttl_minutes is None or ttl_minutes <= 0:
        return None
    return _capped_floor(now, ttl_minutes * 60.0)


def latest(moments: Iterable[datetime | None]) -> datetime | None:
    """The latest of the given moments, ignoring ``None``."""
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def adaptive_interval(configured: float, items_per_day: float | None) -> float:
    """The poll interval for a source publishing ``items_per_day`` new items (``None``: not known yet).

    Polls about twice per expected item, within [5 min, 24 h] and no more than 4x as often as
    configured (the configured interval is the operator's word on how eager to be). Unknown rate:
    the configured interval, clamped to the same range.
    """
    low = max(MIN_INTERVAL, min(configured, MAX_INTERVAL) * ADAPTIVE_MIN_FACTOR)
    if items_per_day is None:
        return min(max(configured, MIN_INTERVAL), MAX_INTERVAL)
    target = MAX_INTERVAL if items_per_day <= 0 else 86400.0 / items_per_day / 2.0
    return min(max(target, low), MAX_INTERVAL)


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """One past fetch, as the item-rate estimate needs it."""

    at: datetime
    new: int


def item_rate(history: Iterable[FetchRecord], now: datetime) -> float | None:
    """New items per day since the oldest recorded fetch; ``None`` until an hour of history exists.

    The oldest fetch is the baseline: what it brought was published before it (a first fetch brings
    a feed's whole backlog), so only later fetches' new items count.
    """
    records = sorted(history, key=lambda record: record.at)
    if len(records) < 2:
        return None
    span = (now - records[0].at).total_seconds()
    if span < RATE_WINDOW_MIN:
        return None
    return sum(record.new for record in records[1:]) * 86400.0 / span


@dataclass(frozen=True, slots=True)
class Schedule:
    """What the scheduler needs about one fetch's outcome to pick the next poll."""

    interval: float  # configured seconds
    ok: bool  # content or "unchanged" arrived
    error_count: int  # consecutive errors after this fetch (0 after a success)
    counted: bool = True  # False when the error was blamed on our own network
    retry_after: datetime | None = None  # the server's (or its host's) Retry-After
    floor: datetime | None = None  # cache / ttl floor
    items_per_day: float | None = None


def next_due(schedule: Schedule, now: datetime, rng: random.Random) -> datetime:
    """When to fetch again: interval or backoff, then no earlier than Retry-After and the cache floor."""
    if schedule.ok:
        wait = adaptive_interval(schedule.interval, schedule.items_per_day)
        floor = latest([schedule.floor, schedule.retry_after])
    elif schedule.retry_after is not None:
        return schedule.retry_after  # the server said when; backoff would only second-guess it
    elif schedule.counted and schedule.error_count > 0:
        wait = backoff(schedule.interval, schedule.error_count, rng)
        floor = None
    else:
        wait = schedule.interval
        floor = None
    due = now + timedelta(seconds=wait)
    return max(due, floor) if floor is not None else due


def network_down(attempted_hosts: Iterable[str], unreachable_hosts: Iterable[str]) -> bool:
    """True when most hosts failed at the connection level in one run: our network, not theirs.

    Needs at least 3 distinct hosts tried and more than half of them unreachable.
    """
    attempted = set(attempted_hosts)
    unreachable = set(unreachable_hosts) & attempted
    return len(attempted) >= 3 and len(unreachable) * 2 > len(attempted)


def _capped_floor(now: datetime, seconds: float) -> datetime | None:
    if seconds <= 0:
        return None
    return now + timedelta(seconds=min(seconds, MAX_FLOOR))


def _http_date(text: str) -> datetime | None:
    """An RFC 9110 HTTP date (IMF-fixdate, or the obsolete forms email.utils reads) as aware UTC."""
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def is_due(
    next_due: datetime | None,
    now: datetime,
    *,
    force_all: bool = False,
    gone: bool = False,
    enabled: bool = True,
    host_window: datetime | None = None,
) -> bool:
    """Whether a source is fetched in this run.

    Gone and disabled sources never are, nor any inside its host's Retry-After window, even with
    ``force_all`` (``feeds run --all``); otherwise a source is due when its time has come.
    """
    if gone or not enabled:
        return False
    if host_window is not None and host_window > now:
        return False
    return force_all or next_due is None or next_due <= now


def source_event(errors_before: int, gone_before: bool, errors: int, gone: bool) -> str | None:
    """The ``source.*`` webhook a fetch's outcome calls for, if any: ``source.gone`` when a source
    turns gone (410), ``source.failing`` when its consecutive errors reach ``FAILING_AFTER``,
    ``source.recovered`` when a source announced as failing answers again."""
    if gone and not gone_before:
        return "source.gone"
    if errors >= FAILING_AFTER > errors_before:
        return "source.failing"
    if errors == 0 and errors_before >= FAILING_AFTER and not gone:
        return "source.recovered"
    return None


@dataclass(frozen=True, slots=True)
class HostTurn:
    """Whether a worker may send a request to a host now (PostgreSQL workers share each host's
    politeness through its row: ``feeds/store/claims.py``): go, wait ``wait`` seconds and ask again,
    or leave the host alone until ``deferred_until`` (a Retry-After window)."""

    go: bool
    wait: float = 0.0
    deferred_until: datetime | None = None


def host_turn(
    in_flight: int,
    per_host: int,
    next_start: float | None,
    clock: float,
    retry_after: datetime | None,
    now: datetime,
    recheck: float,
) -> HostTurn:
    """A host's turn across all workers: inside a Retry-After window, nobody asks; ``per_host``
    requests in flight, a new one waits ``recheck`` seconds (one ends, or its lease expires); and
    starts keep ``per_host_delay`` apart (``next_start``, on the database's ``clock``)."""
    if retry_after is not None and retry_after > now:
        return HostTurn(False, deferred_until=retry_after)
    if in_flight >= per_host:
        return HostTurn(False, wait=recheck)
    if next_start is not None and next_start > clock:
        return HostTurn(False, wait=next_start - clock)
    return HostTurn(True)
