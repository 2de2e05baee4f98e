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

    root: Path
    relpath: str  # POSIX, relative to root: the item id of the post
    size: int
    mtime_ns: int

    @property
    def path(self) -> Path:
        return self.root / self.relpath


def list_posts(root: Path) -> Iterator[PostFile]:
    """Every post file under ``root``, in path order; ``_drafts``, hidden and ``_site`` folders skipped.

    Symlinked folders are not followed, so a link cannot lead the scan outside the posts folder.
    """
    yield from _walk(root, root)


def _walk(root: Path, folder: Path) -> Iterator[PostFile]:
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda item: item.name)
    except OSError:
        return
    for item in entries:
        if item.name.startswith((".", "_drafts", "_site")):
            continue
        if item.is_dir(follow_symlinks=False):
            yield from _walk(root, Path(item.path))
        elif item.is_file(follow_symlinks=False) and os.path.splitext(item.name)[1].lower() in POST_SUFFIXES:
            stat = item.stat(follow_symlinks=False)
            relpath = Path(item.path).relative_to(root).as_posix()
            yield PostFile(root=root, relpath=relpath, size=stat.st_size, mtime_ns=stat.st_mtime_ns)


def read_post(post: PostFile, limit: int) -> bytes:
    """The file's bytes; a post over ``limit`` is refused without reading it into memory."""
    if post.size > limit:
        raise ItemError(
            str(post.path), f"post is {post.size / 2**20:.1f} MiB, over the {limit / 2**20:g} MiB limit"
        )
    try:
        with open(post.path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise ItemError(str(post.path), f"cannot read: {exc.strerror or exc}") from None
    if len(raw) > limit:
        raise ItemError(str(post.path), f"post grew past the {limit / 2**20:g} MiB limit while being read")
    return raw
