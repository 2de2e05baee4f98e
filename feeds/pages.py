"""Pages people can read: ``feeds/<slug>.html`` beside every feed, ``index.html`` at the root of the
output folder, and the one stylesheet they share.

Plain HTML5 that works without JavaScript and carries no inline script or style, so it stays within
``feeds serve``'s Content-Security-Policy (styles from the site's own ``style.css`` only). Each page
shows the newest entries (title linked to the article, the date in the site's timezone, the sources,
the sanitized content), discovery ``<link rel="alternate">`` tags for its Atom, RSS and JSON feeds,
and plain subscribe links with the feed URL to copy. Links between pages are relative, so the output
folder can be served under any path. Same entries, same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from zoneinfo import ZoneInfo

from feeds.config import SiteConfig
from feeds.model import Category, StoredEntry
from feeds.paths import INDEX_PATH, STYLE_PATH, archive_path, feed_paths, page_path

LANGUAGE = "zh-CN"
_FORMATS = (("atom", "application/atom+xml", "Atom"), ("rss", "application/rss+xml", "RSS"))
_JSON = ("json", "application/feed+json", "JSON Feed")
_SHORT = (("atom", "Atom"), ("rss", "RSS"), ("json", "JSON"))  # the index's links to each feed

STYLE = """\
:root { color-scheme: light dark; --muted: #666; --line: #ddd; --accent: #b3261e; }
@media (prefers-color-scheme: dark) { :root { --muted: #aaa; --line: #444; --accent: #f2b8b5; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 46rem; padding: 1rem; line-height: 1.75; overflow-wrap: anywhere;
  font-family: system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Noto Sans SC",
  "Microsoft YaHei", sans-serif; }
header { border-bottom: 2px solid var(--accent); margin-bottom: 1rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0; }
h2 { font-size: 1.2rem; margin: 0 0 0.25rem; }
a { color: var(--accent); }
.subscribe { color: var(--muted); font-size: 0.9rem; }
.subscribe code { font-size: 0.8rem; word-break: break-all; }
article { border-bottom: 1px solid var(--line); padding: 1rem 0; }
.meta { color: var(--muted); font-size: 0.85rem; margin: 0 0 0.5rem; }
.content img, .content video { max-width: 100%; height: auto; }
.content p { margin: 0.5rem 0; }
nav ul { padding-left: 1.2rem; }
footer { color: var(--muted); font-size: 0.85rem; padding: 1rem 0; }
"""


def render_page(
    entries: Sequence[StoredEntry],
    feed: Category,
    feed_title: str,
    site: SiteConfig,
    category_titles: dict[str, str],
    newest_archive: str | None = None,
) -> bytes:
    """One feed's page: its newest entries, newest first (the caller limits them)."""
    zone = ZoneInfo(site.timezone)
    paths = feed_paths(feed.slug)
    files = [(fmt, mime, label, paths[fmt].removeprefix("feeds/")) for fmt, mime, label in (*_FORMATS, _JSON)]
    head = [
        f'<link rel="alternate" type="{mime}" title="{escape(feed_title)} ({label})" href="{href}">'
        for _, mime, label, href in files
    ]
    articles = [_article(entry, zone, category_titles) for entry in entries]
    older = (
        f'<p>更早的条目：<a href="{archive_path(feed.slug, newest_archive).removeprefix("feeds/")}">'
        "按月归档（Atom）</a></p>"
        if newest_archive
        else ""
    )
    body = [
        "<header>",
        f"<h1>{escape(feed_title)}</h1>",
        _subscribe(files, site, prefix=f"{site.url}/feeds/"),
        "</header>",
        "<main>",
        *(articles or ["<p>还没有条目。</p>"]),
        "</main>",
        f'<footer>{older}<p><a href="../{INDEX_PATH}">{escape(_site_title(site))}</a> · 全部栏目</p>',
        "</footer>",
    ]
    return _document(f"{feed_title} · {_site_title(site)}", "../", head, body)


def render_index(
    feeds: Sequence[tuple[Category, str]],
    entries: Sequence[StoredEntry],
    site: SiteConfig,
    category_titles: dict[str, str],
) -> bytes:
    """``index.html``: every feed (page and files) and the newest entries of all of them."""
    zone = ZoneInfo(site.timezone)
    head = [
        f'<link rel="alternate" type="{mime}" title="{escape(title)} ({label})" '
        f'href="{feed_paths(feed.slug)[fmt]}">'
        for feed, title in feeds
        for fmt, mime, label in (*_FORMATS, _JSON)
    ]
    listed = [
        f'<li><a href="{page_path(feed.slug)}">{escape(title)}</a> <span class="subscribe">('
        + " · ".join(f'<a href="{feed_paths(feed.slug)[fmt]}">{label}</a>' for fmt, label in _SHORT)
        + ")</span></li>"
        for feed, title in feeds
    ]
    description = f"<p>{escape(site.description)}</p>" if site.description else ""
    body = [
        "<header>",
        f"<h1>{escape(_site_title(site))}</h1>",
        description,
        "</header>",
        '<nav aria-label="栏目"><h2>栏目</h2>',
        "<ul>",
        *listed,
        "</ul>",
        '<p class="subscribe">全部订阅列表：<a href="feeds/index.opml">OPML</a></p>',
        "</nav>",
        "<main>",
        "<h2>最新</h2>",
        *[_article(entry, zone, category_titles) for entry in entries],
        "</main>",
    ]
    return _document(_site_title(site), "", head, body)


def _site_title(site: SiteConfig) -> str:
    return site.title or "feeds"


def _subscribe(files: Sequence[tuple[str, str, str, str]], site: SiteConfig, prefix: str) -> str:
    """Plain links to each feed, and the Atom URL spelled out to copy into a reader."""
    links = " · ".join(f'<a href="{href}">{label}</a>' for _, _, label, href in files)
    atom = f"{prefix}{files[0][3]}"
    return f'<p class="subscribe">订阅：{links}<br>订阅地址：<code>{escape(atom)}</code></p>'


def _article(entry: StoredEntry, zone: ZoneInfo, category_titles: dict[str, str]) -> str:
    local = entry.published.astimezone(zone)
    title = escape(entry.title or "(无标题)")
    heading = f'<a href="{escape(entry.link)}">{title}</a>' if entry.link else title
    labels = "、".join(escape(category_titles.get(slug, slug)) for slug in entry.categories)
    sources = "、".join(escape(source) for source in entry.sources)
    meta = [
        f'<time datetime="{entry.published.strftime("%Y-%m-%dT%H:%M:%SZ")}">{local:%Y-%m-%d %H:%M}</time>'
    ]
    if labels:
        meta.append(labels)
    if sources:
        meta.append(f"来源：{sources}")
    text = entry.content or entry.summary or ""
    return (
        f'<article>\n<h2>{heading}</h2>\n<p class="meta">{" · ".join(meta)}</p>\n'
        f'<div class="content">{text}</div>\n</article>'
    )


def _document(title: str, root: str, head: Sequence[str], body: Sequence[str]) -> bytes:
    lines = [
        "<!doctype html>",
        f'<html lang="{LANGUAGE}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f'<link rel="stylesheet" href="{root}{STYLE_PATH}">',
        *head,
        "</head>",
        "<body>",
        *[line for line in body if line],
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(lines).encode("utf-8")
