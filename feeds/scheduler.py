"""Scheduling decisions for ``feeds daemon``: pure functions over values, no clock, no I/O.

The daemon (``feeds/daemon.py``) asks these which jobs a config needs, what a reload changes and
when a job should run next; tests drive them with a fake clock and a seeded ``random.Random``.
*How often* a source is due (adaptive interval, backoff, Retry-After, cache floors) is
``feeds/policy.py``'s decision, stored by the fetcher as the source's ``next_due``; this module only
turns that into a run time for the source's job, spread by jitter so sources do not fire in a herd.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from feeds.config import Config

LOCAL_JOB = "local"
WEBHOOK_JOB = "webhooks"
REMOTE_PREFIX = "remote:"
LIST_PREFIX = "list:"  # an OPML list's refresh (feeds/lists.py)

# Every job: one instance at a time; runs missed while the process slept (laptop suspend, SIGSTOP)
# collapse into one run, and that run happens however late it is (None = no grace limit): with a
# grace limit a day-long source would wait a whole extra interval after a long pause.
JOB_DEFAULTS: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One scheduled job as the config asks for it; two equal specs need no rescheduling."""

    id: str
    interval: float  # seconds between runs
    jitter: float = 0.0  # up to this many seconds added to each run
    source: str | None = None  # remote source name, for remote jobs
    url: str | None = None  # a changed URL means "fetch soon", like a new source


@dataclass(frozen=True, slots=True)
class PlanChange:
    """What a config reload does to the running jobs."""

    added: tuple[JobSpec, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[JobSpec, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def remote_job_id(name: str) -> str:
    return f"{REMOTE_PREFIX}{name}"


def list_job_id(name: str) -> str:
    return f"{LIST_PREFIX}{name}"


def plan(config: Config) -> dict[str, JobSpec]:
    """The jobs a config needs, by id: local scan, webhook delivery (when anything is to be sent), sources.

    The webhook job is left out when no webhook and no WebSub hub is configured, so an idle daemon
    does not wake every few seconds to find nothing to send. Each OPML list has a job that reads it
    again: a URL list on its ``interval`` (then its stored next due time, with backoff), a file list
    as often as the posts are scanned, since looking at a file costs next to nothing.
    ``config.remote`` is expected expanded (``lists.expand``): a list's sources get jobs like others.
    """
    jobs = {LOCAL_JOB: JobSpec(LOCAL_JOB, config.scheduler.local_interval)}
    if config.webhooks or config.websub:
        jobs[WEBHOOK_JOB] = JobSpec(WEBHOOK_JOB, config.scheduler.webhook_interval)
    for source in config.remote:
        if source.enabled:
            job_id = remote_job_id(source.name)
            spread = source.interval * config.scheduler.jitter
            jobs[job_id] = JobSpec(job_id, source.interval, spread, source.name, source.url)
    for entry in config.lists:
        if entry.enabled:
            job_id = list_job_id(entry.list_name)
            every = entry.interval if entry.is_url else config.scheduler.local_interval
            jobs[job_id] = JobSpec(
                job_id, every, every * config.scheduler.jitter, entry.list_name, entry.opml
            )
    return jobs


def diff(old: Mapping[str, JobSpec], new: Mapping[str, JobSpec]) -> PlanChange:
    """Jobs to add, remove and reschedule to go from ``old`` to ``new`` (sorted, for stable logs)."""
    return PlanChange(
        added=tuple(new[key] for key in sorted(new.keys() - old.keys())),
        removed=tuple(sorted(old.keys() - new.keys())),
        changed=tuple(new[key] for key in sorted(old.keys() & new.keys()) if old[key] != new[key]),
    )


def reload_problem(old: Config, new: Config) -> str | None:
    """Why ``new`` cannot replace ``old`` in a running daemon, or None when it can.

    The daemon holds the old store's run lock and connection; switching stores under it would let
    a cron run and the daemon write to one store at once.
    """
    if _where(new) != _where(old):
        return f"store: cannot change from {_where(old)} to {_where(new)} while running; restart"
    return None


def _where(config: Config) -> str:
    return config.store if config.store_is_postgres else str(config.store_path.resolve())


def first_run(now: datetime, next_due: datetime | None, jitter: float, rng: random.Random) -> datetime:
    """A new job's first run: at the stored ``next_due`` if still ahead, else now; plus jitter.

    Jitter spreads a thousand sources that are all due at startup over a window instead of one burst.
    """
    base = next_due if next_due is not None and next_due > now else now
    return base + timedelta(seconds=rng.uniform(0.0, jitter))


def after_fetch(
    now: datetime, next_due: datetime | None, interval: float, jitter: float, rng: random.Random
) -> datetime | None:
    """When a source's job should run again after a fetch; None: leave the job's interval alone.

    The stored ``next_due`` (adaptive interval, backoff, Retry-After) wins when it is ahead. One in the
    past means the fetch did not happen (e.g. the host is inside a Retry-After window the fetcher
    tracks per host), so try again one interval on rather than at once, which would spin.
    """
    if next_due is None:
        return None
    base = next_due if next_due > now else now + timedelta(seconds=interval)
    return base + timedelta(seconds=rng.uniform(0.0, jitter))
