"""`make bench`: run every benchmark in turn and print its figures.

Each module has a ``main(argv)`` and runs in a process of its own, so no benchmark inherits another's
heap: the fetch benchmark forks its workers, and a parent that has just ingested 100,000 posts is not
the process a user's ``feeds run`` would fork them from.
Benchmarks whose module is missing are reported, not fatal. ``python -m bench [--quick]`` scales the
inputs down for a fast look.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time

BENCHES = {
    "bench.bench_ingest": (
        ["--posts", "10000", "--memory-posts", "100000"],
        ["--posts", "2000", "--rounds", "1", "--memory-posts", "0"],
    ),
    "bench.bench_markdown": ([], ["--posts", "300", "--random", "2000"]),
    "bench.bench_fetch": ([], ["--feeds", "200", "--rounds", "1"]),
    # 1,000 sources, not the module's 5,000: each PostgreSQL configuration takes 3-4 minutes at 5,000
    "bench.bench_workers": (["--feeds", "1000"], ["--feeds", "200", "--workers", "1,2"]),
    "bench.bench_merge": ([], ["--posts", "2000"]),
    "bench.bench_rules": ([], ["--posts", "2000", "--copies", "5000"]),
    "bench.bench_retention": ([], ["--entries", "5000"]),
    "bench.bench_archive": ([], ["--entries", "5000", "--new", "20"]),
    "bench.bench_store_copy": ([], ["--entries", "5000"]),
    "bench.bench_startup": ([], ["--runs", "5"]),
    "bench.bench_opml": ([], ["--feeds", "200", "--runs", "3"]),
    "bench.bench_daemon": ([], ["--quick"]),
    "bench.bench_notify": ([], []),
    "bench.bench_serve": ([], []),
}


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    for name, (full, small) in BENCHES.items():
        print(f"== {name}", flush=True)
        if importlib.util.find_spec(name) is None:
            print("   not available")
            continue
        started = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", name, *(small if quick else full)], check=False)
        failed = f", exit {run.returncode}" if run.returncode else ""
        print(f"   ({time.perf_counter() - started:.1f} s{failed})", flush=True)


if __name__ == "__main__":
    main()
