"""Where each output lives under ``output_dir``: the layout the contract promises readers.

Kept apart from the renderers (``emit``, ``pages``) so that deciding whether a build has anything
to do (``publish.up_to_date``) costs a few ``stat`` calls, not the import of feedgen and lxml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from feeds.config import MAX_SLUG, SLUG_RE
from feeds.errors import FeedsError

OPML_PATH = "feeds/index.opml"
INDEX_PATH = "index.html"
STYLE_PATH = "style.css"

_FORMATS = {"atom": ".atom.xml", "rss": ".rss.xml", "json": ".json"}
_MONTH = re.compile(r"\d{4}-(?:0[1-9]|1[0-2])")


class OutputPathError(FeedsError):
    """An output path that would land outside the output folder, or a slug unfit for a file name."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path!r}: {reason}")


def feed_paths(slug: str) -> dict[str, str]:
    """The three feed files of a category, relative to ``output_dir``; refuses anything not a slug.

    Also refuses a slug too long for a file name (one a store may hold from before slugs were
    capped), so the caller gets a clear error it can record instead of an OSError mid-write.
    """
    if not SLUG_RE.match(slug):
        raise OutputPathError(slug, "not a slug: use a-z, 0-9, _ and - only")
    if len(slug) > MAX_SLUG:
        raise OutputPathError(slug, f"slug longer than {MAX_SLUG} characters: too long for a file name")
    return {fmt: f"feeds/{slug}{suffix}" for fmt, suffix in _FORMATS.items()}


def page_path(slug: str) -> str:
    """A feed's HTML page, beside its feed files."""
    return f"feeds/{slug}.html"


def archive_path(slug: str, month: str) -> str:
    """``feeds/archive/<slug>/<YYYY-MM>.atom.xml``; refuses what is not a slug or a month."""
    feed_paths(slug)  # the same checks on the slug
    if not _MONTH.fullmatch(month):
        raise OutputPathError(month, "not a month like 2022-01")
    return f"feeds/archive/{slug}/{month}.atom.xml"


def feed_files(slug: str) -> list[str]:
    """Every current file of one feed, archives aside: its three formats and its page."""
    return [*feed_paths(slug).values(), page_path(slug)]


def current_files(slugs: Iterable[str]) -> list[str]:
    """Every file a complete build leaves for these feeds, archives aside: each feed's files
    (``feed_files``), then the OPML list, the index page and its stylesheet."""
    return [*(path for slug in slugs for path in feed_files(slug)), OPML_PATH, INDEX_PATH, STYLE_PATH]
