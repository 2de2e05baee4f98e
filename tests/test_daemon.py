"""``feeds daemon`` as a real process: posts and remote items reach the category feed; SIGHUP, SIGSTOP,
SIGTERM and the run lock behave as the contract says.

Each test starts ``python -m feeds daemon`` against a config in a temp folder (one-second local scans),
a posts folder and, for remote sources, a small threaded HTTP server in this file serving RSS files
(on 127.0.0.1, so every config sets ``fetch.allow_private``).
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import stored_count

from feeds.lock import run_lock

ROOT = Path(__file__).resolve().parent.parent
CATEGORY = "zhengquanshibaowang"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
POSTS = 800  # a scan of one full commit batch and a part one: long enough to stop in the middle


# ---- helpers --------------------------------------------------------------------------------


class FeedServer:
    """Serves the files of ``folder`` on 127.0.0.1 and remembers which paths were asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.requested: list[str] = []
        self.posted: list[bytes] = []
        self.delay = 0.0  # seconds before answering a GET: a fetch still running at SIGTERM
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                server.posted.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(204)
                self.end_headers()

            def do_GET(self) -> None:
                server.requested.append(self.path)
                time.sleep(server.delay)
                path = server.folder / self.path.lstrip("/")
                if not path.is_file():
                    self.send_error(404)
                    return
                body = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def publish(self, name: str, items: list[tuple[str, str]]) -> None:
        """Write an RSS file of ``(guid, title)`` items."""
        entries = "".join(
            f"<item><title>{title}</title><guid isPermaLink='false'>{guid}</guid>"
            f"<link>https://news.example.com/{guid}</link><pubDate>Mon, 24 Jan 2022 14:56:53 GMT</pubDate>"
            f"<description>&lt;p&gt;{title}&lt;/p&gt;</description></item>"
            for guid, title in items
        )
        channel = f"<channel><title>t</title>{entries}</channel>"
        rss = f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'>{channel}</rss>"
        (self.folder / name).write_text(rss, encoding="utf-8")


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[FeedServer]:
    folder = tmp_path / "www"
    folder.mkdir()
    server = FeedServer(folder)
    server.thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


class DaemonProcess:
    """``feeds -v daemon`` in the background, its log in a file (no pipe a worker could hold open)."""

    def __init__(self, config: Path) -> None:
        self.log_path = config.parent / "daemon.log"
        command = [sys.executable, "-m", "feeds", "--config", str(config), "-v", "daemon"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT)

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def send(self, sig: signal.Signals) -> None:
        self.process.send_signal(sig)

    def stop(self) -> tuple[int, float]:
        """SIGTERM; the exit code and how long it took."""
        started = time.monotonic()
        self.send(signal.SIGTERM)
        code = self.process.wait(timeout=15)
        return code, time.monotonic() - started

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@contextlib.contextmanager
def daemon(config: Path) -> Iterator[DaemonProcess]:
    running = DaemonProcess(config)
    try:
        yield running
    except BaseException:
        sys.stderr.write(running.log)  # the daemon's own account, for a failing test
        raise
    finally:
        running.kill()


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def write_config(folder: Path, extra: str = "", local: str = "[{path: posts}]") -> Path:
    config = folder / "config.yaml"
    config.write_text(
        "site: {title: 财经新闻聚合, url: https://finews.example.com}\n"
        f"local: {local}\n"
        "scheduler: {local_interval: 0.5s, jitter: 0}\n"
        "fetch: {allow_private: true}\n"  # the feeds and the webhook are on 127.0.0.1
        f"categories: {{{CATEGORY}: {{title: 证券时报网}}}}\n" + extra,
        encoding="utf-8",
    )
    return config


def remote_config(folder: Path, server: FeedServer, **paths: str) -> Path:
    """A config with a webhook to ``server`` and one remote source per ``name=path`` on it."""
    hooks = f"webhooks: [{{url: '{server.url('/hook')}', secret: {SECRET}}}]\n"
    sources = ", ".join(
        f"{{name: {name}, url: '{server.url(path)}', category: {CATEGORY}, interval: 1s}}"
        for name, path in paths.items()
    )
    return write_config(folder, f"{hooks}remote: [{sources}]\n")


def add_post(folder: Path, name: str, title: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        f'---\ntitle: "{title}"\ndate: 2022-01-24 22:56:53 +0800\ncategories: {CATEGORY}\n'
        f"infoCode: NW{abs(hash(title))}\n---\n<p>{title}</p>\n",
        encoding="utf-8",
    )


def feed_has(project: Path, *titles: str) -> Callable[[], bool]:
    atom = project / "public" / "feeds" / f"{CATEGORY}.atom.xml"

    def check() -> bool:
        try:
            text = atom.read_text(encoding="utf-8")
        except FileNotFoundError:
            return False
        return all(title in text for title in titles)

    return check


def integrity(project: Path) -> str:
    with sqlite3.connect(project / "store" / "feeds.db") as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


# ---- tests ----------------------------------------------------------------------------------


def test_posts_reach_the_feed_through_pause_reload_and_stop(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    add_post(tmp_path / "posts", "a.md", "第一条")
    with daemon(config) as running:
        wait_for(feed_has(tmp_path, "第一条"), "the first post")
        add_post(tmp_path / "posts", "b.md", "第二条")
        wait_for(feed_has(tmp_path, "第二条"), "a post added while running")

        running.send(signal.SIGSTOP)  # a laptop asleep: runs missed meanwhile collapse into one
        time.sleep(1.0)
        running.send(signal.SIGCONT)
        add_post(tmp_path / "posts", "c.md", "第三条")
        wait_for(feed_has(tmp_path, "第三条"), "a post after SIGSTOP/SIGCONT")

        config.write_text(config.read_text(encoding="utf-8") + "feed: {limt: 5}\n", encoding="utf-8")
        running.send(signal.SIGHUP)
        wait_for(lambda: "config reload failed" in running.log, "the bad config to be refused")
        assert running.process.poll() is None

        write_config(tmp_path, local="[{path: posts}, {path: more}]")
        add_post(tmp_path / "more", "d.md", "第四条")
        running.send(signal.SIGHUP)
        wait_for(feed_has(tmp_path, "第四条"), "a posts folder added by SIGHUP")

        code, took = running.stop()
    assert (code, took < 10) == (0, True)
    assert "daemon stopped" in running.log
    assert integrity(tmp_path) == "ok"


def test_a_start_writes_a_deleted_file_again_and_a_title_changed_by_sighup_reaches_the_feeds(
    tmp_path: Path,
) -> None:
    """The daemon keeps no dirty set of its own: a start and a reload build what the store says is
    stale, and a changed config shows in the outputs' fingerprint though no entry changed."""
    config = write_config(tmp_path)
    add_post(tmp_path / "posts", "a.md", "第一条")
    with daemon(config) as running:
        wait_for(feed_has(tmp_path, "第一条"), "the first post")
        code, _ = running.stop()
    assert code == 0
    feeds = tmp_path / "public" / "feeds"
    (feeds / f"{CATEGORY}.rss.xml").unlink()
    with daemon(config) as running:
        wait_for((feeds / f"{CATEGORY}.rss.xml").exists, "the deleted file written again")
        config.write_text(
            config.read_text(encoding="utf-8").replace("证券时报网", "证券时报"), encoding="utf-8"
        )
        running.send(signal.SIGHUP)
        atom = feeds / f"{CATEGORY}.atom.xml"
        wait_for(lambda: "<title>证券时报</title>" in atom.read_text(encoding="utf-8"), "the new title")
        code, _ = running.stop()
    assert code == 0
    assert "证券时报</title>" in (feeds / f"{CATEGORY}.rss.xml").read_text(encoding="utf-8")


def test_a_rule_added_by_sighup_is_applied_to_the_stored_copies(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    add_post(tmp_path / "posts", "a.md", "推广广告")
    add_post(tmp_path / "posts", "b.md", "真新闻")
    with daemon(config) as running:
        wait_for(feed_has(tmp_path, "推广广告", "真新闻"), "both posts")
        write_config(tmp_path, 'rules: [{name: no-ads, drop_if: {title: "广告"}}]\n')
        running.send(signal.SIGHUP)
        wait_for(lambda: not feed_has(tmp_path, "推广广告")(), "the rule to take the ad out of the feed")
        assert feed_has(tmp_path, "真新闻")()
        assert "rules changed: re-applied to 2 stored copies, 1 rewritten or dropped" in running.log
        code, _ = running.stop()
    assert code == 0
    assert integrity(tmp_path) == "ok"


def test_remote_sources_added_changed_and_removed_by_sighup(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.publish("a.xml", [("a1", "远程一")])
    feed_server.publish("c.xml", [("c1", "远程丙")])
    config = remote_config(tmp_path, feed_server, a="/a.xml", c="/c.xml")
    with daemon(config) as running:
        wait_for(feed_has(tmp_path, "远程一", "远程丙"), "the remote items")

        feed_server.publish("a2.xml", [("a1", "远程一"), ("a3", "远程三")])
        feed_server.publish("b.xml", [("b1", "远程二")])
        remote_config(tmp_path, feed_server, a="/a2.xml", b="/b.xml")
        running.send(signal.SIGHUP)
        wait_for(feed_has(tmp_path, "远程二", "远程三"), "items of the added and the changed source")
        assert "jobs: 1 added, 1 removed, 1 changed" in running.log
        assert {"/a.xml", "/a2.xml", "/b.xml", "/c.xml"} <= set(feed_server.requested)
        delivered = lambda: b"".join(feed_server.posted).decode()  # noqa: E731
        wait_for(lambda: all(t in delivered() for t in ("远程一", "远程二", "远程三")), "webhooks")

        code, took = running.stop()
    assert (code, took < 10) == (0, True)
    assert integrity(tmp_path) == "ok"


def test_sigterm_lets_a_running_fetch_finish(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.publish("slow.xml", [("s1", "慢慢来")])
    feed_server.delay = 1.0
    config = write_config(tmp_path, f"remote: [{{name: slow, url: '{feed_server.url('/slow.xml')}'}}]\n")
    with daemon(config) as running:
        wait_for(lambda: "/slow.xml" in feed_server.requested, "the fetch to start")
        code, took = running.stop()
    assert (code, took < 10) == (0, True)
    assert "waiting up to" in running.log
    assert stored_count(tmp_path / "store" / "feeds.db") == 1  # the fetch finished and was stored


def test_a_second_daemon_or_cron_run_exits_75(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    (tmp_path / "posts").mkdir()
    with run_lock(tmp_path / "store" / "feeds.db"):
        blocked = subprocess.run(
            [sys.executable, "-m", "feeds", "--config", str(config), "daemon"],
            capture_output=True,
            text=True,
            timeout=30,
            cwd=ROOT,
        )
    assert blocked.returncode == 75
    assert "another feeds run holds the lock" in blocked.stderr


def test_sigterm_during_a_long_scan_stops_between_batches(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    for n in range(POSTS):
        add_post(posts, f"{n:04d}.md", f"标题{n}")
    config = write_config(tmp_path)
    db = tmp_path / "store" / "feeds.db"
    with daemon(config) as running:
        wait_for(lambda: stored_count(db) > 0, "the first batch to be committed")
        code, took = running.stop()
    assert (code, took < 10) == (0, True)
    assert integrity(tmp_path) == "ok"
    count = stored_count(db)
    if count < POSTS:  # it stopped mid-scan: whole batches only, the open one rolled back
        assert count % 500 == 0
        assert "abandoned for shutdown" in running.log
    rerun = subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(config), "run", "--once"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert stored_count(db) == POSTS
