"""Merge: local posts plus 3 remote feeds carrying copies of 30 % of them, as cron runs it.

``--posts`` posts in the seed's format (bench/genposts.py), and three feed files on disk (RSS 2.0,
Atom 1.0, JSON Feed 1.1) that together carry one copy each of ``--share`` of the posts: the post's
infoCode in the item's link (``https://othersite.example/a?infoCode=NW…``), a shorter title and
summary of the item's own, its own date and a category of its own. Every chosen post is in exactly
one feed; each feed stays far below ``fetch.max_bytes`` (checked) and nothing caps items per feed.

Each measurement is a whole process, ``.venv/bin/feeds --config X -q run --once``, in a fresh
project folder: (a) posts only, (b) posts + the 3 feed files (plain paths in ``remote:``). Per
folder: the first run, then an unchanged rerun with ``--all`` added, so (b)'s feeds are read again
(their bodies are unchanged, so they are not parsed); without it they would not be due for 15 min
and the rerun would not touch them at all. Each round runs (a) and (b) back to back, in alternating
order, and compares them: this shared machine's speed drifts by tens of percent, so the medians of
``--rounds`` rounds are reported, with every round's (b)/(a) ratio (the issue's budget: +15 %).

Store size: after (b)'s rerun the WAL is checkpointed (TRUNCATE) from a separate connection and the
file sizes are added up; copies are counted in ``copies`` if that table exists, else in
``entry_sources``.
``python -m bench.bench_merge [--posts 10000] [--share 0.3] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from statistics import median
from xml.sax.saxutils import escape, quoteattr

from bench import feeds_command

FEED_DIR = "remote-feeds"  # not "feeds": `python -m feeds` run there would import that folder
BUDGET = 0.15  # merge overhead allowed over the same run without the remote copies
SEED = 20220125
CONFIG = """\
site: {title: bench, url: https://bench.example.com, timezone: Asia/Shanghai}
store: store/feeds.db
output_dir: public
local: [{path: posts}]
"""
# (source name, file, format, the category every item of that feed carries)
FEEDS = (
    ("copies-rss", "copies.rss.xml", "RSS 2.0", "快讯"),
    ("copies-atom", "copies.atom.xml", "Atom 1.0", "要闻"),
    ("copies-json", "copies.json", "JSON Feed 1.1", "市场动态"),
)
_FRONT = re.compile(r'^title: "(?P<title>.*)"\ndate: (?P<date>.+)\ncategories: (?P<slug>\S+)\n', re.MULTILINE)
_CODE = re.compile(r"infoCode=(NW\d+)")


@dataclass(frozen=True, slots=True)
class Post:
    """What a remote copy needs of a generated post."""

    code: str
    title: str
    moment: datetime


@dataclass(frozen=True, slots=True)
class Copy:
    """One remote item: a shorter, reworded copy of a post, with a date of its own."""

    code: str
    title: str
    summary: str
    moment: datetime

    @property
    def link(self) -> str:
        return f"https://othersite.example/a?infoCode={self.code}"


@dataclass(frozen=True, slots=True)
class StoreSize:
    """A store after a folder's two runs: bytes on disk (WAL checkpointed) and row counts."""

    bytes: int
    free: int  # bytes of free pages inside the file (space freed by updates, reused later)
    entries: int
    copies: int
    table: str  # where the copies were counted
    table_bytes: int | None  # that table and its indexes (dbstat), if dbstat is available
    fetches: int | None  # fetch_log rows: 2 per feed once the rerun has read them again


@dataclass(frozen=True, slots=True)
class Folder:
    """One project folder's measurements."""

    first: float  # seconds, whole process
    rerun: float
    first_line: str  # the run's summary line ("N new, N updated, ...")
    rerun_line: str
    store: StoreSize


@dataclass(frozen=True, slots=True)
class Round:
    plain: Folder  # (a) posts only
    merged: Folder  # (b) posts + the remote copies

    @property
    def first_ratio(self) -> float:
        return self.merged.first / self.plain.first

    @property
    def rerun_ratio(self) -> float:
        return self.merged.rerun / self.plain.rerun


# ---- inputs ---------------------------------------------------------------------------------------


def read_posts(folder: Path) -> list[Post]:
    """The generated posts' infoCodes, titles and dates, in file order."""
    posts = []
    for path in sorted(folder.iterdir()):
        text = path.read_text("utf-8")
        front, code = _FRONT.search(text), _CODE.search(text)
        if front is None or code is None:
            raise SystemExit(f"{path}: not in the seed's format (bench/genposts.py changed?)")
        moment = datetime.strptime(front["date"], "%Y-%m-%d %H:%M:%S %z")
        posts.append(Post(code[1], front["title"], moment))
    return posts


def make_copies(posts: list[Post], share: float) -> list[list[Copy]]:
    """``share`` of the posts, chosen at random (fixed seed), dealt round-robin into 3 feeds."""
    from bench.genposts import SENTENCES

    rng = random.Random(SEED)
    chosen = sorted(rng.sample(range(len(posts)), round(len(posts) * share)))
    feeds: list[list[Copy]] = [[] for _ in FEEDS]
    for turn, index in enumerate(chosen):
        post = posts[index]
        short = post.title.replace("：", "").removesuffix("相关工作")  # "工信部发布专精特新企业培育"
        summary = f"<p>{short}。{rng.choice(SENTENCES)}</p>"
        moment = post.moment + timedelta(minutes=rng.randint(3, 90), seconds=rng.randint(0, 59))
        feeds[turn % len(FEEDS)].append(Copy(post.code, short, summary, moment))
    return feeds


def rss_body(copies: list[Copy], category: str) -> bytes:
    items = "".join(
        f"<item><title>{escape(c.title)}</title><link>{escape(c.link)}</link>"
        f'<guid isPermaLink="false">rss-{c.code}</guid><category>{escape(category)}</category>'
        f"<pubDate>{format_datetime(c.moment)}</pubDate>"
        f"<description><![CDATA[{c.summary}]]></description></item>\n"
        for c in copies
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        "<title>转载快讯</title><link>https://othersite.example/</link><description>bench</description>\n"
        f"{items}</channel></rss>\n"
    ).encode()


def atom_body(copies: list[Copy], category: str) -> bytes:
    entries = "".join(
        f"<entry><title>{escape(c.title)}</title><id>tag:othersite.example,2022:{c.code}</id>"
        f"<link href={quoteattr(c.link)}/><published>{c.moment.isoformat()}</published>"
        f"<updated>{c.moment.isoformat()}</updated><author><name>转载编辑部</name></author>"
        f"<category term={quoteattr(category)}/>"
        f'<summary type="html">{escape(c.summary)}</summary></entry>\n'
        for c in copies
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>要闻转载</title><id>urn:uuid:bench-merge-atom</id><updated>2022-02-01T00:00:00+08:00</updated>"
        f'<link href="https://othersite.example/"/>\n{entries}</feed>\n'
    ).encode()


def json_body(copies: list[Copy], category: str) -> bytes:
    items = [
        {
            "id": f"json-{c.code}",
            "url": c.link,
            "title": c.title,
            "content_html": c.summary,
            "date_published": c.moment.isoformat(),
            "tags": [category],
        }
        for c in copies
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "市场动态转载", "items": items}
    return json.dumps(feed, ensure_ascii=False, indent=1).encode()


def write_inputs(root: Path, posts: int, share: float) -> tuple[Path, list[tuple[str, int, int]]]:
    """Posts and feed files once, under ``root/template``; returns it and (file, items, bytes) per feed."""
    from bench.genposts import generate
    from feeds.config import FetchConfig

    template = root / "template"
    generate(template / "posts", posts)
    limit = FetchConfig().max_bytes
    written = []
    (template / FEED_DIR).mkdir()
    feeds = make_copies(read_posts(template / "posts"), share)
    for (_, file, _, category), copies, render in zip(
        FEEDS, feeds, (rss_body, atom_body, json_body), strict=True
    ):
        body = render(copies, category)
        if len(body) > limit:  # the fetcher would refuse it: more feeds are needed for this size
            raise SystemExit(f"{file}: {len(body):,} bytes is over fetch.max_bytes ({limit:,})")
        (template / FEED_DIR / file).write_bytes(body)
        written.append((file, len(copies), len(body)))
    return template, written


def make_project(template: Path, folder: Path, remote: bool) -> Path:
    """A fresh project folder (posts copied, empty store); ``remote`` adds the 3 feed files."""
    shutil.copytree(template / "posts", folder / "posts")
    config = CONFIG
    if remote:
        shutil.copytree(template / FEED_DIR, folder / FEED_DIR)
        config += "remote:\n" + "".join(
            f"  - {{name: {name}, url: {FEED_DIR}/{file}, interval: 15m}}\n" for name, file, _, _ in FEEDS
        )
    (folder / "config.yaml").write_text(config, encoding="utf-8")
    return folder / "config.yaml"


# ---- measuring ------------------------------------------------------------------------------------


def run_feeds(config: Path, *extra: str) -> tuple[float, str]:
    """One ``feeds -q run --once`` process, as cron starts it: wall seconds and its summary line."""
    command = [*feeds_command(), "--config", str(config), "-q", "run", "--once", *extra]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=config.parent, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(command)}: exit {done.returncode}\n{done.stderr}")
    lines = done.stdout.strip().splitlines()
    return seconds, lines[0] if lines else ""


def measure_store(path: Path) -> StoreSize:
    """Checkpoint the WAL into the file (from a connection of our own), then sizes and counts."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        table = "copies" if "copies" in tables else "entry_sources"
        (copies,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        (entries,) = conn.execute("SELECT count(*) FROM entries").fetchone()
        (free_pages,) = conn.execute("PRAGMA freelist_count").fetchone()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        fetches = (
            conn.execute("SELECT count(*) FROM fetch_log").fetchone()[0] if "fetch_log" in tables else None
        )
        try:
            (table_bytes,) = conn.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN "
                "(SELECT name FROM sqlite_master WHERE tbl_name = ?)",
                (table,),
            ).fetchone()
        except sqlite3.OperationalError:  # SQLite built without dbstat
            table_bytes = None
    finally:
        conn.close()
    return StoreSize(size, free_pages * page_size, int(entries), int(copies), table, table_bytes, fetches)


def measure_folder(template: Path, folder: Path, remote: bool) -> Folder:
    config = make_project(template, folder, remote)
    first, first_line = run_feeds(config)
    rerun, rerun_line = run_feeds(config, "--all")
    store = measure_store(folder / "store" / "feeds.db")
    shutil.rmtree(folder)
    return Folder(first, rerun, first_line, rerun_line, store)


def one_round(template: Path, root: Path, number: int) -> Round:
    """(a) and (b) back to back in fresh folders; the order alternates from round to round."""
    order = (False, True) if number % 2 == 0 else (True, False)
    done = {remote: measure_folder(template, root / f"round{number}-{remote}", remote) for remote in order}
    return Round(plain=done[False], merged=done[True])


# ---- report ---------------------------------------------------------------------------------------


def _spread(values: list[float], digits: int = 2) -> str:
    return f"({min(values):.{digits}f}-{max(values):.{digits}f})" if len(values) > 1 else ""


def _overhead(ratio: float) -> str:
    return f"{(ratio - 1) * 100:+.1f} %"


BUDGET_TEXT = f"+{BUDGET * 100:.0f} %"


def report(args: argparse.Namespace, feeds: list[tuple[str, int, int]], rounds: list[Round]) -> list[str]:
    """Print the figures; returns the summary's parts."""
    posts = args.posts
    copies = sum(items for _, items, _ in feeds)
    print(
        f"merge: {posts:,} posts in the seed's format + 3 remote feed files carrying copies of "
        f"{copies:,} ({copies / posts * 100:.0f} %) of them; whole `feeds -q run --once` processes, "
        f"median of {len(rounds)} round(s), fresh folders each"
    )
    for (_, _, kind, category), (file, items, size) in zip(FEEDS, feeds, strict=True):
        print(f"  {file:<16}: {kind:<13} {items:>6,} items {size / 1024:>6,.0f} KiB, category {category}")
    verdicts = []
    for label, attr in (("first run", "first"), ("rerun --all", "rerun")):
        plain = [getattr(r.plain, attr) for r in rounds]
        merged = [getattr(r.merged, attr) for r in rounds]
        ratios = [getattr(r, f"{attr}_ratio") for r in rounds]
        for kind, seconds, folder in (
            ("posts only", plain, rounds[0].plain),
            ("+ copies", merged, rounds[0].merged),
        ):
            print(
                f"  {label + ', ' + kind:<27}: {median(seconds):5.2f} s {_spread(seconds)} = "
                f"{posts / median(seconds):>6,.0f} posts/s  [{getattr(folder, attr + '_line')}]"
            )
        within = median(ratios) - 1 <= BUDGET
        print(
            f"  {label + ', merge overhead':<27}: {_overhead(median(ratios))} "
            f"(rounds: {', '.join(_overhead(r) for r in ratios)}; budget {BUDGET_TEXT}: "
            f"{'within' if within else 'OVER'})"
        )
        verdicts.append(f"{label} {_overhead(median(ratios))}")
    a_bytes = median(r.plain.store.bytes for r in rounds)
    b_bytes = median(r.merged.store.bytes for r in rounds)
    a, b = rounds[0].plain.store, rounds[0].merged.store
    for kind, on_disk, store in (("posts only", a_bytes, a), ("+ copies", b_bytes, b)):
        per_copy = f", {on_disk / store.copies:,.0f} B/copy" if store is b else ""
        print(
            f"  {'store, ' + kind:<27}: {on_disk / 2**20:5.1f} MiB = "
            f"{on_disk / store.entries:,.0f} B/entry{per_copy} "
            f"({store.entries:,} entries, {store.copies:,} copies in {store.table}, "
            f"{store.free / 2**20:.1f} MiB of it free pages)"
        )
    remote_copies = b.copies - a.copies
    if remote_copies:
        grown = b_bytes - a_bytes
        added = f"{grown / 1024:+,.0f} KiB = {grown / remote_copies:+,.0f} B per remote copy"
        if a.table_bytes is not None and b.table_bytes is not None:
            added += (
                f"; {b.table} with its indexes {b.table_bytes / b.copies:,.0f} B/copy, "
                f"{(b.table_bytes - a.table_bytes) / remote_copies:+,.0f} B per remote copy (dbstat)"
            )
        print(f"  {'added by the copies':<27}: {added}")
    if remote_copies != copies or b.entries != a.entries:
        print(
            f"  note: {copies:,} remote items written, {remote_copies:,} more copies stored, "
            f"{b.entries - a.entries:+,} entries against posts only (expected {copies:,} and +0)"
        )
    if b.fetches is not None and b.fetches != 2 * len(FEEDS):
        print(f"  note: {b.fetches} fetches logged, expected {2 * len(FEEDS)} (first run + rerun --all)")
    return [
        f"merge overhead {', '.join(verdicts)} (budget {BUDGET_TEXT})",
        f"store {b_bytes / b.copies:,.0f} B/copy, {b_bytes / b.entries:,.0f} B/entry "
        f"(posts only {a_bytes / a.entries:,.0f} B/entry)",
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--share", type=float, default=0.3, help="part of the posts copied in the feeds")
    parser.add_argument("--rounds", type=int, default=3, help="rounds (fresh folders each); medians reported")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="feeds-bench-merge-") as tmp:
        root = Path(tmp)
        template, feeds = write_inputs(root, args.posts, args.share)
        rounds = [one_round(template, root, number) for number in range(args.rounds)]
    print("; ".join(report(args, feeds, rounds)))


if __name__ == "__main__":
    main()
