"""SQL for remote sources: state, fetch log, host-wide Retry-After."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.store import Store


class SourceRepo:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn = store.conn
