"""The merge policy as pure functions: canonical copy, computed entry, decisions, near-duplicates."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from feeds import merge
from feeds.merge import MergePolicy, NearCandidate
from feeds.model import Category, Copy, Entry, Outcome, StoredEntry

T0 = datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
RUN = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
ZQ = Category("zhengquanshibaowang", "证券时报网")
CLS = Category("cailianshe", "财联社")
PRIORITIES = {"posts": 100, "cls": 50, "zqsb-rss": 50}


def item(**fields: object) -> Entry:
    base = Entry(
        key="NW1",
        info_code="NW1",
        title="工信部：培育一批中小企业",
        link="https://finews.example.com/a?infoCode=NW1",
        content="<p>全文……</p>",
        summary=None,
        author="证券时报网",
        published=T0,
        updated=T0,
        categories=(ZQ,),
        tags=("证券时报网新闻",),
        source="posts",
        item_id="a.txt",
        content_hash="local-1",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


LOCAL = item()
REMOTE = item(
    title="工信部培育中小企业",
    link="https://cls.example.com/1",
    content="<p>一句话摘要</p>",
    author="财联社",
    published=T0 + timedelta(minutes=30),
    updated=T0 + timedelta(minutes=30),
    categories=(CLS,),
    tags=("快讯",),
    source="cls",
    item_id="cls-1",
    content_hash="remote-1",
)


def store_all(items: list[Entry], now: datetime = RUN) -> tuple[StoredEntry | None, list[Copy]]:
    """Feed copies through ``decide`` as the store would, keeping what it decides."""
    stored: StoredEntry | None = None
    copies: list[Copy] = []
    for incoming in items:
        decision = merge.decide(stored, copies, incoming, PRIORITIES, now)
        if decision.copy is not None:
            copies = [c for c in copies if (c.source, c.item_id) != (incoming.source, incoming.item_id)]
            copies.append(decision.copy)
        if decision.entry is not None:
            stored = decision.entry
    if stored is not None:  # the store lists sources from the copies, whether or not the entry changed
        assert stored.shown() == merge.combine(stored.key, copies, PRIORITIES).shown()
        stored = replace(stored, sources=tuple(sorted({c.source for c in copies})))
    return stored, copies


def test_the_highest_priority_copy_is_shown_whatever_came_first() -> None:
    for order in ([LOCAL, REMOTE], [REMOTE, LOCAL]):
        entry, _ = store_all(order)
        assert entry is not None
        assert (entry.title, entry.link, entry.content, entry.author) == (
            LOCAL.title,
            LOCAL.link,
            LOCAL.content,
            "证券时报网",
        )
        assert entry.categories == ("cailianshe", "zhengquanshibaowang")  # the union
        assert entry.tags == ("证券时报网新闻", "快讯")  # the canonical copy's first
        assert entry.published == T0  # the earliest own date
        assert entry.updated == T0  # the canonical copy's version, not the run's time
        assert entry.sources == ("cls", "posts")


def test_every_order_of_the_same_copies_gives_the_same_entry() -> None:
    third = replace(REMOTE, source="zqsb-rss", item_id="z-1", content_hash="z", categories=(ZQ,))
    results = {store_all(list(order))[0] for order in itertools.permutations([LOCAL, REMOTE, third])}
    assert len(results) == 1


def test_ties_go_to_the_copy_first_seen_then_to_the_source_name() -> None:
    early = merge.decide(None, [], REMOTE, PRIORITIES, RUN).copy
    later = merge.decide(None, [], replace(REMOTE, source="zqsb-rss", content_hash="z"), PRIORITIES, RUN).copy
    assert early is not None and later is not None
    later_seen = replace(later, first_seen=RUN + timedelta(hours=1))
    assert merge.ranked([later_seen, early], PRIORITIES)[0] is early
    same_time = replace(later, first_seen=RUN)
    assert merge.ranked([same_time, early], PRIORITIES)[0] is early  # "cls" < "zqsb-rss"
    assert (
        merge.ranked([early, replace(later, first_seen=RUN - timedelta(1))], PRIORITIES)[0].source
        == "zqsb-rss"
    )


def test_a_source_gone_from_the_config_ranks_last() -> None:
    copy = merge.decide(None, [], replace(LOCAL, source="old"), PRIORITIES, RUN).copy
    assert copy is not None and merge.priority_of(copy, PRIORITIES) == merge.UNKNOWN_PRIORITY


def test_a_lower_priority_copy_changing_its_text_changes_nothing_shown() -> None:
    stored, copies = store_all([LOCAL, REMOTE])
    edited = replace(REMOTE, content="<p>改写的摘要</p>", content_hash="remote-2")
    decision = merge.decide(stored, copies, edited, PRIORITIES, RUN + timedelta(hours=1))
    assert decision.outcome is Outcome.DUPLICATE
    assert decision.entry is None and decision.event is None
    assert decision.copy is not None and decision.copy.content == "<p>改写的摘要</p>"  # still kept


def test_the_same_copy_again_is_a_duplicate_that_writes_nothing() -> None:
    stored, copies = store_all([LOCAL])
    assert merge.decide(stored, copies, LOCAL, PRIORITIES, RUN) == merge.Decision(
        "NW1", Outcome.DUPLICATE, None, None, None
    )


def test_an_edited_canonical_copy_is_an_update_dated_when_it_was_seen() -> None:
    stored, copies = store_all([LOCAL, REMOTE])
    seen = RUN + timedelta(days=1)
    decision = merge.decide(
        stored, copies, replace(LOCAL, content="<p>v2</p>", content_hash="local-2"), PRIORITIES, seen
    )
    assert decision.outcome is Outcome.UPDATED and decision.event == "entry.updated"
    assert decision.entry is not None and decision.entry.updated == seen
    assert decision.entry.published == T0


def test_an_edit_with_its_own_newer_date_takes_that_date() -> None:
    stored, copies = store_all([LOCAL])
    own = T0 + timedelta(days=2)
    decision = merge.decide(
        stored, copies, replace(LOCAL, updated=own, content="<p>v2</p>", content_hash="l2"), PRIORITIES, RUN
    )
    assert decision.entry is not None and decision.entry.updated == own


def test_a_new_entry_is_created_with_an_event() -> None:
    decision = merge.decide(None, [], REMOTE, PRIORITIES, RUN)
    assert (decision.outcome, decision.event) == (Outcome.NEW, "entry.created")
    assert decision.entry is not None and decision.entry.updated == REMOTE.updated


def test_a_higher_priority_copy_arriving_later_is_an_update_to_its_own_dates() -> None:
    stored, copies = store_all([REMOTE])
    decision = merge.decide(stored, copies, LOCAL, PRIORITIES, RUN + timedelta(days=3))
    assert decision.outcome is Outcome.UPDATED
    assert decision.entry is not None
    assert (decision.entry.title, decision.entry.published, decision.entry.updated) == (LOCAL.title, T0, T0)


def test_published_ignores_fetch_times_unless_no_copy_has_a_date() -> None:
    undated = replace(REMOTE, published=T0 - timedelta(days=1), date_is_fetch_time=True)
    entry, _ = store_all([undated, replace(LOCAL, published=T0 + timedelta(hours=1))])
    assert entry is not None and entry.published == T0 + timedelta(hours=1)
    alone, _ = store_all([undated])
    assert alone is not None and alone.published == T0 - timedelta(days=1)


def test_an_undated_copy_keeps_its_first_seen_date_on_later_fetches() -> None:
    first = replace(REMOTE, date_is_fetch_time=True, published=RUN, updated=RUN)
    stored, copies = store_all([first])
    again = replace(first, published=RUN + timedelta(hours=5), updated=RUN + timedelta(hours=5))
    assert (
        merge.decide(stored, copies, again, PRIORITIES, RUN + timedelta(hours=5)).outcome is Outcome.DUPLICATE
    )


def test_a_new_digest_of_the_same_text_is_kept_without_a_new_version() -> None:
    stored, copies = store_all([LOCAL])
    decision = merge.decide(stored, copies, replace(LOCAL, content_hash="other-digest"), PRIORITIES, RUN)
    assert decision.outcome is Outcome.DUPLICATE
    assert decision.copy is not None and decision.copy.updated == copies[0].updated


def test_a_copy_migrated_without_its_text_takes_its_first_real_version_dates() -> None:
    stored, copies = store_all([LOCAL])
    unknown = [replace(copies[0], content_hash="", content="<p>another source's text</p>")]
    decision = merge.decide(stored, unknown, LOCAL, PRIORITIES, RUN + timedelta(days=9))
    assert decision.copy is not None and decision.copy.updated == T0


def test_settle_follows_new_priorities() -> None:
    stored, copies = store_all([LOCAL, REMOTE])
    assert stored is not None
    assert merge.settle(stored, stored.key, copies, PRIORITIES) == (None, None)
    flipped, event = merge.settle(stored, stored.key, copies, {"posts": 1, "cls": 50})
    assert flipped is not None and flipped.link == REMOTE.link and event == "entry.updated"


def test_an_entry_whose_every_copy_a_rule_dropped_leaves_the_feeds_and_can_come_back() -> None:
    stored, copies = store_all([LOCAL, REMOTE])
    assert stored is not None
    dropped = [replace(copy, dropped_by="promo") for copy in copies]
    hidden, event = merge.settle(stored, stored.key, dropped, PRIORITIES)
    assert hidden is not None and hidden.hidden and event == "entry.deleted"
    assert merge.settle(hidden, stored.key, dropped, PRIORITIES) == (None, None)  # already out
    back, event = merge.settle(hidden, stored.key, copies, PRIORITIES)
    assert back is not None and not back.hidden and event == "entry.created"


def test_a_dropped_copy_is_not_part_of_the_entry() -> None:
    stored, copies = store_all([LOCAL, REMOTE])
    assert stored is not None
    without_local = [replace(c, dropped_by="no-posts") if c.source == "posts" else c for c in copies]
    entry, event = merge.settle(stored, stored.key, without_local, PRIORITIES)
    assert entry is not None and entry.link == REMOTE.link and entry.sources == ("cls",)
    assert event == "entry.updated"


def test_a_new_copy_a_rule_dropped_is_stored_hidden_and_announced_to_nobody() -> None:
    decision = merge.decide(None, [], replace(LOCAL, dropped_by="promo"), PRIORITIES, RUN)
    assert decision.outcome is Outcome.DROPPED and decision.event is None
    assert decision.entry is not None and decision.entry.hidden
    assert decision.copy is not None and decision.copy.dropped_by == "promo"


def test_policy_fingerprint_tracks_priorities_only() -> None:
    one = MergePolicy({"a": 1, "b": 2}, timedelta(hours=72))
    assert one.fingerprint == MergePolicy({"b": 2, "a": 1}, None).fingerprint
    assert one.fingerprint != MergePolicy({"a": 1, "b": 3}).fingerprint


# ---- near-duplicates ---------------------------------------------------------------------------

WINDOW = timedelta(hours=72)
NO_CODE = replace(REMOTE, key="guid:b", info_code=None, title_key="工信部培育中小企业")


def test_a_near_duplicate_joins_the_closest_entry_in_the_window() -> None:
    candidates = [
        NearCandidate("guid:far", NO_CODE.published + timedelta(hours=70)),
        NearCandidate("guid:near", NO_CODE.published - timedelta(hours=1)),
        NearCandidate("guid:out", NO_CODE.published + timedelta(hours=73)),
    ]
    assert merge.near_duplicate_of(NO_CODE, candidates, WINDOW) == "guid:near"
    tie = [NearCandidate("guid:z", NO_CODE.published), NearCandidate("guid:a", NO_CODE.published)]
    assert merge.near_duplicate_of(NO_CODE, tie, WINDOW) == "guid:a"


@pytest.mark.parametrize(
    "incoming",
    [
        replace(NO_CODE, info_code="NW9"),  # an infoCode is an identity: never merged by title
        replace(NO_CODE, date_is_fetch_time=True),  # no own date to compare
        replace(NO_CODE, title_key=""),  # nothing left of the title to compare
    ],
)
def test_near_duplicates_need_no_infocode_a_date_and_a_title(incoming: Entry) -> None:
    candidates = [NearCandidate("guid:a", incoming.published)]
    assert merge.near_duplicate_of(incoming, candidates, WINDOW) is None


def test_explain_says_why_the_canonical_copy_won() -> None:
    entry, copies = store_all([REMOTE, LOCAL])
    assert entry is not None
    text = "\n".join(merge.explain(entry, copies, PRIORITIES))
    assert "Canonical: posts (a.txt), the highest priority (100; next 50)" in text
    assert "Also cls (cls-1): priority 50, adds categories cailianshe and tags 快讯." in text
    assert "Published 2022-01-24 14:56:53 UTC" in text


def test_copies_json_lists_the_canonical_copy_first() -> None:
    _, copies = store_all([REMOTE, LOCAL])
    shown = merge.copies_json(copies, PRIORITIES)
    assert [(c["source"], c["canonical"]) for c in shown] == [("posts", True), ("cls", False)]
    assert set(shown[0]) >= {"source", "link", "title", "first_seen", "updated", "canonical"}


def test_a_near_duplicate_names_the_entry_only_within_the_run_that_created_it() -> None:
    assert merge.takes_the_name("guid:a", "guid:b", RUN, RUN)
    assert not merge.takes_the_name("guid:c", "guid:b", RUN, RUN)  # the smaller key stays
    assert not merge.takes_the_name("guid:a", "guid:b", RUN - timedelta(minutes=5), RUN)  # already published


def test_a_configured_source_outranks_a_removed_one_even_with_a_negative_priority() -> None:
    configured = merge.decide(None, [], replace(REMOTE, source="cls"), {"cls": -5}, RUN).copy
    removed = merge.decide(None, [], replace(LOCAL, source="gone"), {"cls": -5}, RUN).copy
    assert configured is not None and removed is not None
    assert merge.ranked([removed, configured], {"cls": -5})[0] is configured


def test_a_copy_whose_only_change_is_its_date_is_a_new_version() -> None:
    stored, copies = store_all([LOCAL])
    moved = replace(
        LOCAL, published=T0 + timedelta(days=1), updated=T0 + timedelta(days=1), content_hash="d2"
    )
    decision = merge.decide(stored, copies, moved, PRIORITIES, RUN)
    assert decision.outcome is Outcome.UPDATED
    assert decision.entry is not None and decision.entry.published == T0 + timedelta(days=1)
