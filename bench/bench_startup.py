"""CLI start-up, as a user pays it: whole ``feeds`` processes, timed over repeated runs.

- ``feeds --help``;
- ``feeds sources`` on an empty store (a config, no posts, no remote feeds);
- an idle cron run: ``feeds run --once`` over ``--posts`` unchanged posts, already built.

Each command runs ``--runs`` times after one warm-up run; the median and the fastest are printed
against the targets (issue 13). Python's own start-up (``python -c pass``) is timed the same way, as
the floor no command can go below, and so is the import of pydantic, which the config needs.

The commands run with Python's bytecode cache on, as an installed ``feeds`` runs (pip compiles it);
a ``PYTHONDONTWRITEBYTECODE`` in the caller's environment would otherwise make every run compile
feeds' own modules again.

``python -m bench.bench_startup [--runs 15] [--posts 10000]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from bench import feeds_command, installed_env
from bench.genposts import generate


def timed(argv: list[str], cwd: Path, runs: int, env: dict[str, str]) -> list[float]:
    subprocess.run(argv, cwd=cwd, capture_output=True, check=True, env=env)  # warm-up: caches, bytecode
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=True, env=env)
        seconds.append(time.perf_counter() - started)
    return seconds


def report(label: str, seconds: list[float], floor: float | None, target: float | None) -> None:
    verdict = (
        "" if target is None else f" (target ≤ {target} s{'' if median(seconds) <= target else ': OVER'})"
    )
    over = "" if floor is None else f", {median(seconds) - floor:.3f} s over the floor"
    print(f"startup {label}: median {median(seconds):.3f} s, fastest {min(seconds):.3f} s{over}{verdict}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--posts", type=int, default=10_000)
    args = parser.parse_args(argv)
    feeds, env = feeds_command(), installed_env()
    with tempfile.TemporaryDirectory(prefix="feeds-bench-startup-") as tmp:
        empty, idle = Path(tmp) / "empty", Path(tmp) / "idle"
        empty.mkdir()
        (empty / "config.yaml").write_text("site: {title: bench}\nstore: store/feeds.db\n", encoding="utf-8")
        idle.mkdir()
        (idle / "config.yaml").write_text(
            "site: {title: bench}\nstore: store/feeds.db\noutput_dir: public\nlocal: [{path: posts}]\n",
            encoding="utf-8",
        )
        generate(idle / "posts", args.posts)
        subprocess.run([*feeds, "run", "--once"], cwd=idle, capture_output=True, check=True, env=env)
        cases = {  # label: (command, folder, target in seconds)
            "python -c pass (floor)": ([sys.executable, "-c", "pass"], empty, None),
            "python -c 'import pydantic.main'": ([sys.executable, "-c", "import pydantic.main"], empty, None),
            "feeds --help": ([*feeds, "--help"], empty, 0.15),
            "feeds sources (empty store)": ([*feeds, "sources"], empty, 0.15),
            f"idle run --once ({args.posts:,} unchanged posts)": ([*feeds, "run", "--once"], idle, 0.4),
        }
        floor = None
        for label, (command, folder, target) in cases.items():
            seconds = timed(command, folder, args.runs, env)
            report(label, seconds, floor, target)
            floor = median(seconds) if floor is None else floor


if __name__ == "__main__":
    main()
