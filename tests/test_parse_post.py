"""Jekyll posts → EntryData: the seed, Jekyll's conventions, and every kind of broken file."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import SEED, post
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.errors import ItemError
from feeds.parse.post import parse_post

ZONE = ZoneInfo("Asia/Shanghai")


def parse(text: str | bytes, relpath: str = "p.md"):  # type: ignore[no-untyped-def]
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_post(raw, relpath, f"/posts/{relpath}", "local", ZONE)


def test_seed_post() -> None:
    data = parse(SEED.read_bytes(), "000_df4b0940cadb3621.txt")
    assert data.title == "工信部：培育一批进军元宇宙、区块链、人工智能等领域的中小企业"
    assert data.published == datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
    assert data.raw_date == "2022-01-24 22:56:53 +0800"
    assert data.categories == ("zhengquanshibaowang",)
    assert data.tags == ("证券时报网新闻",)
    assert data.link == "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178"
    # kramdown-style rendering: the autolink and the markdown links became <a>
    assert (
        '<a href="http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178">'
        in data.content
    )
    assert '<a href="//finews.withounder.com/">返回首页</a>' in data.content


def test_bom_and_crlf_are_accepted() -> None:
    text = post(title="BOM").replace("\n", "\r\n")
    data = parse(b"\xef\xbb\xbf" + text.encode())
    assert data.title == "BOM"
    assert "\r" not in data.content


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[证券时报网, 宏观]", ("证券时报网", "宏观")),
        ("zhengquanshibaowang macro", ("zhengquanshibaowang", "macro")),
    ],
)
def test_categories_as_list_or_space_separated(value: str, expected: tuple[str, ...]) -> None:
    assert parse(post(categories=value)).categories == expected


def test_singular_category_and_tags() -> None:
    text = "---\ntitle: t\ndate: 2022-01-01 10:00:00 +0800\ncategory: a\ntags: [x, y]\n---\nbody\n"
    data = parse(text)
    assert data.categories == ("a",)
    assert data.tags == ("x", "y")


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2022-01-24 22:56:53 +0800", datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)),
        ("2022-01-24 22:56:53", datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)),  # site zone
        ("2022-01-24T22:56:53+08:00", datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)),
        ("2022-01-24", datetime(2022, 1, 23, 16, 0, tzinfo=UTC)),
        ("'2022-01-24 06:00:00 Z'", datetime(2022, 1, 24, 6, 0, tzinfo=UTC)),
    ],
)
def test_date_forms(date: str, expected: datetime) -> None:
    assert parse(post(date=date)).published == expected


def test_date_from_file_name() -> None:
    text = "---\ntitle: t\ncategories: a\n---\nbody\n"
    data = parse(text, "2022-02-15-market-review.md")
    assert data.published == datetime(2022, 2, 14, 16, 0, tzinfo=UTC)


def test_markdown_links_render() -> None:
    data = parse(post(body="[原文](https://example.com/a) and <http://example.com/b>"))
    assert '<a href="https://example.com/a">原文</a>' in data.content
    assert '<a href="http://example.com/b">http://example.com/b</a>' in data.content


def test_unpublished_post_is_skipped() -> None:
    assert parse(post(extra="published: false\n")) is None


def test_front_matter_info_code_any_case() -> None:
    assert parse(post(extra="InfoCode: NW1\n")).info_code == "NW1"


@pytest.mark.parametrize(
    ("content", "reason", "line"),
    [
        (b"", "empty file", None),
        (b"   \n\n", "empty file", None),
        (b"just text, no front matter\n", "no front matter", 1),
        (b"---\ntitle: [unclosed\ndate: 2022-01-01\n---\nbody\n", "broken YAML", 2),
        (b"---\ntitle: t\n", "not closed", 1),
        (b"---\ndate: 2022-01-01 10:00:00 +0800\n---\nbody\n", "no title", 1),
        (b"---\ntitle: t\ndate: yesterday\n---\nbody\n", "unparseable date", 3),
        (b"---\ntitle: t\n---\nbody\n", "no date", 1),
        (b"---\n- a\n- b\n---\nbody\n", "mapping", 2),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", None),
        ("---\ntitle: 证券\ndate: 2022-01-01\n---\n正文\n".encode("gbk"), "not UTF-8", 5),
    ],
)
def test_bad_posts_are_clear_errors(content: bytes, reason: str, line: int | None) -> None:
    with pytest.raises(ItemError) as caught:
        parse(content, "bad.md")
    assert reason in caught.value.reason
    assert caught.value.location == "/posts/bad.md"
    if line is not None:
        assert caught.value.line == line
        assert str(caught.value).startswith(f"/posts/bad.md:{line}: ")


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda text: text.encode("utf-8")),
        st.builds(
            lambda fm, body: f"---\n{fm}\n---\n{body}".encode(),
            st.text(max_size=120),
            st.text(max_size=120),
        ),
    )
)
def test_any_file_is_a_post_or_a_clear_error(raw: bytes) -> None:
    """Whatever is in a posts folder: an entry, a skipped draft, or an ItemError — never a crash."""
    try:
        parse(raw, "fuzz.md")
    except ItemError as exc:
        assert exc.location == "/posts/fuzz.md" and exc.reason
