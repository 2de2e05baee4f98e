"""OPML subscription lists: what a list costs, in process and as whole ``feeds`` processes.

- parse and expand a list of ``--feeds`` outlines in folders (pure, in process);
- an idle ``feeds run --once`` (nothing due) and ``feeds sources`` with those feeds listed in a
  file list, against the same feeds written into ``config.yaml`` directly: the list is read,
  hashed and expanded on every run, which is what a cron user pays for it.

The feeds point at a closed port on 127.0.0.1, so the first run's fetches fail at once and back
the sources off: the timed runs have nothing due. ``python -m bench.bench_opml [--feeds 1000]``
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from statistics import median

from bench import feeds_command
from feeds.config import OpmlList
from feeds.slugs import CategoryResolver
from feeds.sources.opml import expand, parse_opml


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def opml_document(urls: list[str]) -> bytes:
    folders = []
    for start in range(0, len(urls), 50):
        feeds = "".join(
            f'<outline type="rss" text="Feed {n}" xmlUrl="{url}"/>'
            for n, url in enumerate(urls[start : start + 50], start)
        )
        folders.append(f'<outline text="Folder {start // 50}">{feeds}</outline>')
    return f'<?xml version="1.0"?><opml version="2.0"><body>{"".join(folders)}</body></opml>'.encode()


def timed(argv: list[str], cwd: Path, runs: int) -> float:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
        seconds.append(time.perf_counter() - started)
    return median(seconds)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    port = closed_port()
    urls = [f"http://127.0.0.1:{port}/feed/{n}.xml" for n in range(args.feeds)]
    document = opml_document(urls)

    parse_opml(b"<opml><body><outline/></body></opml>")  # lxml imported, not timed
    started = time.perf_counter()
    parsed = parse_opml(document)
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    expansion = expand([(OpmlList(opml="x.opml"), parsed.outlines)], set(), {}, CategoryResolver({}))
    expand_s = time.perf_counter() - started
    assert len(expansion.sources) == args.feeds
    print(
        f"opml parse {args.feeds} outlines ({len(document) // 1024} KiB): {parse_s * 1000:.1f} ms; "
        f"expand: {expand_s * 1000:.1f} ms"
    )

    feeds = feeds_command()
    fetch = "fetch: {allow_private: true, per_host: 50, per_host_delay: 0}\n"
    head = f"site: {{title: bench}}\nstore: store/feeds.db\n{fetch}"
    direct = "".join(
        f"  - {{name: 'Feed {n}', url: '{url}', category: 'Folder {n // 50}'}}\n"
        for n, url in enumerate(urls)
    )
    figures = {}
    for label, remote in (("direct", direct), ("list", "  - {opml: subs.opml}\n")):
        with tempfile.TemporaryDirectory(prefix="feeds-bench-opml-") as tmp:
            folder = Path(tmp)
            (folder / "subs.opml").write_bytes(document)
            (folder / "config.yaml").write_text(f"{head}remote:\n{remote}", encoding="utf-8")
            subprocess.run([*feeds, "-q", "run", "--once"], cwd=folder, capture_output=True, check=True)
            run_s = timed([*feeds, "-q", "run", "--once"], folder, args.runs)
            sources_s = timed([*feeds, "sources", "--json"], folder, args.runs)
            figures[label] = (run_s, sources_s)
            print(
                f"opml {args.feeds} feeds {label:>6}: idle run --once median {run_s:.3f} s, "
                f"sources --json median {sources_s:.3f} s"
            )
    (run_d, sources_d), (run_l, sources_l) = figures["direct"], figures["list"]
    ratios = f"idle run x{run_l / run_d:.2f}, sources x{sources_l / sources_d:.2f}"
    print(f"opml list against the same feeds in config.yaml: {ratios}")


if __name__ == "__main__":
    main()
