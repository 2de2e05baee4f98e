"""EntryData → Entry: UTC dates, sanitized absolute HTML, plain titles, slugs, key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feeds.errors import ItemError
from feeds.model import Category, EntryData
from feeds.normalize import absolute_url, clean_html, normalize, plain_text
from feeds.slugs import CategoryResolver

NOW = datetime(2026, 1, 1, tzinfo=UTC)
SITE = "https://finews.example.com"


def data(**fields: object) -> EntryData:
    base: dict[str, object] = {"source": "s", "item_id": "i", "title": "t", "content": "<p>c</p>"}
    return EntryData(**{**base, **fields})  # type: ignore[arg-type]


def run(item: EntryData):  # type: ignore[no-untyped-def]
    return normalize(item, CategoryResolver({}), SITE, NOW)


def test_dangerous_html_is_removed() -> None:
    dirty = (
        '<p onclick="steal()">x<script>alert(1)</script></p><a href="javascript:alert(1)">j</a>'
        '<img src="x.png" onerror="boom()"><iframe src="https://evil/"></iframe><style>p{}</style>'
    )
    cleaned = clean_html(dirty, "https://a.com/post/")
    for bad in ("script", "onclick", "javascript:", "onerror", "iframe", "<style"):
        assert bad not in cleaned
    assert '<img src="https://a.com/post/x.png">' in cleaned


def test_relative_and_protocol_relative_urls_become_absolute() -> None:
    html = '<a href="//finews.withounder.com/">home</a><a href="/c/x.html">c</a><img src="i.png">'
    cleaned = clean_html(html, "https://a.com/news/1.html")
    assert 'href="https://finews.withounder.com/"' in cleaned
    assert 'href="https://a.com/c/x.html"' in cleaned
    assert 'src="https://a.com/news/i.png"' in cleaned


def test_an_unparseable_link_is_dropped_not_fatal(capfd: pytest.CaptureFixture[str]) -> None:
    """``http://[bad`` makes urljoin raise; the item keeps everything else (and its base for the
    body's relative links falls back to the site), and nothing is printed from the sanitizer."""
    entry = run(
        data(
            link="http://[bad/a",
            guid="g-1",
            content='<a href="//[x/">l</a><a href="/ok.html">ok</a>',
        )
    )
    assert entry.link is None and entry.key == "guid:g-1"
    assert entry.content == f'<a>l</a><a href="{SITE.rstrip("/")}/ok.html">ok</a>'
    assert capfd.readouterr().err == ""


def test_titles_are_plain_text() -> None:
    assert plain_text("<b>涨</b> &amp; 跌\n  news") == "涨 & 跌 news"
    assert run(data(title="<em>A</em> &lt;b&gt;")).title == "A <b>"


def test_dates_become_utc_and_missing_date_is_fetch_time() -> None:
    east8 = timezone(timedelta(hours=8))
    entry = run(data(published=datetime(2022, 1, 24, 22, 56, 53, tzinfo=east8)))
    assert entry.published == datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
    assert entry.updated == entry.published
    assert run(data()).published == NOW


def test_categories_are_slugged_with_chinese_titles() -> None:
    entry = run(data(categories=("证券时报网", "证券时报网")))
    assert entry.categories == (Category("zhengquanshibaowang", "证券时报网"),)


def test_unsafe_category_is_an_item_error() -> None:
    with pytest.raises(ItemError, match="safe feed name"):
        run(data(categories=("../../etc",)))


def test_key_from_info_code_in_body() -> None:
    body = '<p>x</p><a href="http://f.xyz/NewsShare.html?infoCode=NW202201242259595178">src</a>'
    entry = run(data(content=body))
    assert entry.key == entry.info_code == "NW202201242259595178"


def test_content_hash_tracks_visible_changes_only() -> None:
    first = run(data())
    assert run(data(item_id="other")).content_hash == first.content_hash
    assert run(data(content="<p>changed</p>")).content_hash != first.content_hash


def test_control_characters_never_reach_a_title() -> None:
    assert run(data(title="A\x1bB\x7f\x85C")).title == "ABC"
    untitled = run(
        data(title="\x1b\x08", link="https://a.example/x", content="<p>央行宣布降准。其余正文</p>")
    )
    assert untitled.title == "央行宣布降准。"  # from its text, never its URL


def test_an_untitled_item_is_titled_with_its_first_sentence_up_to_60_characters() -> None:
    assert run(data(title="", content="<p>Rates held. More text.</p>")).title == "Rates held."
    long = run(data(title="", content=f"<p>{'长' * 100}</p>")).title
    assert len(long) == 60 and long.endswith("…")
    assert run(data(title="", content="", link="https://a.example/x")).title == "(untitled)"
    keyed = run(data(title="", content="<p>只有正文</p>", guid=None, link=None))
    assert keyed.key.startswith("text:")


URL_PIECES = [
    "a",
    "b.c",
    ":80",
    "/",
    "/..",
    "/./",
    ";p",
    "?",
    "#",
    "?#",
    "=",
    "&",
    "%20",
    " ",
    "\t",
    "[",
    "]",
]
URL_TEXT = st.lists(st.sampled_from([*URL_PIECES, "\u00e9", "\U0001f600"]), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http://", "https://", "HTTP://", "//", ""]),
    rest=URL_TEXT,
    base=st.sampled_from(["https://news.example.com/a/b.html", "http://news.example.com/", "urn:x"]),
)
@example(scheme="https://", rest="a?#a", base="https://x.example/")  # urljoin drops the empty query
@example(scheme="http://", rest="a/b?", base="http://x.example/")
@example(scheme="http://", rest="a/b;", base="http://x.example/")  # ... and empty params
@example(scheme="HTTP://", rest="a/b", base="http://x.example/")  # ... and lower-cases the scheme
@example(scheme="http://", rest="/a", base="http://x.example/")  # no host: resolved against the base
def test_absolute_url_shortcut_agrees_with_urljoin(scheme: str, rest: str, base: str) -> None:
    """The shortcut for links that are already absolute gives exactly what urljoin would."""
    value = scheme + rest
    try:
        expected = urljoin(base, value.strip()) if not value.strip().startswith("//") else None
    except ValueError:
        return  # urljoin refuses it; so does absolute_url (not via the shortcut)
    if expected is not None:
        assert absolute_url(value, base) == expected
