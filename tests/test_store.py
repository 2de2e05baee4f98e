"""The store on a real SQLite file: migrations, copies per source, and the merged entry."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import DATA
from hypothesis import given
from hypothesis import strategies as st

from feeds import rules
from feeds.errors import StoreError
from feeds.merge import MergePolicy
from feeds.model import Category, Entry, ItemFailure, Outcome, Text
from feeds.store import Store, store_error
from feeds.store import entries as store_entries
from feeds.store.entries import NEAR_CANDIDATES
from feeds.store.schema import LATEST

T0 = datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
ZQ = Category("zhengquanshibaowang", "证券时报网")
DF = Category("dongfangcaifuwang", "东方财富网")
POLICY = MergePolicy({"local": 100, "remote": 50, "remote-demo": 50, "other": 50}, timedelta(hours=72))


def entry(**fields: object) -> Entry:
    base = Entry(
        key="NW1",
        info_code="NW1",
        title="标题",
        link="https://a.example/1",
        content="<p>正文</p>",
        summary=None,
        author=None,
        published=T0,
        updated=T0,
        categories=(ZQ,),
        tags=("证券时报网新闻",),
        source="local",
        item_id="a.md",
        content_hash="h1",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def apply(store: Store, item: Entry, now: datetime = T0, policy: MergePolicy = POLICY) -> Outcome:
    with store.transaction():
        return store.entries.apply(item, now, policy).outcome


def test_fresh_store_is_latest_and_wal(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s" / "feeds.db") as store:
        assert store.version == LATEST
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "feeds.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {LATEST + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer than this feeds knows"):
        Store.open(path)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "feeds.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        Store.open(path)


def test_events_are_queued_with_the_change(store: Store) -> None:
    apply(store, entry())
    apply(store, entry())
    apply(store, entry(content_hash="h2", content="<p>x</p>"), now=T0 + timedelta(minutes=5))
    rows = store.conn.execute("SELECT type, entry_key FROM events ORDER BY seq").fetchall()
    assert rows == [("entry.created", "NW1"), ("entry.updated", "NW1")]


def test_rolled_back_change_queues_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.entries.apply(entry(), T0, POLICY)
        raise RuntimeError("crash before commit")
    assert store.entries.count() == 0
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_recent_is_newest_first_and_limited(store: Store) -> None:
    for n in range(5):
        apply(store, entry(key=f"NW{n}", item_id=f"{n}.md", published=T0 + timedelta(hours=n), updated=T0))
    keys = [e.key for e in store.entries.recent("zhengquanshibaowang", limit=3)]
    assert keys == ["NW4", "NW3", "NW2"]
    assert [e.key for e in store.entries.recent(None, limit=2)] == ["NW4", "NW3"]


def test_a_rolled_back_change_marks_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.entries.apply(entry(), T0, POLICY)
        raise RuntimeError("crash before commit")
    assert not store.entries.dirty_feeds()


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM entry_categories WHERE key = ?",
        "SELECT key FROM entry_categories WHERE slug = ? ORDER BY published DESC, key LIMIT 50",
        "SELECT key, source, item_id FROM copies WHERE key = ?",
        "SELECT content_hash FROM copies WHERE key = ? AND source = ? AND item_id = ?",
        "SELECT key, content_hash FROM copies WHERE source = ? AND item_id = ? AND retired = 0",
        "DELETE FROM entries WHERE key = ?",  # cascades to copies: needs their index by key
        NEAR_CANDIDATES,
    ],
)
def test_per_entry_queries_search_an_index(sqlite_store: Store, query: str) -> None:
    """These run once per stored entry: a table scan would make large stores quadratic."""
    params = ("x",) * query.count("?")
    plan = " ".join(row[3] for row in sqlite_store.conn.execute(f"EXPLAIN QUERY PLAN {query}", params))
    assert "SEARCH" in plan and "SCAN" not in plan, plan


def test_a_rollback_does_not_leave_a_category_unrecorded(store: Store) -> None:
    """The repo skips re-writing category titles it wrote before; a rollback must reset that."""
    with pytest.raises(RuntimeError), store.transaction():
        store.entries.apply(entry(key="NW1"), T0, POLICY)
        raise RuntimeError("this item failed; the transaction rolls back")
    apply(store, entry(key="NW2", item_id="2"))
    assert store.entries.categories() == [ZQ]


def test_batches_commit_every_n_and_roll_back_only_the_open_batch(store: Store) -> None:
    with pytest.raises(RuntimeError), store.batches(2) as commit_point:
        for n in range(3):
            store.entries.apply(entry(key=f"NW{n}", item_id=f"{n}"), T0, POLICY)
            commit_point()
        raise RuntimeError("crash with the third entry's batch open")
    assert sorted(e.key for e in store.entries.recent()) == ["NW0", "NW1"]


def test_new_duplicate_update(store: Store) -> None:
    assert apply(store, entry()) is Outcome.NEW
    assert apply(store, entry()) is Outcome.DUPLICATE
    later = T0 + timedelta(hours=1)
    changed = entry(content="<p>改</p>", content_hash="h2")
    assert apply(store, changed, now=later) is Outcome.UPDATED
    stored = store.entries.get("NW1")
    assert stored is not None
    assert stored.content == "<p>改</p>"
    assert stored.published == T0
    assert stored.updated == later  # no newer date of its own: when the change was seen
    redated = entry(content="<p>再改</p>", content_hash="h3", published=T0 + timedelta(days=3))
    assert apply(store, redated, now=later + timedelta(hours=1)) is Outcome.UPDATED
    stored = store.entries.get("NW1")
    assert stored is not None and stored.published == stored.updated == T0 + timedelta(days=3)


def test_every_copy_is_kept_and_the_entry_shows_the_best(store: Store) -> None:
    remote = entry(
        source="remote-demo", item_id="guid-9", categories=(DF,), title="短标题", content="<p>摘要</p>",
        link="https://other.example/9", tags=("快讯",), content_hash="r1",
    )  # fmt: skip
    assert apply(store, remote) is Outcome.NEW
    assert apply(store, entry(), now=T0 + timedelta(days=1)) is Outcome.UPDATED  # the local post outranks it
    stored = store.entries.get("NW1")
    assert stored is not None
    assert (stored.title, stored.link, stored.content) == ("标题", "https://a.example/1", "<p>正文</p>")
    assert stored.sources == ("local", "remote-demo")
    assert stored.categories == ("dongfangcaifuwang", "zhengquanshibaowang")
    assert stored.tags == ("证券时报网新闻", "快讯")
    assert stored.updated == T0  # the canonical copy's own time, not when it arrived
    assert [e.key for e in store.entries.recent("dongfangcaifuwang")] == ["NW1"]
    assert {(c.source, c.title) for c in store.entries.copies("NW1")} == {
        ("local", "标题"),
        ("remote-demo", "短标题"),
    }


def test_a_lower_priority_copy_changing_queues_nothing_and_dirties_nothing(store: Store) -> None:
    apply(store, entry())
    apply(store, entry(source="remote", item_id="g", content="<p>摘要</p>", content_hash="r1"))
    with store.transaction():
        store.entries.clear_dirty(store.entries.dirty_feeds())
    before = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    edited = entry(source="remote", item_id="g", content="<p>改写</p>", content_hash="r2")
    assert apply(store, edited, now=T0 + timedelta(hours=2)) is Outcome.DUPLICATE
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == before
    assert not store.entries.dirty_feeds()
    assert {c.content for c in store.entries.copies("NW1")} == {"<p>正文</p>", "<p>改写</p>"}


def test_changes_mark_their_feeds_dirty(store: Store) -> None:
    apply(store, entry())
    assert set(store.entries.dirty_feeds()) == {"all", "zhengquanshibaowang"}
    with store.transaction():
        store.entries.clear_dirty(store.entries.dirty_feeds())
    apply(store, entry())  # a duplicate touches no feed
    assert not store.entries.dirty_feeds()
    apply(store, entry(source="remote", item_id="g", categories=(DF,), content_hash="h2"))
    assert set(store.entries.dirty_feeds()) == {"all", "dongfangcaifuwang", "zhengquanshibaowang"}


def test_a_change_stored_while_a_build_renders_keeps_its_mark(store: Store) -> None:
    """A build clears only the marks it read before rendering: a change another process stores
    meanwhile (PostgreSQL workers) marks its feeds and month again, and they stay marked."""
    apply(store, entry())
    feeds, months = store.entries.dirty_feeds(), store.entries.dirty_months()  # the build reads them
    apply(
        store, entry(key="NW2", item_id="b.md", info_code="NW2", title="另一条", content_hash="h2")
    )  # meanwhile
    with store.transaction():  # the build ends
        store.entries.clear_dirty(feeds)
        store.entries.clear_dirty_months(months)
    assert set(store.entries.dirty_feeds()) == {"all", "zhengquanshibaowang"}
    assert set(store.entries.dirty_months()) == set(months)
    feeds, months = store.entries.dirty_feeds(), store.entries.dirty_months()  # the next build
    with store.transaction():
        store.entries.clear_dirty(feeds)
        store.entries.clear_dirty_months(months)
    assert not store.entries.dirty_feeds() and not store.entries.dirty_months()


def test_forgetting_a_copy_remerges_from_the_rest(store: Store) -> None:
    apply(store, entry())
    apply(store, entry(source="remote", item_id="g", title="转载", categories=(DF,), content_hash="r"))
    with store.transaction():
        store.entries.forget_copy("NW1", "local", "a.md", POLICY, T0, notify=True)
    stored = store.entries.get("NW1")
    assert stored is not None and (stored.title, stored.categories, stored.sources) == (
        "转载",
        ("dongfangcaifuwang",),
        ("remote",),
    )
    assert [e.key for e in store.entries.recent("zhengquanshibaowang")] == []
    with store.transaction():
        store.entries.forget_copy("NW1", "remote", "g", POLICY, T0, notify=True)
    kept = store.entries.get("NW1")  # no copies left: the entry stays as it was, text and all
    assert kept is not None and (kept.title, kept.content, kept.sources) == ("转载", "<p>正文</p>", ())
    assert store.conn.execute("SELECT count(*) FROM copies WHERE key = 'NW1'").fetchone()[0] == 1


def test_changed_priorities_remerge_every_entry_once(store: Store) -> None:
    apply(store, entry())
    apply(store, entry(source="remote", item_id="g", title="转载", content_hash="r"))
    assert store.entries.remerge_if_policy_changed(POLICY, T0, notify=True) == 0  # first: records it
    flipped = MergePolicy({"local": 1, "remote": 50})
    assert store.entries.remerge_if_policy_changed(flipped, T0, notify=True) == 1
    stored = store.entries.get("NW1")
    assert stored is not None and stored.title == "转载"
    assert store.entries.remerge_if_policy_changed(flipped, T0, notify=True) == 0
    types = [row[0] for row in store.conn.execute("SELECT type FROM events ORDER BY seq")]
    assert types == ["entry.created", "entry.updated"]


def near(key: str, source: str, title_key: str = "沪指收涨05", hours: float = 0) -> Entry:
    return entry(
        key=key, info_code=None, source=source, item_id=key, title_key=title_key,
        published=T0 + timedelta(hours=hours), updated=T0 + timedelta(hours=hours), content_hash=key,
    )  # fmt: skip


def test_near_duplicates_join_one_entry_within_the_window(store: Store) -> None:
    assert apply(store, near("guid:a", "remote")) is Outcome.NEW
    assert apply(store, near("guid:b", "other", hours=71)) is not Outcome.NEW
    assert apply(store, near("guid:c", "other", hours=-80)) is Outcome.NEW  # outside the 72 h window
    assert apply(store, near("guid:d", "other", title_key="沪指收跌05")) is Outcome.NEW
    assert sorted(c.item_id for c in store.entries.copies("guid:a")) == ["guid:a", "guid:b"]
    assert apply(store, near("guid:b", "other", hours=71)) is Outcome.DUPLICATE  # found again next fetch
    assert store.entries.count() == 3


def test_near_duplicates_off_keeps_them_apart(store: Store) -> None:
    off = MergePolicy(POLICY.priorities, None)
    apply(store, near("guid:a", "remote"), policy=off)
    assert apply(store, near("guid:b", "other"), policy=off) is Outcome.NEW


def test_an_infocode_entry_never_takes_a_near_duplicate(store: Store) -> None:
    apply(store, entry(title_key="沪指收涨05"))
    assert apply(store, near("guid:a", "remote")) is Outcome.NEW


def load_v1(path: Path) -> None:
    """A store written by the previous release (the shipped examples after `make run`)."""
    conn = sqlite3.connect(path)
    conn.executescript((DATA / "stores" / "v1-examples.sql").read_text(encoding="utf-8"))
    conn.execute("PRAGMA user_version = 1")
    conn.close()


def test_migration_from_v1_keeps_every_entry_and_source(tmp_path: Path) -> None:
    path = tmp_path / "feeds.db"
    load_v1(path)
    old = sqlite3.connect(path)
    # v1 kept an entry whose post files were all deleted, with no copy left
    old.execute("DELETE FROM entry_sources WHERE key = 'NW20220101082200000003'")
    old.commit()
    texts = dict(old.execute("SELECT key, content FROM entries"))
    copies = set(old.execute("SELECT key, source, item_id FROM entry_sources"))
    sources = set(old.execute("SELECT name, url, etag FROM sources"))
    old.close()
    with Store.open(path) as store:
        assert store.version == LATEST
        assert {e.key: e.content for e in store.entries.recent()} == texts  # every text, from its copy
        migrated = set(store.conn.execute("SELECT key, source, item_id FROM copies WHERE retired = 0"))
        assert migrated == copies
        assert store.entries.copies("NW20220101082200000003") == []
        assert {row[0] for row in store.conn.execute("SELECT name FROM sources")} == {s[0] for s in sources}
        unknown = store.conn.execute("SELECT DISTINCT source FROM copies WHERE content_hash = ''").fetchall()
        assert unknown  # the previous release kept only one text per entry
        for (source,) in unknown:  # ... so those sources are read again in full on the next run
            row = store.conn.execute("SELECT body_hash FROM sources WHERE name = ?", (source,)).fetchone()
            files = store.conn.execute("SELECT min(size) FROM files WHERE source = ?", (source,)).fetchone()
            assert (row is not None and row[0] is None) or files[0] == -1


def test_near_duplicates_stored_in_one_run_take_the_smallest_key_whatever_the_order(store: Store) -> None:
    run = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # one run's "now", to the second
    apply(store, near("guid:b", "other"), now=run)
    with store.transaction():
        store.entries.add_event("entry.updated", "guid:b", run, POLICY)  # queued, not yet sent
    # the entry was counted as new when its first copy came in this run: this renames it, an update
    assert apply(store, near("guid:a", "remote"), now=run) is Outcome.UPDATED
    assert store.entries.get("guid:b") is None
    stored = store.entries.get("guid:a")
    assert stored is not None and stored.sources == ("other", "remote")
    events = store.conn.execute("SELECT type, entry_key FROM events ORDER BY seq").fetchall()
    assert events == [("entry.created", "guid:a")]  # nothing is said about the name that never left


def test_an_entry_from_an_earlier_run_keeps_its_key(store: Store) -> None:
    run = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    apply(store, near("guid:b", "other"), now=run)
    assert apply(store, near("guid:a", "remote"), now=run + timedelta(minutes=5)) is not Outcome.NEW
    assert store.entries.get("guid:a") is None
    assert {c.item_id for c in store.entries.copies("guid:b")} == {"guid:a", "guid:b"}


def test_a_forgotten_copy_that_changes_the_entry_is_announced(store: Store) -> None:
    apply(store, entry())
    apply(store, entry(source="remote", item_id="g", title="转载", content_hash="r"))
    with store.transaction():
        assert store.entries.forget_copy("NW1", "local", "a.md", POLICY, T0, notify=True)
        assert not store.entries.forget_copy("NW1", "nobody", "x", POLICY, T0, notify=True)
    types = [row[0] for row in store.conn.execute("SELECT type FROM events ORDER BY seq")]
    assert types == ["entry.created", "entry.updated"]


def test_a_retitled_near_duplicate_leaves_the_entry_it_had_joined(store: Store) -> None:
    apply(store, near("guid:a", "remote"))
    apply(store, near("guid:b", "other", hours=1))
    assert {c.item_id for c in store.entries.copies("guid:a")} == {"guid:a", "guid:b"}
    retitled = replace(near("guid:b", "other", title_key="完全不同的标题", hours=1), content_hash="b2")
    assert apply(store, retitled) is Outcome.NEW
    assert {c.item_id for c in store.entries.copies("guid:a")} == {"guid:a"}
    assert {c.item_id for c in store.entries.copies("guid:b")} == {"guid:b"}


def test_a_near_duplicate_fetched_again_stays_a_duplicate(store: Store) -> None:
    apply(store, near("guid:a", "remote"))
    apply(store, near("guid:b", "other", hours=1))
    with store.transaction():
        store.entries.clear_dirty(store.entries.dirty_feeds())
    events = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    assert apply(store, near("guid:b", "other", hours=1)) is Outcome.DUPLICATE
    assert not store.entries.dirty_feeds()
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == events


# ---- issue 10: a full disk, a read-only or corrupt database say so -------------------------------


def fill_up(store: Store) -> None:
    """Leave the database a few pages of room (a real SQLITE_FULL, as a full disk gives)."""
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")


def write_a_lot(store: Store) -> None:
    for n in range(200):
        store.entries.record_failure(ItemFailure("s", f"post{n}.md", "原因" * 500), T0)


def test_a_full_disk_is_not_hidden_by_a_failed_rollback(sqlite_store: Store) -> None:
    """SQLite rolls a transaction back itself on SQLITE_FULL; our ROLLBACK then failed with
    'cannot rollback - no transaction is active' and that error replaced the real one."""
    fill_up(sqlite_store)
    with pytest.raises(sqlite3.OperationalError, match="full") as caught, sqlite_store.transaction():
        write_a_lot(sqlite_store)
    assert "disk is full" in str(sqlite_store.error(caught.value))
    with sqlite_store.transaction():  # the store is still usable for what fits
        sqlite_store.entries.record_failure(ItemFailure("s", "small.md", "x"), T0)
    assert [f.location for f in sqlite_store.entries.failures()] == ["small.md"]


def test_a_full_disk_inside_batches_is_the_error_raised(sqlite_store: Store) -> None:
    fill_up(sqlite_store)
    with pytest.raises(sqlite3.OperationalError, match="full"), sqlite_store.batches(10) as commit_point:
        for n in range(200):
            sqlite_store.entries.record_failure(ItemFailure("s", f"post{n}.md", "原因" * 500), T0)
            commit_point()


def corrupt_table(path: Path, table: str) -> None:
    """Overwrite a table's root page with noise; the file header stays valid, so it still opens."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_schema WHERE name = ?", (table,)).fetchone()[0]
    conn.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(random.Random(10).randbytes(page_size))


def real_error(tmp_path: Path, condition: str) -> sqlite3.Error:
    """The exception SQLite itself raises for ``condition``, on a real file."""
    path = tmp_path / "feeds.db"
    Store.open(path).close()
    if condition == "read-only":
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # as a read-only file or folder gives
        sql = "INSERT INTO meta (name, value) VALUES ('x', 'y')"
    elif condition == "not a database":
        path.write_bytes(b"this is not sqlite" * 300)
        conn, sql = sqlite3.connect(path), "SELECT * FROM meta"
    elif condition == "corrupt":
        corrupt_table(path, "failures")
        conn, sql = sqlite3.connect(path), "SELECT * FROM failures"
    else:
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA max_page_count = 1")  # becomes the pages the file has: no room to grow
        sql = "INSERT INTO failures VALUES ('s', 'l', 1, hex(randomblob(20000)), 't', 't')"
    try:
        with pytest.raises(sqlite3.Error) as caught:
            conn.execute(sql)
    finally:
        conn.close()
    return caught.value


@pytest.mark.parametrize(
    ("condition", "reason"),
    [
        ("read-only", "the database is read-only"),
        ("not a database", "not a SQLite database"),
        ("corrupt", "the database file is corrupt"),
        ("full", "the disk is full"),
    ],
)
def test_sqlite_errors_become_one_plain_line_naming_the_store(
    tmp_path: Path, condition: str, reason: str
) -> None:
    exc = real_error(tmp_path, condition)
    error = store_error(tmp_path / "feeds.db", exc)
    assert isinstance(error, StoreError)
    assert str(error).startswith(f"{tmp_path / 'feeds.db'}: {reason}")
    assert "\n" not in str(error)


# ---- rules -----------------------------------------------------------------------------------------

AD_RULES = rules.compile_rules([{"name": "no-ads", "drop_if": {"title": "广告"}}])
LABEL_RULES = rules.compile_rules(
    [{"name": "labels", "replace": [{"field": "title", "pattern": "^【[^】]*】", "with": ""}]}]
)


def test_changed_rules_are_reapplied_to_stored_copies_once(tmp_path: Path) -> None:
    with Store.open(tmp_path / "feeds.db") as store:
        apply(store, entry(title="【快讯】标题"))
        apply(store, entry(key="NW2", info_code="NW2", item_id="b.md", title="广告标题", content_hash="h2"))
        done = store.entries.reapply_rules(LABEL_RULES, POLICY, T0, notify=False)
        assert done is not None and (done.copies, done.rewritten, done.entries) == (2, 1, 1)
        assert store.entries.reapply_rules(LABEL_RULES, POLICY, T0, notify=False) is None  # same rules
        assert [e.title for e in store.entries.recent()] == ["标题", "广告标题"]
        store.entries.reapply_rules(AD_RULES, POLICY, T0, notify=False)
        assert [e.title for e in store.entries.recent()] == ["【快讯】标题"]  # from the text as sent
        assert store.entries.count() == 1


def test_a_failed_reapplication_leaves_copies_and_fingerprint_for_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that dies while re-applying (here: an error on the second copy) commits nothing of it."""
    with Store.open(tmp_path / "feeds.db") as store:
        for n in range(3):
            apply(store, entry(key=f"NW{n}", info_code=f"NW{n}", item_id=f"{n}.md", title=f"【快讯】{n}"))
        calls = []

        def dies_on_the_second(ruleset: rules.RuleSet, row: tuple[object, ...]) -> object:
            calls.append(row)
            if len(calls) == 2:
                raise RuntimeError("killed")
            return reruled(ruleset, row)

        reruled = store_entries._reruled
        monkeypatch.setattr(store_entries, "_reruled", dies_on_the_second)
        with pytest.raises(RuntimeError):
            store.entries.reapply_rules(LABEL_RULES, POLICY, T0, notify=False)
        monkeypatch.undo()
        assert sorted(e.title for e in store.entries.recent()) == ["【快讯】0", "【快讯】1", "【快讯】2"]
        done = store.entries.reapply_rules(LABEL_RULES, POLICY, T0, notify=False)
        assert done is not None and done.rewritten == 3
        assert sorted(e.title for e in store.entries.recent()) == ["0", "1", "2"]


@given(sent=st.text(max_size=40), shown=st.text(max_size=40))
def test_the_text_as_sent_is_kept_as_a_delta_that_restores_it_exactly(sent: str, shown: str) -> None:
    stored = Text("t", None, shown, None, (), ())
    as_sent = replace(stored, content=sent, title="sent title")
    original = store_entries._as_sent_json(as_sent, stored)
    assert original is not None
    assert store_entries._original_text(stored, original) == as_sent


def test_a_removed_footer_is_stored_as_the_footer_not_the_article_again() -> None:
    article = "<p>" + "正文" * 1000 + "</p>"
    footer = '<p class="em_media">（文章来源：证券时报网）</p>'
    original = store_entries._as_sent_json(
        Text("t", None, article + footer, None, (), ()), Text("t", None, article, None, (), ())
    )
    assert original is not None and len(original) < 100
