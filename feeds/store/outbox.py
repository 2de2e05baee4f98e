"""SQL for the webhook outbox: events (written by EntryRepo.apply) and their deliveries per endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.store import Store


class OutboxRepo:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._conn = store.conn
