"""Archived feeds (RFC 5005): which monthly documents a build must write, and how they link.

Every feed (``all``, each category, each view) has one archive document per UTC month in which it
published an entry. Each links its neighbours: ``prev-archive`` the older month with entries,
``next-archive`` the newer one. A build redoes only the months whose entries changed (the store's
``dirty_months``) and the months whose neighbours changed because a month appeared or emptied; the
rest keep their bytes. Pure: ``plan`` decides from the months known before and found now.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Plan:
    """What one feed's archive pass writes and removes, and the months it has afterwards."""

    write: tuple[str, ...]  # months whose documents are rendered (oldest first)
    remove: tuple[str, ...]  # months that no longer have entries: their documents go
    months: tuple[str, ...]  # every month with a document after the pass, oldest first

    @property
    def newest(self) -> str | None:
        """The month the current feed links as ``prev-archive``."""
        return self.months[-1] if self.months else None


def neighbours(months: Sequence[str], month: str) -> tuple[str | None, str | None]:
    """(prev-archive, next-archive) of ``month`` among ``months`` (sorted): the older and the newer."""
    if month not in months:
        return None, None
    place = months.index(month)
    older = months[place - 1] if place > 0 else None
    newer = months[place + 1] if place + 1 < len(months) else None
    return older, newer


def plan(known: Collection[str], checked: dict[str, bool]) -> Plan:
    """``known``: the months that had documents; ``checked``: each month looked at this time, and
    whether it has entries now. A checked month with entries is written; one without is removed if
    it had a document; a month whose neighbours changed is written again for its links."""
    present = (set(known) | {m for m, has in checked.items() if has}) - {
        m for m, has in checked.items() if not has
    }
    before, after = sorted(known), sorted(present)
    write = {month for month, has in checked.items() if has}
    write |= {month for month in after if neighbours(after, month) != neighbours(before, month)}
    return Plan(tuple(sorted(write)), tuple(sorted(set(known) - present)), tuple(after))
