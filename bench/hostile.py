"""`make hostile`: the security audit's hostile inputs (issue 10), each run through ``feeds run --once``
(twice: the later run must work too).

Each input gets a project of its own, next to a normal post and a normal remote feed, and one run of
``python -m feeds --config X run --once`` in a child process. An input passes when the run stayed under
300 MB peak RSS and 30 s, exited 0 without printing a traceback, and still wrote the normal feeds, ``all``
and ``index.opml`` (and, where a feed holds a bad item, the good item beside it): a hostile input may be
refused, but it must not take the rest down with it (nor, for the link cases, reach any output).
Remote feeds are files named in config.yaml, as the shipped config's are, so no server is needed.

Not here: SSRF (feed, webhook and hub URLs that lead to loopback or private addresses), unbounded
webhook/hub response bodies and ``feeds serve`` header/idle limits need live servers and are left to
the unit tests (tests/test_netguard.py, test_remote.py, test_notify.py, test_websub.py, test_serve.py).
tests/test_fuzz.py runs the same kinds of input at small sizes through the same code, many times over.

Each child runs in a session of its own under a memory cap (RLIMIT_AS) and is killed, its whole
process group, after ``--kill-after`` seconds: an input that blows up costs a row of the table, not
the machine. Peak RSS is ``ru_maxrss`` from ``os.wait4``, the largest of the child and the worker
processes it waited for. ``python -m bench.hostile [--only TEXT] [--kill-after 120]
[--memory-cap-mb 2048]``; exits 1 when any input fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from lxml import etree

MAX_RSS_MB = 300
MAX_SECONDS = 30.0
NORMAL_POST = "正常的帖子"
NORMAL_ITEM = "正常的条目"
SIBLING = "同一源里的正常条目"  # a good item sharing a feed with a bad one: it must still get through
CONFIG = """\
site: {title: hostile, url: https://hostile.example.com, timezone: Asia/Shanghai}
store: store/feeds.db
output_dir: public
local: [{path: posts}]
remote:
  - {name: normal, url: remote/normal.json, category: jijin}
"""
HOSTILE_REMOTE = "  - {name: hostile, url: remote/%s, category: hostile}\n"
CATEGORIES = """\
categories:
  zhengquanshibaowang: {title: 证券时报网}
  jijin: {title: 基金}
"""
RSS_HEAD = '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
RSS_HEAD += "<title>hostile</title><link>https://news.example.com/</link>"
RSS_TAIL = "</channel></rss>"


# ---- the inputs ------------------------------------------------------------------------------------


def post(title: str, extra: str = "", categories: str = "zhengquanshibaowang") -> str:
    """A post in the seed's shape; ``extra`` is more front matter."""
    front = f"title: {title}\ndate: 2022-01-24 22:56:53 +0800\ncategories: {categories}\n{extra}"
    return f"---\n{front}---\n<p>正文</p>\n"


def rss_item(title: str, slug: str, more: str = "") -> str:
    """An RSS item; ``title`` and ``more`` go in as markup, so they can carry character references."""
    return f"<item><title>{title}</title><link>https://news.example.com/{slug}</link>{more}</item>"


def json_feed(items: list[dict[str, str]]) -> bytes:
    """JSON Feed 1.1, ASCII only: lone surrogates travel as ``\\udXXX`` escapes, as real feeds carry them."""
    document = {"version": "https://jsonfeed.org/version/1.1", "title": "hostile", "items": items}
    return json.dumps(document, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def write_post(name: str, text: str) -> Callable[[Path], None]:
    """A case's input that is one more post in the posts folder."""

    def build(project: Path) -> None:
        (project / "posts" / name).write_text(text, encoding="utf-8")

    return build


def long_category(project: Path) -> None:
    """300 letters make a valid slug, and a feed file name over the 255 bytes most file systems allow."""
    (project / "posts" / "2022-01-24-long-category.md").write_text(
        post("长栏目", categories="a" * 300), encoding="utf-8"
    )


def alias_bomb(project: Path, width: int = 9, depth: int = 9) -> None:
    """Billion laughs in front matter: ``title`` names width ** depth (9 ** 9 = 387,420,489) "lol"s."""
    levels = ['l0: &l0 "lol"'] + [
        f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * width)}]" for n in range(1, depth + 1)
    ]
    front = "\n".join(levels) + f"\ntitle: *l{depth}\ndate: 2022-01-24 22:56:53 +0800\n"
    (project / "posts" / "2022-01-24-bomb.md").write_text(f"---\n{front}---\n<p>lol</p>\n", encoding="utf-8")


def many_items(project: Path, count: int = 400_000) -> None:
    """A JSON Feed with ``count`` small items, small enough to fit under fetch.max_bytes (15 MiB)."""
    items = [{"id": str(n), "title": f"t{n}"} for n in range(count)]
    (project / "remote" / "hostile.json").write_bytes(json_feed(items))


def huge_item(project: Path, megabytes: int = 11) -> None:
    """One item of ``megabytes`` MB of HTML, next to a normal sibling."""
    paragraph = "<p>" + "财经新闻正文。" * 100 + "</p>"
    body = paragraph * (megabytes * 2**20 // len(paragraph.encode()) + 1)
    huge = f"<content:encoded><![CDATA[{body}]]></content:encoded>"
    document = RSS_HEAD + rss_item("巨大的条目", "huge", huge) + rss_item(SIBLING, "ok") + RSS_TAIL
    (project / "remote" / "hostile.xml").write_bytes(document.encode())


def bad_date_and_surrogate_rss(project: Path) -> None:
    """Year 1 east of UTC is year 0 in UTC; ``&#xD800;`` is a lone surrogate. Each is one bad item."""
    items = (
        rss_item(SIBLING, "ok", "<pubDate>Tue, 25 Jan 2022 00:00:00 +0800</pubDate>")
        + rss_item("公元一年", "year1", "<pubDate>Mon, 01 Jan 0001 00:00:00 +0800</pubDate>")
        + rss_item("孤立代理项 &#xD800;", "surrogate")
    )
    (project / "remote" / "hostile.xml").write_bytes((RSS_HEAD + items + RSS_TAIL).encode())


def bad_date_and_surrogate_json(project: Path) -> None:
    """The same two bad items in JSON Feed, where the surrogate is valid JSON (an escape)."""
    items = [
        {"id": "ok", "title": SIBLING, "date_published": "2022-01-25T00:00:00+08:00"},
        {"id": "year1", "title": "公元一年", "date_published": "0001-01-01T00:00:00+08:00"},
        {"id": "surrogate", "title": "孤立代理项 \ud800"},
    ]
    (project / "remote" / "hostile.json").write_bytes(json_feed(items))


def utf16_without_bom(project: Path) -> None:
    """UTF-16 with only the XML declaration to say so: the zero bytes give it away (XML 1.0, appendix F)."""
    document = '<?xml version="1.0" encoding="UTF-16"?>' + RSS_HEAD + rss_item(SIBLING, "utf16") + RSS_TAIL
    (project / "remote" / "hostile.xml").write_bytes(document.encode("utf-16-le"))


@dataclass(frozen=True)
class Case:
    """One hostile input: how to put it in a project, and what the outputs must (not) say afterwards."""

    name: str
    build: Callable[[Path], None]
    feed_file: str | None = None  # the hostile remote feed's file under remote/, if the input is a feed
    must_show: tuple[str, ...] = ()  # titles the ``hostile`` category feed must still carry
    must_not_contain: tuple[bytes, ...] = ()  # in any output file


CASES = [
    Case("baseline: a normal post and feed only", lambda project: None),
    Case("post: 300-letter category", long_category),
    Case("post: YAML alias bomb, 9 levels of 9 aliases", alias_bomb),
    Case("feed file: 400,000 JSON Feed items", many_items, "hostile.json"),
    Case("feed: one 11 MB item (RSS)", huge_item, "hostile.xml", (SIBLING,)),
    Case("feed: year-1 date + lone surrogate (RSS)", bad_date_and_surrogate_rss, "hostile.xml", (SIBLING,)),
    Case(
        "feed: year-1 date + lone surrogate (JSON)", bad_date_and_surrogate_json, "hostile.json", (SIBLING,)
    ),
    Case("feed: UTF-16 without BOM (RSS)", utf16_without_bom, "hostile.xml", (SIBLING,)),
    Case(
        "post: link: javascript:alert(1)",
        write_post("2022-01-24-js.md", post("脚本链接", "link: javascript:alert(1)\n")),
        must_not_contain=(b"javascript:",),
    ),
    Case(
        "post: link: data:text/html,...",
        write_post(
            "2022-01-24-data.md", post("数据链接", "link: 'data:text/html,<script>alert(1)</script>'\n")
        ),
        must_not_contain=(b"data:text/html",),
    ),
]


def make_project(root: Path, case: Case) -> Path:
    """A project with the normal post and feed, plus the case's input."""
    project = root / "project"
    for folder in ("posts", "remote", "store"):  # not feeds/: `python -m feeds` run here would import it
        (project / folder).mkdir(parents=True)
    remote = HOSTILE_REMOTE % case.feed_file if case.feed_file else ""
    (project / "config.yaml").write_text(CONFIG + remote + CATEGORIES, encoding="utf-8")
    (project / "posts" / "2022-01-24-normal.md").write_text(post(NORMAL_POST), encoding="utf-8")
    (project / "remote" / "normal.json").write_bytes(json_feed([{"id": "normal", "title": NORMAL_ITEM}]))
    case.build(project)
    return project


# ---- one run, measured -------------------------------------------------------------------------------


@dataclass
class Run:
    """What one ``feeds run --once`` cost and printed."""

    seconds: float
    peak_mb: float
    exit_code: int
    killed: bool
    output: str  # stdout and stderr
    problems: list[str] = field(default_factory=list)  # what the outputs lack or carry wrongly


def _cap_memory(megabytes: int) -> None:
    """In the child, before exec: address space capped, so a runaway input fails there, not here."""
    limit = megabytes * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _kill_group(pid: int, killed: threading.Event) -> None:
    """SIGKILL to the child's process group: the child and its workers, nothing else."""
    killed.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def run_once(project: Path, kill_after: float, memory_cap_mb: int) -> Run:
    """``feeds run --once`` in ``project``; peak RSS from ``wait4``, which ``subprocess`` would not give."""
    command = [sys.executable, "-m", "feeds", "--config", str(project / "config.yaml"), "run", "--once"]
    log = project / "run.log"
    killed = threading.Event()
    with open(log, "wb") as sink:
        started = time.perf_counter()
        child = subprocess.Popen(
            command,
            cwd=project,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes its workers too
            preexec_fn=partial(_cap_memory, memory_cap_mb),
        )
    timer = threading.Timer(kill_after, _kill_group, (child.pid, killed))
    timer.start()
    try:
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        timer.cancel()
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
    if child.returncode != 0:
        _kill_group(child.pid, threading.Event())  # workers it may have left behind
    output = log.read_text(encoding="utf-8", errors="replace")
    return Run(seconds, usage.ru_maxrss / 1024, child.returncode, killed.is_set(), output)


# ---- what the run left behind -----------------------------------------------------------------------


def short(error: Exception) -> str:
    """A parser's complaint up to its first comma: what broke, not where."""
    return str(error).split(",")[0][:60]


def feed_problems(folder: Path, slug: str, titles: tuple[str, ...]) -> list[str]:
    """A category's three files must exist and parse (lxml's default parser, json); its JSON Feed must
    list ``titles``. One short phrase per problem, so a table row stays readable."""
    missing, problems = [], []
    for suffix in (".atom.xml", ".rss.xml", ".json"):
        path = folder / f"{slug}{suffix}"
        try:
            data = path.read_bytes()
            shown = json.loads(data) if suffix == ".json" else etree.fromstring(data)
        except FileNotFoundError:
            missing.append(path.name)
        except (ValueError, etree.XMLSyntaxError) as exc:
            problems.append(f"{path.name} unreadable ({short(exc)})")
        else:
            if isinstance(shown, dict):
                listed = {item.get("title") for item in shown.get("items", [])}
                problems += [f"{title!r} not in {path.name}" for title in titles if title not in listed]
    return ([f"no {slug} feed"] if len(missing) == 3 else [f"no {name}" for name in missing]) + problems


def output_problems(project: Path, case: Case) -> list[str]:
    """The normal feeds, ``all`` and the OPML must be there; the case's forbidden text must not."""
    folder = project / "public" / "feeds"
    wanted = {"all": (), "zhengquanshibaowang": (NORMAL_POST,), "jijin": (NORMAL_ITEM,)}
    if case.must_show:
        wanted["hostile"] = case.must_show
    problems = [problem for slug, titles in wanted.items() for problem in feed_problems(folder, slug, titles)]
    try:
        etree.fromstring((folder / "index.opml").read_bytes())
    except FileNotFoundError:
        problems.append("no index.opml")
    except etree.XMLSyntaxError as exc:
        problems.append(f"index.opml unreadable ({short(exc)})")
    files = [path.read_bytes() for path in (project / "public").rglob("*") if path.is_file()]
    for text in case.must_not_contain:
        found = sum(text in data for data in files)
        problems += [f"{text.decode()} in {found} output files"] if found else []
    return problems


def verdict(run: Run, kill_after: float) -> list[str]:
    """Everything wrong with a run, against the limits; empty when it passed."""
    wrong = []
    if run.killed:
        wrong.append(f"killed after {kill_after:g} s")
    elif run.seconds >= MAX_SECONDS:
        wrong.append(f"over {MAX_SECONDS:g} s")
    if run.peak_mb >= MAX_RSS_MB:
        wrong.append(f"over {MAX_RSS_MB} MB")
    if run.exit_code != 0:
        wrong.append(f"exit {run.exit_code}")
    if "Traceback" in run.output:
        wrong.append("traceback")
    return wrong + run.problems


def reason(run: Run) -> str:
    """The line that says what went wrong: a crash's exception (the last line), else the first warning
    (a source that failed as a whole is a warning, and the run still exits 0)."""
    lines = [line.strip() for line in run.output.splitlines() if line.strip()]
    if run.exit_code != 0:
        return lines[-1][:120] if lines else ""
    return next((line[:120] for line in lines if "WARNING" in line or "ERROR" in line), "")


def measure(case: Case, kill_after: float, memory_cap_mb: int) -> Run:
    """One input in a fresh temporary project, removed afterwards (the 400,000-item store is big).

    A second run on the same store follows: a hostile input must not break every later run either
    (the audit's overlong category did). Its problems are reported with a "later run" prefix.
    """
    with tempfile.TemporaryDirectory(prefix="feeds-hostile-") as tmp:
        project = make_project(Path(tmp), case)
        run = run_once(project, kill_after, memory_cap_mb)
        run.problems = output_problems(project, case)
        later = run_once(project, kill_after, memory_cap_mb)
        run.problems += [f"later run: {problem}" for problem in later_problems(later, project, case)]
    return run


def later_problems(later: Run, project: Path, case: Case) -> list[str]:
    """What a rerun on the hostile input's store got wrong: a failed exit, a traceback, lost outputs."""
    wrong = [f"exit {later.exit_code}"] if later.exit_code != 0 else []
    wrong += ["traceback"] if "Traceback" in later.output else []
    return wrong + output_problems(project, case)


def print_row(case: Case, run: Run, wrong: list[str]) -> None:
    """One table row, then the run's own words for what went wrong, when it says any."""
    outputs = "no" if run.problems else "yes"
    result = "FAIL: " + "; ".join(wrong) if wrong else "ok"
    print(
        f"  {case.name:<46} {run.seconds:8.1f} {run.peak_mb:8.0f} {run.exit_code:5d}  {outputs:<10}  {result}"
    )
    why = reason(run) if wrong else ""
    if why:
        print(f"  {'':<46} -> {why}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", help="run the inputs whose name contains this text")
    parser.add_argument("--kill-after", type=float, default=120.0, help="seconds before a run is killed")
    parser.add_argument("--memory-cap-mb", type=int, default=2048, help="address-space cap of each run")
    args = parser.parse_args(argv)
    cases = [case for case in CASES if not args.only or args.only in case.name]
    limits = f"limits {MAX_RSS_MB} MB peak RSS, {MAX_SECONDS:g} s"
    print(f"hostile inputs (issue 10), one feeds run --once each; {limits}")
    print(f"  {'input':<46} {'seconds':>8} {'peak MB':>8} {'exit':>5}  {'outputs ok':<10}  verdict")
    failed = 0
    for case in cases:
        run = measure(case, args.kill_after, args.memory_cap_mb)
        wrong = verdict(run, args.kill_after)
        failed += bool(wrong)
        print_row(case, run, wrong)
        sys.stdout.flush()
    print(f"{len(cases) - failed} of {len(cases)} inputs within the limits")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
