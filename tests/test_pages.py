"""Pages people can read: rendered from a real store, parsed as HTML, then opened in a real browser
(Debian's headless ``chromium``) through a real ``feeds serve``: the DOM is checked, the page's own
Content-Security-Policy must not block anything it uses, and screenshots (phone and desktop) are
saved under the test's temp folder."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from conftest import post, write_config

from feeds.config import Config, load
from feeds.pipeline import run_cycle
from feeds.store import Store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# As the machine notes advise: no background networking (this machine's network is closed).
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
POSTS = {
    "a.md": post(title="央行：保持流动性合理充裕", date="2022-03-02 09:15:00 +0800", extra="infoCode: NW1\n"),
    "b.md": post(
        title="沪深两市成交额突破万亿元",
        date="2022-01-25 15:30:11 +0800",
        body='<p>正文<img src="https://img.example.com/a.png" width="200"></p>',
        extra="infoCode: NW2\n",
    ),
}


def project(folder: Path) -> Config:
    write_config(folder, 'views:\n  - {slug: markets, title: 市场, match: {title: "沪深"}}\n')
    for name, text in POSTS.items():
        (folder / "posts" / name).write_text(text, encoding="utf-8")
    config = load(folder / "config.yaml")
    with Store.open(config.store_path) as store:
        run_cycle(config, store)
    return config


def page(folder: Path, relative: str) -> lxml.html.HtmlElement:
    return lxml.html.fromstring((folder / "public" / relative).read_bytes())


def test_a_feed_page_shows_its_entries_with_discovery_and_subscribe_links(tmp_path: Path) -> None:
    project(tmp_path)
    html = (tmp_path / "public" / "feeds" / "zhengquanshibaowang.html").read_text(encoding="utf-8")
    assert html.startswith('<!doctype html>\n<html lang="zh-CN">')
    doc = page(tmp_path, "feeds/zhengquanshibaowang.html")
    assert [h.text_content() for h in doc.xpath("//article/h2")] == [
        "央行：保持流动性合理充裕",
        "沪深两市成交额突破万亿元",
    ]
    assert doc.xpath("//article//time/text()") == ["2022-03-02 09:15", "2022-01-25 15:30"]  # the site's zone
    alternates = {link.get("type"): link.get("href") for link in doc.xpath("//head/link[@rel='alternate']")}
    assert alternates == {
        "application/atom+xml": "zhengquanshibaowang.atom.xml",
        "application/rss+xml": "zhengquanshibaowang.rss.xml",
        "application/feed+json": "zhengquanshibaowang.json",
    }
    assert "https://finews.example.com/feeds/zhengquanshibaowang.atom.xml" in doc.xpath("string(//code)")
    assert doc.xpath("//head/link[@rel='stylesheet']/@href") == ["../style.css"]


def test_pages_carry_no_script_and_no_inline_style(tmp_path: Path) -> None:
    project(tmp_path)
    for path in [tmp_path / "public" / "index.html", *sorted((tmp_path / "public" / "feeds").glob("*.html"))]:
        doc = lxml.html.fromstring(path.read_bytes())
        assert not doc.xpath("//script | //style | //*[@style]"), path
        assert not [
            a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")
        ]


def test_the_index_lists_every_feed_and_the_newest_entries(tmp_path: Path) -> None:
    project(tmp_path)
    doc = page(tmp_path, "index.html")
    assert doc.xpath("//nav//li/a[1]/@href") == [
        "feeds/all.html",
        "feeds/zhengquanshibaowang.html",
        "feeds/markets.html",
    ]
    assert len(doc.xpath("//head/link[@rel='alternate']")) == 9  # three feeds, three formats each
    assert doc.xpath("//main/article/h2/text()") == ["央行：保持流动性合理充裕", "沪深两市成交额突破万亿元"]


# ---- in a real browser -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """``feeds serve`` as a user starts it, on a free port of 127.0.0.1."""
    project(tmp_path)
    port = free_port()
    command = [sys.executable, "-m", "feeds", "--config", str(tmp_path / "config.yaml"), "serve"]
    server = subprocess.Popen([*command, "--port", str(port)], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert server.poll() is None and time.monotonic() < deadline, "feeds serve did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("chromium is not installed here (CI installs it)")
    command = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def test_pages_in_headless_chromium(served: str, tmp_path: Path) -> None:
    for relative in ("", "feeds/zhengquanshibaowang.html", "feeds/markets.html"):
        done = chromium(
            "--enable-logging=stderr", "--v=0", "--dump-dom", f"{served}/{relative}", profile=tmp_path / "p1"
        )
        assert done.returncode == 0, done.stderr[-2000:]
        dom = lxml.html.fromstring(done.stdout)
        assert dom.xpath("//h1") and dom.xpath("//article"), relative
        assert "Refused to" not in done.stderr, done.stderr  # the Content-Security-Policy blocks nothing used
    dom = lxml.html.fromstring(
        chromium("--dump-dom", f"{served}/feeds/markets.html", profile=tmp_path / "p2").stdout
    )
    assert [h2.text_content() for h2 in dom.xpath("//article/h2")] == ["沪深两市成交额突破万亿元"]
    for name, size in (("phone", "390,844"), ("desktop", "1280,900")):
        shot = tmp_path / f"{name}.png"
        done = chromium(
            f"--window-size={size}",
            f"--screenshot={shot}",
            f"{served}/feeds/all.html",
            profile=tmp_path / "p3",
        )
        assert done.returncode == 0 and shot.stat().st_size > 10_000, done.stderr[-2000:]
