"""Local posts: first ingest + build, unchanged rescan, and peak memory.

Runs each measurement in a fresh subprocess so peak RSS (``ru_maxrss``) belongs to that run alone.
``python -m bench.bench_ingest [--posts 10000] [--memory-posts 100000]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CONFIG = """\
site: {title: bench, url: https://bench.example.com, timezone: Asia/Shanghai}
store: store/feeds.db
output_dir: public
local: [{path: posts}]
"""


def measure(folder: str) -> None:
    """Child process: first cycle, then an unchanged cycle; prints JSON figures."""
    from feeds.config import load
    from feeds.pipeline import run_cycle
    from feeds.store import Store

    config = load(Path(folder) / "config.yaml")
    with Store.open(config.store_path) as store:
        started = time.perf_counter()
        first = run_cycle(config, store).summary
        first_seconds = time.perf_counter() - started
        first_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        again = run_cycle(config, store).summary
        rescan_seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "first_seconds": first_seconds,
                "rescan_seconds": rescan_seconds,
                "new": first.new,
                "failed": first.failed,
                "rescan_new": again.new,
                "peak_rss_mb": first_rss / 1024,
            }
        )
    )


def run_child(folder: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_ingest", "--child", str(folder)],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def prepare(root: Path, count: int) -> Path:
    from bench.genposts import generate

    folder = root / f"posts-{count}"
    (folder / "posts").mkdir(parents=True)
    (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
    generate(folder / "posts", count)
    return folder


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--memory-posts", type=int, default=100_000, help="0 skips the memory run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        measure(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="feeds-bench-") as tmp:
        figures = run_child(prepare(Path(tmp), args.posts))
        rate = figures["new"] / figures["first_seconds"]
        ratio = figures["first_seconds"] / max(figures["rescan_seconds"], 1e-9)
        print(f"local posts: {args.posts:,} generated in the seed's format")
        first, rescan = figures["first_seconds"], figures["rescan_seconds"]
        print(f"  first ingest + build : {first:.2f} s  = {rate:,.0f} posts/s  (target >= 2,000/s)")
        print(f"  unchanged rescan     : {rescan:.3f} s  = {ratio:.0f}x faster than first (target >= 20x)")
        print(f"  peak RSS             : {figures['peak_rss_mb']:.0f} MB")
        print(f"  vs Jekyll 4.3.1 + jekyll-feed (43/s): {rate / 43:.0f}x; 4.3.2 (370/s): {rate / 370:.1f}x")
        if args.memory_posts:
            big = run_child(prepare(Path(tmp), args.memory_posts))
            print(
                f"  {args.memory_posts:,} posts: peak RSS {big['peak_rss_mb']:.0f} MB (target < 300 MB), "
                f"first {big['first_seconds']:.1f} s = {big['new'] / big['first_seconds']:,.0f} posts/s"
            )


if __name__ == "__main__":
    main()
