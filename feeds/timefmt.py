"""The store's one time format: RFC 3339 in UTC with a ``Z``, to the second, so text order is time order."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


@lru_cache(maxsize=1024)  # the same "now" is formatted several times for every stored entry
def iso(moment: datetime) -> str:
    """``2022-01-24T14:56:53Z`` for an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.utcoffset():
        moment = moment.astimezone(UTC)
    # isoformat is C and ~2x strftime; this sits on the store's hot path
    return datetime.isoformat(moment.replace(microsecond=0, tzinfo=None)) + "Z"


def parse_iso(text: str) -> datetime:
    """Inverse of ``iso``; also accepts ``+00:00`` offsets."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def utcnow() -> datetime:
    """Now, in UTC, to the second (what the store keeps)."""
    return datetime.now(UTC).replace(microsecond=0)
