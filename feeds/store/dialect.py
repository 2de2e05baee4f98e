"""The repositories' SQL, as PostgreSQL reads it.

The repositories write one dialect: portable SQL (``ON CONFLICT``, ``CASE``, row values) with
SQLite's ``?`` placeholders. Two things in it are SQLite's alone, and ``postgres`` rewrites them for
the PostgreSQL store, once per statement text:

- ``?`` placeholders become psycopg's ``%s`` (and a literal ``%`` becomes ``%%``), outside quoted
  strings only;
- ``json_each(X) [AS t]``, read for its ``value`` column, becomes
  ``json_array_elements_text(CAST(X AS json)) AS t(value)``.

Everything else is written so both engines read it alike, which the one contract suite run on both
backends checks. Keeping one text per statement, rather than two hand-kept copies, is what keeps the
backends' outputs byte-identical as the statements change. The PostgreSQL schema names the copies'
row id ``rowid`` for the same reason.
"""

from __future__ import annotations

import functools
import re

_JSON_EACH = re.compile(r"\bjson_each\(([^()]*)\)(?:\s+AS\s+(\w+))?", re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def postgres(sql: str) -> str:
    """``sql`` (the repositories' dialect) as PostgreSQL and psycopg read it."""
    return _JSON_EACH.sub(_json_each, _placeholders(sql))


def _json_each(match: re.Match[str]) -> str:
    alias = match.group(2) or "json_each"
    return f"json_array_elements_text(CAST({match.group(1)} AS json)) AS {alias}(value)"


def _placeholders(sql: str) -> str:
    """``?`` → ``%s`` and ``%`` → ``%%`` outside single-quoted literals; inside them only ``%`` is
    doubled (psycopg reads the whole text for placeholders)."""
    out: list[str] = []
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted  # '' inside a literal closes and reopens it: the same result
        elif char == "%":
            char = "%%"
        elif char == "?" and not quoted:
            char = "%s"
        out.append(char)
    return "".join(out)
