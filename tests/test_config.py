"""Config loading: defaults, durations, relative paths, and one clear line per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.config import load, parse_duration, parse_size
from feeds.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_relative_paths(tmp_path: Path) -> None:
    config = load(write(tmp_path, "site: {title: t, url: 'https://x.example/'}\n"))
    assert config.feed.limit == 50
    assert config.fetch.max_bytes == 15 * 2**20
    assert config.site.url == "https://x.example"
    assert config.store_path == tmp_path / "store" / "feeds.db"
    assert config.output_path == tmp_path / "public"


def test_durations_and_sizes() -> None:
    assert parse_duration("15m") == 900
    assert parse_duration("1d") == 86400
    assert parse_duration(30) == 30
    assert parse_size("15MiB") == 15 * 2**20
    with pytest.raises(ValueError):
        parse_duration("soon")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feed: {limt: 5}\n", "feed.limt: unknown key (did you mean 'limit'?)"),
        (
            "remote: [{name: a, url: 'http://x/', intervall: 5m}]\n",
            "remote[0].intervall: unknown key (did you mean 'interval'?)",
        ),
        (
            "remote: [{name: a, url: 'http://x/', interval: soon}]\n",
            "remote[0].interval: 'soon' is not a duration",
        ),
        ("site: {timezone: Mars/Base}\n", "site.timezone: unknown time zone"),
        ("feed: {limit: many}\n", "feed.limit: "),
        ("webhooks: [{url: 'http://x/', secret: nope}]\n", "webhooks[0].secret: must start with whsec_"),
        ("categories: {a: {slug: '../x'}}\n", "categories.a.slug: '../x' is not a slug"),
        ("output: public\n", "output: unknown key (did you mean 'output_dir'?)"),
        ("site: [1, 2\n", "invalid YAML at line"),
        ("- a\n- b\n", "top level must be a mapping"),
        ("base_dir: /etc\n", "base_dir: unknown key"),
    ],
)
def test_mistakes_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text))
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(tmp_path / "config.yaml"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "nope.yaml")


def test_shipped_config_is_valid() -> None:
    config = load(Path(__file__).parent.parent / "config.yaml")
    assert config.local
