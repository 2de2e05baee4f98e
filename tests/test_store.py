"""The store on a real SQLite file: migrations, and new / update / duplicate across sources."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feeds.errors import StoreError
from feeds.model import Category, Entry, Outcome
from feeds.store import Store
from feeds.store.schema import LATEST

T0 = datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
ZQ = Category("zhengquanshibaowang", "证券时报网")
DF = Category("dongfangcaifuwang", "东方财富网")


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


def apply(store: Store, item: Entry, now: datetime = T0) -> Outcome:
    with store.transaction():
        return store.entries.apply(item, now)


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


def test_new_duplicate_update(store: Store) -> None:
    assert apply(store, entry()) is Outcome.NEW
    assert apply(store, entry()) is Outcome.DUPLICATE
    later = T0 + timedelta(hours=1)
    changed = entry(content="<p>改</p>", content_hash="h2", published=T0 + timedelta(days=3), updated=T0)
    assert apply(store, changed, now=later) is Outcome.UPDATED
    stored = store.entries.get("NW1")
    assert stored is not None
    assert stored.content == "<p>改</p>"
    assert stored.published == T0  # the first copy's time is kept
    assert stored.updated == later  # bumped to when the change was seen


def test_copy_from_another_source_merges(store: Store) -> None:
    apply(store, entry())
    remote = entry(source="remote-demo", item_id="guid-9", categories=(DF,), content_hash="h1")
    assert apply(store, remote) is Outcome.DUPLICATE
    stored = store.entries.get("NW1")
    assert stored is not None
    assert stored.sources == ("local", "remote-demo")
    assert stored.categories == ("dongfangcaifuwang", "zhengquanshibaowang")
    assert [e.key for e in store.entries.recent("dongfangcaifuwang")] == ["NW1"]


def test_two_wordings_do_not_flip_flop(store: Store) -> None:
    apply(store, entry())
    other = entry(source="remote", item_id="g", content_hash="h-remote")
    assert apply(store, other) is Outcome.UPDATED
    assert apply(store, other) is Outcome.DUPLICATE
    assert apply(store, entry()) is Outcome.DUPLICATE  # the local copy did not change either


def test_events_are_queued_with_the_change(store: Store) -> None:
    apply(store, entry())
    apply(store, entry())
    apply(store, entry(content_hash="h2", content="<p>x</p>"), now=T0 + timedelta(minutes=5))
    rows = store.conn.execute("SELECT type, entry_key FROM events ORDER BY seq").fetchall()
    assert rows == [("entry.created", "NW1"), ("entry.updated", "NW1")]


def test_rolled_back_change_queues_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.entries.apply(entry(), T0)
        raise RuntimeError("crash before commit")
    assert store.entries.count() == 0
    assert store.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0


def test_recent_is_newest_first_and_limited(store: Store) -> None:
    for n in range(5):
        apply(store, entry(key=f"NW{n}", item_id=f"{n}.md", published=T0 + timedelta(hours=n), updated=T0))
    keys = [e.key for e in store.entries.recent("zhengquanshibaowang", limit=3)]
    assert keys == ["NW4", "NW3", "NW2"]
    assert [e.key for e in store.entries.recent(None, limit=2)] == ["NW4", "NW3"]


def test_changes_mark_their_feeds_dirty(store: Store) -> None:
    apply(store, entry())
    assert store.entries.dirty_feeds() == {"all", "zhengquanshibaowang"}
    with store.transaction():
        store.entries.clear_dirty(["all", "zhengquanshibaowang"])
    apply(store, entry())  # a duplicate touches no feed
    assert store.entries.dirty_feeds() == set()
    apply(store, entry(source="remote", item_id="g", categories=(DF,), content_hash="h2"))
    assert store.entries.dirty_feeds() == {"all", "dongfangcaifuwang", "zhengquanshibaowang"}


def test_a_rolled_back_change_marks_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.entries.apply(entry(), T0)
        raise RuntimeError("crash before commit")
    assert store.entries.dirty_feeds() == set()


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM entry_categories WHERE key = ?",
        "SELECT key FROM entry_categories WHERE slug = ? ORDER BY published DESC, key LIMIT 50",
        "SELECT categories FROM entry_sources WHERE key = ?",
        "SELECT content_hash FROM entry_sources WHERE key = ? AND source = ? AND item_id = ?",
    ],
)
def test_per_entry_queries_search_an_index(store: Store, query: str) -> None:
    """These run once per stored entry: a table scan would make large stores quadratic."""
    params = ("x",) * query.count("?")
    plan = " ".join(row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {query}", params))
    assert "SEARCH" in plan and "SCAN" not in plan, plan


def test_a_rollback_does_not_leave_a_category_unrecorded(store: Store) -> None:
    """The repo skips re-writing category titles it wrote before; a rollback must reset that."""
    with pytest.raises(RuntimeError), store.transaction():
        store.entries.apply(entry(key="NW1"), T0)
        raise RuntimeError("this item failed; the transaction rolls back")
    apply(store, entry(key="NW2", item_id="2"))
    assert store.entries.categories() == [ZQ]


def test_batches_commit_every_n_and_roll_back_only_the_open_batch(store: Store) -> None:
    with pytest.raises(RuntimeError), store.batches(2) as commit_point:
        for n in range(3):
            store.entries.apply(entry(key=f"NW{n}", item_id=f"{n}"), T0)
            commit_point()
        raise RuntimeError("crash with the third entry's batch open")
    assert sorted(e.key for e in store.entries.recent()) == ["NW0", "NW1"]
