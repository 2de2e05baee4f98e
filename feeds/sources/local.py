"""Local posts on disk: list the files of a posts folder, as Jekyll would, without reading them.

Listing is a streaming, sorted walk (never every post in memory at once beyond its directory), so a
rescan can skip unchanged files by size + mtime before reading a byte.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from feeds.errors import ItemError

POST_SUFFIXES = frozenset({".md", ".markdown", ".html", ".txt"})


@dataclass(frozen=True, slots=True)
class PostFile:
    """One candidate post: where it is and what ``stat`` said, for change detection."""

    location: str  # the file's path as given by the walk: what errors name
    relpath: str  # POSIX, relative to root: the item id of the post
    size: int
    mtime_ns: int


def list_posts(root: Path) -> Iterator[PostFile]:
    """Every post file under ``root``, in path order; ``_drafts``, hidden and ``_site`` folders skipped.

    Symlinked folders are not followed, so a link cannot lead the scan outside the posts folder.
    """
    yield from _walk(str(root), "")


def _walk(root: str, prefix: str) -> Iterator[PostFile]:
    """String paths, not pathlib: this runs once per post on every rescan."""
    try:
        with os.scandir(os.path.join(root, prefix) if prefix else root) as scan:
            entries = sorted(scan, key=lambda item: item.name)
    except OSError:
        return
    for item in entries:
        if item.name.startswith((".", "_drafts", "_site")):
            continue
        relpath = f"{prefix}/{item.name}" if prefix else item.name
        if item.is_dir(follow_symlinks=False):
            yield from _walk(root, relpath)
        elif item.is_file(follow_symlinks=False) and os.path.splitext(item.name)[1].lower() in POST_SUFFIXES:
            stat = item.stat(follow_symlinks=False)
            yield PostFile(location=item.path, relpath=relpath, size=stat.st_size, mtime_ns=stat.st_mtime_ns)


def read_post(post: PostFile, limit: int) -> bytes:
    """The file's bytes; a post over ``limit`` is refused without reading it into memory.

    The read asks for the size the listing saw, and one byte more to notice a file that grew since:
    asking for ``limit`` bytes at once makes Python allocate (and the kernel map) a buffer of that
    size for every post, which cost more than parsing it. Only a file that grew is read on, up to
    one byte past the limit.
    """
    if post.size > limit:
        raise ItemError(
            post.location, f"post is {post.size / 2**20:.1f} MiB, over the {limit / 2**20:g} MiB limit"
        )
    try:
        with open(post.location, "rb") as handle:
            raw = handle.read(post.size + 1)
            if len(raw) > post.size:
                raw += handle.read(limit + 1 - len(raw))
    except OSError as exc:
        raise ItemError(post.location, f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise ItemError(post.location, f"post grew past the {limit / 2**20:g} MiB limit while being read")
    return raw
