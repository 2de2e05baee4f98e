"""Jekyll posts → EntryData: the seed, Jekyll's conventions, and every kind of broken file."""

from __future__ import annotations

import re
import tracemalloc
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import SEED, post
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.dedup import _INFO_CODE_IN_URL, info_code_link
from feeds.errors import ItemError
from feeds.normalize import normalize
from feeds.parse.post import (
    MAX_FRONT_MATTER_CHARS,
    MAX_LINK_CHARS,
    MAX_NAME_CHARS,
    MAX_NAMES,
    MAX_TITLE_CHARS,
    MAX_VALUE_CHARS,
    parse_post,
)
from feeds.slugs import CategoryResolver

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


# ---- issue 10: hostile front matter, unsafe links -------------------------------------------------

POSTS = SEED.parent
BODY_LINK = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202201242259595178"


def front(*lines: str, body: str = "body") -> str:
    """A post whose front matter is exactly ``lines`` (plus a date unless one is given)."""
    given = "\n".join(lines)
    date = "" if "\ndate:" in f"\n{given}" else "\ndate: 2022-01-24 22:56:53 +0800"
    return f"---\n{given}{date}\n---\n{body}\n"


@pytest.mark.parametrize(
    ("lines", "line"),
    [
        (("name: &who 证券时报", "title: *who"), 3),
        (("base: &base {title: t}", "<<: *base"), 3),
        (("title: t", "tags: &t [a, b]", "category: [*t]"), 4),
        (("title: '*not an alias*'", "x: &anchor-only 1", 'author: "*"'), None),
    ],
)
def test_yaml_aliases_are_refused(lines: tuple[str, ...], line: int | None) -> None:
    """Aliases expand exponentially (a "billion laughs"): a post that uses one is refused, with its line."""
    if line is None:  # asterisks in text and anchors alone are fine
        assert parse(front(*lines)).title == "*not an alias*"
        return
    with pytest.raises(ItemError) as caught:
        parse(front(*lines), "alias.md")
    assert "YAML aliases" in caught.value.reason
    assert caught.value.line == line


def test_alias_bomb_is_refused_before_it_expands() -> None:
    """The audit's bomb, one level deeper: refused at its first alias, without building anything big."""
    tracemalloc.start()
    try:
        with pytest.raises(ItemError) as caught:
            parse((POSTS / "alias-bomb.md").read_bytes(), "alias-bomb.md")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert caught.value.line == 4
    assert str(caught.value).endswith("alias-bomb.md:4: YAML aliases (*name) are not allowed in front matter")
    assert peak < 5 * 2**20


def test_huge_front_matter_is_refused_before_parsing() -> None:
    """Built YAML takes many times its text in memory: the front matter has a size cap of its own."""
    filler = "x: [" + ", ".join(["a"] * (MAX_FRONT_MATTER_CHARS // 3)) + "]"
    with pytest.raises(ItemError) as caught:
        parse(front("title: t", filler))
    assert "front matter is longer than 256 KiB" in caught.value.reason
    assert caught.value.line == 1
    assert parse(front("title: t", "x: " + "a" * (MAX_FRONT_MATTER_CHARS - 100))).title == "t"


def test_long_title_is_cut_at_a_character_boundary() -> None:
    data = parse(front("title: " + "证券时报" * 1000))
    assert len(data.title) == MAX_TITLE_CHARS
    assert data.title == "证券时报" * 255 + "证券时…"


@pytest.mark.parametrize("value", ["[a, b]", "{a: 1}", "!!binary aGVsbG8=", "!!set {a, b}"])
def test_title_that_is_not_text_is_refused(value: str) -> None:
    with pytest.raises(ItemError) as caught:
        parse(front("layout: post", f"title: {value}"))
    assert "`title` must be text" in caught.value.reason
    assert caught.value.line == 3


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("tags: [" + ", ".join(f"t{n}" for n in range(MAX_NAMES + 1)) + "]", "at most 100 tags"),
        ("tags: " + " ".join(f"t{n}" for n in range(MAX_NAMES + 1)), "at most 100 tags"),
        ("categories: " + " ".join(f"c{n}" for n in range(MAX_NAMES + 1)), "at most 100 categories"),
        ("tags: " + " ".join(f"t{n}" for n in range(20_000)), "at most 100 tags"),
        ("category: " + "c" * (MAX_NAME_CHARS + 1), "longer than 200 characters"),
        ("tags: [ok, " + "标" * (MAX_NAME_CHARS + 1) + "]", "longer than 200 characters"),
        ("tags: [[a, b]]", "`tags` must be names"),
        ("categories: {a: 1}", "`categories` must be names"),
        ("author: " + "a" * (MAX_VALUE_CHARS + 1), "`author` is longer than 1024 characters"),
        ("infoCode: NW" + "1" * MAX_VALUE_CHARS, "`infoCode` is longer than 1024 characters"),
        ("author: [a, b]", "`author` must be text"),
    ],
)
def test_absurd_front_matter_values_are_refused(line: str, reason: str) -> None:
    with pytest.raises(ItemError) as caught:
        parse(front("title: t", line))
    assert reason in caught.value.reason
    assert caught.value.line == 3


def test_names_at_the_limits_are_kept() -> None:
    tags = [f"t{n}" for n in range(MAX_NAMES)]
    data = parse(front("title: t", f"tags: {' '.join(tags)}", "category: " + "c" * MAX_NAME_CHARS))
    assert data.tags == tuple(tags)
    assert data.categories == ("c" * MAX_NAME_CHARS,)


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "' javascript:alert(1)'",
        '"java\\tscript:alert(1)"',
        '"\\x01javascript:alert(1)"',
        "'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=='",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "mailto:desk@example.com",
        "[https://example.com/a]",
        "https://example.com/" + "a" * MAX_LINK_CHARS,
    ],
)
def test_link_other_than_http_is_dropped(link: str) -> None:
    """Only web links reach the feeds; the post itself is kept, with the body's infoCode link if any."""
    assert parse(front("title: t", f"link: {link}")).link is None
    data = parse(front("title: t", f"link: {link}", body=f"原文 <{BODY_LINK}>"))
    assert data.link == BODY_LINK


@pytest.mark.parametrize(
    ("link", "normalized"),
    [
        ("https://example.com/a?b=1", "https://example.com/a?b=1"),
        ("HTTP://example.com/a", "HTTP://example.com/a"),
        ("//example.com/a", "https://example.com/a"),
        ("/news/a.html", "https://finews.example.com/news/a.html"),
        ("javascript:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
    ],
)
def test_only_web_links_survive_normalize(link: str, normalized: str | None) -> None:
    entry = normalize(
        parse(front("title: t", f"link: '{link}'")),
        CategoryResolver({}),
        "https://finews.example.com",
        datetime(2024, 1, 1, tzinfo=UTC),
    )
    assert entry.link == normalized


def test_front_matter_may_close_with_dots() -> None:
    """Jekyll accepts ``...`` as the closing line; it used to crash the split."""
    data = parse("---\ntitle: t\ndate: 2022-01-24\n...\nbody\n")
    assert data.title == "t"
    assert data.content == "<p>body</p>\n"


@pytest.mark.parametrize(
    ("lines", "reason", "line"),
    [
        (("title: t", "date: 2022-13-45"), "month must be in 1..12", 3),
        (("title: t", "date: 2022-02-30 10:00:00"), "day is out of range", 3),
        (("title: " + "1" * 5000,), "digits", 2),
    ],
)
def test_yaml_values_python_cannot_build_are_clear_errors(
    lines: tuple[str, ...], reason: str, line: int
) -> None:
    """A YAML timestamp that is no real date, or a number too long for int(): no traceback."""
    with pytest.raises(ItemError) as caught:
        parse(front(*lines))
    assert "front matter" in caught.value.reason and reason in caught.value.reason
    assert caught.value.line == line


@pytest.mark.parametrize(
    "value", ["2022-01-01 " + "x" * 100_000, "'2022-01-24T22:56:53." + "1" * 100_000 + "'", "[2022-01-01]"]
)
def test_a_long_or_odd_date_is_a_short_error(value: str) -> None:
    """The message quotes the value, cut short: a post cannot put megabytes into `feeds failures`."""
    with pytest.raises(ItemError) as caught:
        parse(front("title: t", f"date: {value}"))
    assert "unparseable date" in caught.value.reason
    assert len(str(caught.value)) < 200
    assert caught.value.line == 3


# The post's link is the first URL carrying an infoCode. ``info_code_link`` finds its start by reading
# back from the parameter; this is the pattern it was first written as, which it must agree with.
_URL_START_AS_FIRST_WRITTEN = re.compile(r"(?:https?:)?//[^\s<>\"'()]*$", re.IGNORECASE)


def _info_code_link_as_first_written(text: str) -> str | None:
    match = _INFO_CODE_IN_URL.search(text)
    if match is None:
        return None
    start = _URL_START_AS_FIRST_WRITTEN.search(text, max(0, match.start() - 2048), match.start())
    return None if start is None else text[start.start() : match.end()]


_LINK_PIECES = [
    *("http://", "https://", "HTTP://", "//", "/", ":", "h", "http:", "a.example", " ", "\n", "\t", "\u3000"),
    *("<", ">", '"', "'", "(", ")", "中文", "?infoCode=NW1", "&infocode=X_2", ";INFOCODE=z", "?", "x" * 700),
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_LINK_PIECES), max_size=14).map("".join))
def test_info_code_link_finds_the_url_the_pattern_finds(text: str) -> None:
    assert info_code_link(text) == _info_code_link_as_first_written(text)


def test_info_code_link_in_the_seed_format() -> None:
    link = "http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW2022"
    body = f"<p>正文</p>\n\n<{link}>\n\n[返回](//a.example/)\n"
    assert info_code_link(body) == link
    assert info_code_link("见 //h.example/x?a=1&infoCode=AB_1 原文") == "//h.example/x?a=1&infoCode=AB_1"
    assert info_code_link("no url ?infoCode=AB") is None


def test_front_matter_is_read_by_libyaml_when_pyyaml_has_it() -> None:
    """libyaml's parser is several times the pure-Python one's speed; the alias scan uses it too."""
    import yaml

    from feeds.parse import post as post_module

    assert yaml.__with_libyaml__, "PyYAML here was built without libyaml"
    assert issubclass(post_module._Loader, yaml.CSafeLoader)
