"""Local posts as a user pays for them: whole ``feeds -q run --once`` processes.

On ``--posts`` posts in the seed's format (``bench/genposts.py``):

- the first run on an empty store (read, parse, render, sanitize, store, build every output), in
  posts per second of the whole process, against the target (issue 13: at least 2,500/s);
- the baseline: a plain loop, ``frontmatter.load`` + markdown-it-py's ``render`` over the same files,
  also a whole process, run in turns with the first runs so both see the same machine;
- the unchanged rescan (a second run), and the peak memory of a first run on ``--memory-posts``.

The machine is shared and its speed drifts, so each figure is the median of ``--rounds`` rounds,
each round one baseline and one first run back to back, and the ratio is taken per round.
Peak RSS comes from ``os.wait4`` (the process and the workers it waited for).
``python -m bench.bench_ingest [--posts 10000] [--rounds 3] [--memory-posts 100000]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from bench import feeds_command

TARGET = 2500  # posts/s, a whole first `feeds run --once` (issue 13)
RESCAN_TARGET = 20  # the unchanged rescan at least this many times faster than the first run
MEMORY_TARGET_MB = 300

CONFIG = """\
site: {title: bench, url: https://bench.example.com, timezone: Asia/Shanghai}
store: store/feeds.db
output_dir: public
local: [{path: posts}]
"""

# The loop a user would write without feeds: read each post's front matter, render its body.
BASELINE = """\
import sys
from pathlib import Path
import frontmatter
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark", {"html": True})
count = 0
for path in sorted(Path(sys.argv[1]).iterdir()):
    post = frontmatter.load(path)
    md.render(post.content)
    count += 1
print(count)
"""


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float
    output: str


def run(command: list[str], cwd: Path) -> Run:
    """One whole process, timed from spawn to exit; peak RSS from ``wait4``."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert child.stdout is not None
    output = child.stdout.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {child.returncode}:\n{output}")
    return Run(seconds, usage.ru_maxrss / 1024, output)


def prepare(root: Path, count: int) -> Path:
    from bench.genposts import generate

    folder = root / f"posts-{count}"
    (folder / "posts").mkdir(parents=True)
    (folder / "config.yaml").write_text(CONFIG, encoding="utf-8")
    generate(folder / "posts", count)
    return folder


def first_run(folder: Path) -> Run:
    """``feeds -q run --once`` on an empty store and output folder."""
    for made in ("store", "public"):
        shutil.rmtree(folder / made, ignore_errors=True)
    return run([*feeds_command(), "-q", "run", "--once"], folder)


def baseline(folder: Path) -> Run:
    result = run([sys.executable, "-c", BASELINE, str(folder / "posts")], folder)
    if not result.output.strip().endswith(str(len(os.listdir(folder / "posts")))):
        raise SystemExit(f"baseline loop did not read every post: {result.output}")
    return result


def rate(posts: int, seconds: float) -> str:
    return f"{seconds:.2f} s = {posts / seconds:,.0f} posts/s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-posts", type=int, default=100_000, help="0 skips the memory run")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="feeds-bench-") as tmp:
        folder = prepare(Path(tmp), args.posts)
        loops, firsts = [], []
        for _ in range(args.rounds):
            loops.append(baseline(folder).seconds)
            firsts.append(first_run(folder))
        rescan = run([*feeds_command(), "-q", "run", "--once"], folder).seconds
        first = median(r.seconds for r in firsts)
        loop = median(loops)
        ratios = sorted(lp / f.seconds for lp, f in zip(loops, firsts, strict=True))
        achieved = args.posts / first
        verdict = "met" if achieved >= TARGET else "MISSED"
        print(f"local posts: {args.posts:,} generated in the seed's format, median of {args.rounds} rounds")
        print(f"  feeds -q run --once, first run (whole process): {rate(args.posts, first)}")
        print(f"    rounds: {', '.join(f'{args.posts / r.seconds:,.0f}/s' for r in firsts)}")
        print(f"    target >= {TARGET:,}/s: {verdict}")
        print(f"  baseline: frontmatter.load + markdown-it loop (whole process): {rate(args.posts, loop)}")
        print(
            f"  feeds first run vs the baseline loop: {median(ratios):.2f}x its speed "
            f"(rounds {ratios[0]:.2f}x to {ratios[-1]:.2f}x)"
        )
        speedup = first / max(rescan, 1e-9)
        mark = "" if speedup >= RESCAN_TARGET else ": MISSED"
        print(
            f"  unchanged rescan (whole process): {rescan:.3f} s = {speedup:.0f}x faster than the first "
            f"(target >= {RESCAN_TARGET}x{mark})"
        )
        print(f"  peak RSS of a first run: {max(r.peak_rss_mb for r in firsts):.0f} MB")
        if args.memory_posts:
            shutil.rmtree(folder)
            big = first_run(prepare(Path(tmp), args.memory_posts))
            mark = "" if big.peak_rss_mb < MEMORY_TARGET_MB else ": OVER"
            print(
                f"  {args.memory_posts:,} posts: peak RSS {big.peak_rss_mb:.0f} MB "
                f"(target < {MEMORY_TARGET_MB} MB{mark}), first run {rate(args.memory_posts, big.seconds)}"
            )


if __name__ == "__main__":
    main()
