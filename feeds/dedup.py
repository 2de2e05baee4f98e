"""The news-item key: pure functions, no I/O. What the store does with a key is ``merge``'s.

Key order (docs/DESIGN.md): the infoCode, else the feed's guid, else the link without tracking
parameters, else a hash of source + title + the item's own date as given (never the fetch time, so
an undated item keeps its key on every fetch); an item with no title either is keyed by a hash of
its text and its own date, so the same text from two sources is one item.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_INFO_CODE_IN_URL = re.compile(r"[?&;]infocode=([A-Za-z0-9_-]+)", re.IGNORECASE)
_TRACKING_PARAMS = re.compile(
    r"^(utm_[a-z_]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|yclid|_hsenc|_hsmi|spm)$",
    re.IGNORECASE,
)


def info_code_in(text: str | None) -> str | None:
    """The ``infoCode`` query parameter (any case) of the first URL in ``text`` that carries one."""
    if not text:
        return None
    match = _INFO_CODE_IN_URL.search(text)
    return match.group(1) if match else None


_URL_LOOKBACK = 2048  # characters before the infoCode parameter searched for its URL's start
_URL_PREFIX = re.compile(r"(?:https?:)?//", re.IGNORECASE)
_URL_CHARS = re.compile(r"[^\s<>\"'()]*")


def info_code_link(text: str | None) -> str | None:
    """The first URL in ``text`` that carries an infoCode: a post's link to the original article.

    The URL is the leftmost ``http://``, ``https://`` or ``//`` in the run of URL characters that
    reaches the parameter (at most ``_URL_LOOKBACK`` back). The run is read backwards, once: a
    pattern anchored at the parameter would be tried from every start in the window, which over a
    post's body cost a tenth of preparing it.
    """
    if not text:
        return None
    match = _INFO_CODE_IN_URL.search(text)
    if match is None:
        return None
    end = match.start()
    window = max(0, end - _URL_LOOKBACK)
    if end > window and text[end - 1] == "\n":  # the run may end before a newline just there
        end -= 1
    run = _URL_CHARS.match(text[window:end][::-1])
    start = _URL_PREFIX.search(text, end - (run.end() if run else 0), end)
    return None if start is None else text[start.start() : match.end()]


def find_info_code(explicit: str | None, link: str | None, guid: str | None, content: str) -> str | None:
    """infoCode from front matter, else the link, else the guid, else the first body URL with one."""
    if explicit and explicit.strip():
        return explicit.strip()
    for text in (link, guid, content):
        found = info_code_in(text)
        if found:
            return found
    return None


def clean_link(url: str) -> str:
    """The link as an identity: host lower-cased, default port, fragment and tracking params dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port if parts.port not in (None, 80 if scheme == "http" else 443) else None
        netloc = f"{host}:{port}" if port else host
    except ValueError:  # a port that is no number (or out of range): keep what the link said
        netloc = parts.netloc.lower()
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING_PARAMS.match(k)
    ]
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def news_item_key(
    info_code: str | None,
    guid: str | None,
    link: str | None,
    source: str,
    title: str,
    raw_date: str | None,
    text: str = "",
) -> str:
    """One key per news item, whichever source brings it (``text``: the item's plain text)."""
    if info_code:
        return info_code
    if guid and guid.strip():
        return f"guid:{guid.strip()}"
    if link and link.strip():
        return f"url:{clean_link(link)}"
    if title:
        digest = hashlib.sha256(f"{source}\0{title}\0{raw_date or ''}".encode()).hexdigest()[:32]
        return f"hash:{digest}"
    digest = hashlib.sha256(f"{text}\0{raw_date or ''}".encode()).hexdigest()[:32]
    return f"text:{digest}"
