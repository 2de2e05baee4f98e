"""One exception hierarchy: every error a user can cause is a FeedsError carrying its context.

The CLI prints ``str(error)`` as one line; nothing below the CLI prints tracebacks for these.
"""

from __future__ import annotations

from typing import Any


def _rebuild(cls: type[FeedsError], args: tuple[Any, ...], state: dict[str, Any]) -> FeedsError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class FeedsError(Exception):
    """Root of every error feeds raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Errors cross process boundaries (the parsing workers): rebuild them from their state,
        since the subclasses' constructors take context fields, not the message pickle would pass."""
        return (_rebuild, (type(self), self.args, self.__dict__))


class ConfigError(FeedsError):
    """The config file is missing, unreadable, or has a wrong/unknown key."""

    def __init__(self, path: str, reason: str, key: str | None = None) -> None:
        self.path = path
        self.reason = reason
        self.key = key
        where = f"{path}: {key}: " if key else f"{path}: "
        super().__init__(f"{where}{reason}")


class SourceError(FeedsError):
    """A whole source (a posts folder, a remote feed) could not be read."""

    def __init__(self, source: str, location: str, reason: str) -> None:
        self.source = source
        self.location = location
        self.reason = reason
        super().__init__(f"{location}: {reason} (source {source!r})")


class ItemError(FeedsError):
    """One item (a post file, a feed item) was rejected; the rest of its source goes on."""

    def __init__(self, location: str, reason: str, line: int | None = None) -> None:
        self.location = location
        self.reason = reason
        self.line = line
        where = f"{location}:{line}" if line else location
        super().__init__(f"{where}: {reason}")


class FetchError(FeedsError):
    """A remote fetch failed; ``kind`` is a short machine-readable tag (timeout, dns, http_500, ...)."""

    def __init__(self, url: str, kind: str, reason: str, status: int | None = None) -> None:
        self.url = url
        self.kind = kind
        self.reason = reason
        self.status = status
        super().__init__(f"{url}: {reason}")


class StoreError(FeedsError):
    """The database cannot be used (newer schema, corrupt file, locked). ``unreachable``: the
    database server could not be reached or dropped the connection, which waiting may mend (a
    worker retries), unlike a refused password or a newer schema."""

    def __init__(self, path: str, reason: str, unreachable: bool = False) -> None:
        self.path = path
        self.reason = reason
        self.unreachable = unreachable
        super().__init__(f"{path}: {reason}")


class LockHeld(FeedsError):
    """Another feeds process holds the run lock."""

    def __init__(self, lock_path: str) -> None:
        self.lock_path = lock_path
        super().__init__(f"another feeds run holds the lock {lock_path}; exiting")


class NotFound(FeedsError):
    """Something a command was asked about (an entry key) is not in the store."""

    def __init__(self, what: str, reason: str) -> None:
        self.what = what
        self.reason = reason
        super().__init__(f"{what}: {reason}")
