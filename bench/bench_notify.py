"""Webhook delivery throughput: 2,000 events × 4 endpoints to a verifying receiver on 127.0.0.1.

The receiver (tests/webhook_receiver.py, a threaded http.server that checks every signature with
the ``standardwebhooks`` library) runs in its own process; delivery runs here through
``deliver_pending``, SQLite bookkeeping included. Target: 500 deliveries/s.
"""

from __future__ import annotations

import argparse
import base64
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from feeds.config import Config
from feeds.merge import MergePolicy
from feeds.model import Category, Entry
from feeds.notify import deliver_pending_sync
from feeds.store import Store

TARGET = 500.0
SECRET = "whsec_" + base64.b64encode(b"bench-secret-0123456789abcdefghij").decode()
TESTS = Path(__file__).resolve().parent.parent / "tests"
NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


def make_entry(n: int) -> Entry:
    when = datetime(2024, 2, 1, tzinfo=UTC)
    body = "<p>" + "证券市场今日收盘。" * 40 + "</p>"
    return Entry(
        key=f"bench-{n}",
        info_code=f"NW{n:018d}",
        title=f"新闻 {n}",
        link=f"https://finews.example.com/{n}",
        content=body,
        summary=None,
        author=None,
        published=when,
        updated=when,
        categories=(Category("markets", "Markets"),),
        tags=(),
        source="bench",
        item_id=str(n),
        content_hash=str(n),
    )


def start_receiver() -> tuple[subprocess.Popen[str], int]:
    code = f"import sys; sys.path.insert(0, {str(TESTS)!r}); import webhook_receiver as w; "
    code += f"w.serve_forever_main(0, {SECRET!r})"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--endpoints", type=int, default=4)
    args = parser.parse_args(argv)
    receiver, port = start_receiver()
    try:
        with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "feeds.db") as store:
            hooks = [
                {"url": f"http://127.0.0.1:{port}/hook/{n}", "secret": SECRET} for n in range(args.endpoints)
            ]
            config = Config.model_validate(
                {"webhooks": hooks, "fetch": {"allow_private": True}, "base_dir": tmp}  # receiver on loopback
            )
            started = time.perf_counter()
            with store.transaction():
                for n in range(args.events):
                    store.entries.apply(make_entry(n), NOW, MergePolicy({}))
            queued = time.perf_counter() - started
            started, cpu = time.perf_counter(), time.process_time()
            report = deliver_pending_sync(config, store, NOW)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        receiver.terminate()
        receiver.wait(10)
    expected = args.events * args.endpoints
    rate = report.delivered / elapsed
    print(f"webhook bench: {args.events:,} events × {args.endpoints} endpoints, receiver verifies signatures")
    print(f"  queued {args.events:,} entries+events in {queued:.2f} s")
    print(f"  delivered {report.delivered:,}/{expected:,} in {elapsed:.2f} s: {rate:,.0f} deliveries/s")
    print(f"  sender CPU {cpu:.2f} s ({cpu / elapsed:.0%} of one core; the rest is the receiver's time)")
    print(f"  target {TARGET:,.0f}/s: {rate / TARGET:.1f}x {'OK' if rate >= TARGET else 'BELOW TARGET'}")
    return 0 if report.delivered == expected and rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
