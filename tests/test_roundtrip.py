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
from lxml import etree

from feeds import emit, merge
from feeds.config import SiteConfig
from feeds.model import Category, EntryData, StoredEntry
from feeds.normalize import normalize
from feeds.slugs import CategoryResolver

SITE = SiteConfig(title="财经新闻聚合", url="https://finews.example.com")
T0 = datetime(2022, 1, 24, 14, 56, 53, tzinfo=UTC)
ATOM = {"a": "http://www.w3.org/2005/Atom"}


def stored(data: EntryData) -> StoredEntry:
    decision = merge.decide(None, [], normalize(data, CategoryResolver({}), SITE.url, T0), {}, T0)
    assert decision.entry is not None
    return decision.entry


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
    assert atom.bozo == 0 and rss.bozo == 0  # every reader can read it
    # exact text through a plain XML parser: feedparser "repairs" strings that look double-encoded
    atom_entry = etree.fromstring(files["feeds/all.atom.xml"]).find("a:entry", ATOM)
    rss_item = etree.fromstring(files["feeds/all.rss.xml"]).find("channel/item")
    json_item = json.loads(files["feeds/all.json"])["items"][0]
    assert atom_entry is not None and rss_item is not None
    titles = {atom_entry.findtext("a:title", namespaces=ATOM), rss_item.findtext("title"), json_item["title"]}
    assert titles == {item.title}
    ids = {atom_entry.findtext("a:id", namespaces=ATOM), rss_item.findtext("guid"), json_item["id"]}
    assert ids == {emit.entry_id(item.key, SITE)}
    assert atom.entries[0].published == json_item["date_published"] == "2022-01-24T14:56:53Z"
