"""`make bench`: run every benchmark in turn and print its figures.

Each module has a ``main(argv)``; benchmarks whose module is missing are reported, not fatal.
``python -m bench [--quick]`` scales the inputs down for a fast look.
"""

from __future__ import annotations

import importlib
import sys
import time

BENCHES = {
    "bench.bench_ingest": (
        ["--posts", "10000", "--memory-posts", "100000"],
        ["--posts", "2000", "--memory-posts", "0"],
    ),
    "bench.bench_fetch": ([], ["--feeds", "200", "--rounds", "1"]),
    "bench.bench_daemon": ([], ["--quick"]),
    "bench.bench_notify": ([], []),
    "bench.bench_serve": ([], []),
}


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    for name, (full, small) in BENCHES.items():
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            print(f"   not available: {exc}")
            continue
        started = time.perf_counter()
        module.main(small if quick else full)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
