"""``feeds store copy --to postgresql://…`` on a big store, timed as the whole process a user runs.

``--entries`` posts in the seed's format (``bench/genposts.py``: full articles of twelve paragraphs)
are ingested into a SQLite store by one ``feeds -q run --once`` process; then one
``feeds -q store copy --to URL`` process copies that store into a fresh database of a PostgreSQL
server started as the tests start theirs (``tests/pgserver.py``: ``initdb`` + ``pg_ctl`` in a temp
folder, a Unix socket, fsync and synchronous commit off). Reported: its wall time, entries per
second, rows per second over every table, and its peak RSS (``os.wait4``), which must not grow
with the store (SQLite is read in batches). Without PostgreSQL's server programs the benchmark
prints a note and stops.

``python -m bench.bench_store_copy [--entries 100000]``
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from bench import feeds_command
from bench.bench_ingest import run
from bench.bench_rules import make_project, run_feeds
from bench.genposts import generate

TESTS = Path(__file__).resolve().parent.parent / "tests"
COPIED = re.compile(r"copied ([\d,]+) entries, ([\d,]+) copies.* and ([\d,]+) rows of")
MEMORY_TARGET_MB = 300


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000, help="posts ingested before the copy")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(TESTS))
    import pgserver  # the tests' own server: tests/pgserver.py

    binaries = pgserver.find_binaries()
    if binaries is None:
        print(f"store copy: skipped, PostgreSQL not found ({pgserver.WHERE})")
        return
    with tempfile.TemporaryDirectory(prefix="feeds-bench-copy-") as tmp:
        root = Path(tmp)
        generate(root / "posts", args.entries)
        config = make_project(root / "project", root / "posts", rules="")
        folder = config.parent
        ingest = run_feeds(config, "run", "--once")
        store = folder / "store" / "feeds.db"
        size_mb = sum(path.stat().st_size for path in store.parent.glob("feeds.db*")) / 2**20
        with pgserver.running(binaries) as server, server.fresh_database() as url:
            copy = run(
                [*feeds_command(), "--config", str(config), "-q", "store", "copy", "--to", url], folder
            )

    found = COPIED.search(copy.output)
    if found is None:
        raise SystemExit(f"unexpected output of feeds store copy: {copy.output}")
    entries, copies, others = (int(group.replace(",", "")) for group in found.groups())
    rows = entries + copies + others
    mark = "" if copy.peak_rss_mb < MEMORY_TARGET_MB else ": OVER"
    print(
        f"store copy: {args.entries:,} posts ingested into SQLite in {ingest.seconds:.1f} s "
        f"({size_mb:,.0f} MB)"
    )
    print(
        f"  feeds store copy --to postgresql (whole process): {copy.seconds:.2f} s = "
        f"{entries / copy.seconds:,.0f} entries/s ({rows:,} rows in all, {rows / copy.seconds:,.0f} rows/s, "
        f"{size_mb / copy.seconds:,.1f} MB/s of SQLite store); peak RSS {copy.peak_rss_mb:.0f} MB "
        f"(target < {MEMORY_TARGET_MB} MB{mark})"
    )
    print(f"    {copy.output.strip()}")
    if entries != args.entries or copies != args.entries:
        print(f"  WRONG: {entries:,} entries and {copies:,} copies copied of {args.entries:,}")


if __name__ == "__main__":
    main()
