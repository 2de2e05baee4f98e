"""Workers sharing a PostgreSQL store against SQLite's ``run --once``: N sources x 20 items, 50 ms latency.

bench_fetch's feed server (a child process on 127.0.0.1, 50 ms added latency per request) serves N feeds
of ``--items`` items each and counts the requests for every feed. Every configuration gets the same N
sources (interval 1h: each is due exactly once during a measurement) and ``fetch: {allow_private: true,
concurrency: 50, per_host: 50, per_host_delay: 0s}``, no local posts, on a fresh store:

- SQLite: one whole ``feeds run --once`` process (its first cycle: what cron pays);
- PostgreSQL: one ``feeds run --once`` process, then 1, 2, 4 ``feeds worker`` processes started at once
  on a fresh database, stopped with SIGTERM (they must exit 0) once every source is fetched and the
  dirty feeds are built.

All feeds are on one host, and ``per_host`` holds across workers (host turns in the database), so however
many workers there are, at most 50 requests are in flight in all: more workers add parsing and storing
processes, not requests. The floor is N x 50 ms / 50 (5.0 s for 5,000 feeds).

Each configuration reports the seconds until every source was fetched (polled from the store every
0.2 s) and until it was built (a ``run --once`` process: its exit; workers: no dirty feed or month left
and ``all.atom.xml`` written), fetches/s and entries/s over the first, the entries stored and those in
``all``'s monthly archive documents (every stored entry, once built), the requests each source got
(min/max over sources: must be exactly 1), the CPU seconds of the feeds processes, of PostgreSQL and of
the feed server, how often autovacuum analyzed ``copies``, and the ratio to SQLite; a MISMATCH is
printed loudly. One PostgreSQL server (``tests/pgserver.py``) for the whole bench; without PostgreSQL's
binaries the PostgreSQL runs are skipped with a note. At 5,000 sources each PostgreSQL configuration
takes 3-4 minutes on 2 cores (about 14 minutes in all), so ``make bench`` runs 1,000.
``python -m bench.bench_workers [--feeds 5000] [--items 20] [--workers 1,2,4] [--timeout 900]``
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import feeds_command, installed_env
from bench.bench_fetch import CONCURRENCY, LATENCY, config_dict, request_counts, start_server

ROOT = Path(__file__).resolve().parent.parent
POLL = 0.2  # seconds between looks at the store
STOP_WAIT = 60.0  # seconds a worker may take to exit after SIGTERM
TICK = os.sysconf("SC_CLK_TCK")


def load_pgserver() -> ModuleType:
    """The test suite's PostgreSQL server helper (``tests/pgserver.py``; tests/ is not a package)."""
    spec = importlib.util.spec_from_file_location("pgserver", ROOT / "tests" / "pgserver.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pgserver"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def write_config(folder: Path, port: int, feeds: int, store: str) -> Path:
    """bench_fetch's config (concurrency 50, per_host 50, delay 0, allow_private) with interval 1h."""
    config = config_dict(port, feeds)
    config["store"] = store
    config["remote"] = [{**remote, "interval": "1h"} for remote in config["remote"]]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")  # JSON is YAML too
    return path


# ---- CPU accounting (Linux /proc) ---------------------------------------------------------------


def _proc_ticks(pid: int, children: bool) -> int:
    """utime + stime of ``pid`` (and, ``children``, of its children it has reaped), in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0
    # after the command: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14)
    return sum(int(value) for value in fields[11 : 15 if children else 13])


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def postgres_cpu(folder: Path | None) -> float:
    """CPU seconds PostgreSQL has used so far: the postmaster with the backends it has reaped, and its
    live children (0 when there is no server)."""
    if folder is None:
        return 0.0
    try:
        postmaster = int((folder / "data" / "postmaster.pid").read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return 0.0
    ticks = _proc_ticks(postmaster, True) + sum(_proc_ticks(c, False) for c in _children(postmaster))
    return ticks / TICK


def feeds_cpu() -> float:
    """CPU seconds of this process's waited-for children (the feeds processes) so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# ---- one configuration --------------------------------------------------------------------------


@dataclass
class Outcome:
    label: str
    fetched: float | None = None  # seconds from start until every source was fetched
    built: float | None = None  # ... until the dirty feeds were built (all.atom.xml written)
    entries: int = 0
    hits: Counter[int] = field(default_factory=Counter)  # requests per feed number, this run
    exits: list[int | None] = field(default_factory=list)  # the feeds processes' exit codes
    cpu_feeds: float = 0.0
    cpu_postgres: float = 0.0
    cpu_server: float = 0.0
    analyzed: int = -1  # times autovacuum analyzed `copies` (PostgreSQL; -1: SQLite)
    archived: int = 0  # entries in `all`'s monthly archive documents: every stored entry, once built
    problems: list[str] = field(default_factory=list)


@dataclass
class Stores:
    """How to read one configuration's store while it runs."""

    fetched: Callable[[], int]
    dirty: Callable[[], int]  # dirty feeds and months still to build
    entries: Callable[[], int]
    analyzed: Callable[[], int] = lambda: -1  # times autovacuum analyzed `copies` (PostgreSQL)


@contextlib.contextmanager
def sqlite_store(path: Path) -> Iterator[Stores]:
    def query(sql: str) -> int:
        if not path.exists():
            return 0
        try:
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
                return int(conn.execute(sql).fetchone()[0])
        except sqlite3.OperationalError:  # no schema yet
            return 0

    yield Stores(
        lambda: query("SELECT count(*) FROM sources WHERE last_fetch IS NOT NULL"),
        lambda: query("SELECT (SELECT count(*) FROM dirty_feeds) + (SELECT count(*) FROM dirty_months)"),
        lambda: query("SELECT count(*) FROM entries"),
    )


@contextlib.contextmanager
def postgres_store(url: str) -> Iterator[Stores]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:

        def query(sql: str) -> int:
            try:
                row = conn.execute(sql).fetchone()
            except psycopg.errors.UndefinedTable:  # before a worker has made the schema
                return 0
            return int(row[0]) if row else 0

        yield Stores(
            lambda: query("SELECT count(*) FROM sources WHERE last_fetch IS NOT NULL"),
            lambda: query("SELECT (SELECT count(*) FROM dirty_feeds) + (SELECT count(*) FROM dirty_months)"),
            lambda: query("SELECT count(*) FROM entries"),
            lambda: query("SELECT autoanalyze_count FROM pg_stat_user_tables WHERE relname = 'copies'"),
        )


def measure(
    label: str,
    folder: Path,
    command: list[str],
    processes: int,
    stores: Stores,
    args: argparse.Namespace,
    port: int,
    server_pid: int,
    pg_folder: Path | None,
) -> Outcome:
    """Start ``processes`` copies of ``command`` in ``folder`` at once and time them: until every
    source is fetched, then until it is built (a ``run --once``: when it exits; workers: when no dirty
    feed or month is left and ``all.atom.xml`` exists, then they are stopped with SIGTERM)."""
    outcome = Outcome(label)
    is_worker = command[-1] == "worker"
    before = request_counts(port)
    cpu = (feeds_cpu(), postgres_cpu(pg_folder), _proc_ticks(server_pid, False) / TICK)
    atom = folder / "public" / "feeds" / "all.atom.xml"
    logs = [folder / f"process{n}.log" for n in range(processes)]
    started = time.perf_counter()
    running = []
    for log in logs:
        with log.open("wb") as out:
            running.append(
                subprocess.Popen(
                    command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, env=installed_env()
                )
            )
    deadline = started + args.timeout
    try:
        while time.perf_counter() < deadline:
            if outcome.fetched is None and stores.fetched() >= args.feeds:
                outcome.fetched = time.perf_counter() - started
            if is_worker:
                if outcome.fetched is not None and stores.dirty() == 0 and atom.exists():
                    outcome.built = time.perf_counter() - started
                    break
                if any(process.poll() is not None for process in running):
                    outcome.problems.append("a worker exited before the work was done")
                    break
            elif all(process.poll() is not None for process in running):
                outcome.built = time.perf_counter() - started
                if outcome.fetched is None and stores.fetched() >= args.feeds:
                    outcome.fetched = outcome.built  # the last fetches landed between two looks
                break
            time.sleep(POLL)
        else:
            outcome.problems.append(f"gave up after {args.timeout:g} s")
    finally:
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                outcome.exits.append(process.wait(timeout=STOP_WAIT))
            except subprocess.TimeoutExpired:
                outcome.exits.append(None)
                process.kill()
                process.wait()
    outcome.hits = request_counts(port) - before
    outcome.entries = stores.entries()
    outcome.analyzed = stores.analyzed()
    archives = (folder / "public" / "feeds" / "archive" / "all").glob("*.atom.xml")
    outcome.archived = sum(path.read_bytes().count(b"<entry>") for path in archives)
    outcome.cpu_feeds = feeds_cpu() - cpu[0]
    outcome.cpu_postgres = postgres_cpu(pg_folder) - cpu[1]
    outcome.cpu_server = _proc_ticks(server_pid, False) / TICK - cpu[2]
    for log, code in zip(logs, outcome.exits, strict=True):
        if code != 0:
            what = "did not exit within 60 s of SIGTERM" if code is None else f"exited {code}"
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            outcome.problems.append(f"{log.stem} {what}: " + " | ".join(tail))
    if not atom.exists():
        outcome.problems.append("public/feeds/all.atom.xml was not written")
    return outcome


# ---- the report ---------------------------------------------------------------------------------


def describe(outcome: Outcome, args: argparse.Namespace, sqlite: Outcome | None) -> list[str]:
    requests = [outcome.hits[n] for n in range(args.feeds)]
    low, high = min(requests), max(requests)
    lines = [f"  {outcome.label}"]
    if outcome.fetched is not None:
        rate = args.feeds / outcome.fetched
        ratio = ""
        if sqlite is not None and sqlite.fetched and outcome is not sqlite:
            ratio = f" = {sqlite.fetched / outcome.fetched:.2f}x SQLite's rate"
        lines.append(
            f"    all fetched   : {outcome.fetched:7.2f} s = {rate:7.1f} fetches/s, "
            f"{outcome.entries / outcome.fetched:8.0f} entries/s{ratio}"
        )
    else:
        lines.append("    all fetched   : never")
    if outcome.built is not None:
        ratio = ""
        if sqlite is not None and sqlite.built and outcome is not sqlite:
            ratio = f" = {sqlite.built / outcome.built:.2f}x SQLite's speed"
        lines.append(f"    built         : {outcome.built:7.2f} s{ratio}")
    expected = args.feeds * args.items
    entries_note = "" if outcome.entries == expected else f" (MISMATCH: expected {expected:,})"
    lines.append(f"    entries stored: {outcome.entries:,}{entries_note}")
    published = "" if outcome.archived == outcome.entries else " (MISMATCH: not every stored entry)"
    lines.append(f"    in all's archive: {outcome.archived:,}{published}")
    check = "ok" if low == high == 1 else "MISMATCH: every source must be asked exactly once"
    if high <= 1 and outcome.fetched is None:
        check = f"{requests.count(0):,} never asked: the run did not finish"
    lines.append(
        f"    requests/source: min {low}, max {high} ({sum(requests):,} requests for {args.feeds:,} "
        f"sources): {check}"
    )
    lines.append(
        f"    CPU seconds   : feeds {outcome.cpu_feeds:.1f}, PostgreSQL {outcome.cpu_postgres:.1f}, "
        f"feed server {outcome.cpu_server:.1f}"
    )
    if outcome.analyzed >= 0:  # until the first, the build's copy-links query scans `copies` per key
        lines.append(f"    autovacuum    : analyzed `copies` {outcome.analyzed} time(s)")
    exits = ", ".join("none (killed)" if code is None else str(code) for code in outcome.exits)
    lines.append(f"    exit codes    : {exits}")
    lines.extend(f"    PROBLEM: {problem}" for problem in outcome.problems)
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=5000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run, comma-separated")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds one configuration may take")
    args = parser.parse_args(argv)
    counts = [int(part) for part in args.workers.split(",") if part.strip()]
    floor = args.feeds * LATENCY / CONCURRENCY
    print(
        f"{args.feeds:,} sources x {args.items} items from 127.0.0.1, {LATENCY * 1000:.0f} ms latency, "
        f"interval 1h, concurrency {CONCURRENCY}, per_host {CONCURRENCY}, delay 0, no local posts; "
        f"fresh store each; floor {floor:.1f} s; {os.cpu_count()} CPUs"
    )
    print(
        f"  per_host is global across workers: with any number of workers at most {CONCURRENCY} requests "
        "are in flight in all (all feeds share one host)",
        flush=True,
    )
    pgserver = load_pgserver()
    binaries = pgserver.find_binaries()
    feeds = feeds_command()
    process, port = start_server(args.feeds, args.items, LATENCY)
    outcomes: list[Outcome] = []
    sqlite: Outcome | None = None

    def run(label: str, store: str, opened: Any, command: list[str], count: int, pg: Path | None) -> None:
        nonlocal sqlite
        with tempfile.TemporaryDirectory(prefix="feeds-bench-workers-") as tmp:
            folder = Path(tmp)
            config = write_config(folder, port, args.feeds, store)
            with opened(folder) as stores:
                outcome = measure(
                    label, folder, [*feeds, "--config", str(config), *command], count, stores,
                    args, port, process.pid, pg,
                )  # fmt: skip
        if sqlite is None:
            sqlite = outcome
        outcomes.append(outcome)
        print("\n".join(describe(outcome, args, sqlite)), flush=True)

    try:
        sqlite_label = "SQLite, one `feeds run --once` process (first cycle, fresh store)"
        run(
            sqlite_label,
            "store/feeds.db",
            lambda folder: sqlite_store(folder / "store" / "feeds.db"),
            ["run", "--once"],
            1,
            None,
        )
        if binaries is None:
            print(f"  PostgreSQL runs skipped: no PostgreSQL binaries ({pgserver.WHERE})")
        else:
            with pgserver.running(binaries) as server:
                runs = [("PostgreSQL, one `feeds run --once` process", ["run", "--once"], 1)]
                runs += [
                    (f"PostgreSQL, {n} `feeds worker` process{'es' if n > 1 else ''}", ["worker"], n)
                    for n in counts
                ]
                for label, command, count in runs:
                    with server.fresh_database() as url:
                        run(
                            label,
                            url,
                            lambda _, url=url: postgres_store(url),
                            command,
                            count,
                            server.socket_dir,
                        )
    finally:
        process.kill()
        process.join()
    if any(
        outcome.problems
        or {outcome.hits[n] for n in range(args.feeds)} != {1}
        or outcome.entries != outcome.archived
        for outcome in outcomes
    ):
        print("  SOME CONFIGURATIONS HAD PROBLEMS (see above)")


if __name__ == "__main__":
    main()
