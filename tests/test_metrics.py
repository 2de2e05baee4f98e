"""Metrics and readiness: the pure decisions, the figures read from a real store, and whole processes
(`feeds run --once` twice against a feed on 127.0.0.1, then a real `feeds serve` scraped and parsed
with prometheus_client's own parser)."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from conftest import ALLOW_PRIVATE, post, write_config
from feedserver import FeedServer, Reply, feed_server  # noqa: F401  (feed_server is a fixture)
from prometheus_client.parser import text_string_to_metric_families

from feeds import metrics
from feeds.errors import StoreError
from feeds.model import FetchStatus
from feeds.policy import FAILING_AFTER
from feeds.store import Store, figures
from feeds.store.figures import Figures, SourceGroup
from feeds.store.meta import LAST_CYCLE
from feeds.store.schema import LATEST

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)
GIVE_UP = 30.0  # seconds to wait for a process to come up: far beyond what it needs


def rss(*titles: str) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><guid>urn:{n}</guid><link>https://news.example.com/{n}</link>"
        f"<pubDate>Mon, 24 Jan 2022 14:56:0{n} GMT</pubDate></item>"
        for n, title in enumerate(titles)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>{items}</channel></rss>".encode()
    )


def snapshot(**changes: object) -> Figures:
    values: dict[str, object] = {
        "sources": (),
        "lists": (),
        "entries": 0,
        "fetches": (),
        "outbox_pending": 0,
        "outbox_oldest": None,
        "deliveries": (),
        "failures": 0,
        "last_cycle": None,
        "last_build": None,
    }
    return Figures(**(values | changes))  # type: ignore[arg-type]


def samples(families: list[metrics.Metric]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} of metric families."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def parsed(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The same, for a scrape, through prometheus_client's parser."""
    return samples(list(text_string_to_metric_families(text)))


# ---- pure decisions ---------------------------------------------------------------------------


def test_a_source_is_gone_failing_at_the_webhook_threshold_or_ok() -> None:
    assert metrics.source_state(SourceGroup(gone=True, errors=9, count=1)) == "gone"
    assert metrics.source_state(SourceGroup(gone=False, errors=FAILING_AFTER, count=1)) == "failing"
    assert metrics.source_state(SourceGroup(gone=False, errors=FAILING_AFTER - 1, count=1)) == "ok"
    assert metrics.source_state(SourceGroup(gone=False, errors=0, count=1)) == "ok"


def test_the_fetch_outcomes_are_every_fetch_status_but_a_request_not_made() -> None:
    assert set(metrics.FETCH_OUTCOMES) == {status.value for status in FetchStatus} - {"deferred"}


def test_families_of_a_snapshot() -> None:
    figures_ = snapshot(
        sources=(
            SourceGroup(False, 0, 4),
            SourceGroup(False, 1, 2),
            SourceGroup(False, 3, 1),
            SourceGroup(True, 0, 1),
        ),
        entries=42,
        fetches=(("error", 2), ("ok", 7), ("someday", 1)),
        outbox_pending=5,
        outbox_oldest=NOW - timedelta(seconds=90),
        deliveries=(("dead", 1), ("pending", 4)),
        failures=3,
        last_cycle=NOW - timedelta(seconds=30),
        last_build=NOW - timedelta(seconds=29),
    )
    found = samples(metrics.families(figures_, NOW))
    assert found[("feeds_store_up", ())] == 1
    assert found[("feeds_sources", (("state", "ok"),))] == 6
    assert found[("feeds_sources", (("state", "failing"),))] == 1
    assert found[("feeds_sources", (("state", "gone"),))] == 1
    assert found[("feeds_entries", ())] == 42
    assert found[("feeds_fetches_total", (("outcome", "ok"),))] == 7
    assert found[("feeds_fetches_total", (("outcome", "error"),))] == 2
    assert found[("feeds_fetches_total", (("outcome", "not_modified"),))] == 0  # there from the start
    assert ("feeds_fetches_total", (("outcome", "someday"),)) not in found  # labels: a fixed set only
    assert found[("feeds_outbox_pending", ())] == 5
    assert found[("feeds_outbox_oldest_age_seconds", ())] == 90
    assert found[("feeds_webhook_deliveries", (("status", "dead"),))] == 1
    assert found[("feeds_webhook_deliveries", (("status", "delivered"),))] == 0
    assert found[("feeds_failures", ())] == 3
    assert found[("feeds_last_cycle_timestamp_seconds", ())] == (NOW - timedelta(seconds=30)).timestamp()
    assert found[("feeds_last_build_timestamp_seconds", ())] == (NOW - timedelta(seconds=29)).timestamp()


def test_an_empty_store_reports_zeros_not_nothing() -> None:
    found = samples(metrics.families(snapshot(), NOW))
    assert found[("feeds_outbox_oldest_age_seconds", ())] == 0
    assert found[("feeds_last_cycle_timestamp_seconds", ())] == 0
    assert sum(value for (name, _), value in found.items() if name == "feeds_sources") == 0
    assert samples(metrics.unavailable()) == {("feeds_store_up", ()): 0}


def test_readiness() -> None:
    assert metrics.readiness(NOW - timedelta(minutes=59), NOW, 3600) is None
    assert metrics.readiness(None, NOW, 3600) == "no cycle has completed yet"
    reason = metrics.readiness(NOW - timedelta(seconds=3700), NOW, 3600)
    assert reason is not None and "3700 s ago" in reason and "serve.stale_after (3600 s)" in reason


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),  # an IPv4 client on a dual-stack socket
        ("10.0.0.1", False),
        ("::2", False),
        ("fe80::1%eth0", False),
        ("not an address", False),
        ("", False),
        (None, False),  # a Unix socket: no address to judge
    ],
)
def test_allowed_by_the_default_loopback_networks(client: str | None, expected: bool) -> None:
    from feeds.config import ServeConfig

    assert metrics.allowed(client, ServeConfig().networks) is expected


# ---- figures from a real store ----------------------------------------------------------------


def test_figures_from_a_store(tmp_path: Path) -> None:
    path = tmp_path / "feeds.db"
    with Store.open(path) as store, store.transaction():
        store.meta.count_fetch("ok")
        store.meta.count_fetch("ok")
        store.meta.count_fetch("error")
        store.conn.execute("INSERT INTO meta (name, value) VALUES ('fetches_totalX', '99')")  # not a counter
        for name, errors, gone in (("a", 0, 0), ("b", 5, 0), ("c", 0, 1), ("d", 9, 0)):
            store.conn.execute(
                "INSERT INTO sources (name, url, config_url, error_count, gone) VALUES (?, 'u', 'u', ?, ?)",
                (name, errors, gone),
            )
        store.conn.execute(
            "INSERT INTO sources (name, url, config_url, configured) VALUES ('old', 'u', 'u', 0)"
        )
        store.conn.execute(
            "INSERT INTO websub_pings (topic, queued, next_attempt) VALUES ('t', '2026-11-30T11:58:00Z', 'x')"
        )
    with Store.open(path) as store:
        store.meta.mark_cycle(NOW - timedelta(minutes=1))
        store.meta.mark_build(NOW)
    read = figures.read(path, error_cap=FAILING_AFTER)
    assert read.fetches == (("error", 1), ("ok", 2))
    assert read.sources == (
        SourceGroup(False, 0, 1),
        SourceGroup(False, FAILING_AFTER, 2),
        SourceGroup(True, 0, 1),
    )
    assert (read.entries, read.failures, read.outbox_pending) == (0, 0, 1)
    assert read.outbox_oldest == datetime(2026, 11, 30, 11, 58, tzinfo=UTC)
    assert (read.last_cycle, read.last_build) == (NOW - timedelta(minutes=1), NOW)
    assert figures.last_cycle(path) == NOW - timedelta(minutes=1)


def test_no_store_is_a_reason_and_no_file_is_made(tmp_path: Path) -> None:
    path = tmp_path / "store" / "feeds.db"
    with pytest.raises(StoreError, match="no store file yet"):
        figures.read(path, error_cap=FAILING_AFTER)
    assert not path.parent.exists()


def test_a_file_that_is_no_store_or_too_new_is_a_reason(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError, match="cannot read the store"):
        figures.last_cycle(junk)
    newer = tmp_path / "newer.db"
    with sqlite3.connect(newer) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    with pytest.raises(StoreError, match="newer than this feeds knows"):
        figures.last_cycle(newer)
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    empty.write_bytes(b"")
    with pytest.raises(StoreError, match="not migrated yet"):
        figures.last_cycle(empty)


def test_a_scrape_reads_while_a_writer_holds_the_store(tmp_path: Path) -> None:
    """WAL: the read-only reader sees the last commit and does not wait for the open transaction."""
    path = tmp_path / "feeds.db"
    with Store.open(path) as store:
        store.meta.mark_cycle(NOW)
        store.conn.execute("BEGIN IMMEDIATE")
        store.conn.execute("UPDATE meta SET value = 'uncommitted' WHERE name = ?", (LAST_CYCLE,))
        assert figures.last_cycle(path, timeout=0) == NOW
        store.conn.execute("ROLLBACK")


def test_importing_the_cli_does_not_load_prometheus_client() -> None:
    code = "import sys, feeds.cli; print('prometheus_client' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# ---- whole processes --------------------------------------------------------------------------


def feeds(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "feeds", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=ROOT)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GIVE_UP
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {GIVE_UP} s"
        time.sleep(0.05)


@contextlib.contextmanager
def feeds_serve(config: Path) -> Iterator[str]:
    """A real `feeds serve` process on a free 127.0.0.1 port; yields its base URL."""
    port = free_port()
    log = config.parent / "serve.log"
    with log.open("wb") as err:
        command = [sys.executable, "-m", "feeds", "--config", str(config), "serve", "--port", str(port)]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(up, "feeds serve answering /healthz")
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{base}/metrics", timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return parsed(response.text)


def test_metrics_after_real_cycles_survive_across_processes(
    tmp_path: Path,
    feed_server: FeedServer,  # noqa: F811
) -> None:
    """Two `feeds run --once` processes against a feed that answers 304 the second time, a 404 feed
    and a 410 feed; then a real `feeds serve` scraped and parsed with prometheus_client's parser."""
    news = feed_server.route("/news.xml?token=SECRET", Reply(body=rss("一", "二"), etag='"v1"'))
    broken = feed_server.route("/broken.xml", Reply(404, b"no"))
    gone = feed_server.route("/gone.xml", Reply(410, b"gone"))
    config = write_config(
        tmp_path,
        ALLOW_PRIVATE
        + "remote:\n"
        + f"  - {{name: news, url: '{news.replace('http://', 'http://reader:hunter2@')}'}}\n"
        + f"  - {{name: broken, url: '{broken}'}}\n"
        + f"  - {{name: gone, url: '{gone}'}}\n",
    )
    (tmp_path / "posts" / "2022-01-24-a.md").write_text(post("本地"), encoding="utf-8")
    (tmp_path / "posts" / "2022-01-24-b.md").write_text("---\ntitle: [unclosed\n---\nx\n", encoding="utf-8")

    started = time.time()
    first = feeds(config, "run", "--once")
    assert first.returncode == 0, first.stderr
    second = feeds(config, "run", "--once", "--all")
    assert second.returncode == 0, second.stderr
    finished = time.time()

    with feeds_serve(config) as base:
        found = scrape(base)
        text = httpx.get(f"{base}/metrics", timeout=10).text
    assert found[("feeds_store_up", ())] == 1
    assert found[("feeds_entries", ())] == 3  # one post, two feed items
    assert found[("feeds_fetches_total", (("outcome", "ok"),))] == 1
    assert found[("feeds_fetches_total", (("outcome", "not_modified"),))] == 1  # counted by the 2nd process
    assert found[("feeds_fetches_total", (("outcome", "error"),))] == 2  # the 404, twice
    assert found[("feeds_fetches_total", (("outcome", "gone"),))] == 1  # a gone feed is not asked again
    assert found[("feeds_sources", (("state", "ok"),))] == 2  # news, and broken (2 errors < 3)
    assert found[("feeds_sources", (("state", "gone"),))] == 1
    assert found[("feeds_failures", ())] == 1  # the broken post (a failing feed is a source's state)
    for name in ("feeds_last_cycle_timestamp_seconds", "feeds_last_build_timestamp_seconds"):
        assert int(started) <= found[(name, ())] <= finished + 1
    for leak in ("hunter2", "reader", "SECRET", "token", "news.xml", "broken"):
        assert leak not in text, leak

    third = feeds(config, "run", "--once", "--all")  # a third error: the source is failing now
    assert third.returncode == 0, third.stderr
    with feeds_serve(config) as base:
        found = scrape(base)
    assert found[("feeds_sources", (("state", "failing"),))] == 1
    assert found[("feeds_fetches_total", (("outcome", "error"),))] == 3
    assert found[("feeds_fetches_total", (("outcome", "not_modified"),))] == 2


def test_opml_lists_are_counted_apart_from_the_feeds_they_list(
    tmp_path: Path,
    feed_server: FeedServer,  # noqa: F811
) -> None:
    listed = feed_server.route("/listed.xml", Reply(body=rss("三")))
    missing = feed_server.route("/missing.xml", Reply(404, b"no"))
    (tmp_path / "subscriptions.opml").write_text(
        "<?xml version='1.0'?><opml version='2.0'><head/><body>"
        f"<outline text='listed' xmlUrl='{listed}'/><outline text='missing' xmlUrl='{missing}'/>"
        "</body></opml>",
        encoding="utf-8",
    )
    config = write_config(tmp_path, ALLOW_PRIVATE + "remote:\n  - {opml: subscriptions.opml}\n")
    done = feeds(config, "run", "--once")
    assert done.returncode == 0, done.stderr
    with feeds_serve(config) as base:
        found = scrape(base)
    assert found[("feeds_lists", (("state", "ok"),))] == 1
    assert found[("feeds_sources", (("state", "ok"),))] == 2  # the two listed feeds, not the list
    assert found[("feeds_entries", ())] == 1


def test_feeds_build_and_the_daemon_record_their_completion(tmp_path: Path) -> None:
    config = write_config(tmp_path, "scheduler: {local_interval: 1s}\n")
    (tmp_path / "posts" / "2022-01-24-a.md").write_text(post("本地"), encoding="utf-8")
    db = tmp_path / "store" / "feeds.db"
    built = feeds(config, "build")
    assert built.returncode == 0, built.stderr
    with Store.open(db) as store:
        assert store.meta.moment("last_build") is not None
        assert store.meta.moment(LAST_CYCLE) is None  # a build is not a cycle
    log = tmp_path / "daemon.log"
    with log.open("wb") as err:
        command = [sys.executable, "-m", "feeds", "--config", str(config), "daemon"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
    try:
        wait_for(lambda: _cycle_recorded(db), "the daemon's first local scan")
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)


def _cycle_recorded(db: Path) -> bool:
    try:
        return figures.last_cycle(db) is not None
    except StoreError:
        return False


# ---- the serve block of the config ------------------------------------------------------------


def test_serve_config_defaults_and_normal_forms(tmp_path: Path) -> None:
    from feeds.config import load

    path = tmp_path / "config.yaml"
    path.write_text("{}\n", encoding="utf-8")
    assert load(path).serve.metrics_allow == ("127.0.0.0/8", "::1/128")
    assert load(path).serve.stale_after == 3600
    path.write_text(
        "serve: {metrics_allow: [10.0.0.7, ' 2001:DB8::/32 '], stale_after: 15m}\n", encoding="utf-8"
    )
    serve = load(path).serve
    assert serve.metrics_allow == ("10.0.0.7/32", "2001:db8::/32") and serve.stale_after == 900
    assert metrics.allowed("10.0.0.7", serve.networks) and not metrics.allowed("10.0.0.8", serve.networks)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("{metrics_allow: 10.0.0.0/8}", "serve.metrics_allow: give a list of networks"),
        ("{metrics_allow: [fe80::/10, ':::1']}", "serve.metrics_allow[1]: ':::1' is not a network"),
        ("{stale_after: soon}", "serve.stale_after: 'soon' is not a duration"),
        ("{metrics_alow: []}", "serve.metrics_alow: unknown key (did you mean 'metrics_allow'?)"),
    ],
)
def test_serve_config_mistakes_name_the_key(tmp_path: Path, block: str, message: str) -> None:
    from feeds.config import load
    from feeds.errors import ConfigError

    path = tmp_path / "config.yaml"
    path.write_text(f"serve: {block}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(path)
    assert message in str(caught.value) and "\n" not in str(caught.value)
