"""``feeds worker`` processes sharing a PostgreSQL store: each source fetched once per due period,
``fetch.per_host`` held across workers, a worker killed with SIGKILL costing nothing, and the outputs
the same bytes as a SQLite ``run --once`` makes of the same feeds.

Real processes on this session's own PostgreSQL (``pg_url``) and the shared test HTTP server, whose
routes here count the requests each feed gets and how many are in flight at once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from conftest import ALLOW_PRIVATE, write_config
from feedserver import FeedServer, Reply, Seen, feed_server
from test_notify import SECRET
from test_pg import feeds
from webhook_receiver import WebhookReceiver

from feeds.store import Store
from feeds.worker import BUILD_EVERY, BUILD_PAUSE, Clock

__all__ = ["feed_server"]  # the fixture, imported so pytest finds it here

FEEDS = 12
WAIT = 60.0  # seconds a test waits for the workers before failing


def rss(number: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>feed {number}</title><link>http://127.0.0.1/</link><description>d</description>"
        f"<item><title>item {number}</title><link>http://127.0.0.1/a?infoCode=NWW{number:05d}</link>"
        f"<guid>w-{number}</guid><pubDate>Mon, 24 Jan 2022 14:{number:02d}:53 +0000</pubDate>"
        f"<description>body {number}</description></item></channel></rss>"
    ).encode()


class Counting:
    """Routes for FEEDS feeds that count requests per feed and the most in flight at once."""

    def __init__(self, server: FeedServer, delay: float) -> None:
        self.server = server
        self.delay = delay
        self.hits: Counter[str] = Counter()
        self.in_flight = 0
        self.most = 0
        self._lock = threading.Lock()
        for number in range(FEEDS):
            server.route(f"/f{number}.xml", self._reply(number))

    def _reply(self, number: int) -> Callable[[Seen], Reply]:
        def reply(seen: Seen) -> Reply:
            with self._lock:
                self.hits[seen.path] += 1
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
            time.sleep(self.delay)  # in flight while it sleeps
            with self._lock:
                self.in_flight -= 1
            return Reply(body=rss(number), headers={"Content-Type": "application/rss+xml"})

        return reply


def project(
    folder: Path, store: str, server: FeedServer, extra: str = "", fetch: str = "timeout: 30s"
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    remotes = "".join(
        f"  - {{name: f{n}, url: '{server.url(f'/f{n}.xml')}', interval: 1h, "
        "category: zhengquanshibaowang}\n"
        for n in range(FEEDS)
    )
    config = write_config(
        folder,
        f"fetch: {{allow_private: true, per_host: 2, per_host_delay: 0s, {fetch}}}\n{extra}"
        f"remote:\n{remotes}",
    )
    text = config.read_text(encoding="utf-8").replace("store: store/feeds.db", f"store: '{store}'")
    config.write_text(text.replace("local: [{path: posts}]\n", ""), encoding="utf-8")
    return config


def start_worker(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "feeds", "--config", str(config), "worker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    return process.returncode, err


def fetched(url: str) -> int:
    """Sources fetched so far (0 before a worker has made the schema)."""
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM sources WHERE last_fetch IS NOT NULL").fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return int(row[0]) if row else 0


def entries(url: str) -> list[str]:
    """Stored entry keys (none before a worker has made the schema)."""
    try:
        with psycopg.connect(url) as conn:
            return [key for (key,) in conn.execute("SELECT key FROM entries ORDER BY key")]
    except psycopg.errors.UndefinedTable:
        return []


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {WAIT:g}s for {what}")
        time.sleep(0.1)


def test_two_workers_fetch_each_source_once_and_keep_per_host(
    tmp_path: Path,
    pg_url: str,
    feed_server: FeedServer,
    workers: list[subprocess.Popen[str]],
) -> None:
    counting = Counting(feed_server, delay=0.3)
    # Claims of 3 sources at a time: both workers get some, and each alone would allow per_host (2)
    # requests in flight, so without the shared turns the host would see up to 4 at once.
    config = project(tmp_path, pg_url, feed_server, fetch="concurrency: 3")
    workers += [start_worker(config), start_worker(config)]
    wait_for(lambda: fetched(pg_url) == FEEDS, "every source to be fetched")
    time.sleep(1.0)  # a second fetch, if one were coming, would come now
    for process in workers:
        code, err = stop(process)
        assert code == 0, err
    assert counting.hits == Counter({f"/f{n}.xml": 1 for n in range(FEEDS)})
    assert counting.most <= 2, f"{counting.most} requests in flight at once to one host (per_host: 2)"
    assert counting.most == 2  # and the limit was reached: both workers were fetching
    assert len(entries(pg_url)) == FEEDS


def test_a_killed_worker_loses_nothing_and_doubles_nothing(
    tmp_path: Path,
    pg_url: str,
    feed_server: FeedServer,
    workers: list[subprocess.Popen[str]],
) -> None:
    counting = Counting(feed_server, delay=1.0)
    extra = "scheduler: {lease: 3s, poll: 0.2s}\n"
    config = project(tmp_path, pg_url, feed_server, extra=extra, fetch="timeout: 2s")
    first = start_worker(config)
    workers.append(first)
    wait_for(lambda: counting.in_flight > 0, "the first worker's requests")
    first.send_signal(signal.SIGKILL)  # mid-cycle: leases held, requests in flight
    first.wait(timeout=10)
    held = fetched(pg_url)
    assert held < FEEDS
    second = start_worker(config)
    workers.append(second)
    wait_for(lambda: fetched(pg_url) == FEEDS, "the second worker to take the dead one's sources")
    code, err = stop(second)
    assert code == 0, err
    assert entries(pg_url) == sorted(f"NWW{n:05d}" for n in range(FEEDS))
    assert all(1 <= hits <= 2 for hits in counting.hits.values()), counting.hits
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM copies").fetchone() == (FEEDS,)
        assert conn.execute("SELECT count(*) FROM sources WHERE lease_owner IS NOT NULL").fetchone() == (0,)


def test_workers_outputs_are_sqlites_bytes(
    tmp_path: Path,
    pg_url: str,
    feed_server: FeedServer,
    workers: list[subprocess.Popen[str]],
) -> None:
    Counting(feed_server, delay=0.0)
    on_pg = project(tmp_path / "pg", pg_url, feed_server)
    on_sqlite = project(tmp_path / "sqlite", "store/feeds.db", feed_server)
    ran = feeds(on_sqlite, "run", "--once")
    assert ran.returncode == 0, ran.stderr
    workers += [start_worker(on_pg), start_worker(on_pg)]
    atom = tmp_path / "pg" / "public" / "feeds" / "all.atom.xml"
    wait_for(
        lambda: fetched(pg_url) == FEEDS and atom.exists() and b"item 11" in atom.read_bytes(),
        "the builder to publish every item",
    )
    for process in workers:
        assert stop(process)[0] == 0
    out = {
        p.relative_to(tmp_path / "pg"): p.read_bytes()
        for p in (tmp_path / "pg" / "public").rglob("*")
        if p.is_file()
    }
    ref = {
        p.relative_to(tmp_path / "sqlite"): p.read_bytes()
        for p in (tmp_path / "sqlite" / "public").rglob("*")
        if p.is_file()
    }
    assert sorted(out) == sorted(ref)
    assert [str(name) for name in out if out[name] != ref[name]] == []


def test_a_worker_needs_a_postgresql_store(tmp_path: Path) -> None:
    config = write_config(tmp_path, ALLOW_PRIVATE)
    result = feeds(config, "worker")
    assert result.returncode == 2
    assert "PostgreSQL" in result.stderr and "Traceback" not in result.stderr


def test_a_worker_waits_for_a_database_that_is_not_up_yet(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    url = f"postgresql://nobody@/feeds?host={tmp_path}&port=1"
    config.write_text(config.read_text().replace("store/feeds.db", f"'{url}'"), encoding="utf-8")
    worker = subprocess.Popen(
        [sys.executable, "-m", "feeds", "--config", str(config), "worker"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stderr is not None
        line = worker.stderr.readline()  # it says so, and keeps trying
        assert "cannot connect" in line and "trying again in 1s" in line, line
        assert worker.poll() is None
    finally:
        code, err = stop(worker)
    assert code == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize("problem", ["wrong role", "newer schema"])
def test_a_database_that_refuses_a_starting_worker_is_one_line_and_exit_1(
    tmp_path: Path, pg_url: str, problem: str
) -> None:
    url = pg_url
    if problem == "wrong role":
        url = "postgresql://no_such_role@" + pg_url.split("@", 1)[1]
    else:
        Store.open(pg_url).close()
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("UPDATE schema_version SET version = 99")
    config = write_config(tmp_path)
    config.write_text(config.read_text().replace("store/feeds.db", f"'{url}'"), encoding="utf-8")
    result = feeds(config, "worker")
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert ("no_such_role" if problem == "wrong role" else "newer than this feeds") in result.stderr


def test_a_worker_survives_its_connections_being_cut(
    tmp_path: Path, pg_url: str, feed_server: FeedServer, workers: list[subprocess.Popen[str]]
) -> None:
    """The database drops the worker mid-cycle (a restart, a failover): it opens the store again
    with backoff and finishes, losing and doubling nothing."""
    counting = Counting(feed_server, delay=0.5)
    extra = "scheduler: {lease: 2s, poll: 0.2s}\n"
    config = project(tmp_path, pg_url, feed_server, extra=extra, fetch="timeout: 2s, concurrency: 3")
    worker = start_worker(config)
    workers.append(worker)
    wait_for(lambda: counting.in_flight > 0, "the worker's first requests")
    with psycopg.connect(pg_url, autocommit=True) as conn:
        cut = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert cut and cut[0] >= 1
    wait_for(lambda: fetched(pg_url) == FEEDS, "the worker to come back and fetch the rest")
    code, err = stop(worker)
    assert code == 0, err
    assert "opening the store again" in err or "trying again" in err, err
    assert entries(pg_url) == sorted(f"NWW{n:05d}" for n in range(FEEDS))
    assert all(1 <= hits <= 2 for hits in counting.hits.values()), counting.hits


def test_workers_poll_the_sources_an_opml_list_names(
    tmp_path: Path, pg_url: str, feed_server: FeedServer, workers: list[subprocess.Popen[str]]
) -> None:
    counting = Counting(feed_server, delay=0.0)
    outlines = "".join(
        f'<outline type="rss" text="listed {n}" xmlUrl="{feed_server.url(f"/f{n}.xml")}"/>' for n in range(3)
    )
    (tmp_path / "subs.opml").write_text(
        f'<?xml version="1.0"?><opml version="2.0"><head><title>l</title></head>'
        f"<body>{outlines}</body></opml>",
        encoding="utf-8",
    )
    config = write_config(
        tmp_path,
        "fetch: {allow_private: true}\nremote:\n  - {opml: subs.opml, category: zhengquanshibaowang}\n",
    )
    text = config.read_text(encoding="utf-8").replace("store: store/feeds.db", f"store: '{pg_url}'")
    config.write_text(text, encoding="utf-8")
    workers += [start_worker(config), start_worker(config)]
    wait_for(lambda: len(entries(pg_url)) == 3, "the listed feeds' items")
    for process in workers:
        assert stop(process)[0] == 0
    assert counting.hits == Counter({f"/f{n}.xml": 1 for n in range(3)})


def test_run_once_beside_a_worker_shares_the_sources_and_waits_for_them(
    tmp_path: Path, pg_url: str, feed_server: FeedServer, workers: list[subprocess.Popen[str]]
) -> None:
    """``run --once`` on PostgreSQL claims like a worker: what the worker holds, the run leaves to it;
    the run ends with every source it claimed stored, and nothing is fetched twice."""
    counting = Counting(feed_server, delay=0.3)
    config = project(tmp_path, pg_url, feed_server, fetch="concurrency: 3")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "feeds", "--config", str(config), "daemon"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # on a PostgreSQL store, the daemon is a worker
    workers.append(daemon)
    wait_for(lambda: counting.in_flight > 0, "the daemon's first requests")
    ran = feeds(config, "run", "--once")
    assert ran.returncode == 0, ran.stderr
    new = int(ran.stdout.split(" new")[0])
    assert 0 < new < FEEDS  # it took a share, the daemon the rest
    wait_for(lambda: fetched(pg_url) == FEEDS, "every source")
    assert stop(daemon)[0] == 0
    assert counting.hits == Counter({f"/f{n}.xml": 1 for n in range(FEEDS)})
    assert len(entries(pg_url)) == FEEDS


def test_workers_send_each_endpoint_its_events_once_and_in_order(
    tmp_path: Path, pg_url: str, feed_server: FeedServer, workers: list[subprocess.Popen[str]]
) -> None:
    """Two workers, one endpoint: one of them at a time sends its queue, so every event arrives
    once (verified with the reference standardwebhooks library) and in the order it was queued."""
    Counting(feed_server, delay=0.0)
    with WebhookReceiver(SECRET) as receiver:
        receiver.behaviour.delay = 0.05  # a slow endpoint: two senders would overlap
        extra = (
            "scheduler: {webhook_interval: 0.2s, poll: 0.2s}\n"
            f"webhooks: [{{url: '{receiver.url}', secret: '{SECRET}'}}]\n"
        )
        config = project(tmp_path, pg_url, feed_server, extra=extra, fetch="concurrency: 3")
        workers += [start_worker(config), start_worker(config)]
        arrived = receiver.wait_for(FEEDS, timeout=WAIT)
        time.sleep(1.0)  # a repeat, if one were coming, would come now
        for process in workers:
            assert stop(process)[0] == 0
        accepted = receiver.accepted()
    assert len(arrived) >= FEEDS and all(request.verified for request in accepted)
    with psycopg.connect(pg_url) as conn:
        queued = [event_id for (event_id,) in conn.execute("SELECT id FROM events ORDER BY seq")]
    assert len(queued) == FEEDS
    assert [request.webhook_id for request in accepted] == queued


def test_a_busy_worker_waits_longer_than_its_last_build_before_building_again() -> None:
    """A build of a large store outlasts BUILD_EVERY: counted from its start, the next batch's step
    would rebuild at once, and a burst of fetches would rebuild `all` after every batch."""
    clock = Clock()
    assert clock.build_due(0.0, idle=False)  # never built yet
    clock.built, clock.build_took = 100.0, 25.0  # a 25 s build that ended at 100 s
    assert not clock.build_due(100.0 + BUILD_EVERY, idle=False)
    assert not clock.build_due(100.0 + BUILD_PAUSE * 25.0 - 0.1, idle=False)
    assert clock.build_due(100.0 + BUILD_PAUSE * 25.0, idle=False)
    assert clock.build_due(100.1, idle=True)  # an idle step builds what is dirty at once
    clock.build_took = 0.5  # a quick build: BUILD_EVERY, from its end
    assert not clock.build_due(100.0 + BUILD_EVERY - 0.1, idle=False)
    assert clock.build_due(100.0 + BUILD_EVERY, idle=False)
