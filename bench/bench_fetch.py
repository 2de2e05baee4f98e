"""Remote feeds: fetch + parse + store N feeds over HTTP, then the all-304 cycle; vs a floor and feedparser.

A separate process serves N feeds x 50 items from 127.0.0.1 (asyncio, 50 ms added latency per
request, ETag / 304). The fetcher runs with concurrency 50, per_host 50, per_host_delay 0, so the
floor is N x 50 ms / 50 (1.0 s for 1,000 feeds). ``feedparser.parse(url)`` in a sequential loop is
timed over a sample and extrapolated (said so in the output).

Two measurements:
- in this process, through ``pipeline.ingest_remote``, against a keep-alive server;
- as users pay it: whole ``feeds run --once`` processes (the first cycle, then ``--all`` for the
  all-304 cycle), against a keep-alive server and against one that closes the connection after
  every response, as thousands of different hosts would make the fetcher open a connection per feed.
Each round runs the cycles on a fresh store and then times the sequential loop on the same server,
and the medians are reported: this shared machine's speed drifts by tens of percent.
``python -m bench.bench_fetch [--feeds 1000] [--items 50] [--sample 40] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import re
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from statistics import median
from typing import Any

from bench import feeds_command, installed_env

LATENCY = 0.05
BLURB = "据Wind数据，今日沪深两市成交额1.02万亿元，北向资金净买入52.3亿元。"
CONCURRENCY = 50
_PATH = re.compile(rb"^GET /feed/(\d+)\.xml ")


# ---- the server (child process) -----------------------------------------------------------------


def feed_body(number: int, items: int) -> bytes:
    """One RSS 2.0 feed in the seed's style: Chinese finance items, each with its own infoCode link."""
    parts = []
    for i in range(items):
        code = f"NWB{number:05d}{i:04d}"
        parts.append(
            f"<item><title>第{number}号源快讯{i}：沪深两市成交额突破万亿元</title>"
            f"<link>http://finews.zning.xyz/html_News/NewsShare.html?infoCode={code}</link>"
            f'<guid isPermaLink="false">{code}</guid><category>证券时报网新闻</category>'
            f"<description><![CDATA[<p>{BLURB * 4}</p>"
            f'<p class="em_media">（文章来源：证券时报网）</p>]]></description>'
            f"<pubDate>Tue, 25 Jan 2022 {i % 24:02d}:{number % 60:02d}:00 +0800</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>基准源{number}</title><link>http://finews.zning.xyz/</link>{''.join(parts)}</channel></rss>"
    ).encode()


def serve(port_box: Any, feeds: int, items: int, latency: float, close: bool) -> None:
    """Child process: serve /feed/<n>.xml until killed; ``close``: one response per connection.
    It counts each feed's requests and answers ``GET /stats`` with the counts so far
    (``request_counts``)."""
    bodies = [feed_body(n, items) for n in range(feeds)]
    hits: Counter[int] = Counter()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(latency)
                stats = head.startswith(b"GET /stats ")
                writer.write(_stats(hits) if stats else _answer(head, bodies, close, hits))
                await writer.drain()
                if close or b"connection: close" in head.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port_box.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def _stats(hits: Counter[int]) -> bytes:
    """The requests per feed so far, as JSON ``{"<n>": count}`` (this response closes the connection)."""
    body = json.dumps({str(number): count for number, count in hits.items()}).encode()
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def _answer(head: bytes, bodies: list[bytes], close: bool, hits: Counter[int]) -> bytes:
    connection = b"Connection: close\r\n" if close else b""
    match = _PATH.match(head)
    if not match or int(match.group(1)) >= len(bodies):
        return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" + connection + b"\r\n"
    number = int(match.group(1))
    hits[number] += 1
    etag = f'"{number}-v1"'.encode()
    if b"if-none-match: " + etag in head.lower():
        return b"HTTP/1.1 304 Not Modified\r\nETag: " + etag + b"\r\n" + connection + b"\r\n"
    body = bodies[number]
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml; charset=utf-8\r\nETag: "
        + etag
        + f"\r\nContent-Length: {len(body)}\r\n".encode()
        + connection
        + b"\r\n"
        + body
    )


def start_server(
    feeds: int, items: int, latency: float, close: bool = False
) -> tuple[multiprocessing.process.BaseProcess, int]:
    context = multiprocessing.get_context("spawn")
    box = context.Queue()
    process = context.Process(target=serve, args=(box, feeds, items, latency, close), daemon=True)
    process.start()
    return process, int(box.get(timeout=60))


def request_counts(port: int) -> Counter[int]:
    """Requests the server has had for each feed number so far (its ``/stats``)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=30) as answer:
        return Counter({int(number): count for number, count in json.load(answer).items()})


# ---- the client (this process) ------------------------------------------------------------------


def config_dict(port: int, feeds: int) -> dict[str, Any]:
    """The benchmark's config as a user would write it (JSON is YAML too)."""
    remotes = [
        {
            "name": f"feed{n:05d}",
            "url": f"http://127.0.0.1:{port}/feed/{n}.xml",
            "category": "zhengquanshibaowang",
        }
        for n in range(feeds)
    ]
    return {
        "site": {"title": "bench", "url": "https://bench.example.com"},
        "store": "store/feeds.db",
        "output_dir": "public",
        "remote": remotes,
        "categories": {"zhengquanshibaowang": {"title": "证券时报网"}},
        "fetch": {
            "concurrency": CONCURRENCY,
            "per_host": CONCURRENCY,
            "per_host_delay": 0,
            "allow_private": True,  # the feeds are served from 127.0.0.1
        },
    }


def make_config(port: int, feeds: int, root: Path) -> Any:
    from feeds.config import Config

    return Config.model_validate({**config_dict(port, feeds), "base_dir": str(root)})


async def cycle(config: Any, store: Any, now: Any, force_all: bool) -> dict[str, float]:
    """One remote cycle through the pipeline itself (fetch, parse, normalize in workers, store)."""
    from feeds.pipeline import ingest_remote

    started = time.perf_counter()
    summary = await ingest_remote(config, store, now, force_all=force_all)
    seconds = time.perf_counter() - started
    statuses = [status.status for status in store.sources.statuses()]
    return {
        "seconds": seconds,
        "new": summary.new,
        "failed": summary.failed,
        "unchanged": sum(1 for status in statuses if status == "304"),
    }


async def fetch_only(config: Any, store: Any, now: Any, clients: int | None) -> float:
    """All sources as first-time 200s (no validators), fetched and parsed but not stored."""
    from feeds.sources.remote import Fetcher, plan_fetches

    rows = [replace(row, etag=None, last_modified=None, body_hash=None) for row in store.sources.rows()]
    plans = plan_fetches(config, rows, {}, now, force_all=True)
    started = time.perf_counter()
    async with Fetcher(config.fetch, now, parse_only, clients=clients) as fetcher:
        async for result in fetcher.run(plans):
            assert result.failure is None, result.failure
    return time.perf_counter() - started


async def parse_only(body: bytes, context: Any, content_type: str | None) -> Any:
    """The fetcher's parse step for ``fetch_only``: the parser in the loop, no normalizing, no
    entries kept (this figure is the fetcher's and the parser's)."""
    from feeds.parse.feed import parse_feed

    return parse_feed(body, context, content_type=content_type).with_items(())


def sequential_feedparser(port: int, sample: int) -> float:
    import feedparser

    started = time.perf_counter()
    for n in range(sample):
        parsed = feedparser.parse(f"http://127.0.0.1:{port}/feed/{n}.xml")
        assert parsed.entries, parsed.get("bozo_exception")
    return time.perf_counter() - started


def parse_costs(items: int) -> tuple[float, float]:
    """Milliseconds per feed: the lxml fast path and feedparser, on one benchmark feed."""
    from zoneinfo import ZoneInfo

    from feeds.parse.feed import ParseContext, parse_feed
    from feeds.timefmt import utcnow

    body = feed_body(1, items)
    context = ParseContext("bench", "http://127.0.0.1/feed/1.xml", utcnow(), ZoneInfo("Asia/Shanghai"))
    costs = []
    for fast in (True, False):
        rounds = 40 if fast else 10
        started = time.perf_counter()
        for _ in range(rounds):
            parse_feed(body, context, fast=fast)
        costs.append((time.perf_counter() - started) / rounds * 1000)
    return costs[0], costs[1]


@dataclass(frozen=True)
class Round:
    """One round: a fresh store's first cycle and all-304 cycle, and the sequential loop timed
    right after them (this machine's speed drifts, so each round compares like with like)."""

    first: dict[str, float]
    second: dict[str, float]
    sequential: float  # seconds for all feeds, extrapolated from the sample

    @property
    def first_speedup(self) -> float:
        return self.sequential / self.first["seconds"]

    @property
    def second_speedup(self) -> float:
        return self.sequential / self.second["seconds"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument(
        "--sample", type=int, default=40, help="feeds timed for the sequential feedparser loop, per round"
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds (fresh store each); medians reported")
    parser.add_argument("--compare-clients", action="store_true", help="also time 1, default and 50 clients")
    args = parser.parse_args(argv)

    process, port = start_server(args.feeds, args.items, LATENCY)
    try:
        rounds = []
        client_times: dict[int | None, float] = {}
        for number in range(args.rounds):
            rounds.append(one_round(args, port, client_times if number == 0 else None))
        fast_ms, slow_ms = parse_costs(args.items)
    finally:
        process.kill()
        process.join()
    report(args, rounds, fast_ms, slow_ms, client_times)
    for close in (False, True):
        process, port = start_server(args.feeds, args.items, LATENCY, close)
        try:
            runs = [process_round(args, port) for _ in range(args.rounds)]
        finally:
            process.kill()
            process.join()
        report_processes(args, runs, close)


def one_round(args: argparse.Namespace, port: int, client_times: dict[int | None, float] | None) -> Round:
    """Both cycles on a fresh store, then the sequential sample; ``client_times`` is filled if given."""
    from feeds.store import Store
    from feeds.timefmt import utcnow

    with tempfile.TemporaryDirectory(prefix="feeds-bench-fetch-") as tmp:
        config = make_config(port, args.feeds, Path(tmp))
        with Store.open(Path(tmp) / "feeds.db") as store:
            now = utcnow()
            first = asyncio.run(cycle(config, store, now, force_all=False))
            second = asyncio.run(cycle(config, store, now + timedelta(seconds=1), force_all=True))
            if client_times is not None:
                client_times[None] = asyncio.run(fetch_only(config, store, now, None))
                if args.compare_clients:
                    for clients in (1, None, CONCURRENCY):
                        client_times[clients] = asyncio.run(fetch_only(config, store, now, clients))
    sample = min(args.sample, args.feeds)
    sequential = sequential_feedparser(port, sample) * args.feeds / sample
    return Round(first, second, sequential)


@dataclass(frozen=True)
class ProcessRound:
    """Whole ``feeds`` processes on a fresh store: the first cycle and the all-304 ``--all`` cycle,
    then the sequential loop on the same server."""

    first: float
    second: float
    sequential: float
    first_line: str
    second_line: str


def process_round(args: argparse.Namespace, port: int) -> ProcessRound:
    feeds, env = feeds_command(), installed_env()
    with tempfile.TemporaryDirectory(prefix="feeds-bench-fetch-") as tmp:
        folder = Path(tmp)
        (folder / "config.yaml").write_text(json.dumps(config_dict(port, args.feeds)), encoding="utf-8")
        times, lines = [], []
        for extra in ([], ["--all"]):
            started = time.perf_counter()
            done = subprocess.run(
                [*feeds, "run", "--once", *extra], cwd=folder, capture_output=True, text=True, env=env
            )
            times.append(time.perf_counter() - started)
            if done.returncode != 0:
                raise SystemExit(f"feeds run --once {' '.join(extra)} failed: {done.stderr[-2000:]}")
            lines.append(done.stdout.strip().splitlines()[-1])
    sample = min(args.sample, args.feeds)
    sequential = sequential_feedparser(port, sample) * args.feeds / sample
    return ProcessRound(times[0], times[1], sequential, lines[0], lines[1])


def report_processes(args: argparse.Namespace, runs: list[ProcessRound], close: bool) -> None:
    """The issue's targets: a first cycle at least 15x the sequential loop, an all-304 cycle at
    most twice the floor."""
    floor = args.feeds * LATENCY / CONCURRENCY
    server = "closing every connection" if close else "keep-alive"
    firsts, seconds = [r.first for r in runs], [r.second for r in runs]
    speedups = [r.sequential / r.first for r in runs]
    first_ok = "met" if median(speedups) >= 15 else "MISSED"
    second_ok = "met" if median(seconds) <= 2 * floor else "MISSED"
    print(f"whole processes, server {server}: median of {len(runs)} round(s), each on a fresh store")
    print(
        f"  feeds run --once (first)        : {median(firsts):.2f} s {_spread(firsts)} = "
        f"{median(speedups):.1f}x the sequential loop (target >= 15x: {first_ok})  [{runs[0].first_line}]"
    )
    print(
        f"  feeds run --once --all (all 304): {median(seconds):.2f} s {_spread(seconds)} = "
        f"floor x {median(seconds) / floor:.1f} (target <= 2x: {second_ok})  [{runs[0].second_line}]"
    )
    sequential = [r.sequential for r in runs]
    print(f"  sequential feedparser.parse(url): {median(sequential):.1f} s {_spread(sequential, 1)}")


def report(
    args: argparse.Namespace,
    rounds: list[Round],
    fast_ms: float,
    slow_ms: float,
    client_times: dict[int | None, float],
) -> None:
    floor = args.feeds * LATENCY / CONCURRENCY
    firsts = [r.first["seconds"] for r in rounds]
    seconds = [r.second["seconds"] for r in rounds]
    sample = min(args.sample, args.feeds)
    print(
        f"remote feeds: {args.feeds:,} x {args.items} items from 127.0.0.1, {LATENCY * 1000:.0f} ms latency, "
        f"concurrency {CONCURRENCY}, per_host {CONCURRENCY}, delay 0; "
        f"median of {len(rounds)} round(s), each on a fresh store"
    )
    first, second = rounds[0].first, rounds[0].second
    print(
        f"  first cycle (200, parse + store): {median(firsts):.2f} s {_spread(firsts)} = "
        f"{floor:.1f} s floor x {median(firsts) / floor:.1f}  "
        f"({int(first['new']):,} new entries, {int(first['failed'])} failed)"
    )
    print(
        f"  second cycle (all 304)          : {median(seconds):.2f} s {_spread(seconds)} = "
        f"floor x {median(seconds) / floor:.1f}  "
        f"({int(second['unchanged']):,} unchanged, {int(second['failed'])} failed)"
    )
    sequential = [r.sequential for r in rounds]
    print(
        f"  sequential feedparser.parse(url): {median(sequential):.1f} s {_spread(sequential, 1)} for "
        f"{args.feeds:,} feeds (timed on {sample} per round, extrapolated)"
    )
    per_round = ", ".join(f"{r.first_speedup:.1f}x" for r in rounds)
    print(
        f"  speed-up over it, same round    : first cycle {median([r.first_speedup for r in rounds]):.1f}x "
        f"(rounds: {per_round}), 304 cycle {median([r.second_speedup for r in rounds]):.0f}x"
    )
    print(
        f"  parse one {args.items}-item feed      : lxml fast path {fast_ms:.1f} ms, "
        f"feedparser {slow_ms:.1f} ms"
    )
    for clients, elapsed in client_times.items():
        label = "default pool" if clients is None else f"{clients} client(s)"
        print(f"  fetch + parse only, {label:<13}: {elapsed:.2f} s")


def _spread(values: list[float], digits: int = 2) -> str:
    return f"({min(values):.{digits}f}-{max(values):.{digits}f})" if len(values) > 1 else ""


if __name__ == "__main__":
    main()
