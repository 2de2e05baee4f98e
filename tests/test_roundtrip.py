"""Property: whatever text an item brings, what we emit reads back as what we stored.

normalize → emit → feedparser (Atom, RSS) and json (JSON Feed), for arbitrary titles and bodies:
control characters, markup, entities, any script. Feed readers must never see a broken feed.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime

import feedparser
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds import emit
from feeds.config import SiteConfig
from feeds.model import Category, EntryData, StoredEntry
from feeds.normalize import normalize
from feeds.slugs import CategoryResolver

SITE = SiteConfig(title="财经新闻聚合", url="https://finews.example.com")
T0 = datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)


def stored(data: EntryData) -> StoredEntry:
    entry = normalize(data, CategoryResolver({}), SITE.url, T0)
    return StoredEntry(
        key=entry.key,
        info_code=entry.info_code,
        title=entry.title,
        link=entry.link,
        content=entry.content,
        summary=entry.summary,
        author=entry.author,
        published=entry.published,
        updated=entry.updated,
        categories=tuple(c.slug for c in entry.categories),
        tags=entry.tags,
        sources=(entry.source,),
        content_hash=entry.content_hash,
    )


@settings(max_examples=80, deadline=None)
@given(title=st.text(min_size=1, max_size=60), body=st.text(max_size=200), markup=st.booleans())
def test_any_item_reads_back_from_every_format(title: str, body: str, markup: bool) -> None:
    content = f"<p>{body}</p>" if markup else f"<p>{html.escape(body)}</p>"
    item = stored(
        EntryData(source="s", item_id="i", title=title, content=content, link="https://x.example/a")
    )
    files = emit.render_category([item], Category("all", SITE.title), SITE, {}, None)
    atom = feedparser.parse(files["feeds/all.atom.xml"])
    rss = feedparser.parse(files["feeds/all.rss.xml"])
    items = json.loads(files["feeds/all.json"])["items"]
    expected = emit.clean_text(item.title)
    assert atom.bozo == 0 and rss.bozo == 0
    assert atom.entries[0].title == rss.entries[0].title == items[0]["title"] == expected
    assert atom.entries[0].id == rss.entries[0].id == items[0]["id"] == emit.entry_id(item.key, SITE)
    assert atom.entries[0].published == items[0]["date_published"] == "2022-01-24T14:56:53Z"
