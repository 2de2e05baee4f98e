"""Archived feeds (RFC 5005) on a big store: the first full build, and an incremental one.

``--entries`` posts in the seed's format, spread evenly over five years and ten categories, are
ingested by one ``feeds -q run --once`` process. Then, with the output folder emptied, one whole
``feeds build`` process writes every current feed and every monthly archive document (timed, files
counted). Then ``--new`` posts dated in the newest month are added and one ``feeds run --once`` is
timed: only the touched current feeds and archive months may be rewritten, which the bench checks
by comparing every output file's modification time before and after. The biggest archive document
(one month of ``all``) is reported too.

``python -m bench.bench_archive [--entries 100000] [--new 100]``
"""

from __future__ import annotations

import argparse
import random
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bench.bench_rules import CONFIG, run_feeds
from bench.genposts import info_code, post_text

TZ = timezone(timedelta(hours=8))
START = datetime(2021, 1, 1, 8, 0, 0, tzinfo=TZ)
YEARS = 5
CATEGORIES = [(f"lanmu{n:02d}", f"栏目{n:02d}") for n in range(10)]


def write_posts(folder: Path, count: int, first: int, start: datetime, span: timedelta) -> None:
    rng = random.Random(first)
    folder.mkdir(parents=True, exist_ok=True)
    step = span / max(count, 1)
    for number in range(count):
        serial = first + number
        moment = start + step * number
        paper = CATEGORIES[serial % len(CATEGORIES)]
        text = post_text(rng, moment, info_code(moment, serial), paper, paragraphs=4)
        (folder / f"{serial:06d}.txt").write_text(text, encoding="utf-8")


def snapshot(public: Path) -> dict[str, int]:
    return {
        str(path.relative_to(public)): path.stat().st_mtime_ns for path in public.rglob("*") if path.is_file()
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000, help="posts over five years")
    parser.add_argument("--new", type=int, default=100, help="posts added for the incremental build")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="feeds-bench-archive-") as tmp:
        root = Path(tmp)
        span = timedelta(days=365 * YEARS)
        write_posts(root / "posts", args.entries, 0, START, span)
        folder = root / "project"
        folder.mkdir()
        config = folder / "config.yaml"
        config.write_text(CONFIG.format(posts=root / "posts", rules=""), encoding="utf-8")
        ingest = run_feeds(config, "run", "--once")
        public = folder / "public"
        for path in sorted(public.rglob("*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        full = run_feeds(config, "build")
        files = snapshot(public)
        archives = [path for path in public.rglob("archive/*/*.atom.xml")]
        biggest = max(archives, key=lambda path: path.stat().st_size)
        biggest_name, biggest_kib = biggest.relative_to(public), biggest.stat().st_size / 1024
        entries_in_biggest = biggest.read_text("utf-8").count("<entry>")

        newest = START + span - timedelta(days=1)
        write_posts(root / "posts", args.new, args.entries, newest, timedelta(hours=12))
        incremental = run_feeds(config, "run", "--once")
        after = snapshot(public)
        rewritten = sorted(name for name, stamp in after.items() if files.get(name) != stamp)

    print(
        f"archives: {args.entries:,} posts over {YEARS} years and {len(CATEGORIES)} categories "
        f"ingested in {ingest.seconds:.1f} s"
    )
    print(
        f"archive full build: {len(files):,} files ({len(archives):,} archive documents) in "
        f"{full.seconds:.1f} s; biggest archive {biggest_name}: {biggest_kib:.0f} KiB, "
        f"{entries_in_biggest} entries"
    )
    print(
        f"archive incremental: {args.new} new posts in the newest month, one `feeds run --once` in "
        f"{incremental.seconds:.2f} s rewrote {len(rewritten)} files: {', '.join(rewritten[:12])}"
        + (" …" if len(rewritten) > 12 else "")
    )


if __name__ == "__main__":
    main()
