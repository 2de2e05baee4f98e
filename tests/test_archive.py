"""Archived feeds (RFC 5005): the pure plan, then the documents end to end (real post files, a real
SQLite store, lxml and feedparser reading what was written), walked from the current feed."""

from __future__ import annotations

from pathlib import Path

import feedparser
from conftest import post, write_config
from lxml import etree

from feeds import archive
from feeds.config import Config, load
from feeds.pipeline import run_cycle
from feeds.store import Store

ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
SITE = "https://finews.example.com/"

# ---- the plan --------------------------------------------------------------------------------------


def test_neighbours_are_the_older_and_the_newer_month() -> None:
    months = ["2022-01", "2022-03", "2022-04"]
    assert archive.neighbours(months, "2022-03") == ("2022-01", "2022-04")
    assert archive.neighbours(months, "2022-01") == (None, "2022-03")
    assert archive.neighbours(months, "2022-04") == ("2022-03", None)
    assert archive.neighbours(months, "2022-02") == (None, None)


def test_a_changed_month_is_written_and_the_others_are_left_alone() -> None:
    plan = archive.plan({"2022-01", "2022-02", "2022-03"}, {"2022-02": True})
    assert (plan.write, plan.remove, plan.newest) == (("2022-02",), (), "2022-03")


def test_a_new_month_rewrites_the_one_whose_next_archive_it_becomes() -> None:
    plan = archive.plan({"2022-01", "2022-02"}, {"2022-04": True})
    assert plan.write == ("2022-02", "2022-04") and plan.months == ("2022-01", "2022-02", "2022-04")


def test_a_month_left_empty_is_removed_and_its_neighbours_relinked() -> None:
    plan = archive.plan({"2022-01", "2022-02", "2022-03"}, {"2022-02": False})
    assert plan.remove == ("2022-02",) and plan.write == ("2022-01", "2022-03")


# ---- the documents ---------------------------------------------------------------------------------

DATES = {
    "a.md": "2022-01-10 10:00:00 +0800",
    "b.md": "2022-01-20 10:00:00 +0800",
    "c.md": "2022-02-03 10:00:00 +0800",
    "d.md": "2022-04-01 07:59:59 +0800",  # 2022-03-31 23:59:59 UTC: March, by UTC
    "e.md": "2022-04-20 10:00:00 +0800",
}


def project(folder: Path, extra: str = "feed: {limit: 2}\n") -> Config:
    write_config(folder, extra)
    for name, date in DATES.items():
        write(folder, name, date)
    return load(folder / "config.yaml")


def write(folder: Path, name: str, date: str) -> None:
    code = f"NW{abs(hash(name)) % 10**8}"
    text = post(title=f"标题 {name}", date=date, extra=f"infoCode: {code}\n")
    (folder / "posts" / name).write_text(text, encoding="utf-8")


def cycle(config: Config) -> tuple[str, ...]:
    with Store.open(config.store_path) as store:
        return run_cycle(config, store).build.written


def document(folder: Path, url: str) -> etree._Element:
    relative = url.removeprefix(SITE)
    return etree.fromstring((folder / "public" / relative).read_bytes())


def link(doc: etree._Element, rel: str) -> str | None:
    found = doc.find(f"{ATOM}link[@rel='{rel}']")
    return None if found is None else found.get("href")


def walk(folder: Path, slug: str) -> list[tuple[str, list[str]]]:
    """Follow prev-archive from the current feed: (document URL, entry titles) of every archive."""
    current_url = f"{SITE}feeds/{slug}.atom.xml"
    url = link(document(folder, current_url), "prev-archive")
    seen = []
    while url is not None:
        doc = document(folder, url)
        assert doc.find(f"{FH}archive") is not None
        assert link(doc, "current") == current_url and link(doc, "self") == url
        seen.append((url, [entry.findtext(f"{ATOM}title") for entry in doc.findall(f"{ATOM}entry")]))
        older = link(doc, "prev-archive")
        if older is not None:
            assert link(document(folder, older), "next-archive") == url
        url = older
    return seen


def test_following_prev_archive_from_the_current_feed_reaches_every_entry(tmp_path: Path) -> None:
    cycle(project(tmp_path))
    current = feedparser.parse((tmp_path / "public" / "feeds" / "all.atom.xml").read_bytes())
    assert current.bozo == 0 and len(current.entries) == 2  # the current feed holds feed.limit entries
    chain = walk(tmp_path, "all")
    assert [url.rsplit("/", 1)[1] for url, _ in chain] == [
        "2022-04.atom.xml",
        "2022-03.atom.xml",
        "2022-02.atom.xml",
        "2022-01.atom.xml",
    ]
    titles = sorted(title for _, month in chain for title in month)
    assert titles == sorted(f"标题 {name}" for name in DATES)
    assert chain[-1][1] == ["标题 b.md", "标题 a.md"]  # newest first within a month
    rss = (tmp_path / "public" / "feeds" / "all.rss.xml").read_text(encoding="utf-8")
    assert f'<atom:link href="{SITE}feeds/archive/all/2022-04.atom.xml" rel="prev-archive"/>' in rss
    assert walk(tmp_path, "zhengquanshibaowang") == [
        (url.replace("/all/", "/zhengquanshibaowang/"), t) for url, t in chain
    ]


def test_archives_keep_their_bytes_and_only_changed_months_are_rewritten(tmp_path: Path) -> None:
    config = project(tmp_path)
    cycle(config)
    archives = tmp_path / "public" / "feeds" / "archive" / "all"
    before = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in archives.iterdir()}
    assert cycle(config) == ()  # nothing changed: nothing written

    write(tmp_path, "f.md", "2022-02-15 10:00:00 +0800")  # a new entry in an old month
    written = cycle(config)
    assert "feeds/archive/all/2022-02.atom.xml" in written
    assert not any(month in path for path in written for month in ("2022-01", "2022-03", "2022-04"))
    after = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in archives.iterdir()}
    assert {name for name in before if before[name] != after[name]} == {"2022-02.atom.xml"}

    write(tmp_path, "g.md", "2022-06-01 10:00:00 +0800")  # a new month: the newest before it relinks
    written = cycle(config)
    assert {p for p in written if "/archive/all/" in p} == {
        "feeds/archive/all/2022-04.atom.xml",
        "feeds/archive/all/2022-06.atom.xml",
    }
    assert link(document(tmp_path, f"{SITE}feeds/archive/all/2022-04.atom.xml"), "next-archive") == (
        f"{SITE}feeds/archive/all/2022-06.atom.xml"
    )


def test_a_month_whose_entries_are_deleted_leaves_the_chain(tmp_path: Path) -> None:
    config = project(tmp_path)
    cycle(config)
    (tmp_path / "posts" / "c.md").unlink()  # the only February post: its entry stays (history) ...
    cycle(config)
    assert (tmp_path / "public" / "feeds" / "archive" / "all" / "2022-02.atom.xml").exists()
    retained = project(tmp_path, "feed: {limit: 2, retain: 1d}\n")  # ... until retention deletes all
    cycle(retained)
    assert not list((tmp_path / "public" / "feeds" / "archive" / "all").iterdir())
    assert not list((tmp_path / "public" / "feeds" / "archive" / "zhengquanshibaowang").iterdir())
    current = document(tmp_path, f"{SITE}feeds/all.atom.xml")
    assert link(current, "prev-archive") is None and current.find(f"{ATOM}entry") is None


def test_views_have_archives_too(tmp_path: Path) -> None:
    config = project(tmp_path, 'views:\n  - {slug: early, match: {title: "a.md|c.md"}}\n')
    cycle(config)
    chain = walk(tmp_path, "early")
    assert [(url.rsplit("/", 1)[1], titles) for url, titles in chain] == [
        ("2022-02.atom.xml", ["标题 c.md"]),
        ("2022-01.atom.xml", ["标题 a.md"]),
    ]
