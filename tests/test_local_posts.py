"""Reading a post file: exactly its bytes, whatever happened to it between the listing and the read."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from feeds.errors import ItemError
from feeds.sources.local import list_posts, read_post

LIMIT = 64


def listed(folder: Path, text: bytes) -> Path:
    (folder / "p.md").write_bytes(text)
    return folder / "p.md"


def test_a_post_is_read_whole(tmp_path: Path) -> None:
    listed(tmp_path, b"x" * LIMIT)
    (post,) = list_posts(tmp_path)
    assert read_post(post, LIMIT) == b"x" * LIMIT


def test_a_post_that_grew_since_it_was_listed_is_read_whole(tmp_path: Path) -> None:
    path = listed(tmp_path, b"short")
    (post,) = list_posts(tmp_path)
    path.write_bytes(b"longer now, still within the limit")
    assert read_post(post, LIMIT) == b"longer now, still within the limit"


def test_a_post_that_grew_past_the_limit_is_refused(tmp_path: Path) -> None:
    path = listed(tmp_path, b"short")
    (post,) = list_posts(tmp_path)
    path.write_bytes(b"y" * (LIMIT + 1))
    with pytest.raises(ItemError, match=r"grew past the .* limit while being read"):
        read_post(post, LIMIT)


def test_a_post_that_shrank_is_read_as_it_is_now(tmp_path: Path) -> None:
    path = listed(tmp_path, b"a longer first version")
    (post,) = list_posts(tmp_path)
    path.write_bytes(b"short")
    assert read_post(post, LIMIT) == b"short"


def test_a_post_over_the_limit_is_refused_without_reading(tmp_path: Path) -> None:
    path = listed(tmp_path, b"z" * (LIMIT + 1))
    (post,) = list_posts(tmp_path)
    path.unlink()  # were it read, this would be "cannot read"
    with pytest.raises(ItemError, match=r"over the .* limit"):
        read_post(post, LIMIT)


def test_a_post_that_vanished_is_a_clear_error(tmp_path: Path) -> None:
    path = listed(tmp_path, b"gone soon")
    (post,) = list_posts(tmp_path)
    path.unlink()
    with pytest.raises(ItemError, match="cannot read: No such file"):
        read_post(replace(post), LIMIT)


def test_bench_ingest_stays_runnable(capsys: pytest.CaptureFixture[str]) -> None:
    """bench/bench_ingest.py at toy size, with real `feeds` processes: it keeps working as code changes."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench import bench_ingest

    bench_ingest.main(["--posts", "30", "--rounds", "1", "--memory-posts", "0"])
    out = capsys.readouterr().out
    assert "first run (whole process):" in out and "posts/s" in out
    assert "target >= 2,500/s: " in out
    assert "baseline: frontmatter.load + markdown-it loop (whole process):" in out
    assert "x its speed" in out and "unchanged rescan (whole process):" in out
