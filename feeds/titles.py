"""Title keys for near-duplicate detection: the same story from two feeds that share no id.

Two feeds republishing one story seldom agree on an id or a link, nor on the exact title: one writes
``【快讯】沪指收涨0.5%``, the other ``沪指 收涨0.5％ - 证券时报网``. :func:`title_key` reduces a title to
what such copies still share. Where a rule could go either way it keeps stories apart, because a false
match hides a story while a missed one only shows it twice: every digit stays, and so does whatever
changes a number's value (decimal point, minus sign, the boundary between two numbers, ‰), as do
direction words (涨/跌, 增持/减持), names and units.
"""

from __future__ import annotations

import re
import unicodedata
from itertools import groupby

# A tag such as 【快讯】 or [独家], repeated or not. One holding a digit (【600519】, [2022]) or a
# direction (【沪指收涨】) says which story it is, and a long one is the headline itself: none of those
# is dropped.
_DIRECTIONS = "涨跌增减升降买卖入出多空"
_LEADING_LABELS = re.compile(
    rf"^(?:\s*(?:【[^【】\d{_DIRECTIONS}]{{0,20}}】|\[[^\[\]\d{_DIRECTIONS}]{{0,20}}\]))+"
)

# `` - 站名``, `` | 站名``, ``——站名``, ``_站名``: the last part, at most 20 characters, no digit. The dash
# needs spaces on both sides so that ``1-2月`` and ``A-B`` are never cut.
_SITE_SUFFIX = re.compile(r"(?:\s+-\s+|\s*[|—–]+\s*|\s*_\s*)(?P<site>[^-|_—–\d]{1,20})\Z")
_SITE_TAIL = 32  # the suffix is searched for only here: bounded work on a hostile title

# What a site's name ends with, or is; a last part without this shape is part of the headline
# (``沪指收涨 | 创业板指收跌``) and dropping it would merge two stories.
_SITE_ENDINGS = (
    *("网", "财经", "新闻", "资讯", "见闻", "在线", "频道", "客户端", "电视台", ".com", ".cn"),
    *("日报", "时报", "商报", "晨报", "晚报", "证券报", "基金报", "参考报", "观察报"),
)
_NOT_SITE_ENDINGS = ("电网", "联网")  # 国家电网, 工业互联网: companies and topics, not sites
_KNOWN_SITES = frozenset(
    {
        *("新华社", "财联社", "路透社", "美联社", "中新社", "新京报", "券商中国", "金十数据"),
        *("东方财富", "同花顺", "雪球", "格隆汇", "财新", "界面", "路透", "彭博", "虎嗅"),
        *("钛媒体", "金融界", "证券之星", "投资界", "reuters", "bloomberg"),
    }
)

_SIGNS = "-−"
_HYPHENATES = frozenset("0123456789abcdefghijklmnopqrstuvwxyz%")  # COVID-19, 1-2月, 1.5%-2%
_KEPT_SYMBOLS = frozenset("‰‱")  # 1‰ is not 1%
_DIGIT_GAP = "/"  # 1-2月 and 1、2月 are not 12月
_THOUSANDS_GROUP = re.compile(r"\d{3}(?!\d)")


def title_key(title: str) -> str:
    """The title as near-duplicate matching compares it; "" when nothing is left to compare.

    NFKC and case folding make full-width and half-width, ``ETF`` and ``etf`` alike; a leading label
    and a trailing site name are what two feeds add to one headline; whitespace, punctuation and
    symbols are how they typeset it. Callers must not match on "".
    """
    text = unicodedata.normalize("NFKC", title).casefold()
    return _squeeze(_drop_site_suffix(_drop_leading_labels(text)))


def _drop_leading_labels(text: str) -> str:
    """Drops 【快讯】【独家】-style tags: feeds add them to the same headline, or not."""
    return _LEADING_LABELS.sub("", text, count=1)


def _drop_site_suffix(text: str) -> str:
    """Drops a trailing `` - 证券时报网``: each site signs its copy of the headline."""
    text = text.rstrip()
    match = _SITE_SUFFIX.search(text, max(0, len(text) - _SITE_TAIL))
    if match is None or not _is_site_name(match["site"].strip()):
        return text
    rest = text[: match.start()]
    return rest if any(_is_kept(char) for char in rest) else text


def _is_site_name(name: str) -> bool:
    """Whether a title's last part names a site rather than continuing the headline."""
    if name in _KNOWN_SITES:
        return True
    return name.endswith(_SITE_ENDINGS) and not name.endswith(_NOT_SITE_ENDINGS)


def _is_kept(char: str) -> bool:
    """Letters, digits and marks carry the story; whitespace, punctuation and symbols do not."""
    return char in _KEPT_SYMBOLS or unicodedata.category(char)[0] in "LNM"


def _squeeze(text: str) -> str:
    """The kept characters, with only what tells numbers apart left of the runs between them."""
    runs = [(kept, "".join(chars)) for kept, chars in groupby(text, key=_is_kept)]
    parts = []
    for index, (kept, run) in enumerate(runs):
        if kept:
            parts.append(run)
            continue
        before = runs[index - 1][1] if index > 0 else ""
        after = runs[index + 1][1] if index + 1 < len(runs) else ""
        parts.append(_gap(run, before, after))
    return "".join(parts)


def _gap(run: str, before: str, after: str) -> str:
    """What a run of dropped characters leaves: nothing, unless removing it would change a number.

    ``-1.5%`` keeps its sign, ``1.5`` its point; ``1,000`` becomes ``1000`` but ``1-2月``, ``1、2月``
    and ``1.5 2`` keep a boundary so that they do not read as ``12月`` or ``1.52``.
    """
    if after[:1].isdecimal() and _is_sign(run, before):
        return "-"
    if not (before[-1:].isdecimal() and after[:1].isdecimal()):
        return ""
    if run == ".":
        return "."
    if run == "," and _THOUSANDS_GROUP.match(after):
        return ""
    return _DIGIT_GAP


def _is_sign(run: str, before: str) -> bool:
    """Whether the run ends in a minus sign (跌-1.5%, (-2%)) rather than a hyphen (COVID-19, 1-2月).

    A dash before a digit is a hyphen when the nearest non-space character before it is an ASCII
    letter, a digit or ``%``; otherwise (after CJK, punctuation or at the start) it is a sign.
    """
    if run[-1] not in _SIGNS:
        return False
    prior = (run[:-1].rstrip() or before)[-1:]
    return prior not in _HYPHENATES
