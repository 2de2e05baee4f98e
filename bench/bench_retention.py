"""Retention (``feed.retain``): one pass deleting old entries from a big store.

``--entries`` posts in the seed's format (bench/genposts.py: one every seven minutes from 2022-01-01)
are ingested by one whole ``feeds -q run --once`` process. Then ``feed.retain`` is set so that about
half of them are older than it, and one whole ``feeds -v run --once`` process is timed: it rescans
the unchanged posts, deletes the old entries with their copies (leaving tombstones) and rebuilds the
feeds they were in. A second run right after, with nothing to delete, is timed too, so the pass's
own cost is (first - second). The log line ``retention: deleted N entries`` gives N, checked against
the store.

``python -m bench.bench_retention [--entries 100000]``
"""

from __future__ import annotations

import argparse
import re
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.bench_rules import make_project, run_feeds
from bench.genposts import generate

START = datetime(2022, 1, 1, tzinfo=UTC)  # bench/genposts.py's first post
MINUTES_APART = 7  # ... and the spacing of the rest
DELETED = re.compile(r"retention: deleted (\d+) entries")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000, help="posts ingested before the pass")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="feeds-bench-retention-") as tmp:
        root = Path(tmp)
        generate(root / "posts", args.entries)
        config = make_project(root / "project", root / "posts", rules="")
        folder = config.parent
        ingest = run_feeds(config, "run", "--once")

        middle = START.timestamp() + args.entries * MINUTES_APART * 60 / 2
        days = int((datetime.now(UTC).timestamp() - middle) / 86400) + 1
        config.write_text(config.read_text("utf-8") + f"feed: {{retain: {days}d}}\n", encoding="utf-8")
        first = run_feeds(config, "run", "--once", verbose=True)
        again = run_feeds(config, "run", "--once", verbose=True)
        found = DELETED.search(first.stderr)
        deleted = int(found.group(1)) if found else 0
        with sqlite3.connect(folder / "store" / "feeds.db") as db:
            left = db.execute("SELECT count(*) FROM entries").fetchone()[0]
            tombstones = db.execute("SELECT count(*) FROM tombstones").fetchone()[0]
            copies = db.execute("SELECT count(*) FROM copies").fetchone()[0]

    alone = first.seconds - again.seconds
    rate = deleted / alone if alone > 0 else float("inf")
    print(f"retention: {args.entries:,} posts ingested in {ingest.seconds:.1f} s; feed.retain: {days}d")
    print(
        f"retention pass: {deleted:,} entries deleted in a {first.seconds:.2f} s run (the same run with "
        f"nothing to delete: {again.seconds:.2f} s), the pass alone {alone:.2f} s = {rate:,.0f} entries/s; "
        f"{left:,} entries, {copies:,} copies and {tombstones:,} tombstones left"
    )
    if deleted != tombstones or left + deleted != args.entries or copies != left:
        print(f"  WRONG: {deleted} deleted, {tombstones} tombstones, {left} entries, {copies} copies")


if __name__ == "__main__":
    main()
