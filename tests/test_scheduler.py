"""Scheduling decisions as values (fake clock, seeded Random), and the daemon's job logic in-process.

The in-process tests replace ``pipeline.ingest_remote`` with a fake and give the store a fake
``next_due`` reader, so they check what the daemon does with a fetch's outcome without the network.
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, NoReturn

import pytest
from conftest import post, write_config
from feedserver import FeedServer, Reply, feed_server  # noqa: F401

from feeds import pipeline
from feeds.config import Config, load
from feeds.daemon import Abandoned, Daemon, make_scheduler
from feeds.model import RunSummary
from feeds.scheduler import (
    LOCAL_JOB,
    WEBHOOK_JOB,
    JobSpec,
    after_fetch,
    diff,
    first_run,
    plan,
    reload_problem,
    remote_job_id,
)
from feeds.store import Store

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
REMOTE = """\
scheduler: {local_interval: 30s, jitter: 0.1, webhook_interval: 5s}
remote:
  - {name: a, url: "http://127.0.0.1:9/a.xml", interval: 10m}
  - {name: paused, url: "http://127.0.0.1:9/p.xml", enabled: false}
"""


def config_with(folder: Path, extra: str) -> Config:
    return load(write_config(folder, extra))


# ---- pure decisions -------------------------------------------------------------------------


def test_plan_has_one_job_per_enabled_source_with_jitter_from_interval(tmp_path: Path) -> None:
    jobs = plan(config_with(tmp_path, REMOTE))
    assert set(jobs) == {LOCAL_JOB, remote_job_id("a")}
    assert jobs[LOCAL_JOB] == JobSpec(LOCAL_JOB, 30.0)
    assert jobs[remote_job_id("a")] == JobSpec("remote:a", 600.0, 60.0, "a", "http://127.0.0.1:9/a.xml")


def test_webhook_job_only_when_something_can_be_sent(tmp_path: Path) -> None:
    hooks = 'webhooks: [{url: "http://127.0.0.1:9/hook", secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}]\n'
    assert WEBHOOK_JOB not in plan(config_with(tmp_path, ""))
    assert plan(config_with(tmp_path, hooks))[WEBHOOK_JOB].interval == 15.0


def test_diff_finds_added_removed_and_changed_sources() -> None:
    old = {"local": JobSpec("local", 60), "remote:a": JobSpec("remote:a", 600, 60, "a", "u1")}
    new = {
        "local": JobSpec("local", 60),
        "remote:a": JobSpec("remote:a", 600, 60, "a", "u2"),
        "remote:b": JobSpec("remote:b", 60, 6, "b", "u3"),
    }
    change = diff(old, new)
    assert [s.id for s in change.added] == ["remote:b"]
    assert [s.id for s in change.changed] == ["remote:a"]
    assert change.removed == ()
    assert diff(new, old).removed == ("remote:b",)
    assert not diff(new, dict(new))


def test_reload_may_not_move_the_store(tmp_path: Path) -> None:
    old = config_with(tmp_path, "")
    assert reload_problem(old, old) is None
    moved = old.model_copy(update={"store": "elsewhere.db"})
    assert "restart" in (reload_problem(old, moved) or "")


def test_first_run_starts_due_sources_now_and_waits_for_future_ones() -> None:
    rng = random.Random(1)
    assert NOW <= first_run(NOW, None, 60, rng) <= NOW + timedelta(seconds=60)
    assert NOW <= first_run(NOW, NOW - timedelta(hours=3), 60, rng) <= NOW + timedelta(seconds=60)
    later = NOW + timedelta(hours=2)
    assert later <= first_run(NOW, later, 60, rng) <= later + timedelta(seconds=60)
    assert first_run(NOW, None, 0, rng) == NOW


def test_first_runs_of_many_due_sources_spread_over_the_jitter_window() -> None:
    rng = random.Random(7)
    runs = sorted(first_run(NOW, None, 90, rng) for _ in range(1000))
    assert (runs[-1] - runs[0]).total_seconds() > 80  # not one burst at startup


def test_after_fetch_follows_next_due_and_never_spins() -> None:
    rng = random.Random(3)
    due = NOW + timedelta(hours=5)  # e.g. backoff or a quiet source's adaptive interval
    assert after_fetch(NOW, due, 600, 0, rng) == due
    assert after_fetch(NOW, None, 600, 0, rng) is None  # unknown: the job keeps its interval
    stale = NOW - timedelta(minutes=1)  # not fetched (host inside Retry-After): one interval on
    assert after_fetch(NOW, stale, 600, 0, rng) == NOW + timedelta(seconds=600)
    assert due <= after_fetch(NOW, due, 600, 60, rng) <= due + timedelta(seconds=60)  # type: ignore[operator]


# ---- APScheduler with our job defaults ------------------------------------------------------


def test_runs_missed_during_a_pause_coalesce_into_one() -> None:
    """A job 35 s late on a 10 s interval (the process was stopped): one run, not four, not none."""

    async def scenario() -> int:
        runs: list[datetime] = []

        async def job() -> None:
            runs.append(datetime.now(UTC))

        scheduler = make_scheduler(asyncio.get_running_loop())
        late = datetime.now(UTC) - timedelta(seconds=35)
        scheduler.add_job(job, "interval", seconds=10, next_run_time=late)
        scheduler.start()
        await asyncio.sleep(0.4)
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
        return len(runs)

    assert asyncio.run(scenario()) == 1


# ---- the daemon's job logic, in-process -----------------------------------------------------


class FakeRemote:
    """Stands in for the fetcher: records which sources were fetched and stores their next_due."""

    def __init__(self, wait: timedelta) -> None:
        self.wait = wait
        self.fetched: list[str] = []
        self.next_due: dict[str, datetime] = {}

    async def ingest(self, config: Config, store: Store, now: datetime, **kwargs: Any) -> RunSummary:
        names = kwargs.get("sources") or [s.name for s in config.remote]
        for name in names:
            self.fetched.append(name)
            self.next_due[name] = datetime.now(UTC).replace(microsecond=0) + self.wait
        return RunSummary()

    def row(self, name: str) -> SimpleNamespace | None:
        """What the daemon reads of a stored source (``SourceRepo.get``)."""
        due = self.next_due.get(name)
        return None if due is None else SimpleNamespace(next_due=due, gone=False, host=None)


@pytest.fixture
def fake_remote(monkeypatch: pytest.MonkeyPatch, store: Store) -> Iterator[FakeRemote]:
    fake = FakeRemote(timedelta(hours=1))
    monkeypatch.setattr(pipeline, "ingest_remote", fake.ingest)
    monkeypatch.setattr(store.sources, "get", fake.row)
    yield fake


def serve_until(daemon: Daemon, check: Callable[[], Awaitable[None]]) -> None:
    """Run the daemon in this process, run ``check`` inside its loop, then stop it."""

    async def scenario() -> None:
        serving = asyncio.create_task(daemon.serve())
        try:
            await until(lambda: daemon.scheduler is not None and daemon.scheduler.running)
            await check()
        finally:
            daemon.request_stop()
            await asyncio.wait_for(serving, 10)

    asyncio.run(scenario())


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


def test_source_job_moves_to_the_stored_next_due(
    project: Path, store: Store, fake_remote: FakeRemote
) -> None:
    config = config_with(
        project, "scheduler: {jitter: 0}\nremote: [{name: a, url: 'http://127.0.0.1:9/a'}]\n"
    )
    daemon = Daemon(config, store, build_delay=0.01)

    async def check() -> None:
        await until(lambda: fake_remote.fetched == ["a"])  # never fetched: due at once
        await until(lambda: daemon.scheduler.get_job("remote:a").next_run_time == fake_remote.next_due["a"])  # type: ignore[union-attr]

    serve_until(daemon, check)
    assert fake_remote.fetched == ["a"]


def test_sources_not_due_are_not_woken_at_startup(
    project: Path, store: Store, fake_remote: FakeRemote
) -> None:
    config = config_with(project, "remote: [{name: a, url: 'http://127.0.0.1:9/a', interval: 1s}]\n")
    due = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    fake_remote.next_due["a"] = due
    daemon = Daemon(config, store, build_delay=0.01)

    async def check() -> None:
        await asyncio.sleep(0.3)
        job = daemon.scheduler.get_job("remote:a")  # type: ignore[union-attr]
        assert due <= job.next_run_time <= due + timedelta(seconds=0.1)

    serve_until(daemon, check)
    assert fake_remote.fetched == []


def test_reload_applies_a_valid_config_and_keeps_the_old_on_error(
    project: Path, store: Store, fake_remote: FakeRemote
) -> None:
    config = config_with(project, "remote: [{name: a, url: 'http://127.0.0.1:9/a'}]\n")
    daemon = Daemon(config, store, build_delay=0.01)

    async def check() -> None:
        write_config(project, "remote: [{name: a, url: 'http://127.0.0.1:9/a', intervall: 5m}]\n")
        daemon.reload()
        assert daemon.config is config and "remote:a" in daemon.plan
        write_config(project, "scheduler: {jitter: 0}\nremote: [{name: b, url: 'http://127.0.0.1:9/b'}]\n")
        daemon.reload()
        assert set(daemon.plan) == {"local", "remote:b"}
        assert daemon.scheduler is not None and daemon.scheduler.get_job("remote:a") is None
        await until(lambda: "b" in fake_remote.fetched)

    serve_until(daemon, check)


def test_local_changes_are_rebuilt(project: Path, store: Store) -> None:
    config = config_with(project, "scheduler: {local_interval: 1s}\n")
    daemon = Daemon(config, store, build_delay=0.01)
    atom = project / "public" / "feeds" / "zhengquanshibaowang.atom.xml"

    async def check() -> None:
        (project / "posts" / "a.md").write_text(
            post(title="第一条", extra="infoCode: NW1\n"), encoding="utf-8"
        )
        await until(lambda: atom.exists() and "第一条" in atom.read_text(encoding="utf-8"))

    serve_until(daemon, check)


def test_a_stop_abandons_the_local_scan_between_files(project: Path, config: Config, store: Store) -> None:
    for n in range(20):
        (project / "posts" / f"{n}.md").write_text(post(title=f"t{n}", extra=f"infoCode: NW{n}\n"), "utf-8")
    daemon = Daemon(config, store)
    daemon.request_stop()
    with pytest.raises(Abandoned):
        pipeline.ingest_local(config, store, progress=daemon._check_stop)
    assert not store.conn.in_transaction
    assert store.entries.count() == 0  # the open batch rolled back; the next scan redoes it


def test_a_step_past_the_grace_time_is_cancelled_between_transactions(
    project: Path, store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    started = asyncio.Event()

    async def hangs(config: Config, store: Store, now: datetime, **kwargs: Any) -> RunSummary:
        started.set()
        await asyncio.sleep(3600)  # a fetch that never ends
        return RunSummary()

    monkeypatch.setattr(pipeline, "ingest_remote", hangs)
    config = config_with(
        project, "scheduler: {jitter: 0}\nremote: [{name: a, url: 'http://127.0.0.1:9/a'}]\n"
    )
    daemon = Daemon(config, store, grace=0.2, build_delay=0.01)

    async def check() -> None:
        await asyncio.wait_for(started.wait(), 5)

    caplog.set_level("INFO", logger="feeds.daemon")
    serve_until(daemon, check)  # returns: the stop did not wait for the hour
    assert "fetch a: abandoned for shutdown" in caplog.text
    assert not store.conn.in_transaction


def _killed(*args: object) -> NoReturn:
    raise SystemExit("killed after the ingest committed, before the build")


def test_startup_rebuilds_what_a_crash_left_unpublished(
    project: Path, config: Config, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "posts" / "a.md").write_text(post(title="旧的一条", extra="infoCode: NW1\n"), encoding="utf-8")
    pipeline.run_cycle(config, store)
    (project / "posts" / "b.md").write_text(post(title="新的一条", extra="infoCode: NW2\n"), encoding="utf-8")
    with monkeypatch.context() as patch:  # the build dies after the ingest committed, as on a SIGKILL
        patch.setattr(pipeline, "build_dirty", _killed)
        with pytest.raises(SystemExit):
            pipeline.run_cycle(config, store)
    atom = project / "public" / "feeds" / "zhengquanshibaowang.atom.xml"
    daemon = Daemon(config, store, build_delay=0.01)

    async def check() -> None:
        await until(lambda: "新的一条" in atom.read_text(encoding="utf-8"))

    serve_until(daemon, check)


def test_jobs_on_one_host_share_its_gate(
    project: Path,
    store: Store,
    feed_server: FeedServer,  # noqa: F811
) -> None:
    """Each source job has a fetcher of its own, yet their requests to one host start
    ``per_host_delay`` apart: the daemon hands every job the same ``HostGates``."""
    rss = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
    urls = [feed_server.route(f"/{n}.xml", Reply(body=rss)) for n in range(3)]
    sources = ", ".join(f"{{name: s{n}, url: '{url}', interval: 1h}}" for n, url in enumerate(urls))
    config = config_with(
        project,
        "scheduler: {jitter: 0}\nfetch: {allow_private: true, per_host: 4, per_host_delay: 0.3s}\n"
        f"remote: [{sources}]\n",
    )
    daemon = Daemon(config, store, build_delay=0.01)

    async def check() -> None:
        await until(lambda: len(feed_server.requests) >= 3, timeout=10)

    serve_until(daemon, check)
    starts = sorted(seen.at for seen in feed_server.requests)
    assert len(starts) == 3
    assert all(later - earlier >= 0.25 for earlier, later in itertools.pairwise(starts))
