"""The fetcher against a real HTTP server on 127.0.0.1: each case checks the result and the stored state.

The server is on loopback, which feeds refuses by default, so ``make_config`` sets
``fetch.allow_private``; the address-check tests at the end turn it off again.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import random
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import brotli
import pytest
from feedserver import FakeDNS, FeedServer, Reply, Seen, closed_port, feed_server

from feeds import USER_AGENT, pipeline
from feeds.config import Config, WebhookConfig
from feeds.model import Entry, EntryData, FetchResult, FetchStatus, ItemFailure, Outcome
from feeds.netguard import NetGuard
from feeds.normalize import normalize
from feeds.parallel import LazyPool
from feeds.parse.feed import ParseContext, ParsedFeed
from feeds.pipeline import NormalizeContext, merge_policy, parse_step
from feeds.slugs import CategoryResolver
from feeds.sources.remote import fetch_due
from feeds.store import Store
from feeds.store.sources import SourceRow
from feeds.timefmt import utcnow

__all__ = ["feed_server"]  # the fixture, imported so pytest finds it here

DATA = Path(__file__).parent / "data" / "feeds"
RSS = (DATA / "rss20.xml").read_bytes()
INTERVAL = 600.0


def rss(*titles: str, ttl: str = "") -> bytes:
    items = "".join(
        f"<item><title>{t}</title><link>https://news.example.com/{i}</link>"
        f"<pubDate>Mon, 24 Jan 2022 22:0{i % 10}:00 +0800</pubDate></item>"
        for i, t in enumerate(titles)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{ttl}'
        f"{items}</channel></rss>"
    ).encode()


def make_config(tmp_path: Path, remotes: list[dict[str, Any]], **fetch: Any) -> Config:
    return Config.model_validate(
        {
            "site": {"title": "财经新闻聚合", "url": "https://finews.example.com"},
            "remote": [{"interval": INTERVAL, **remote} for remote in remotes],
            "categories": {"zhengquanshibaowang": {"title": "证券时报网"}},
            "fetch": {
                "timeout": 3,
                "connect_timeout": 1,
                "per_host_delay": 0,
                "allow_private": True,
                **fetch,
            },
            "base_dir": str(tmp_path),
        }
    )


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "feeds.db") as store:
        store.sources.rng = random.Random(7)
        yield store


def run(
    config: Config, store: Store, now: datetime, force_all: bool = False, guard: NetGuard | None = None
) -> dict[str, FetchResult]:
    """One fetch cycle with the pipeline's parse step, run in this process, storing each result the
    way the pipeline does (its entries and its state in one transaction)."""
    context = NormalizeContext(CategoryResolver(config.categories), config.site.url, now)

    async def cycle() -> dict[str, FetchResult]:
        results = {}
        with LazyPool(workers=1) as pool:  # one worker is never worth starting: bodies parse here
            parse = parse_step(context, pool)
            async for result in fetch_due(config, store, now, parse, force_all=force_all, guard=guard):
                new = updated = 0
                with store.transaction():
                    for entry in result.entries:
                        assert isinstance(entry, Entry), entry
                        outcome = store.entries.apply(entry, now, merge_policy(config)).outcome
                        new += outcome is Outcome.NEW
                        updated += outcome is Outcome.UPDATED
                    store.sources.record(result, new, updated, now)
                results[result.source] = result
        return results

    return asyncio.run(cycle())


def row(store: Store, name: str) -> SourceRow:
    found = store.sources.get(name)
    assert found is not None
    return found


def status_json(store: Store, name: str) -> dict[str, object]:
    return next(s.to_json() for s in store.sources.statuses() if s.name == name)


# ---- conditional GET ---------------------------------------------------------------------------


def test_etag_then_304(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    url = feed_server.route(
        "/feed", Reply(body=RSS, etag='"v1"', headers={"Content-Type": "application/rss+xml"})
    )
    config = make_config(tmp_path, [{"name": "stcn", "url": url, "category": "zhengquanshibaowang"}])
    now = utcnow()

    first = run(config, db, now)["stcn"]
    assert first.outcome is FetchStatus.OK and first.parser == "lxml"
    assert len(first.entries) == 8 and first.skipped == ()
    assert all(entry.slugs == ("zhengquanshibaowang",) for entry in first.entries)
    assert row(db, "stcn").etag == '"v1"' and row(db, "stcn").last_status == "200"

    second = run(config, db, now, force_all=True)["stcn"]
    assert feed_server.hits("/feed")[-1].headers["if-none-match"] == '"v1"'
    assert second.outcome is FetchStatus.NOT_MODIFIED and second.entries == () and second.failure is None
    stored = row(db, "stcn")
    assert (stored.last_status, stored.etag, stored.error_count) == ("304", '"v1"', 0)
    assert stored.next_due is not None and stored.next_due >= now + timedelta(minutes=30)  # <ttl>30</ttl>
    assert [entry["status"] for entry in db.sources.log("stcn")] == ["304", "200"]


def test_last_modified_then_304(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    stamp = "Mon, 24 Jan 2022 15:00:00 GMT"
    url = feed_server.route("/lm", Reply(body=rss("a", "b"), last_modified=stamp))
    config = make_config(tmp_path, [{"name": "lm", "url": url}])
    now = utcnow()
    assert run(config, db, now)["lm"].outcome is FetchStatus.OK
    assert row(db, "lm").last_modified == stamp
    again = run(config, db, now, force_all=True)["lm"]
    assert feed_server.hits("/lm")[-1].headers["if-modified-since"] == stamp
    assert again.outcome is FetchStatus.NOT_MODIFIED
    assert row(db, "lm").last_status == "304"


def test_same_body_hash_is_unchanged(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    url = feed_server.route("/plain", Reply(body=rss("a", "b")))
    config = make_config(tmp_path, [{"name": "plain", "url": url}])
    now = utcnow()
    assert len(run(config, db, now)["plain"].entries) == 2
    again = run(config, db, now, force_all=True)["plain"]
    assert again.outcome is FetchStatus.UNCHANGED and again.entries == () and again.unchanged
    assert row(db, "plain").error_count == 0
    feed_server.route("/plain", Reply(body=rss("a", "b", "c")))
    assert len(run(config, db, now, force_all=True)["plain"].entries) == 3


def test_user_agent_and_not_due_sources_are_skipped(
    tmp_path: Path, db: Store, feed_server: FeedServer
) -> None:
    url = feed_server.route("/ua", Reply(body=rss("a")))
    config = make_config(tmp_path, [{"name": "ua", "url": url}])
    now = utcnow()
    run(config, db, now)
    assert feed_server.hits("/ua")[0].headers["user-agent"] == USER_AGENT
    assert run(config, db, now + timedelta(seconds=60)) == {}  # not due yet
    assert "ua" in run(config, db, now + timedelta(seconds=INTERVAL + 1))


# ---- redirects ---------------------------------------------------------------------------------


def test_permanent_redirect_chain_updates_url(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    old = feed_server.route("/old", Reply(301, headers={"Location": "/mid"}))
    feed_server.route("/mid", Reply(308, headers={"Location": feed_server.url("/new")}))
    new = feed_server.route("/new", Reply(body=rss("a")))
    config = make_config(tmp_path, [{"name": "moved", "url": old}])
    now = utcnow()
    result = run(config, db, now)["moved"]
    assert result.outcome is FetchStatus.OK and result.state.url == new
    assert (row(db, "moved").url, row(db, "moved").aliases) == (new, (old,))
    status = status_json(db, "moved")
    assert status["url"] == new and status["aliases"] == [old]
    run(config, db, now, force_all=True)
    assert len(feed_server.hits("/old")) == 1 and len(feed_server.hits("/new")) == 2


def test_temporary_redirect_keeps_url(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    start = feed_server.route("/a", Reply(302, headers={"Location": "/b"}))
    feed_server.route("/b", Reply(307, headers={"Location": "/c"}))
    feed_server.route("/c", Reply(body=rss("a")))
    config = make_config(tmp_path, [{"name": "temp", "url": start}])
    assert run(config, db, utcnow())["temp"].outcome is FetchStatus.OK
    assert (row(db, "temp").url, row(db, "temp").aliases) == (start, ())


def test_permanent_then_temporary_stops_at_the_last_permanent_hop(
    tmp_path: Path, db: Store, feed_server: FeedServer
) -> None:
    start = feed_server.route("/p1", Reply(301, headers={"Location": "/p2"}))
    feed_server.route("/p2", Reply(302, headers={"Location": "/p3"}))
    feed_server.route("/p3", Reply(301, headers={"Location": "/final"}))
    feed_server.route("/final", Reply(body=rss("a")))
    config = make_config(tmp_path, [{"name": "mixed", "url": start}])
    run(config, db, utcnow())
    assert row(db, "mixed").url == feed_server.url("/p2")


def test_redirect_loop_and_too_many_redirects(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    loop = feed_server.route("/x", Reply(302, headers={"Location": "/y"}))
    feed_server.route("/y", Reply(301, headers={"Location": "/x"}))
    for hop in range(7):
        feed_server.route(f"/r{hop}", Reply(302, headers={"Location": f"/r{hop + 1}"}))
    feed_server.route("/r7", Reply(body=rss("a")))
    config = make_config(
        tmp_path, [{"name": "loop", "url": loop}, {"name": "long", "url": feed_server.url("/r0")}]
    )
    results = run(config, db, utcnow())
    assert results["loop"].outcome is FetchStatus.ERROR and results["loop"].state.status == "redirect_loop"
    assert results["long"].state.status == "too_many_redirects"
    assert len(feed_server.hits("/r5")) == 1 and not feed_server.hits("/r6")  # 5 redirects followed, no more
    assert row(db, "loop").error_count == 1 and row(db, "loop").url == loop


# ---- errors, gone, Retry-After ---------------------------------------------------------------


def test_404_counts_an_error_and_backs_off(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    config = make_config(tmp_path, [{"name": "missing", "url": feed_server.url("/nothing")}])
    now = utcnow()
    result = run(config, db, now)["missing"]
    assert result.outcome is FetchStatus.ERROR and result.failure is not None
    assert result.failure.location == feed_server.url("/nothing") and "404" in result.failure.reason
    stored = row(db, "missing")
    assert (stored.error_count, stored.last_status, stored.gone) == (1, "404", False)
    assert stored.next_due is not None and stored.next_due > now + timedelta(seconds=INTERVAL * 1.5)
    status = status_json(db, "missing")
    assert status["status"] == "404" and status["error_count"] == 1 and status["last_error"]
    run(config, db, now, force_all=True)
    assert row(db, "missing").error_count == 2
    assert row(db, "missing").next_due > stored.next_due  # type: ignore[operator]


def test_500_then_recovery_resets_errors(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    url = feed_server.route("/flaky", Reply(500, b"oops"))
    config = make_config(tmp_path, [{"name": "flaky", "url": url}])
    now = utcnow()
    assert run(config, db, now)["flaky"].state.status == "500"
    assert row(db, "flaky").error_count == 1
    feed_server.route("/flaky", Reply(body=rss("back")))
    assert run(config, db, now, force_all=True)["flaky"].outcome is FetchStatus.OK
    stored = row(db, "flaky")
    assert (stored.error_count, stored.last_error, stored.last_status) == (0, None, "200")


def test_410_marks_gone_until_reenabled_or_url_changes(
    tmp_path: Path, db: Store, feed_server: FeedServer
) -> None:
    url = feed_server.route("/gone", Reply(410))
    config = make_config(tmp_path, [{"name": "old", "url": url}])
    now = utcnow()
    result = run(config, db, now)["old"]
    assert result.outcome is FetchStatus.GONE and result.failure is not None
    assert row(db, "old").gone and status_json(db, "old")["gone"] is True
    assert status_json(db, "old")["next_due"] is None
    assert run(config, db, now + timedelta(days=3), force_all=True) == {}
    assert len(feed_server.hits("/gone")) == 1

    db.sources.set_gone("old", False)
    assert "old" in run(config, db, now)
    assert row(db, "old").gone

    feed_server.route("/moved-here", Reply(body=rss("a")))
    changed = make_config(tmp_path, [{"name": "old", "url": feed_server.url("/moved-here")}])
    assert run(changed, db, now)["old"].outcome is FetchStatus.OK
    assert not row(db, "old").gone and row(db, "old").url == feed_server.url("/moved-here")


@pytest.mark.parametrize("header", ["seconds", "http-date"])
def test_429_retry_after_is_shared_by_the_host(
    tmp_path: Path, db: Store, feed_server: FeedServer, header: str
) -> None:
    now = utcnow()
    value = "3600" if header == "seconds" else format_datetime(now + timedelta(hours=1), usegmt=True)
    limited = feed_server.route("/limited", Reply(429, headers={"Retry-After": value}))
    sibling = feed_server.route("/sibling", Reply(body=rss("a")))
    config = make_config(
        tmp_path, [{"name": "limited", "url": limited}, {"name": "sibling", "url": sibling}], per_host=1
    )
    results = run(config, db, now)
    assert results["limited"].state.status == "429"
    assert results["sibling"].outcome is FetchStatus.DEFERRED and not feed_server.hits("/sibling")
    window = db.sources.host_windows(now)[feed_server.host]
    assert now + timedelta(minutes=59) <= window <= now + timedelta(minutes=61)
    assert row(db, "limited").next_due == window and row(db, "sibling").next_due == window
    assert run(config, db, now + timedelta(minutes=30), force_all=True) == {}  # --all honours the window
    later = run(config, db, window + timedelta(seconds=1))
    assert set(later) == {"limited", "sibling"}


def test_503_retry_after_is_capped_at_seven_days(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    url = feed_server.route("/busy", Reply(503, headers={"Retry-After": str(30 * 86400)}))
    config = make_config(tmp_path, [{"name": "busy", "url": url}])
    now = utcnow()
    result = run(config, db, now)["busy"]
    assert result.state.retry_after == now + timedelta(days=7)
    assert row(db, "busy").error_count == 1 and row(db, "busy").last_status == "503"


def test_cache_control_sets_a_floor(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    url = feed_server.route(
        "/cached", Reply(body=rss("a"), headers={"Cache-Control": "public, max-age=7200"})
    )
    config = make_config(tmp_path, [{"name": "cached", "url": url}])
    now = utcnow()
    run(config, db, now)
    assert row(db, "cached").next_due == now + timedelta(hours=2)


# ---- limits ------------------------------------------------------------------------------------


def test_stalled_server_times_out(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    url = feed_server.route("/stall", Reply(body=rss("a"), delay=3))
    config = make_config(tmp_path, [{"name": "stall", "url": url}], timeout=0.5)
    started = time.monotonic()
    result = run(config, db, utcnow())["stall"]
    assert time.monotonic() - started < 5
    assert result.state.status == "timeout" and row(db, "stall").error_count == 1


def test_endless_body_is_cut_by_max_bytes(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    url = feed_server.route("/endless", Reply(stream_forever=True))
    config = make_config(tmp_path, [{"name": "endless", "url": url}], max_bytes="1MiB", timeout=5)
    started = time.monotonic()
    result = run(config, db, utcnow())["endless"]
    assert result.state.status == "too_large" and time.monotonic() - started < 4.5


def test_trickling_body_is_cut_by_the_total_timeout(
    tmp_path: Path, db: Store, feed_server: FeedServer
) -> None:
    url = feed_server.route("/trickle", Reply(stream_forever=True, chunk=b"<!-- -->", chunk_delay=0.05))
    config = make_config(tmp_path, [{"name": "trickle", "url": url}], timeout=0.6)
    started = time.monotonic()
    result = run(config, db, utcnow())["trickle"]
    assert result.state.status == "timeout" and time.monotonic() - started < 5


BOMBS = {
    "gzip": lambda data: gzip.compress(data, compresslevel=6),
    "deflate": zlib.compress,
    "br": lambda data: brotli.compress(data, quality=4),
}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compression_bomb_is_refused(
    tmp_path: Path, db: Store, feed_server: FeedServer, encoding: str
) -> None:
    inflated = rss("a") + b" " * (16 * 2**20)
    bomb = BOMBS[encoding](inflated)
    assert len(bomb) < 2**17
    url = feed_server.route("/bomb", Reply(body=bomb, headers={"Content-Encoding": encoding}))
    config = make_config(tmp_path, [{"name": "bomb", "url": url}], max_bytes="1MiB")
    result = run(config, db, utcnow())["bomb"]
    assert result.state.status == "too_large"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compressed_feed_is_read(tmp_path: Path, db: Store, feed_server: FeedServer, encoding: str) -> None:
    packed = BOMBS[encoding](RSS)
    url = feed_server.route("/packed", Reply(body=packed, headers={"Content-Encoding": encoding}))
    config = make_config(tmp_path, [{"name": "packed", "url": url}])
    assert len(run(config, db, utcnow())["packed"].entries) == 8
    assert "br" in feed_server.hits("/packed")[0].headers["accept-encoding"]


def test_per_host_spacing(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    remotes = [
        {"name": f"s{i}", "url": feed_server.route(f"/s{i}", Reply(body=rss(f"{i}")))} for i in range(3)
    ]
    config = make_config(tmp_path, remotes, per_host=2, per_host_delay=0.2)
    run(config, db, utcnow())
    starts = sorted(seen.at for seen in feed_server.requests)
    assert all(b - a >= 0.18 for a, b in itertools.pairwise(starts))


def test_a_hosts_feeds_share_its_kept_alive_connections(
    tmp_path: Path, db: Store, feed_server: FeedServer
) -> None:
    """Twelve feeds on one host, two at a time: two connections carry them all, though the run has
    four clients (round-robin over clients would open a connection per client and feed)."""
    remotes = [
        {"name": f"k{i}", "url": feed_server.route(f"/k{i}", Reply(body=rss(f"{i}")))} for i in range(12)
    ]
    config = make_config(tmp_path, remotes, concurrency=8, per_host=2)
    results = run(config, db, utcnow())
    assert all(result.outcome is FetchStatus.OK for result in results.values())
    assert len(feed_server.requests) == 12
    assert len({seen.peer for seen in feed_server.requests}) <= 2


# ---- bodies ------------------------------------------------------------------------------------


CHINESE = "沪深两市成交额突破万亿元"


@pytest.mark.parametrize(
    ("declared", "actual"),
    [("utf-8", "gbk"), ("utf-8", "gb18030"), ("gb2312", "utf-8"), ("gbk", "utf-8"), ("gb2312", "gbk")],
)
def test_wrong_charset_declarations(
    tmp_path: Path, db: Store, feed_server: FeedServer, declared: str, actual: str
) -> None:
    body = f'<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel><title>频道</title>'
    body += f"<item><title>{CHINESE}</title><guid>g1</guid></item></channel></rss>"
    headers = {"Content-Type": f"application/rss+xml; charset={declared}"}
    url = feed_server.route("/cs", Reply(body=body.encode(actual), headers=headers))
    config = make_config(tmp_path, [{"name": "cs", "url": url}])
    result = run(config, db, utcnow())["cs"]
    assert [entry.title for entry in result.entries] == [CHINESE]


def test_xxe_does_not_read_files(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN", encoding="utf-8")
    body = f"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "{secret.as_uri()}"> <!ENTITY pw SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>t</title>
<item><title>leak &xxe;</title><guid>g1</guid><description>&pw;</description></item></channel></rss>"""
    url = feed_server.route("/xxe", Reply(body=body.encode()))
    config = make_config(tmp_path, [{"name": "xxe", "url": url}])
    result = run(config, db, utcnow())["xxe"]
    text = repr(result)
    assert "TOP-SECRET-TOKEN" not in text and "root:" not in text
    assert result.outcome in (FetchStatus.OK, FetchStatus.ERROR)


def test_billion_laughs_is_harmless(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    )
    body = f"""<?xml version="1.0"?><!DOCTYPE rss [{entities}]>
<rss version="2.0"><channel><title>t</title><item><title>&lol9;</title><guid>g</guid></item>
</channel></rss>"""
    url = feed_server.route("/lol", Reply(body=body.encode()))
    config = make_config(tmp_path, [{"name": "lol", "url": url}])
    started = time.monotonic()
    result = run(config, db, utcnow())["lol"]
    assert time.monotonic() - started < 5
    assert all(len(entry.title) < 1000 for entry in result.entries)


def test_items_without_dates_ids_or_links(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    url = feed_server.route("/rss", Reply(body=RSS))
    config = make_config(tmp_path, [{"name": "stcn", "url": url}])
    now = utcnow()
    result = run(config, db, now)["stcn"]
    assert result.skipped == () and sum(entry.item_id.startswith("sha256:") for entry in result.entries) == 1
    by_title = {entry.title: entry for entry in result.entries}
    undated = by_title["沪深两市成交额连续第十个交易日突破万亿元"]
    assert undated.date_is_fetch_time and undated.published == now and undated.raw_date == ""
    title_only = by_title["只有标题的快讯：A股三大指数集体收涨"]
    assert title_only.item_id == title_only.title and title_only.link is None
    future = by_title["未来日期的公告"]
    assert future.published == now and future.raw_date.startswith("Fri, 01 Jan 2100")
    assert db.entries.recent(limit=100)  # stored through normalize + apply


def test_item_with_a_local_posts_info_code_merges(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    config = make_config(tmp_path, [{"name": "stcn", "url": feed_server.route("/rss", Reply(body=RSS))}])
    now = utcnow()
    seed = EntryData(
        source="local:posts",
        item_id="000_df4b0940cadb3621.txt",
        title="工信部：培育一批进军元宇宙、区块链、人工智能等领域的中小企业",
        content="<p>正文</p><p><http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178></p>",
        published=datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC),
        raw_date="2022-01-24 22:56:53 +0800",
        categories=("zhengquanshibaowang",),
    )
    resolver = CategoryResolver(config.categories)
    with db.transaction():
        entry = normalize(seed, resolver, config.site.url, now)
        assert db.entries.apply(entry, now, merge_policy(config)).outcome is Outcome.NEW
    run(config, db, now)
    stored = db.entries.get("NW202201242259595178")
    assert stored is not None and set(stored.sources) == {"local:posts", "stcn"}


def test_json_feed_over_http(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    body = (DATA / "feed.json").read_bytes()
    url = feed_server.route("/feed.json", Reply(body=body, headers={"Content-Type": "application/feed+json"}))
    result = run(make_config(tmp_path, [{"name": "fund", "url": url}]), db, utcnow())["fund"]
    assert result.parser == "json" and len(result.entries) == 3 and result.skipped == ()
    assert result.entries[0].link == feed_server.url("/news/20220125-01.html")


def test_a_result_carries_what_its_parse_step_made(
    tmp_path: Path, db: Store, feed_server: FeedServer
) -> None:
    """The fetcher hands a new body to the caller's parse step and its result carries that step's
    entries themselves, so the pipeline stores ``result.entries`` with nothing kept beside them."""
    url = feed_server.route("/feed", Reply(body=rss("a", "b")))
    config = make_config(tmp_path, [{"name": "s", "url": url}])
    now = utcnow()
    context = NormalizeContext(CategoryResolver(config.categories), config.site.url, now)
    made: list[ParsedFeed[Entry | ItemFailure]] = []

    async def parse(body: bytes, parse_context: ParseContext, content_type: str | None) -> Any:
        made.append(pipeline.parse_and_normalize(context, parse_context, content_type, body))
        return made[-1]

    async def fetch() -> list[FetchResult]:
        return [result async for result in fetch_due(config, db, now, parse)]

    (result,) = asyncio.run(fetch())
    assert result.outcome is FetchStatus.OK and result.entries is made[0].items
    assert [entry.title for entry in result.entries] == ["a", "b"] and result.found == 2


def test_file_url_and_relative_path_sources(tmp_path: Path, db: Store) -> None:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "atom03.xml").write_bytes((DATA / "atom03.xml").read_bytes())
    (feeds / "rss10.rdf").write_bytes((DATA / "rss10.rdf").read_bytes())
    remotes = [
        {"name": "atom03", "url": (feeds / "atom03.xml").as_uri()},
        {"name": "rss10", "url": "feeds/rss10.rdf"},
        {"name": "nofile", "url": "feeds/missing.xml"},
    ]
    config = make_config(tmp_path, remotes)
    now = utcnow()
    results = run(config, db, now)
    assert [i.title for i in results["atom03"].entries] == ["国债期货全线收涨"]
    assert [i.title for i in results["rss10"].entries] == ["上证指数报收3524点"]
    assert results["nofile"].state.status == "not_found" and row(db, "nofile").error_count == 1
    assert run(config, db, now, force_all=True)["rss10"].outcome is FetchStatus.UNCHANGED


def test_bozo_feed_is_ingested_with_a_warning(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    url = feed_server.route("/bozo", Reply(body=(DATA / "bozo.xml").read_bytes()))
    result = run(make_config(tmp_path, [{"name": "bozo", "url": url}]), db, utcnow())["bozo"]
    assert result.outcome is FetchStatus.OK and len(result.entries) == 2 and result.failure is None
    assert result.state.warning and status_json(db, "bozo")["warning"] == result.state.warning


def test_not_a_feed_is_a_failure(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    page = b"<html><head><title>Not a feed</title></head><body><p>hello</p></body></html>"
    url = feed_server.route("/page", Reply(body=page, headers={"Content-Type": "text/html"}))
    result = run(make_config(tmp_path, [{"name": "page", "url": url}]), db, utcnow())["page"]
    assert result.outcome is FetchStatus.ERROR and result.state.status == "parse"
    assert row(db, "page").error_count == 1 and row(db, "page").body_hash is None


# ---- the network-down rule ---------------------------------------------------------------------


def test_network_down_failures_are_not_counted(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    up = feed_server.route("/up", Reply(body=rss("a")))
    remotes = [{"name": f"down{i}", "url": f"http://127.0.0.1:{closed_port()}/feed"} for i in range(3)]
    config = make_config(tmp_path, [*remotes, {"name": "up", "url": up}])
    now = utcnow()
    results = run(config, db, now)
    for i in range(3):
        result = results[f"down{i}"]
        assert result.state.status == "refused" and not result.state.count_error
        stored = row(db, f"down{i}")
        assert stored.error_count == 0 and stored.last_status == "refused"
        assert stored.next_due == now + timedelta(seconds=INTERVAL)  # retried as usual, no backoff
    assert row(db, "up").error_count == 0


def test_one_unreachable_host_among_many_is_counted(
    tmp_path: Path, db: Store, feed_server: FeedServer
) -> None:
    other = FeedServer().start()
    try:
        remotes = [
            {"name": "a", "url": feed_server.route("/a", Reply(body=rss("a")))},
            {"name": "b", "url": other.route("/b", Reply(body=rss("b")))},
            {"name": "down", "url": f"http://127.0.0.1:{closed_port()}/feed"},
        ]
        results = run(make_config(tmp_path, remotes), db, utcnow())
    finally:
        other.stop()
    assert results["down"].state.count_error and row(db, "down").error_count == 1


def test_seen_requests_record_paths(feed_server: FeedServer) -> None:
    """The helper itself: unknown paths answer 404 and are recorded."""
    import httpx

    response = httpx.get(feed_server.url("/unknown"))
    assert response.status_code == 404
    assert [seen.path for seen in feed_server.requests] == ["/unknown"]
    assert isinstance(feed_server.requests[0], Seen)


# ---- small pieces ------------------------------------------------------------------------------


def test_https_upgrade_counts_as_permanent() -> None:
    from feeds.sources.remote import _https_upgrade

    assert _https_upgrade("http://a.example/feed?x=1", "https://a.example/feed?x=1")
    assert not _https_upgrade("http://a.example/feed", "https://b.example/feed")
    assert not _https_upgrade("http://a.example/feed", "https://a.example/other")
    assert not _https_upgrade("https://a.example/feed", "http://a.example/feed")


def test_transport_errors_get_short_kinds() -> None:
    import socket

    import httpx

    from feeds.sources.remote import _transport_error

    def chained(exc: httpx.HTTPError, cause: BaseException) -> httpx.HTTPError:
        exc.__cause__ = cause
        return exc

    dns = chained(httpx.ConnectError("[Errno -2] Name or service not known"), socket.gaierror(-2, "unknown"))
    refused = chained(
        httpx.ConnectError("[Errno 111] Connection refused"), ConnectionRefusedError(111, "refused")
    )
    cases = {
        "dns": dns,
        "refused": refused,
        "connect_timeout": httpx.ConnectTimeout("timed out"),
        "timeout": httpx.ReadTimeout("timed out"),
        "protocol": httpx.RemoteProtocolError("bad"),
    }
    for kind, exc in cases.items():
        assert _transport_error("http://x.example/", exc).kind == kind


def test_bench_stays_runnable(capsys: pytest.CaptureFixture[str]) -> None:
    """bench/bench_fetch.py at toy size: the benchmark keeps working as the code changes."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench import bench_fetch

    bench_fetch.main(["--feeds", "4", "--items", "3", "--sample", "2"])
    out = capsys.readouterr().out
    assert "second cycle (all 304)" in out and "4 unchanged, 0 failed" in out


# ---- address checks (SSRF): without fetch.allow_private ----------------------------------------


def refusing(*stand_ins: FeedServer, dns: FakeDNS | None = None) -> NetGuard:
    """The default policy, except that ``stand_ins`` (servers on 127.0.0.1) count as public hosts."""
    return NetGuard.exempting([("127.0.0.1", server.port) for server in stand_ins], dns or FakeDNS())


def test_a_feed_on_loopback_is_refused_by_default(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    url = feed_server.route("/feed", Reply(body=rss("internal")))
    config = make_config(tmp_path, [{"name": "local", "url": url}], allow_private=False)
    result = run(config, db, utcnow())["local"]
    assert result.outcome is FetchStatus.ERROR and result.entries == ()
    assert result.state.status == "blocked" and result.state.count_error
    assert result.failure is not None and result.failure.location == url
    assert "127.0.0.1 is a loopback address" in result.failure.reason
    assert "fetch.allow_private" in result.failure.reason
    assert not feed_server.requests  # refused before connecting
    stored = row(db, "local")
    assert (stored.error_count, stored.last_status) == (1, "blocked") and stored.last_error


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.1.2.3", "a private address"),
        ("169.254.169.254", "a link-local address"),  # cloud metadata
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("fd00::1", "a private address"),
        ("::ffff:192.168.0.1", "a private address (embedded in IPv6)"),
        ("0.0.0.0", "an unspecified address"),
    ],
)
def test_a_public_looking_name_that_resolves_inside_is_refused(
    tmp_path: Path, db: Store, address: str, kind: str
) -> None:
    dns = FakeDNS({"news.example.test": [address]})
    config = make_config(
        tmp_path, [{"name": "news", "url": "http://news.example.test/rss"}], allow_private=False
    )
    result = run(config, db, utcnow(), guard=refusing(dns=dns))["news"]
    assert result.state.status == "blocked" and result.failure is not None
    assert f"news.example.test resolves to {address}, {kind}" in result.failure.reason
    assert dns.asked == ["news.example.test"]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_into_the_private_network_is_refused_and_never_saved(
    tmp_path: Path, db: Store, feed_server: FeedServer, status: int
) -> None:
    """The first hop is a public host (a stand-in on 127.0.0.1), the second the server's own loopback:
    nothing internal is fetched or stored, and a permanent redirect does not become the source's URL."""
    internal = FeedServer().start()
    try:
        secret = internal.route("/admin/feed", Reply(body=rss("INTERNAL ONLY")))
        feed_server.route("/feed", Reply(status, headers={"Location": secret}))
        url = f"http://feeds.test:{feed_server.port}/feed"
        guard = refusing(feed_server, dns=FakeDNS({"feeds.test": ["127.0.0.1"]}))
        config = make_config(tmp_path, [{"name": "moved", "url": url}], allow_private=False)
        result = run(config, db, utcnow(), guard=guard)["moved"]
    finally:
        internal.stop()
    assert len(feed_server.hits("/feed")) == 1 and not internal.requests
    assert result.state.status == "blocked" and result.entries == ()
    assert result.failure is not None and result.failure.location == secret
    assert f"redirected from {url}" in result.failure.reason
    assert (row(db, "moved").url, row(db, "moved").aliases) == (url, ())
    assert db.entries.recent(limit=10) == []


def test_a_redirect_to_a_name_that_resolves_inside_is_refused(
    tmp_path: Path, db: Store, feed_server: FeedServer
) -> None:
    feed_server.route("/feed", Reply(301, headers={"Location": "http://intranet.test/secret"}))
    dns = FakeDNS({"feeds.test": ["127.0.0.1"], "intranet.test": ["192.168.1.10"]})
    url = f"http://feeds.test:{feed_server.port}/feed"
    config = make_config(tmp_path, [{"name": "moved", "url": url}], allow_private=False)
    result = run(config, db, utcnow(), guard=refusing(feed_server, dns=dns))["moved"]
    assert result.state.status == "blocked" and result.failure is not None
    assert "intranet.test resolves to 192.168.1.10, a private address" in result.failure.reason
    assert row(db, "moved").url == url


def test_allow_private_follows_the_same_redirect(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    feed_server.route("/feed", Reply(301, headers={"Location": feed_server.url("/internal")}))
    internal = feed_server.route("/internal", Reply(body=rss("a")))
    url = f"http://feeds.test:{feed_server.port}/feed"
    config = make_config(tmp_path, [{"name": "moved", "url": url}])  # allow_private: true
    guard = NetGuard(allow_private=True, resolver=FakeDNS({"feeds.test": ["127.0.0.1"]}))
    result = run(config, db, utcnow(), guard=guard)["moved"]
    assert result.outcome is FetchStatus.OK and row(db, "moved").url == internal


def test_the_checked_address_is_the_connected_one(tmp_path: Path, db: Store, feed_server: FeedServer) -> None:
    """DNS rebinding: the name answers a stand-in public address, then an internal one. Each new
    connection is resolved once and connected to that very literal: ``feeds.test`` does not exist
    for the system resolver, so the first fetch can only have reached the server through the
    address the guard checked; the second connection sees the new answer and is refused."""
    url = f"http://feeds.test:{feed_server.port}/feed"
    feed_server.route("/feed", Reply(body=rss("a")))
    dns = FakeDNS(turns={"feeds.test": [["127.0.0.1"], ["10.0.0.9"]]})
    guard = refusing(feed_server, dns=dns)
    config = make_config(tmp_path, [{"name": "rebind", "url": url}], allow_private=False)
    now = utcnow()
    assert run(config, db, now, guard=guard)["rebind"].outcome is FetchStatus.OK
    assert dns.asked == ["feeds.test"]
    assert feed_server.hits("/feed")[0].headers["host"] == f"feeds.test:{feed_server.port}"
    again = run(config, db, now, force_all=True, guard=guard)["rebind"]
    assert again.state.status == "blocked" and len(feed_server.hits("/feed")) == 1
    assert dns.asked == ["feeds.test", "feeds.test"]


def test_a_name_that_does_not_resolve_is_a_dns_error(tmp_path: Path, db: Store) -> None:
    config = make_config(tmp_path, [{"name": "nx", "url": "http://nowhere.test/rss"}], allow_private=False)
    result = run(config, db, utcnow(), guard=refusing())["nx"]
    assert result.state.status == "dns" and "nowhere.test" in (result.state.error or "")


def test_file_sources_need_no_allow_private(tmp_path: Path, db: Store) -> None:
    (tmp_path / "local.xml").write_bytes(rss("from a file"))
    config = make_config(tmp_path, [{"name": "file", "url": "local.xml"}], allow_private=False)
    assert [entry.title for entry in run(config, db, utcnow())["file"].entries] == ["from a file"]


def test_a_source_failing_recovering_and_gone_is_announced_once_each(
    tmp_path: Path, db: Store, feed_server: FeedServer
) -> None:
    """source.* webhooks: failing after three errors in a row, recovered when it answers, gone on 410;
    queued with the source's new state, and only while webhooks are configured."""
    url = feed_server.route("/flaky", Reply(500, b"oops"))
    config = make_config(tmp_path, [{"name": "flaky", "url": url}]).model_copy(
        update={"webhooks": (WebhookConfig(url="https://hooks.example.com/h", secret="whsec_dGVzdA=="),)}
    )

    def cycle(now: datetime) -> None:
        asyncio.run(pipeline.ingest_remote(config, db, now, force_all=True))

    now = utcnow()
    for attempt in range(4):
        cycle(now + timedelta(hours=attempt))
    feed_server.route("/flaky", Reply(body=rss("back")))
    cycle(now + timedelta(hours=5))
    feed_server.route("/flaky", Reply(410))
    cycle(now + timedelta(hours=6))
    events = [json.loads(body) for (body,) in db.conn.execute("SELECT payload FROM events ORDER BY seq")]
    source_events = [(e["type"], e["data"]["error_count"]) for e in events if e["type"].startswith("source.")]
    assert source_events == [("source.failing", 3), ("source.recovered", 0), ("source.gone", 0)]
    assert events[0]["data"]["source"] == "flaky" and events[0]["data"]["status"] == "500"
