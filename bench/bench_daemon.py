"""The daemon at rest: idle CPU with many remote sources not due, and memory over many local scans.

1. Idle CPU: ``feeds daemon`` as a subprocess with ``--sources`` remote sources whose stored
   ``next_due`` lies hours ahead (nothing to fetch) and the default one-minute local scan of a
   small folder; after startup, utime+stime from ``/proc/<pid>/stat`` over ``--seconds``.
   Target: < 1 % of one core.
2. Memory: ``--cycles`` local-scan jobs of an unchanged folder, in this process, through the
   daemon's own job function; RSS after a warm-up and at the end. Target: growth < 10 %.

``python -m bench.bench_daemon [--sources 1000] [--seconds 20] [--cycles 1000] [--posts 200] [--quick]``
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU_TARGET = 0.01  # of one core
RSS_GROWTH_TARGET = 0.10
WARMUP_CYCLES = 50


def generate_posts(out: Path, count: int) -> None:
    spec = importlib.util.spec_from_file_location("genposts", Path(__file__).with_name("genposts.py"))
    assert spec is not None and spec.loader is not None
    genposts = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(genposts)
    genposts.generate(out, count, paragraphs=3)


def write_config(folder: Path, sources: int) -> Path:
    """``sources`` remote sources on a closed local port (nothing would answer if one were fetched)."""
    remote = "".join(
        f"  - {{name: s{n:04d}, url: 'http://127.0.0.1:9/feed/{n}.xml', interval: 15m}}\n"
        for n in range(sources)
    )
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.yaml"
    config.write_text(
        "site: {title: bench, url: https://bench.example.com}\nlocal: [{path: posts}]\n"
        + (f"remote:\n{remote}" if sources else ""),
        encoding="utf-8",
    )
    return config


def mark_not_due(config_path: Path, ahead: timedelta) -> None:
    """Store every source as fetched just now and next due ``ahead`` (the bench's only raw SQL)."""
    from feeds.config import load
    from feeds.store import Store
    from feeds.timefmt import iso, utcnow

    config = load(config_path)
    with Store.open(config.store_path) as store:
        store.sources.sync(config.remote)
        now = utcnow()
        with store.transaction():
            store.conn.execute(
                "UPDATE sources SET last_fetch = ?, next_due = ?", (iso(now), iso(now + ahead))
            )


def cpu_seconds(pid: int) -> float:
    """utime + stime of ``pid`` and its reaped children, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def idle_cpu(folder: Path, sources: int, seconds: float) -> tuple[float, int]:
    """Fraction of one core the daemon uses while nothing is due, and fetches it tried (should be 0)."""
    config = write_config(folder, sources)
    (folder / "posts").mkdir(exist_ok=True)
    mark_not_due(config, timedelta(hours=6))
    command = [sys.executable, "-m", "feeds", "--config", str(config), "-v", "daemon"]
    with (folder / "daemon.log").open("wb") as log:
        daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT)
    try:
        time.sleep(3.0)  # startup: imports, full build, first local scan
        if daemon.poll() is not None:
            raise SystemExit(f"daemon exited early: {(folder / 'daemon.log').read_text()}")
        before, started = cpu_seconds(daemon.pid), time.monotonic()
        time.sleep(seconds)
        used, elapsed = cpu_seconds(daemon.pid) - before, time.monotonic() - started
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=15)
    fetches = (folder / "daemon.log").read_text(encoding="utf-8").count(": fetch s")
    return used / elapsed, fetches


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def scan_memory(folder: Path, posts: int, cycles: int) -> tuple[int, int, float]:
    """RSS after the warm-up and after ``cycles`` unchanged local scans, and seconds per scan."""
    from feeds.config import load
    from feeds.daemon import Daemon
    from feeds.store import Store

    generate_posts(folder / "posts", posts)
    config = load(write_config(folder, 0))
    with Store.open(config.store_path) as store:
        daemon = Daemon(config, store)

        async def scans() -> tuple[int, int, float]:
            await daemon.scan_local()  # the first scan stores the posts
            for _ in range(WARMUP_CYCLES):
                await daemon.scan_local()
            before = rss_bytes()
            started = time.perf_counter()
            for _ in range(cycles):
                await daemon.scan_local()
            per_scan = (time.perf_counter() - started) / max(cycles, 1)
            return before, rss_bytes(), per_scan

        return asyncio.run(scans())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench_daemon", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--quick", action="store_true", help="200 sources, 5 s, 200 cycles")
    args = parser.parse_args(argv)
    if args.quick:
        args.sources, args.seconds, args.cycles = min(args.sources, 200), min(args.seconds, 5.0), 200
    with tempfile.TemporaryDirectory(prefix="bench_daemon_") as tmp:
        cpu, fetches = idle_cpu(Path(tmp) / "idle", args.sources, args.seconds)
        before, after, per_scan = scan_memory(Path(tmp) / "scan", args.posts, args.cycles)
    growth = (after - before) / before
    print(
        f"   idle CPU, {args.sources} sources not due, {args.seconds:g} s: {cpu:.3%} of a core "
        f"(target < {CPU_TARGET:.0%}: {verdict(cpu < CPU_TARGET)}); fetches logged: {fetches}"
    )
    print(
        f"   RSS over {args.cycles} local scans of {args.posts} unchanged posts: "
        f"{before / 2**20:.1f} MiB -> {after / 2**20:.1f} MiB, growth {growth:+.1%} "
        f"(target < {RSS_GROWTH_TARGET:.0%}: {verdict(growth < RSS_GROWTH_TARGET)}); "
        f"{per_scan * 1000:.2f} ms a scan"
    )


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


if __name__ == "__main__":
    main(sys.argv[1:])
