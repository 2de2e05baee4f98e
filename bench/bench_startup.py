"""CLI start-up, as a user pays it: whole ``feeds`` processes, timed over repeated runs.

``feeds --help``, and ``feeds sources`` on an empty store (a config, no posts, no remote feeds).
Each command runs ``--runs`` times; the median and the fastest are printed against the targets
(issue 13: at most 0.15 s each). Python's own start-up (``python -c pass``) is timed the same way,
as the floor no command can go below.

``python -m bench.bench_startup [--runs 15]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

TARGET = 0.15  # seconds


def timed(argv: list[str], cwd: Path, runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
        seconds.append(time.perf_counter() - started)
    return seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    script = Path(sys.executable).with_name("feeds")
    feeds = [str(script)] if script.exists() else [sys.executable, "-m", "feeds"]
    with tempfile.TemporaryDirectory(prefix="feeds-bench-startup-") as tmp:
        folder = Path(tmp)
        (folder / "config.yaml").write_text("site: {title: bench}\nstore: store/feeds.db\n", encoding="utf-8")
        subprocess.run([*feeds, "sources"], cwd=folder, capture_output=True, check=True)  # creates the store
        cases = {
            "python -c pass (floor)": [sys.executable, "-c", "pass"],
            "feeds --help": [*feeds, "--help"],
            "feeds sources (empty store)": [*feeds, "sources"],
        }
        for label, command in cases.items():
            seconds = timed(command, folder, args.runs)
            target = (
                ""
                if "floor" in label
                else f" (target ≤ {TARGET} s{'' if median(seconds) <= TARGET else ': OVER'})"
            )
            print(f"startup {label}: median {median(seconds):.3f} s, fastest {min(seconds):.3f} s{target}")


if __name__ == "__main__":
    main()
