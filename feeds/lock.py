"""One run at a time per store: an exclusive ``flock`` on a file next to a SQLite database (for a
PostgreSQL store, an advisory lock: ``store_lock``).

The OS drops a flock when its process dies, even by SIGKILL, so a stale lock file never blocks.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feeds.errors import LockHeld


@contextmanager
def store_lock(location: Path | str) -> Iterator[None]:
    """One run at a time per store: the lock file beside a SQLite store, or a session advisory lock
    in a PostgreSQL one (``feeds.store.pg.run_lock``), which the server drops with the connection."""
    if isinstance(location, Path):
        with run_lock(location):
            yield
        return
    from feeds.store.pg import run_lock as pg_run_lock

    with pg_run_lock(location):
        yield


def lock_path_for(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".lock")


@contextmanager
def run_lock(store_path: Path) -> Iterator[None]:
    """Hold the store's run lock, or raise LockHeld at once (never wait)."""
    path = lock_path_for(store_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(str(path)) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)
