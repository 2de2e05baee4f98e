"""Content rules (issue 11): their cost on a first run, and re-applying changed rules to a big store.

(1) First run: ``--posts`` posts in the seed's format (bench/genposts.py), one whole
``feeds --config X -q run --once`` process on a fresh store, without rules and with the 5 typical
rules below (a ``remove`` of the site chrome, a title ``replace``, ``strip_params``, a ``drop_if``
and a scoped ``add_categories``). ``--rounds`` rounds, each running no-rules then rules, so this
shared machine's drift hits both; the medians and their ratio are reported (budget: +20 %). The
rules' work is checked in the output: no ``em_media`` paragraph and no 返回首页 link left in
``all.atom.xml`` (both are there without rules), and a ``markets`` feed.

(2) Re-apply: ``--copies`` posts ingested under the same rules into one store, then the rules are
changed and one whole ``feeds -v --config X build`` process is timed; its ``rules changed:
re-applied to N stored copies`` log line gives N. A second build right after, with the rules
unchanged, is timed too, so the re-apply's own cost is (changed build - unchanged build). Two
changes, one after the other on the same store: one that rewrites nothing (a ``drop_if`` pattern
widened, no copy matches it) and one that rewrites every title (the ``replace`` pattern also cuts
``相关工作`` off the end), so every entry is re-merged. Target: >= 5,000 copies/s.

``python -m bench.bench_rules [--posts 10000] [--copies 100000] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from bench import feeds_command

BUDGET = 0.20  # first-run overhead allowed for the 5 rules
TARGET_RATE = 5_000  # stored copies re-applied per second
CONFIG = """\
site: {{title: bench, url: https://bench.example.com, timezone: Asia/Shanghai}}
store: store/feeds.db
output_dir: public
local: [{{path: {posts}, name: posts}}]
{rules}"""
MARKETS_FROM = "zhengquanshibaowang"  # one of bench/genposts.py's PAPERS slugs (a fifth of the posts)
RULES = f"""\
rules:
  - name: site-chrome
    remove: "p.em_media, p:has(> a[href*='withounder.com'])"
  - name: title-prefix
    replace: [{{field: title, pattern: "^【[^】]*】", with: ""}}]
  - name: tracking
    strip_params: ["utm_*", "spm"]
  - name: ads
    drop_if: {{title: "广告|推广"}}
  - name: markets
    categories: [{MARKETS_FROM}]
    add_categories: [markets]
"""
# (label, the rules after the change): each is applied to the store the previous one left
CHANGES = (
    ("drop_if widened, nothing rewritten", RULES.replace('"广告|推广"', '"广告|推广|赞助"')),
    (
        "replace widened, every title rewritten",
        RULES.replace('"广告|推广"', '"广告|推广|赞助"').replace('"^【[^】]*】"', '"^【[^】]*】|相关工作$"'),
    ),
)
FEED = Path("public/feeds/all.atom.xml")
_REAPPLIED = re.compile(
    r"re-applied to (\d+) stored copies, (\d+) rewritten or dropped, (\d+) entries changed"
)


@dataclass(frozen=True, slots=True)
class Run:
    """One whole feeds process."""

    seconds: float
    stdout: str
    stderr: str

    @property
    def line(self) -> str:
        lines = self.stdout.strip().splitlines()
        return lines[0] if lines else ""


@dataclass(frozen=True, slots=True)
class FirstRun:
    run: Run
    em_media: int  # paragraphs of the source line left in all.atom.xml
    home_links: int  # 返回首页 links left in all.atom.xml
    markets: bool  # the markets feed was written


@dataclass(frozen=True, slots=True)
class Reapply:
    label: str
    changed: Run  # the build right after the change
    unchanged: Run  # the next build, same rules
    copies: int  # N of the log line
    rewritten: int
    entries: int


# ---- running --------------------------------------------------------------------------------------


def run_feeds(config: Path, *command: str, verbose: bool = False) -> Run:
    """One ``feeds`` process, as cron starts it: wall seconds and its output."""
    argv = [*feeds_command(), "--config", str(config), "-v" if verbose else "-q", *command]
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=config.parent, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{' '.join(argv)}: exit {done.returncode}\n{done.stderr[-4000:]}")
    return Run(seconds, done.stdout, done.stderr)


def make_project(folder: Path, posts: Path, rules: str) -> Path:
    """A fresh project folder (empty store) reading the shared, read-only ``posts`` folder."""
    folder.mkdir(parents=True)
    config = folder / "config.yaml"
    config.write_text(CONFIG.format(posts=posts, rules=rules), encoding="utf-8")
    return config


def first_run(root: Path, posts: Path, name: str, rules: str) -> FirstRun:
    folder = root / name
    config = make_project(folder, posts, rules)
    run = run_feeds(config, "run", "--once")
    feed = (folder / FEED).read_text("utf-8")
    markets = (folder / FEED).with_name("markets.atom.xml").exists()
    shutil.rmtree(folder)
    return FirstRun(run, feed.count("em_media"), feed.count("返回首页"), markets)


def reapply(config: Path, label: str, rules: str) -> Reapply:
    text = config.read_text("utf-8")
    config.write_text(text[: text.index("rules:\n")] + rules, encoding="utf-8")
    changed = run_feeds(config, "build", verbose=True)
    unchanged = run_feeds(config, "build", verbose=True)
    found = _REAPPLIED.search(changed.stderr)
    if found is None:
        raise SystemExit(f"{label}: no 're-applied to N stored copies' line at -v:\n{changed.stderr[-2000:]}")
    if _REAPPLIED.search(unchanged.stderr):
        print(f"  note: the build with unchanged rules re-applied them again ({label})")
    copies, rewritten, entries = (int(group) for group in found.groups())
    return Reapply(label, changed, unchanged, copies, rewritten, entries)


# ---- report ---------------------------------------------------------------------------------------


def _spread(values: list[float]) -> str:
    return f"({min(values):.2f}-{max(values):.2f})" if len(values) > 1 else ""


def report_first(posts: int, plain: list[FirstRun], ruled: list[FirstRun]) -> None:
    a = [r.run.seconds for r in plain]
    b = [r.run.seconds for r in ruled]
    ratios = [y / x for x, y in zip(a, b, strict=True)]
    overhead = (median(b) / median(a) - 1) * 100
    print(
        f"rules, first run: {posts:,} posts in the seed's format, whole `feeds -q run --once` processes "
        f"on fresh stores, {len(a)} round(s) of (no rules, 5 rules)"
    )
    for kind, seconds, runs in (("no rules", a, plain), ("5 rules", b, ruled)):
        print(
            f"  {kind:<9}: {median(seconds):6.2f} s {_spread(seconds)} = {posts / median(seconds):>6,.0f} "
            f"posts/s  [{runs[0].run.line}]"
        )
    print(f"  rounds   : {', '.join(f'{(r - 1) * 100:+.1f} %' for r in ratios)}")
    for kind, runs in (("no rules", plain), ("5 rules", ruled)):
        left = {(r.em_media, r.home_links, r.markets) for r in runs}
        for em_media, home_links, markets in sorted(left):
            print(
                f"  check, {kind:<8}: all.atom.xml has {em_media} em_media, {home_links} 返回首页; "
                f"markets feed {'written' if markets else 'absent'}"
            )
    if any(r.em_media or r.home_links or not r.markets for r in ruled):
        print("  WRONG: the rules did not do their work (see the check lines)")
    if not all(r.em_media and r.home_links for r in plain):
        print("  WRONG: the check counts nothing without rules either: it proves nothing")
    within = overhead <= BUDGET * 100
    print(
        f"rules first run: {posts} posts, no rules {median(a):.2f} s ({posts / median(a):.0f} posts/s), "
        f"5 rules {median(b):.2f} s ({posts / median(b):.0f} posts/s): {overhead:+.1f} % "
        f"(target ≤ {BUDGET * 100:.0f} %{'' if within else ': OVER'})"
    )


def report_reapply(copies: int, ingest: Run, changes: list[Reapply]) -> None:
    print(
        f"rules, re-apply: {copies:,} posts ingested under the 5 rules by one `feeds -q run --once` in "
        f"{ingest.seconds:.1f} s ({copies / ingest.seconds:,.0f} posts/s) [{ingest.line}]; then the rules "
        "changed, whole `feeds -v build` processes"
    )
    for change in changes:
        whole, base = change.changed.seconds, change.unchanged.seconds
        alone = whole - base
        rate_alone = change.copies / alone if alone > 0 else float("inf")
        within = min(change.copies / whole, rate_alone) >= TARGET_RATE
        print(
            f"  {change.label}: {change.copies:,} copies re-applied, {change.rewritten:,} rewritten or "
            f"dropped, {change.entries:,} entries changed"
        )
        print(
            f"rules re-apply ({change.label}): {change.copies} copies in {whole:.1f} s whole build "
            f"({change.copies / whole:.0f} copies/s); unchanged build {base:.1f} s; re-apply alone "
            f"{alone:.1f} s ({rate_alone:.0f} copies/s) "
            f"(target ≥ {TARGET_RATE}/s{'' if within else ': UNDER'})"
        )
        if change.copies != copies:
            print(f"  WRONG: {change.copies:,} copies re-applied, {copies:,} stored")


def main(argv: list[str] | None = None) -> None:
    from bench.genposts import generate

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=10_000, help="posts of the first-run figure")
    parser.add_argument("--copies", type=int, default=100_000, help="stored copies of the re-apply figure")
    parser.add_argument("--rounds", type=int, default=3, help="first-run rounds; medians reported")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="feeds-bench-rules-") as tmp:
        root = Path(tmp)
        generate(root / "posts", args.posts)
        plain: list[FirstRun] = []
        ruled: list[FirstRun] = []
        for number in range(args.rounds):
            plain.append(first_run(root, root / "posts", f"plain{number}", ""))
            ruled.append(first_run(root, root / "posts", f"rules{number}", RULES))
        report_first(args.posts, plain, ruled)
        shutil.rmtree(root / "posts")

        generate(root / "many", args.copies)
        config = make_project(root / "reapply", root / "many", RULES)
        ingest = run_feeds(config, "run", "--once")
        changes = [reapply(config, label, rules) for label, rules in CHANGES]
        report_reapply(args.copies, ingest, changes)


if __name__ == "__main__":
    main()
