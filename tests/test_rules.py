"""Content rules (feeds/rules.py): every action, scope and order, RE2 only, sanitizing after a rewrite,
bounded work, entries, fingerprints, pickling and the ``feeds rules test`` dry run."""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from feeds import normalize, rules
from feeds.config import MAX_WITH, Config
from feeds.model import Category, Entry, Text
from feeds.rules import NO_RULES, RuleError, RuleSet, Trial, TrialTally, Verdict

T0 = datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
ZQ = Category("zhengquanshibaowang", "证券时报网")
TECH = Category("tech", "科技")
ALPHA = Category("alpha", "Alpha")

MEDIA_HTML = (
    '<p class="em_media">（图片来源：东方财富）</p>尾巴一'
    "<p>正文第一段。</p>"
    '<p><a href="https://withounder.com/ad?id=1">点击下载APP</a></p>尾巴二'
    '<p>正文第二段，<a href="https://finews.example.com/b">相关</a>。</p>'
)


def text(**fields: Any) -> Text:
    base = Text(
        title="工信部：培育一批中小企业",
        link="https://finews.example.com/a?infoCode=NW1",
        content="<p>全文第一句。第二句。</p>",
        author="证券时报网",
        tags=("证券时报网新闻",),
        categories=("zhengquanshibaowang",),
    )
    return replace(base, **fields)


def entry(**fields: Any) -> Entry:
    base = Entry(
        key="NW1",
        info_code="NW1",
        title="工信部：培育一批中小企业",
        link="https://finews.example.com/a?infoCode=NW1",
        content="<p>全文第一句。第二句。</p>",
        summary=None,
        author="证券时报网",
        published=T0,
        updated=T0,
        categories=(ZQ,),
        tags=("证券时报网新闻",),
        source="posts",
        item_id="a.txt",
        content_hash="local-1",
        title_key="工信部培育一批中小企业",
    )
    return replace(base, **fields)


def apply(
    specs: Sequence[Mapping[str, Any]],
    copy: Text | None = None,
    source: str = "posts",
    categories: Sequence[Category] = (),
) -> Verdict:
    return rules.compile_rules(specs, categories).apply(source, copy if copy is not None else text())


def rewrite(field: str, pattern: str, with_: str, copy: Text | None = None) -> Text:
    return apply([{"replace": [{"field": field, "pattern": pattern, "with": with_}]}], copy).text


def config(**fields: Any) -> Config:
    return Config.model_validate({"local": [{"path": "x", "name": "posts"}], **fields})


# ---- drop_if ----------------------------------------------------------------------------------------


def test_drop_if_drops_a_copy_whose_title_matches() -> None:
    verdict = apply([{"drop_if": {"title": "工信部"}}])
    assert verdict.dropped_by == "#1"


def test_drop_if_keeps_a_copy_no_listed_field_matches() -> None:
    verdict = apply([{"drop_if": {"title": "广告", "author": "财联社"}}])
    assert verdict.dropped_by is None
    assert verdict.text == text()
    assert verdict.changes == ()


def test_drop_if_drops_when_any_one_listed_field_matches() -> None:
    verdict = apply([{"drop_if": {"title": "广告", "author": "^证券"}}])
    assert verdict.dropped_by == "#1"
    assert verdict.why == "drop_if: author matches '^证券'"


def test_drop_if_on_content_and_link_searches_them() -> None:
    assert apply([{"drop_if": {"content": "第二句"}}]).dropped_by == "#1"
    assert apply([{"drop_if": {"link": r"infoCode=NW\d"}}]).dropped_by == "#1"


def test_drop_if_on_tags_matches_when_any_tag_does() -> None:
    copy = text(tags=("快讯", "广告", "市场"))
    assert apply([{"drop_if": {"tags": "^广告$"}}], copy).dropped_by == "#1"
    assert apply([{"drop_if": {"tags": "^推广$"}}], copy).dropped_by is None


def test_drop_if_on_categories_matches_a_slug() -> None:
    copy = text(categories=("cailianshe", "zhengquanshibaowang"))
    verdict = apply([{"drop_if": {"categories": "^cailianshe$"}}], copy)
    assert verdict.dropped_by == "#1"
    assert verdict.why == "drop_if: categories matches '^cailianshe$'"


def test_drop_if_on_a_missing_link_tests_the_empty_string() -> None:
    assert apply([{"drop_if": {"link": "^$"}}], text(link=None)).dropped_by == "#1"
    assert apply([{"drop_if": {"link": "^$"}}]).dropped_by is None


def test_a_dropped_verdict_keeps_the_text_unchanged() -> None:
    verdict = apply([{"name": "spam", "drop_if": {"title": "工信部"}}])
    assert verdict.text == text()
    assert verdict.dropped_by == "spam"
    assert verdict.rules == ("spam",)


# ---- keep_if ----------------------------------------------------------------------------------------


def test_keep_if_keeps_a_copy_every_listed_field_matches() -> None:
    verdict = apply([{"keep_if": {"title": "工信部", "author": "证券时报"}}])
    assert verdict.dropped_by is None


def test_keep_if_drops_a_copy_one_listed_field_does_not_match() -> None:
    verdict = apply([{"keep_if": {"title": "工信部", "author": "财联社"}}])
    assert verdict.dropped_by == "#1"
    assert verdict.why == "keep_if: author does not match '财联社'"


def test_keep_if_on_tags_drops_a_copy_without_tags() -> None:
    assert apply([{"keep_if": {"tags": "."}}], text(tags=())).dropped_by == "#1"
    assert apply([{"keep_if": {"tags": "^证券"}}]).dropped_by is None


# ---- remove -----------------------------------------------------------------------------------------


def test_remove_cuts_the_selected_paragraphs_and_keeps_their_tails() -> None:
    verdict = apply([{"remove": "p.em_media"}], text(content=MEDIA_HTML))
    content = verdict.text.content
    assert "em_media" not in content
    assert "图片来源" not in content
    assert content.startswith("尾巴一<p>正文第一段。</p>")
    assert "尾巴二" in content
    assert "点击下载APP" in content
    assert [(c.field, c.rule) for c in verdict.changes] == [("content", "#1")]


def test_remove_with_has_cuts_paragraphs_that_link_to_a_host() -> None:
    spec = {"remove": "p.em_media, p:has(> a[href*='withounder.com'])"}
    content = apply([spec], text(content=MEDIA_HTML)).text.content
    assert content == (
        '尾巴一<p>正文第一段。</p>尾巴二<p>正文第二段，<a href="https://finews.example.com/b">相关</a>。</p>'
    )


def test_remove_without_a_match_leaves_the_content_byte_for_byte() -> None:
    content = '<p>a &amp; b&nbsp;c<br>d <img src="https://x.example/i.png" alt=""></p>前&lt;后'
    verdict = apply([{"remove": "p.em_media"}], text(content=content))
    assert verdict.text.content == content
    assert verdict.changes == ()


def test_remove_matches_only_within_the_content() -> None:
    # The content is a fragment: no element of it has a <div> parent unless the content says so.
    content = "<p>top</p><div><p>inner</p></div>"
    assert apply([{"remove": "div > p"}], text(content=content)).text.content == "<p>top</p><div></div>"


def test_an_invalid_selector_is_a_rule_error_naming_remove() -> None:
    with pytest.raises(RuleError) as caught:
        rules.compile_rules([{"remove": "p[["}])
    assert caught.value.key == "remove"


# ---- replace ----------------------------------------------------------------------------------------


def test_replace_rewrites_the_title_with_groups() -> None:
    title = rewrite("title", r"^(\S+)：(\S+)$", r"\2 (\1)")
    assert title.title == "培育一批中小企业 (工信部)"


def test_replace_with_a_named_group() -> None:
    assert rewrite("title", r"(?P<who>工信部)：", r"\g<who> says ").title == "工信部 says 培育一批中小企业"


def test_replace_dollar_group_syntax_is_literal() -> None:
    assert rewrite("title", "(工信部)", "$1!").title == "$1!：培育一批中小企业"


def test_replace_inserts_non_ascii_text_as_written() -> None:
    # Operators of a Chinese news aggregator write Chinese replacements.
    assert rewrite("title", "工信部", "工业和信息化部").title == "工业和信息化部：培育一批中小企业"
    assert rewrite("author", "(证券时报)网", r"\1·é").author == "证券时报·é"


def test_replace_rewrites_the_content() -> None:
    assert rewrite("content", "第二句", "<em>2</em>").content == "<p>全文第一句。<em>2</em>。</p>"


def test_replace_rewrites_the_link() -> None:
    link = rewrite("link", r"^https://finews\.example\.com/", "https://mirror.example.org/").link
    assert link == "https://mirror.example.org/a?infoCode=NW1"


def test_replace_rewrites_the_author() -> None:
    assert rewrite("author", "证券时报网", "STCN").author == "STCN"


def test_replace_applies_each_replacement_in_order() -> None:
    spec = {
        "replace": [
            {"field": "title", "pattern": "工信部", "with": "A"},
            {"field": "title", "pattern": "A：", "with": "B "},
        ]
    }
    assert apply([spec]).text.title == "B 培育一批中小企业"


def test_replace_reports_each_changed_field_once() -> None:
    spec = {
        "name": "tidy",
        "replace": [
            {"field": "title", "pattern": "工信部", "with": "MIIT"},
            {"field": "author", "pattern": "网$", "with": ""},
        ],
    }
    changes = apply([spec]).changes
    assert [(c.rule, c.field, c.before, c.after) for c in changes] == [
        ("tidy", "title", "工信部：培育一批中小企业", "MIIT：培育一批中小企业"),
        ("tidy", "author", "证券时报网", "证券时报"),
    ]


def test_replace_that_matches_nothing_changes_nothing() -> None:
    verdict = apply([{"replace": [{"field": "title", "pattern": "财联社", "with": "x"}]}])
    assert verdict.text == text()
    assert verdict.changes == ()


def test_config_refuses_a_replacement_naming_a_missing_group() -> None:
    with pytest.raises(ValueError, match="group 2"):
        config(rules=[{"replace": [{"field": "title", "pattern": "(工信部)", "with": r"\2"}]}])


def test_a_rule_that_fails_on_a_copy_is_left_out_and_later_rules_still_run(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def falls_over(content: str, selector: object) -> str:  # markup no parser reads, say
        raise RuntimeError("the parser fell over")

    monkeypatch.setattr(rules, "remove_selected", falls_over)
    specs = [
        {"name": "broken", "remove": "p", "replace": [{"field": "title", "pattern": "工信部", "with": "x"}]},
        {"name": "later", "replace": [{"field": "author", "pattern": "网$", "with": ""}]},
    ]
    verdict = apply(specs)
    assert verdict.text.title == text().title  # nothing of the failed rule is kept
    assert verdict.text.author == "证券时报"
    assert verdict.rules == ("later",)
    assert "rule broken failed" in caplog.text


def test_a_replacement_naming_a_missing_group_is_refused_when_compiled() -> None:
    specs = [{"name": "g", "replace": [{"field": "title", "pattern": "(工信部)", "with": r"\2"}]}]
    with pytest.raises(RuleError) as caught:
        rules.compile_rules(specs)
    assert caught.value.key == "replace[0].with" and "group 2" in caught.value.reason


# ---- strip_params -----------------------------------------------------------------------------------


def strip(link: str | None, content: str = "<p>x</p>", globs: Sequence[str] = ("utm_*", "spm")) -> Text:
    return apply([{"strip_params": list(globs)}], text(link=link, content=content)).text


def test_strip_params_removes_matching_params_from_the_link_and_keeps_the_rest_in_order() -> None:
    link = "https://ex.com/a?z=1&utm_source=rss&q=%E4%B8%AD+%20&spm=a.b&a=2&utm_medium=x#top"
    assert strip(link).link == "https://ex.com/a?z=1&q=%E4%B8%AD+%20&a=2#top"


def test_strip_params_drops_the_question_mark_when_no_param_is_left() -> None:
    assert strip("https://ex.com/a?utm_source=rss&spm=1").link == "https://ex.com/a"


def test_strip_params_keeps_the_fragment_when_no_param_is_left() -> None:
    assert strip("https://ex.com/a?spm=1#section-2").link == "https://ex.com/a#section-2"


def test_strip_params_matches_whole_names_only() -> None:
    link = "https://ex.com/a?spmx=1&xspm=2&utm=3&my_utm_source=4"
    verdict = apply([{"strip_params": ["utm_*", "spm"]}], text(link=link))
    assert verdict.text.link == link
    assert verdict.changes == ()


def test_strip_params_question_mark_glob_is_one_character() -> None:
    assert strip("https://ex.com/a?s1=1&s22=2", globs=["s?"]).link == "https://ex.com/a?s22=2"


def test_strip_params_leaves_a_link_without_a_query_alone() -> None:
    assert strip("https://ex.com/a#utm_source=x").link == "https://ex.com/a#utm_source=x"


def test_strip_params_keeps_a_fragment_that_holds_a_question_mark() -> None:
    # No query here: "?utm_source=x" is part of the fragment (a client-side route), not a parameter.
    link = "https://ex.com/app#/page?utm_source=x"
    assert strip(link).link == link


def test_strip_params_cleans_href_and_src_urls_in_the_content() -> None:
    content = (
        '<p><a href="https://ex.com/b?id=7&amp;utm_source=rss&amp;x=%20y">链接</a>'
        '<img src="https://ex.com/i.png?spm=a1"></p>'
    )
    assert strip("https://ex.com/a", content).content == (
        '<p><a href="https://ex.com/b?id=7&amp;x=%20y">链接</a><img src="https://ex.com/i.png"></p>'
    )


def test_strip_params_leaves_clean_content_urls_alone() -> None:
    content = '<p><a href="https://ex.com/b?id=7&amp;x=1">链接</a> 问号? 文字</p>'
    verdict = apply([{"strip_params": ["utm_*"]}], text(content=content))
    assert verdict.text.content == content
    assert verdict.changes == ()


def test_strip_params_change_names_link_and_content() -> None:
    content = '<p><a href="https://ex.com/b?utm_source=rss">链接</a></p>'
    verdict = apply(
        [{"strip_params": ["utm_*"]}], text(link="https://ex.com/a?utm_source=rss", content=content)
    )
    assert sorted(c.field for c in verdict.changes) == ["content", "link"]


# ---- add_categories ---------------------------------------------------------------------------------


def test_add_categories_adds_the_slug_sorted() -> None:
    verdict = apply([{"add_categories": ["alpha", "tech"]}], categories=[ALPHA, TECH])
    assert verdict.text.categories == ("alpha", "tech", "zhengquanshibaowang")
    [change] = verdict.changes
    assert (change.field, change.before, change.after) == (
        "categories",
        "zhengquanshibaowang",
        "alpha, tech, zhengquanshibaowang",
    )


def test_add_categories_does_not_duplicate_a_category_the_copy_has() -> None:
    verdict = apply([{"add_categories": ["zhengquanshibaowang"]}], categories=[ZQ])
    assert verdict.text.categories == ("zhengquanshibaowang",)
    assert verdict.changes == ()


# ---- scope and order --------------------------------------------------------------------------------


def test_a_rule_for_other_sources_does_nothing() -> None:
    spec = {"sources": ["cls"], "drop_if": {"title": "."}}
    assert apply([spec], source="posts").dropped_by is None
    assert apply([spec], source="cls").dropped_by == "#1"


def test_a_rule_for_other_categories_does_nothing() -> None:
    spec = {"categories": ["cailianshe"], "replace": [{"field": "title", "pattern": ".+", "with": "X"}]}
    assert apply([spec]).text == text()
    assert apply([spec], text(categories=("cailianshe",))).text.title == "X"


def test_a_rule_in_scope_when_any_of_the_copys_categories_is_listed() -> None:
    spec = {"categories": ["tech", "zhengquanshibaowang"], "drop_if": {"title": "."}}
    assert apply([spec], text(categories=("alpha", "zhengquanshibaowang"))).dropped_by == "#1"


def test_a_later_rule_sees_the_category_an_earlier_one_added() -> None:
    specs = [
        {"add_categories": ["tech"]},
        {"name": "tech only", "categories": ["tech"], "drop_if": {"title": "工信部"}},
    ]
    verdict = apply(specs, categories=[TECH])
    assert verdict.dropped_by == "tech only"


def test_a_later_rule_sees_an_earlier_rewrite() -> None:
    specs = [
        {"replace": [{"field": "title", "pattern": "工信部", "with": "MIIT"}]},
        {"drop_if": {"title": "^MIIT"}},
    ]
    assert apply(specs).dropped_by == "#2"
    assert apply(list(reversed(specs))).dropped_by is None


def test_the_first_dropping_rule_ends_the_run_and_earlier_changes_are_reported() -> None:
    specs = [
        {"name": "rename", "replace": [{"field": "title", "pattern": "工信部", "with": "MIIT"}]},
        {"name": "spam", "drop_if": {"author": "证券"}},
        {"name": "later", "drop_if": {"author": "."}, "add_categories": ["tech"]},
    ]
    verdict = apply(specs, categories=[TECH])
    assert verdict.dropped_by == "spam"
    assert [(c.rule, c.field) for c in verdict.changes] == [("rename", "title")]
    assert verdict.text.title == "MIIT：培育一批中小企业"
    assert verdict.rules == ("rename", "spam")


def test_a_rule_is_labelled_by_name_else_by_its_place() -> None:
    specs = [{"name": "keep", "drop_if": {"title": "nope"}}, {"drop_if": {"title": "nope"}}]
    ruleset = rules.compile_rules([*specs, {"name": "", "drop_if": {"title": "工信部"}}])
    assert [rule.label for rule in ruleset.rules] == ["keep", "#2", "#3"]
    assert ruleset.apply("posts", text()).dropped_by == "#3"


# ---- RE2 only ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", [r"(a)\1", "a(?=x)", "a(?!x)", "(?<=a)b"])
def test_compile_pattern_refuses_what_re2_cannot_compile(pattern: str) -> None:
    with pytest.raises(ValueError, match="RE2"):
        rules.compile_pattern(pattern)


@pytest.mark.parametrize("pattern", [r"(a)\1", "a(?=x)"])
def test_compile_rules_refuses_a_non_re2_pattern_naming_its_key(pattern: str) -> None:
    with pytest.raises(RuleError, match="RE2") as caught:
        rules.compile_rules([{"drop_if": {"title": pattern}}])
    assert caught.value.key == "drop_if.title"
    with pytest.raises(RuleError, match="RE2") as caught:
        rules.compile_rules([{"keep_if": {"tags": pattern}}])
    assert caught.value.key == "keep_if.tags"
    with pytest.raises(RuleError, match="RE2") as caught:
        rules.compile_rules([{"replace": [{"field": "title", "pattern": pattern, "with": ""}]}])
    assert caught.value.key == "replace[0].pattern"


def test_config_refuses_a_non_re2_pattern() -> None:
    with pytest.raises(ValueError, match="RE2"):
        config(rules=[{"drop_if": {"title": r"(a)\1"}}])


def test_a_pathological_pattern_runs_in_linear_time() -> None:
    haystack = "a" * 100_000 + "b"
    assert rules.compile_pattern("(a+)+$").search(haystack) is False
    verdict = apply([{"drop_if": {"content": "(a+)+$"}}], text(content=f"<p>{haystack}</p>"))
    assert verdict.dropped_by is None


# ---- sanitizing after a rewrite ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "inserted",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">点我</a>',
        "<a href='JaVaScRiPt:alert(1)' onclick=alert(1)>点我</a>",
    ],
)
def test_a_content_rewrite_cannot_bring_script_back(inserted: str) -> None:
    content = rewrite("content", "第二句", inserted).content.lower()
    assert "<script" not in content
    assert "onerror" not in content
    assert "onclick" not in content
    assert "javascript:" not in content
    assert "全文第一句" in content


def test_a_rewrite_that_empties_the_title_falls_back_to_the_contents_first_sentence() -> None:
    assert rewrite("title", ".+", "").title == "全文第一句。"


def test_a_rewritten_title_is_plain_text() -> None:
    assert rewrite("title", "(工信部)", r"<b>\1</b>&amp;").title == "工信部 &：培育一批中小企业"


@pytest.mark.parametrize("new", ["javascript:alert(1)", "", "   ", "/relative/path", "ftp://ex.com/a"])
def test_a_rewritten_link_that_is_not_http_becomes_none(new: str) -> None:
    assert rewrite("link", "^.*$", new).link is None


def test_a_rewrite_that_empties_the_author_gives_none() -> None:
    assert rewrite("author", ".+", "").author is None


def test_a_rewritten_content_resolves_relative_urls_against_the_link() -> None:
    content = rewrite("content", "第二句", '<a href="/b">b</a>').content
    assert '<a href="https://finews.example.com/b">b</a>' in content


# ---- bounded work -----------------------------------------------------------------------------------


def test_an_empty_match_with_a_long_replacement_is_bounded_in_content() -> None:
    long = text(content="<p>" + "x" * 300_000 + "</p>")
    content = rewrite("content", "", "y" * MAX_WITH, long).content
    assert 0 < len(content) <= normalize.CONTENT_MAX
    assert content.count("y" * MAX_WITH) <= rules.MAX_REPLACEMENTS


def test_an_empty_match_with_a_long_replacement_is_bounded_in_the_title() -> None:
    title = rewrite("title", "", "y" * MAX_WITH).title
    assert len(title) <= normalize.TITLE_MAX


def test_a_rewritten_link_is_never_longer_than_normalize_allows() -> None:
    # normalize drops a link over LINK_MAX; a rule must not make one (100 matches x 1 KB each).
    long = text(link="https://ex.com/" + "a" * 100)
    link = rewrite("link", "a", "a" + "b" * 1000, long).link
    assert link is None or len(link) <= normalize.LINK_MAX


# ---- apply_to_entry ---------------------------------------------------------------------------------


def test_an_entry_no_rule_touches_is_returned_as_is() -> None:
    copy = entry()
    ruleset = rules.compile_rules(
        [{"sources": ["cls"], "drop_if": {"title": "."}}, {"drop_if": {"title": "x"}}]
    )
    assert ruleset.apply_to_entry(copy) is copy
    assert NO_RULES.apply_to_entry(copy) is copy


def test_a_rewritten_entry_keeps_its_key_digest_and_title_key_and_carries_the_text_as_sent() -> None:
    copy = entry()
    spec = {
        "replace": [{"field": "title", "pattern": "工信部", "with": "MIIT"}],
        "strip_params": ["infoCode"],
    }
    changed = rules.compile_rules([spec]).apply_to_entry(copy)
    assert changed.title == "MIIT：培育一批中小企业"
    assert changed.link == "https://finews.example.com/a"
    assert (changed.key, changed.content_hash, changed.title_key) == (
        "NW1",
        "local-1",
        "工信部培育一批中小企业",
    )
    assert changed.original == copy.text
    assert changed.dropped_by is None


def test_a_dropped_entry_carries_the_rules_label() -> None:
    specs = [{"drop_if": {"title": "nope"}}, {"drop_if": {"author": "证券"}}]
    dropped = rules.compile_rules(specs).apply_to_entry(entry())
    assert dropped.dropped_by == "#2"
    assert dropped.original is None
    assert dropped.title == entry().title
    named = rules.compile_rules([{"name": "no-zq", "drop_if": {"author": "证券"}}]).apply_to_entry(entry())
    assert named.dropped_by == "no-zq"


def test_added_categories_appear_as_category_objects_on_the_entry() -> None:
    changed = rules.compile_rules([{"add_categories": ["tech"]}], [TECH]).apply_to_entry(entry())
    assert set(changed.categories) == {ZQ, TECH}
    assert changed.slugs == ("tech", "zhengquanshibaowang")
    assert changed.original == entry().text


# ---- fingerprint, pickling, from_config -------------------------------------------------------------

SPECS: list[dict[str, Any]] = [
    {"name": "spam", "sources": ["posts"], "drop_if": {"title": "广告", "tags": "^推广$"}},
    {"replace": [{"field": "title", "pattern": r"(\S+)：", "with": r"\1 "}], "strip_params": ["utm_*"]},
    {"categories": ["zhengquanshibaowang"], "add_categories": ["tech"], "remove": "p.em_media"},
]


def test_equal_specs_give_equal_fingerprints_whatever_the_key_order() -> None:
    reordered = [dict(reversed(list(spec.items()))) for spec in SPECS]
    assert (
        rules.compile_rules(SPECS, [TECH]).fingerprint == rules.compile_rules(reordered, [TECH]).fingerprint
    )


def test_a_different_pattern_gives_a_different_fingerprint() -> None:
    changed = [{**SPECS[0], "drop_if": {"title": "广告!", "tags": "^推广$"}}, *SPECS[1:]]
    assert rules.compile_rules(SPECS, [TECH]).fingerprint != rules.compile_rules(changed, [TECH]).fingerprint


def test_a_different_replacement_gives_a_different_fingerprint() -> None:
    changed = [SPECS[0], {**SPECS[1], "replace": [{"field": "title", "pattern": r"(\S+)：", "with": r"\1"}]}]
    assert rules.compile_rules(SPECS[:2]).fingerprint != rules.compile_rules(changed).fingerprint


def test_a_different_rule_order_gives_a_different_fingerprint() -> None:
    reordered = [SPECS[1], SPECS[0], SPECS[2]]
    assert (
        rules.compile_rules(SPECS, [TECH]).fingerprint != rules.compile_rules(reordered, [TECH]).fingerprint
    )


def test_no_rules_is_empty_and_has_the_fingerprint_of_an_empty_list() -> None:
    assert not NO_RULES
    assert rules.compile_rules([]).fingerprint == NO_RULES.fingerprint
    assert rules.compile_rules(SPECS, [TECH])


def test_a_pickled_rule_set_works_and_keeps_its_fingerprint() -> None:
    ruleset = rules.compile_rules(SPECS, [TECH])
    loaded = pickle.loads(pickle.dumps(ruleset))
    assert isinstance(loaded, RuleSet)
    assert loaded.fingerprint == ruleset.fingerprint
    assert [rule.label for rule in loaded.rules] == ["spam", "#2", "#3"]
    copy = entry(content='<p class="em_media">图</p><p>正文</p>')
    assert loaded.apply_to_entry(copy) == ruleset.apply_to_entry(copy)
    assert loaded.apply_to_entry(copy).categories == (ZQ, TECH)
    assert loaded.apply("posts", text(title="广告")).dropped_by == "spam"


def test_from_config_without_rules_is_no_rules() -> None:
    assert rules.from_config(config()) is NO_RULES


def test_from_config_compiles_the_rules_with_the_configs_category_slugs() -> None:
    loaded = config(
        categories={"科技": {"slug": "tech", "title": "科技"}},
        rules=[
            {"name": "spam", "sources": ["posts"], "drop_if": {"title": "广告"}},
            {"add_categories": ["科技"]},
        ],
    )
    ruleset = rules.from_config(loaded)
    assert ruleset.categories == (TECH,)
    assert ruleset.specs[1]["add_categories"] == ["tech"]
    assert ruleset.apply("posts", text(title="广告")).dropped_by == "spam"
    assert ruleset.apply_to_entry(entry()).categories == (ZQ, TECH)
    assert ruleset.fingerprint == rules.compile_rules(ruleset.specs, [TECH]).fingerprint
    assert pickle.loads(pickle.dumps(ruleset)).fingerprint == ruleset.fingerprint


def test_from_config_fingerprint_follows_the_rules() -> None:
    one = rules.from_config(config(rules=[{"drop_if": {"title": "广告"}}]))
    same = rules.from_config(config(rules=[{"drop_if": {"title": "广告"}}]))
    other = rules.from_config(config(rules=[{"drop_if": {"title": "推广"}}]))
    assert one.fingerprint == same.fingerprint != other.fingerprint


# ---- the dry run ------------------------------------------------------------------------------------

TRIAL_RULES = rules.compile_rules(
    [
        {"name": "spam", "sources": ["cls"], "drop_if": {"title": "广告"}},
        {"name": "rename", "replace": [{"field": "title", "pattern": "工信部", "with": "MIIT"}]},
    ]
)


def test_trial_actions_are_kept_dropped_and_changed() -> None:
    kept = rules.trial(TRIAL_RULES, "K1", "posts", "a.txt", text(title="其他"))
    dropped = rules.trial(TRIAL_RULES, "K2", "cls", "c-1", text(title="广告：工信部"))
    changed = rules.trial(TRIAL_RULES, "K3", "posts", "b.txt", text())
    assert (kept.action, kept.rule) == ("kept", None)
    assert (dropped.action, dropped.rule) == ("dropped", "spam")
    assert (changed.action, changed.rule) == ("changed", "rename")


def test_trial_to_json() -> None:
    dropped = rules.trial(TRIAL_RULES, "K2", "cls", "c-1", text(title="广告"))
    assert dropped.to_json() == {
        "key": "K2",
        "source": "cls",
        "item_id": "c-1",
        "action": "dropped",
        "rule": "spam",
        "rules": ["spam"],
        "reason": "drop_if: title matches '广告'",
        "changes": [],
    }
    changed = rules.trial(TRIAL_RULES, "K3", "posts", "b.txt", text()).to_json()
    assert (changed["action"], changed["rule"], changed["reason"]) == ("changed", "rename", None)
    assert changed["changes"] == [
        {
            "rule": "rename",
            "field": "title",
            "before": "工信部：培育一批中小企业",
            "after": "MIIT：培育一批中小企业",
        }
    ]


def test_trial_lines() -> None:
    kept = rules.trial(TRIAL_RULES, "K1", "posts", "a.txt", text(title="其他"))
    dropped = rules.trial(TRIAL_RULES, "K2", "cls", "c-1", text(title="广告"))
    changed = rules.trial(TRIAL_RULES, "K3", "posts", "b.txt", text())
    assert kept.lines() == ["kept     K1  posts"]
    assert dropped.lines() == ["dropped  K2  cls  by spam: drop_if: title matches '广告'"]
    assert changed.lines() == [
        "changed  K3  posts  by rename",
        "    title (rename): '工信部：培育一批中小企业' → 'MIIT：培育一批中小企业'",
    ]


def test_trial_tally_counts_by_rule_and_warns_when_a_source_would_lose_every_copy() -> None:
    tally = TrialTally()
    trials: list[Trial] = [
        rules.trial(TRIAL_RULES, "K1", "posts", "a.txt", text(title="其他")),
        rules.trial(TRIAL_RULES, "K2", "posts", "b.txt", text()),
        rules.trial(TRIAL_RULES, "K3", "cls", "c-1", text(title="广告")),
        rules.trial(TRIAL_RULES, "K4", "cls", "c-2", text(title="广告二")),
    ]
    for one in trials:
        tally.add(one)
    assert tally.lines(TRIAL_RULES) == [
        "4 copies: 1 kept, 2 dropped, 1 changed",
        "rule spam: 2 dropped, 0 changed",
        "rule rename: 0 dropped, 1 changed",
        "warning: every copy of source cls (2) would be dropped",
    ]


def test_trial_tally_does_not_warn_when_a_source_keeps_a_copy() -> None:
    tally = TrialTally()
    tally.add(rules.trial(TRIAL_RULES, "K1", "cls", "c-1", text(title="广告")))
    tally.add(rules.trial(TRIAL_RULES, "K2", "cls", "c-2", text(title="其他")))
    lines = tally.lines(TRIAL_RULES)
    assert lines[0] == "2 copies: 1 kept, 1 dropped, 0 changed"
    assert not any(line.startswith("warning") for line in lines)


def test_trial_tally_of_one_copy_says_copy() -> None:
    tally = TrialTally()
    tally.add(rules.trial(TRIAL_RULES, "K1", "posts", "a.txt", text(title="其他")))
    assert tally.lines(TRIAL_RULES)[0] == "1 copy: 1 kept, 0 dropped, 0 changed"


def test_excerpt_of_a_short_change_shows_all_of_it() -> None:
    assert rules.excerpt("abc", "abXc") == ("abc", "abXc")


def test_excerpt_of_a_long_change_shows_the_difference_with_context() -> None:
    before, after = "x" * 100 + "A" + "y" * 100, "x" * 100 + "B" + "y" * 100
    assert rules.excerpt(before, after) == (
        "…" + "x" * 12 + "A" + "y" * 12 + "…",
        "…" + "x" * 12 + "B" + "y" * 12 + "…",
    )


def test_excerpt_is_cut_to_its_width_and_shows_newlines() -> None:
    before, after = rules.excerpt("a\nb", "a\n" + "z" * 100)
    assert before == "a⏎b"
    assert len(after) == 40
    assert after.startswith("a⏎zz")
    assert after.endswith("…")


def test_an_escaped_backslash_before_a_digit_is_literal_text_not_a_group() -> None:
    pattern = rules.compile_pattern("工信部")
    pattern.check_replacement(r"\\1")  # accepted: a backslash and a 1, as sub reads it
    assert pattern.sub(r"\\1", "工信部发文") == "\\1发文"
