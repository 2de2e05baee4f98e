"""EntryData → Entry: UTC dates, sanitized absolute HTML, plain titles, slugs, key."""

from __future__ import annotations

import re
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urljoin

import nh3
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds import emit, merge
from feeds import normalize as normalize_module
from feeds.config import SiteConfig
from feeds.errors import ItemError
from feeds.model import Category, Entry, EntryData
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


def _urljoin_as_absolute_url_would(value: str, base: str) -> str:
    """absolute_url without its shortcut: protocol-relative links (or else bases) take https, then urljoin."""
    value = value.strip()
    if value.startswith("//"):
        value = f"https:{value}"
    elif base.startswith("//"):
        base = f"https:{base}"
    return urljoin(base, value)


@settings(max_examples=400, deadline=None)
@given(
    scheme=st.sampled_from(["http://", "https://", "HTTP://", "//", ""]),
    rest=URL_TEXT,
    base=st.sampled_from(
        ["https://news.example.com/a/b.html", "http://news.example.com/", "urn:x", "//cdn.example/x/"]
    ),
)
@example(scheme="https://", rest="a?#a", base="https://x.example/")  # urljoin drops the empty query
@example(scheme="http://", rest="a/b?", base="http://x.example/")
@example(scheme="http://", rest="a/b;", base="http://x.example/")  # ... and empty params
@example(scheme="HTTP://", rest="a/b", base="http://x.example/")  # ... and lower-cases the scheme
@example(scheme="http://", rest="/a", base="http://x.example/")  # no host: resolved against the base
@example(scheme="//", rest="a/b?", base="//cdn.example/x/")  # protocol-relative: the shortcut too
@example(scheme="//", rest="finews.withounder.com/", base="https://x.example/")
def test_absolute_url_shortcut_agrees_with_urljoin(scheme: str, rest: str, base: str) -> None:
    """The shortcut for links that are already absolute gives exactly what urljoin would."""
    value = scheme + rest
    try:
        expected = _urljoin_as_absolute_url_would(value, base)
    except ValueError:
        return  # urljoin refuses it; so does absolute_url (not via the shortcut)
    assert absolute_url(value, base) == expected


# ---- hostile items (issue 10): whatever one brings, it is stored, or it alone is refused -----------

EAST8, WEST8 = timezone(timedelta(hours=8)), timezone(timedelta(hours=-8))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=EAST8),  # before year 1 in UTC: OverflowError
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 6, 1, tzinfo=UTC),  # a 3-digit year RSS readers cannot read back
        datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 0, tzinfo=WEST8),  # past year 9999 in UTC
        datetime(9000, 1, 1, tzinfo=UTC),  # adding the dedup window must not overflow either
    ],
    ids=str,
)
def test_a_date_outside_1970_to_2300_is_no_date(moment: datetime) -> None:
    """The fetch time stands in for it, recorded as such; an absurd updated date is the published one."""
    entry = run(data(published=moment, updated=moment))
    assert entry.published == entry.updated == NOW and entry.date_is_fetch_time
    good = datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
    assert run(data(published=good, updated=moment)).updated == good


def test_lone_surrogates_are_replaced_in_every_field() -> None:
    lone = "\ud800"
    entry = run(
        data(
            item_id=f"id{lone}",
            title=f"t{lone}",
            content=f"<p>c{lone}</p>",
            summary=f"s{lone}",
            link=f"https://e.example/{lone}",
            guid=f"g{lone}",
            author=f"a{lone}",
            raw_date=f"d{lone}",
            info_code=None,
            tags=(f"x{lone}",),
            categories=(f"y{lone}",),
            base_url=f"https://e.example/{lone}/",
        )
    )
    for value in asdict(entry).values():
        repr(value).encode("utf-8")
        if isinstance(value, str):
            value.encode("utf-8")
    assert entry.key == "guid:g\ufffd" and entry.item_id == "id\ufffd" and entry.content == "<p>c\ufffd</p>"
    assert (entry.title, entry.tags, entry.categories[0].slug) == ("t\ufffd", ("x",), "y")


def test_an_unforeseen_failure_is_that_items_item_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline turns an ItemError into the item's recorded failure; anything else would fail the
    whole feed (or run)."""

    def broken(*args: object) -> str:
        raise ValueError("surprise")

    monkeypatch.setattr(normalize_module, "news_item_key", broken)
    with pytest.raises(ItemError, match=r"^i: cannot be stored \(ValueError: surprise\)$"):
        run(data())


def test_a_long_title_or_author_is_cut_with_a_marker() -> None:
    entry = run(data(title="长" * 5000, author="名" * 5000))
    assert len(entry.title) == normalize_module.TITLE_MAX and entry.title.endswith("长…")
    assert entry.author is not None and len(entry.author) == normalize_module.TITLE_MAX
    assert run(data(title="<b>x</b>" * 1_000_000)).title.startswith("x x x")


PARAGRAPH = '<p>证券时报网讯 &amp; <a href="/a/1.html">沪指</a> &lt;收涨&gt; <img src="i.png" alt="图"></p>\n'


def emitted(entry: Entry) -> dict[str, bytes]:
    """The entry in every feed format, as emit writes it."""
    site = SiteConfig(title="t", url=SITE)
    decision = merge.decide(None, [], entry, {}, NOW)
    assert decision.entry is not None
    return emit.render_category([decision.entry], Category("all", "t"), site, {}, None)


def test_a_huge_body_is_cut_to_whole_markup_every_reader_parses() -> None:
    """An 11 MB item made feeds lxml's default parser refuses ("Text node too long"): the content and
    summary are cut, where no tag or reference is open, to markup the sanitizer closed."""
    body = PARAGRAPH * (11_000_000 // len(PARAGRAPH))
    entry = run(data(content=f"<div><section>{body}</section></div>", summary=body))
    for text in (entry.content, entry.summary or ""):
        assert 0.9 * normalize_module.CONTENT_MAX < len(text) <= normalize_module.CONTENT_MAX
        assert nh3.clean(text) == nh3.clean(nh3.clean(text))  # whole markup: sanitizing it again keeps it
    assert entry.content.endswith("</section></div>")
    for name, document in emitted(entry).items():
        if name.endswith(".xml"):
            etree.fromstring(document)  # lxml's default parser: no huge_tree


@pytest.mark.parametrize("limit", range(1, 260, 3))
def test_a_cut_never_ends_inside_a_tag_or_a_reference(limit: int) -> None:
    """What a cut keeps is the start of what the whole body gives, plus the tags that close it: no
    half tag shown as text, no half reference (``&am``, ``&#x4e``) turned into other text."""
    fragment = '<p>ab &amp; &#x4e2d; <a href="x?a=1&amp;b=2" title="t">link</a> tail</p>' * 3
    whole = clean_html(fragment, "https://e.example/")
    cleaned = clean_html(fragment, "https://e.example/", limit=limit)
    assert len(cleaned) <= limit
    assert whole.startswith(re.sub(r"(</[a-z]+>)+$", "", cleaned))


def test_bidi_controls_never_reach_plain_text() -> None:
    """U+202E and friends make a title read as something else and leak into the text around it."""
    controls = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    entry = run(
        data(title=f"abc{controls}def", author="\u202eA", tags=("\u2067T\u2069",), categories=("\u202ex",))
    )
    assert (entry.title, entry.author, entry.tags, entry.categories[0].slug) == ("abcdef", "A", ("T",), "x")


@pytest.mark.parametrize(
    "pixel",
    [
        '<img src="https://t.example/p.gif" width="1" height="1">',
        "<IMG SRC=https://t.example/p.gif WIDTH=0 HEIGHT=0>",
        '<img src="https://t.example/p.gif" width="1px" height="1px" alt="">',
        '<img src="https://t.example/p.gif" height="1" width="600">',
        "<img src='https://t.example/p.gif' style='width:1px;height:1px'>",
        '<img style="border:0; width: 0px" src="https://t.example/p.gif"/>',
        '<img src="https://t.example/p.gif" style="display:none">',
        '<img alt="a > b" src="https://t.example/p.gif" width="1" height="1">',
        '<img src="https://t.example/p.gif" width=" 1 " height="1.0">',
    ],
)
def test_tracking_pixels_are_dropped(pixel: str) -> None:
    entry = run(
        data(content=f'<p>text{pixel}<img src="https://e.example/photo.jpg" width="600" height="400"></p>')
    )
    assert "t.example" not in entry.content
    assert '<img src="https://e.example/photo.jpg" width="600" height="400">' in entry.content


def test_images_that_only_look_small_are_kept() -> None:
    for kept in (
        '<img src="a.png" width="10" height="10">',
        '<img src="a.png" width="100%">',
        '<img src="a.png">',
    ):
        assert "a.png" in clean_html(kept, "https://e.example/")


def test_an_overlong_guid_is_keyed_by_its_digest() -> None:
    entry = run(data(guid="g" * 100_000, item_id="g" * 100_000))
    assert entry.key.startswith("guid:sha256:") and len(entry.key) < 100
    assert entry.item_id.startswith("sha256:") and run(data(guid="g" * 100_000)).key == entry.key


def test_tags_and_categories_are_bounded() -> None:
    entry = run(
        data(tags=tuple(f"t{n}" for n in range(10_000)), categories=tuple(f"c{n}" for n in range(10_000)))
    )
    assert len(entry.tags) == len(entry.categories) == normalize_module.LABELS_MAX
    assert len(run(data(tags=("x" * 1000,))).tags[0]) == normalize_module.LABEL_MAX


def test_pixels_and_cuts_cost_little_on_hostile_markup() -> None:
    """No pattern here backtracks: a megabyte of half-open image tags is read in linear time."""
    for hostile in ('<img "' * 200_000, "<img " * 200_000 + '"', "<img alt='" * 100_000 + "x"):
        started = time.monotonic()
        clean_html(hostile, "https://e.example/")
        assert time.monotonic() - started < 5
