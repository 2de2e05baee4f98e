"""``feeds run --once`` as cron runs it: one run per store at a time, and a SIGKILL never costs data.

Real processes on a real store: the CLI runs as a subprocess, is killed with SIGKILL mid-cycle, and
the store and outputs after a rerun are compared byte for byte with an uninterrupted run's.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import NoReturn
from xml.etree import ElementTree

import pytest
from conftest import stored_count

from feeds import pipeline
from feeds.config import load
from feeds.lock import lock_path_for, run_lock
from feeds.store import Store

ROOT = Path(__file__).resolve().parent.parent
POSTS = 2000  # four commit batches: a "mid-ingest" to kill
STALL = 3.0  # seconds the slow feed takes to answer: a run is surely still busy while it waits
SLOW_RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>slow</title><link>http://127.0.0.1/</link><description>d</description>
<item><title>slow item</title><link>http://127.0.0.1/a?infoCode=NWSLOW1</link>
<pubDate>Mon, 24 Jan 2022 14:56:53 +0000</pubDate><description>x</description></item>
</channel></rss>"""


class _SlowFeed(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        time.sleep(STALL)
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(SLOW_RSS)))
        self.end_headers()
        self.wfile.write(SLOW_RSS)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def slow_feed() -> Iterator[str]:
    """A feed on 127.0.0.1 that answers after STALL seconds: keeps a run inside its cycle, on purpose."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowFeed)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slow.xml"
    server.shutdown()


def feeds(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "feeds", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)


def start(config: Path, *args: str) -> subprocess.Popen[bytes]:
    """A background run; output to /dev/null, not pipes, which worker processes could keep open."""
    command = [sys.executable, "-m", "feeds", "--config", str(config), *args]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)


def descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc), e.g. the post-parsing worker pool."""
    found: set[int] = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids = [int(kid) for kid in children.read_text().split()]
        except OSError:
            continue
        for kid in kids:
            found |= {kid} | descendants(kid)
    return found


def alive(pids: set[int]) -> set[int]:
    """The ones still running (a zombie has finished, even if nobody reaped it)."""
    running = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            running.add(pid)
    return running


def sigkill(process: subprocess.Popen[bytes]) -> set[int]:
    """SIGKILL a run; return the processes it had started that outlived it."""
    below = descendants(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    deadline = time.monotonic() + 1.0
    while alive(below) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = alive(below)
    for pid in list(left):  # workers the orphaned pool server forked after we looked
        left |= alive(descendants(pid))
    return left


def reap(pids: set[int]) -> None:
    """Kill leftovers this test started, by id."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def project(folder: Path, posts: Path, remote: str | None = None) -> Path:
    """A config in ``folder`` reading ``posts`` (shared, read only), with its own store and outputs,
    and optionally one remote feed."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    text = "site: {title: 财经新闻聚合, url: https://finews.example.com}\n"
    text += f"local: [{{path: {json.dumps(str(posts))}}}]\n"
    if remote:
        text += (
            f"remote: [{{name: slow, url: {json.dumps(remote)}, category: slow}}]\n"
            "fetch: {timeout: 20s, allow_private: true}\n"  # the feed is on 127.0.0.1
        )
    config.write_text(text, encoding="utf-8")
    return config


def keys_in(db: Path) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
        return [row[0] for row in conn.execute("SELECT key FROM entries")]


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


@pytest.fixture(scope="module")
def many_posts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = importlib.util.spec_from_file_location("genposts", ROOT / "bench" / "genposts.py")
    assert spec is not None and spec.loader is not None
    genposts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(genposts)
    out = tmp_path_factory.mktemp("posts")
    genposts.generate(out, POSTS, paragraphs=1)
    return out


def test_lock_held_by_another_run_exits_75(tmp_path: Path) -> None:
    config = project(tmp_path, tmp_path / "posts")
    (tmp_path / "posts").mkdir()
    with run_lock(tmp_path / "store" / "feeds.db"):
        held = feeds(config, "run", "--once")
    assert held.returncode == 75
    assert "another feeds run holds the lock" in held.stderr
    assert feeds(config, "run", "--once").returncode == 0


def test_two_concurrent_runs_one_succeeds_one_exits_75(
    tmp_path: Path, many_posts: Path, slow_feed: str
) -> None:
    config = project(tmp_path, many_posts, slow_feed)
    lock = lock_path_for(tmp_path / "store" / "feeds.db")
    first = start(config, "run", "--once")
    try:
        wait_for(lambda: lock.exists() and lock.read_text().strip() == str(first.pid))  # first holds it
        second = feeds(config, "run", "--once")
        assert first.poll() is None, "the first run should still be busy"
        assert second.returncode == 75, second.stderr
        assert first.wait(timeout=60) == 0
    finally:
        if first.poll() is None:
            reap(sigkill(first))


def test_a_lock_left_by_a_killed_process_never_blocks(tmp_path: Path) -> None:
    config = project(tmp_path, tmp_path / "posts")
    (tmp_path / "posts").mkdir()
    db = tmp_path / "store" / "feeds.db"
    script = (
        f"from pathlib import Path\nfrom feeds.lock import run_lock\nwith run_lock(Path({str(db)!r})):\n"
        "    print('locked', flush=True)\n    import time; time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    assert lock_path_for(db).exists()  # the file stays; the flock died with its process
    result = feeds(config, "run", "--once")
    assert result.returncode == 0, result.stderr


def without_first_seen(listing: str) -> list[dict[str, object]]:
    """``entries --json`` lines minus when each copy was first seen: the two runs ran at other times."""
    records = [json.loads(line) for line in listing.splitlines()]
    for record in records:
        for copy in record["copies"]:
            del copy["first_seen"]
    return records


def test_sigkill_mid_cycle_then_rerun_converges_to_a_clean_run(
    tmp_path: Path, many_posts: Path, slow_feed: str
) -> None:
    clean = project(tmp_path / "clean", many_posts, slow_feed)
    crashed = project(tmp_path / "crashed", many_posts, slow_feed)
    db = tmp_path / "crashed" / "store" / "feeds.db"

    victim = start(crashed, "run", "--once")
    wait_for(lambda: stored_count(db) > 0 or victim.poll() is not None)  # a batch is committed
    assert victim.poll() is None, "the run ended before it could be killed"  # the slow feed holds it
    reap(sigkill(victim))  # leftover workers: see test_sigkill_leaves_no_worker_processes
    assert 0 < stored_count(db) <= POSTS  # killed while ingesting posts or waiting on the feed
    assert "NWSLOW1" not in {row for row in keys_in(db)}  # and before the remote item was stored
    assert integrity(db) == "ok"
    assert_whole(tmp_path / "crashed" / "public")

    reference = start(clean, "run", "--once")  # the uninterrupted run, alongside the rerun
    rerun = feeds(crashed, "run", "--once")
    assert rerun.returncode == 0, rerun.stderr
    assert reference.wait(timeout=60) == 0

    listings = [start_listing(config) for config in (clean, crashed)]
    entries = [listing.communicate(timeout=60)[0] for listing in listings]
    keys = [json.loads(line)["key"] for line in entries[1].splitlines()]
    assert len(keys) == len(set(keys)) == POSTS + 1  # nothing lost, nothing twice
    assert without_first_seen(entries[0]) == without_first_seen(entries[1])
    assert tree(tmp_path / "clean" / "public") == tree(tmp_path / "crashed" / "public")
    assert integrity(db) == "ok"


def test_sigkill_during_build_never_leaves_a_half_written_feed(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    for n in range(200):
        body = "<p>" + "市场预期逐步改善。" * 400 + "</p>"
        (posts / f"{n}.md").write_text(
            f'---\ntitle: "t{n}"\ndate: 2022-01-{1 + n % 28:02d} 08:00:00 +0800\n'
            f"categories: c{n % 6}\ninfoCode: NW{n}\n---\n{body}\n",
            "utf-8",
        )
    config = project(tmp_path, posts)
    config.write_text(config.read_text(encoding="utf-8") + "feed: {limit: 200}\n", encoding="utf-8")
    assert feeds(config, "run", "--once").returncode == 0
    public = tmp_path / "public"
    reference = tree(public)
    rng = random.Random(4)
    for _ in range(3):
        shutil.rmtree(public, ignore_errors=True)
        build = start(config, "build")
        wait_for(lambda b=build: (public / "feeds").exists() or b.poll() is not None)  # writing has begun
        time.sleep(rng.uniform(0.0, 0.2))
        reap(sigkill(build))
        assert_whole(public)
    assert feeds(config, "build").returncode == 0
    assert {k: v for k, v in tree(public).items() if not is_temp(k)} == reference


def is_temp(relative: str) -> bool:
    """emit's temp file (``.name.XXXX.tmp``): a SIGKILL between write and rename leaves one behind."""
    name = Path(relative).name
    return name.startswith(".") and name.endswith(".tmp")


def assert_whole(public: Path) -> None:
    """Every published file parses completely (XML, JSON); nothing else is there but temp files."""
    for relative, data in tree(public).items() if public.exists() else ():
        if is_temp(relative):
            continue
        if relative.endswith(".json"):
            json.loads(data)
        elif relative.endswith(".html"):
            assert data.rstrip().endswith(b"</html>"), relative  # a page written whole
        elif relative.endswith(".css"):
            assert data.rstrip().endswith(b"}"), relative
        else:
            assert relative.endswith((".xml", ".opml")), relative
            ElementTree.fromstring(data)


def start_listing(config: Path) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "feeds", "--config", str(config), "entries", "--json"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)


def test_sigkill_leaves_no_worker_processes(tmp_path: Path, many_posts: Path) -> None:
    config = project(tmp_path, many_posts)
    victim = start(config, "run", "--once")
    wait_for(lambda: len(descendants(victim.pid)) >= 2 or victim.poll() is not None)  # the pool is up
    assert victim.poll() is None, "the run ended before its pool could be seen"
    leftovers = sigkill(victim)
    reap(leftovers)
    assert victim.returncode == -signal.SIGKILL
    assert not leftovers


def test_a_run_that_died_before_its_build_is_published_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process for speed: a build that dies stands in for a SIGKILL between commit and build
    (a build that merely fails to write a file goes on with the rest: see test_pipeline)."""
    posts = tmp_path / "posts"
    posts.mkdir()
    config = load(project(tmp_path, posts))
    write_post(posts / "a.md", "旧的一条", "NW1")
    with Store.open(config.store_path) as store:
        pipeline.run_cycle(config, store)
        write_post(posts / "b.md", "新的一条", "NW2")
        with monkeypatch.context() as patch:
            patch.setattr(pipeline, "build_dirty", _killed)
            with pytest.raises(SystemExit):
                pipeline.run_cycle(config, store)
        pipeline.run_cycle(config, store)
    category = tmp_path / "public" / "feeds" / "zhengquanshibaowang.atom.xml"
    assert "新的一条" in category.read_text(encoding="utf-8")


def _killed(*args: object) -> NoReturn:
    raise SystemExit("killed after the ingest committed, before the build")


def write_post(path: Path, title: str, code: str) -> None:
    path.write_text(
        f'---\ntitle: "{title}"\ndate: 2022-01-24 22:56:53 +0800\ncategories: zhengquanshibaowang\n'
        f"infoCode: {code}\n---\n<p>{title}</p>\n",
        encoding="utf-8",
    )
