"""A Jekyll post's bytes → EntryData, read the way Jekyll reads it.

Front matter between ``---`` lines (closed by ``...`` too, as Jekyll allows), ``date`` as a string like
``2022-01-24 22:56:53 +0800`` (YAML leaves it unparsed) or a YAML timestamp, else the date in a
``YYYY-MM-DD-slug`` file name; ``categories``/``category`` and ``tags`` as a list or a space-separated
string; ``published: false`` skipped. The body is markdown with raw HTML in it, rendered as kramdown
would (``<http://…>`` autolinks and ``[text](url)`` links become ``<a>``). Every rejection is an
ItemError naming the file and, where known, the line.

A post is untrusted input that ends up in every feed, so the front matter is read defensively: YAML
aliases are refused before anything is built (they expand exponentially), the values used are capped
(``MAX_*`` below), and only web links are taken as the post's link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import PurePosixPath
from types import ModuleType, SimpleNamespace
from typing import Any, NoReturn

import mdurl
import yaml
from markdown_it import MarkdownIt, rules_core
from markdown_it import helpers as md_helpers
from markdown_it.common.utils import unescapeAll
from markdown_it.rules_core import StateCore
from yaml.constructor import ConstructorError
from yaml.nodes import Node

try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml: the pure-Python loader reads the same YAML
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

from feeds.dedup import info_code_link
from feeds.errors import ItemError
from feeds.model import EntryData

MAX_POST_BYTES = 2 * 2**20
# Caps on the front matter values a post hands on. A longer title is cut (the post is still news);
# the rest are refused, since no real post comes near them and a silent cut would lose meaning.
MAX_FRONT_MATTER_CHARS = 256 * 1024  # YAML costs far more memory than its text: bound it before parsing
MAX_TITLE_CHARS = 1024
MAX_NAMES = 100  # categories (with `category`), and tags (with `tag`), each
MAX_NAME_CHARS = 200  # one category or tag
MAX_VALUE_CHARS = 1024  # author, infoCode
MAX_LINK_CHARS = 2048  # a longer `link` is ignored, like one that is not a web link


# What mdurl.encode leaves alone: its safe set, and '%' only as the start of an escape.
_URL_NEEDS_NO_ENCODING = re.compile(r"^(?:[A-Za-z0-9;/?:@&=+$,\-_.!~*'()#]|%[0-9A-Fa-f]{2})*\Z")
# A web URL that markdown-it's URL parser (mdurl) reads and writes back unchanged: a plain ASCII host
# (no user, no IPv6 brackets), an optional port, then printable ASCII without spaces (it trims them).
_PLAIN_WEB_URL = re.compile(r"(?:https?:)?//[A-Za-z0-9.-]+(?::[0-9]+)?(?:[/?#][!-~]*)?\Z")


# The start of a link destination that markdown-it's scanner steps over without deciding anything: a
# space or control character ends the destination, a parenthesis or backslash needs the scanner's care.
_DESTINATION_RUN = re.compile(r"[^\x00-\x20\x7f()\\]*")


def _link_destination(text: str, pos: int, maximum: int) -> Any:
    """markdown-it's ``parseLinkDestination``, which reads a destination a character at a time, with
    a regex for one without parentheses, escapes or angle brackets (the site's links); others, and
    every destination that is no link, go to markdown-it's own."""
    if pos < maximum and text[pos] != "<":
        end = _DESTINATION_RUN.match(text, pos, maximum).end()  # type: ignore[union-attr]  # `*` matches
        if end > pos and (end == maximum or text[end] not in "(\\"):
            return SimpleNamespace(ok=True, pos=end, str=unescapeAll(text[pos:end]))
    return md_helpers.parseLinkDestination(text, pos, maximum)


class _Markdown(MarkdownIt):
    """markdown-it with fast paths for plain web links: its URL parser (mdurl, punycode) was a third
    of render time, and the seed's posts end with such links. Any other link takes markdown-it's own
    path, so the output is the same (tests/test_markdown_golden.py compares the two)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        helpers = ModuleType("feeds.parse.post.helpers")  # markdown-it's link helpers, one replaced
        helpers.__dict__.update(vars(md_helpers))
        helpers.parseLinkDestination = _link_destination  # type: ignore[attr-defined]
        self.helpers = helpers

    def normalizeLink(self, url: str) -> str:
        if _PLAIN_WEB_URL.match(url):
            return url if _URL_NEEDS_NO_ENCODING.match(url) else str(mdurl.encode(url))
        return super().normalizeLink(url)

    def normalizeLinkText(self, link: str) -> str:
        """An autolink's text as shown: unchanged unless an escape is to be decoded or a punycode
        host spelled in Unicode."""
        if _PLAIN_WEB_URL.match(link) and "%" not in link and "xn--" not in link.lower():
            return link
        return super().normalizeLinkText(link)


def _normalize_input(state: StateCore) -> None:
    """markdown-it's first step rewrites every line end (and NUL) in the text, a regex pass over the
    whole body; after ``decode`` only a NUL or a lone CR can be left for it to change."""
    if "\r" in state.src or "\0" in state.src:
        rules_core.normalize(state)


_MARKDOWN = _Markdown("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")
_MARKDOWN.core.ruler.at("normalize", _normalize_input)
_FILE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")
_OFFSET_GAP = re.compile(r"^(.*\d)\s+(Z|[+-]\d{2}:?\d{2})$")
_OPENING = re.compile(r"\A---[ \t]*\n")
_CLOSING = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
_MAX_DATE_CHARS = 64  # longer than any date form: a longer value is no date
_FIRST_LINE = 2  # the file line the front matter's first line is on
# A scheme as URL parsers (Python's and browsers') find it once tabs and newlines are dropped.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_URL_IGNORED = re.compile(r"[\t\n\r]")
_URL_LEADING = "".join(map(chr, range(0x21)))  # C0 controls and space, which URL parsers strip
_TEXT_TYPES = (str, int, float, date)  # YAML scalars that read as text (bool is an int, datetime a date)


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
    front, body = _split(text, location)
    if front.meta.get("published") is False:
        return None
    title = _title(front)
    raw_date, published = _date(front, relpath, zone)
    return EntryData(
        source=source,
        item_id=relpath,
        title=title,
        content=_MARKDOWN.render(body),
        link=_web_link(front.meta.get("link")) or info_code_link(body),
        author=front.text("author", MAX_VALUE_CHARS) or None,
        published=published,
        updated=_optional_date(front.meta.get("last_modified_at") or front.meta.get("updated"), zone),
        raw_date=raw_date,
        categories=front.names("categories", "category"),
        tags=front.names("tags", "tag"),
        info_code=_info_code(front),
    )


@dataclass(frozen=True)
class _FrontMatter:
    """The front matter's keys, with what a rejection needs: the file and the lines to point at."""

    meta: dict[Any, Any]
    lines: list[str]
    location: str

    def line(self, key: str) -> int | None:
        """The file line where ``key`` is set at the top level, if it can be found."""
        for number, line in enumerate(self.lines, start=_FIRST_LINE):
            if line.startswith(f"{key}:"):
                return number
        return None

    def refuse(self, key: str, reason: str) -> NoReturn:
        raise ItemError(self.location, reason, line=self.line(key))

    def text(self, key: str, limit: int | None = None) -> str:
        """``key``'s value as text ("" when absent); a list, mapping or binary is refused, not printed."""
        value = self.meta.get(key)
        if value is None:
            return ""
        if not isinstance(value, _TEXT_TYPES):
            self.refuse(key, f"`{key}` must be text, not {_kind(value)}")
        text = str(value).strip()
        if limit is not None and len(text) > limit:
            self.refuse(key, f"`{key}` is longer than {limit} characters")
        return text

    def names(self, *keys: str) -> tuple[str, ...]:
        """Jekyll's list-or-space-separated-string names under ``keys``, within the caps."""
        found: list[str] = []
        for key in keys:
            words = self._words(key)
            found += words
            if len(found) > MAX_NAMES:
                self.refuse(key, f"too many {keys[0]}: a post may have at most {MAX_NAMES} {keys[0]}")
            if any(len(word) > MAX_NAME_CHARS for word in words):
                self.refuse(key, f"`{key}` has a name longer than {MAX_NAME_CHARS} characters")
        return tuple(found)

    def _words(self, key: str) -> list[str]:
        value = self.meta.get(key)
        if value is None:
            return []
        if isinstance(value, _TEXT_TYPES):
            return str(value).split(maxsplit=MAX_NAMES)  # enough to tell "too many" without a huge list
        if isinstance(value, list) and all(item is None or isinstance(item, _TEXT_TYPES) for item in value):
            return [str(item).strip() for item in value if item is not None and str(item).strip()]
        self.refuse(key, f"`{key}` must be names (a list or a space-separated string), not {_kind(value)}")


def _kind(value: object) -> str:
    kinds: dict[type, str] = {list: "a list", dict: "a mapping", bytes: "binary data", set: "a set"}
    return kinds.get(type(value), f"a {type(value).__name__}")


def _title(front: _FrontMatter) -> str:
    """The title, cut at ``MAX_TITLE_CHARS`` characters: a long title still names the news."""
    title = front.text("title")
    if not title:
        raise ItemError(front.location, "front matter has no title", line=front.line("title") or 1)
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1] + "…"
    return title


def _web_link(value: object) -> str | None:
    """``link`` when it is an http(s) or protocol-relative URL (or relative, which resolves against the
    site's own URL); anything else (``javascript:``, ``data:``, ...) would reach every feed reader."""
    if not isinstance(value, str):
        return None
    link = value.strip()
    if not link or len(link) > MAX_LINK_CHARS:
        return None
    cleaned = _URL_IGNORED.sub("", link).lstrip(_URL_LEADING)
    scheme = _SCHEME.match(cleaned)
    if scheme is not None and scheme[0].lower() not in ("http:", "https:"):
        return None
    return link


def _split(text: str, location: str) -> tuple[_FrontMatter, str]:
    """The front matter (between the ``---`` lines) and the body after it."""
    opening = _OPENING.match(text)
    if opening is None:
        raise ItemError(location, "no front matter: a post starts with a '---' line", line=1)
    closing = _CLOSING.search(text, opening.end())
    if closing is None:
        raise ItemError(location, "front matter is not closed by a '---' line", line=1)
    if closing.start() - opening.end() > MAX_FRONT_MATTER_CHARS:
        limit = MAX_FRONT_MATTER_CHARS // 1024
        raise ItemError(
            location, f"front matter is longer than {limit} KiB: put long text in the body", line=1
        )
    front = text[opening.end() : closing.start()]
    meta = _load_yaml(front, location)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ItemError(location, "front matter must be a mapping of keys", line=_FIRST_LINE)
    return _FrontMatter(meta, front.split("\n"), location), text[closing.end() :].lstrip("\n")


class _Loader(_SafeLoader):
    """YAML's safe loader (libyaml's when there is one); a value Python cannot build, such as the
    timestamp ``2022-13-45`` or a 5000-digit int, becomes a YAML error at its line, not a traceback."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # SafeConstructor raises ValueError, KeyError, IndexError, ...
            kind = str(node.tag).rsplit(":", 1)[-1]
            detail = f" ({str(exc).split(';')[0]})" if isinstance(exc, ValueError) else ""
            raise ConstructorError(None, None, f"cannot read this {kind}{detail}", node.start_mark) from None


def _load_yaml(front: str, location: str) -> Any:
    """The front matter's YAML, refusing aliases before anything is built from it."""
    try:
        if "*" in front:  # an alias needs one; scanning only then keeps the common case one pass
            _refuse_aliases(front, location)
        return yaml.load(front, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise ItemError(
            location, f"broken YAML front matter: {_yaml_problem(exc)}", line=_yaml_line(exc)
        ) from None


def _refuse_aliases(front: str, location: str) -> None:
    """Aliases (``*name``) let a few hundred bytes expand to gigabytes (a "billion laughs"), and Jekyll
    posts have no need of them: any alias makes the post an error. Events stream, so this is cheap."""
    for event in yaml.parse(front, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + _FIRST_LINE if event.start_mark else None
            raise ItemError(location, "YAML aliases (*name) are not allowed in front matter", line=line)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem else str(exc).splitlines()[0]


def _yaml_line(exc: yaml.YAMLError) -> int:
    """The file line where the broken construct starts (YAML's context), else where it noticed."""
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    return mark.line + _FIRST_LINE if mark is not None else 1


def _info_code(front: _FrontMatter) -> str | None:
    for key, value in front.meta.items():
        if str(key).lower() == "infocode" and value:
            return front.text(str(key), MAX_VALUE_CHARS) or None
    return None


def _shown(value: object) -> str:
    """A value for an error message: quoted, and short whatever the post holds."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _date(front: _FrontMatter, relpath: str, zone: tzinfo) -> tuple[str, datetime]:
    """The post's date and the text it came from: front matter, else the file name."""
    value = front.meta.get("date")
    if value is not None and value != "":
        parsed = _optional_date(value, zone)
        if parsed is None:
            expected = "expected e.g. 2022-01-24 22:56:53 +0800"
            front.refuse("date", f"unparseable date {_shown(value)} ({expected})")
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
        front.location, "no date: give `date:` in the front matter or name the file YYYY-MM-DD-slug", line=1
    )


def _optional_date(value: object, zone: tzinfo) -> datetime | None:
    """Aware datetime from a YAML date/datetime or a date string; naive times take ``zone``."""
    if not isinstance(value, _TEXT_TYPES) or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        text = _OFFSET_GAP.sub(r"\1\2", str(value).strip())
        if len(text) > _MAX_DATE_CHARS:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if moment.year < 1970 or moment.year > 2200:
        return None
    return moment.astimezone(UTC)
