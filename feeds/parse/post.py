"""A Jekyll post's bytes → EntryData, read the way Jekyll reads it.

Front matter between ``---`` lines (python-frontmatter), ``date`` as a string like
``2022-01-24 22:56:53 +0800`` (YAML leaves it unparsed) or a YAML timestamp, else the date in a
``YYYY-MM-DD-slug`` file name; ``categories``/``category`` and ``tags`` as a list or a space-separated
string; ``published: false`` skipped. The body is markdown with raw HTML in it, rendered as kramdown
would (``<http://…>`` autolinks and ``[text](url)`` links become ``<a>``). Every rejection is an
ItemError naming the file and, where known, the line.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import PurePosixPath
from typing import Any

import frontmatter
import mdurl
import yaml
from markdown_it import MarkdownIt

from feeds.dedup import info_code_link
from feeds.errors import ItemError
from feeds.model import EntryData

MAX_POST_BYTES = 2 * 2**20


# What mdurl.encode leaves alone: its safe set, and '%' only as the start of an escape.
_URL_NEEDS_NO_ENCODING = re.compile(r"^(?:[A-Za-z0-9;/?:@&=+$,\-_.!~*'()#]|%[0-9A-Fa-f]{2})*\Z")


class _Markdown(MarkdownIt):
    """markdown-it with a fast path for ASCII link targets (its URL parser was a third of render time)."""

    def normalizeLink(self, url: str) -> str:
        if url.isascii():
            return url if _URL_NEEDS_NO_ENCODING.match(url) else str(mdurl.encode(url))
        return super().normalizeLink(url)


_MARKDOWN = _Markdown("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")
_FILE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")
_OFFSET_GAP = re.compile(r"^(.*\d)\s+(Z|[+-]\d{2}:?\d{2})$")
_FRONT_MATTER = frontmatter.default_handlers.YAMLHandler()
_OPENING = re.compile(r"\A---[ \t]*\n")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)


def decode(raw: bytes, location: str) -> str:
    """UTF-8 (with or without BOM), CRLF or LF → text with LF; anything else is a clear error."""
    if b"\0" in raw[:8192]:
        raise ItemError(location, "binary file, not a text post")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ItemError(
            location,
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "save the file as UTF-8 (it may be GBK)",
            line=line,
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def parse_post(raw: bytes, relpath: str, location: str, source: str, zone: tzinfo) -> EntryData | None:
    """The post as EntryData, or None for a draft (``published: false``)."""
    text = decode(raw, location)
    if not text.strip():
        raise ItemError(location, "empty file")
    meta, body, front_lines = _split(text, location)
    if meta.get("published") is False:
        return None
    title = _text(meta.get("title"))
    if not title:
        raise ItemError(location, "front matter has no title", line=_key_line(front_lines, "title") or 1)
    raw_date, published = _date(meta, relpath, location, front_lines, zone)
    return EntryData(
        source=source,
        item_id=relpath,
        title=title,
        content=_MARKDOWN.render(body),
        link=_text(meta.get("link")) or info_code_link(body),
        author=_text(meta.get("author")) or None,
        published=published,
        updated=_optional_date(meta.get("last_modified_at") or meta.get("updated"), zone),
        raw_date=raw_date,
        categories=_words(meta.get("categories")) + _words(meta.get("category")),
        tags=_words(meta.get("tags")) + _words(meta.get("tag")),
        info_code=_info_code(meta),
    )


def _split(text: str, location: str) -> tuple[dict[str, Any], str, list[str]]:
    """Front matter mapping, body, and the front matter's lines (for line numbers in errors)."""
    opening = _OPENING.match(text)
    if opening is None:
        raise ItemError(location, "no front matter: a post starts with a '---' line", line=1)
    if _CLOSING.search(text, opening.end()) is None:
        raise ItemError(location, "front matter is not closed by a '---' line", line=1)
    front, body = _FRONT_MATTER.split(text)
    try:
        meta = _FRONT_MATTER.load(front)
    except yaml.YAMLError as exc:
        raise ItemError(
            location, f"broken YAML front matter: {_yaml_problem(exc)}", line=_yaml_line(exc)
        ) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ItemError(location, "front matter must be a mapping of keys", line=2)
    return meta, body.lstrip("\n"), front.lstrip("\n").split("\n")


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem else str(exc).splitlines()[0]


def _yaml_line(exc: yaml.YAMLError) -> int:
    """The file line where the broken construct starts (YAML's context), else where it noticed."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else 1


def _key_line(front_lines: list[str], key: str) -> int | None:
    for number, line in enumerate(front_lines, start=2):
        if line.startswith(f"{key}:"):
            return number
    return None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _words(value: object) -> tuple[str, ...]:
    """Jekyll's list-or-space-separated-string convention."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(item).strip() for item in value if item is not None and str(item).strip())
    return tuple(str(value).split())


def _info_code(meta: dict[str, Any]) -> str | None:
    for key, value in meta.items():
        if str(key).lower() == "infocode" and value:
            return str(value).strip()
    return None


def _date(
    meta: dict[str, Any], relpath: str, location: str, front_lines: list[str], zone: tzinfo
) -> tuple[str, datetime]:
    """The post's date and the text it came from: front matter, else the file name."""
    value = meta.get("date")
    if value is not None and value != "":
        parsed = _optional_date(value, zone)
        if parsed is None:
            raise ItemError(
                location,
                f"unparseable date {value!r} (expected e.g. 2022-01-24 22:56:53 +0800)",
                line=_key_line(front_lines, "date"),
            )
        return str(value), parsed
    match = _FILE_DATE.match(PurePosixPath(relpath).name)
    if match:
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
        else:
            return match[0].rstrip("-"), datetime.combine(day, time(), tzinfo=zone)
    raise ItemError(
        location, "no date: give `date:` in the front matter or name the file YYYY-MM-DD-slug", line=1
    )


def _optional_date(value: object, zone: tzinfo) -> datetime | None:
    """Aware datetime from a YAML date/datetime or a date string; naive times take ``zone``."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        text = _OFFSET_GAP.sub(r"\1\2", str(value).strip())
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if moment.year < 1970 or moment.year > 2200:
        return None
    return moment.astimezone(UTC)
