"""Config loading: defaults, durations, relative paths, and one clear line per mistake."""

from __future__ import annotations

import base64
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


# ---- issue 10: webhook secrets, finite durations ------------------------------------------------

KEY = "whsec_" + base64.b64encode(b"feeds-test-secret-0123456789abcd").decode()


def hook(**fields: str) -> str:
    """A config with one webhook whose entry also holds ``fields``."""
    extra = "".join(f", {name}: {value}" for name, value in fields.items())
    return f"webhooks: [{{url: 'http://127.0.0.1:9/hook'{extra}}}]\n"


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ("'whsec_***'", "webhooks[0].secret: not base64 after the whsec_ prefix"),
        ("'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS-'", "webhooks[0].secret: not base64"),
        ("whsec_", "webhooks[0].secret: empty key after the whsec_ prefix"),
        ("whsec_A", "webhooks[0].secret: not base64"),
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "webhooks[0].secret: must start with whsec_"),
        ("'12345'", "webhooks[0].secret: must start with whsec_"),
    ],
)
def test_webhook_secret_must_be_whsec_base64(tmp_path: Path, secret: str, message: str) -> None:
    """A secret notify cannot decode used to leave deliveries pending forever without a word."""
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, hook(secret=secret)))
    assert message in str(caught.value)
    assert "MfKQ9r8" not in str(caught.value)  # the secret itself is never echoed


@pytest.mark.parametrize(
    "secret", [KEY, KEY.rstrip("="), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_QQ=="]
)
def test_valid_webhook_secrets(tmp_path: Path, secret: str) -> None:
    assert load(write(tmp_path, hook(secret=secret))).webhooks[0].secret == secret


def test_webhook_secret_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDS_HOOK_SECRET", KEY)
    config = load(write(tmp_path, hook(secret_env="FEEDS_HOOK_SECRET")))
    assert config.webhooks[0].secret == KEY
    assert KEY not in repr(config)


def test_webhook_secret_from_a_file_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "hook").write_text(KEY + "\n", encoding="utf-8")
    config = load(write(tmp_path, hook(secret_file="secrets/hook")))
    assert config.webhooks[0].secret == KEY


@pytest.mark.parametrize(
    ("fields", "files", "message"),
    [
        ({}, {}, "webhooks[0]: give one of secret, secret_env or secret_file"),
        (
            {"secret": KEY, "secret_env": "FEEDS_HOOK_SECRET"},
            {},
            "webhooks[0]: give only one of secret, secret_env or secret_file",
        ),
        (
            {"secret_env": "FEEDS_HOOK_SECRET", "secret_file": "hook"},
            {"hook": KEY},
            "webhooks[0]: give only one of secret, secret_env or secret_file",
        ),
        (
            {"secret_env": "FEEDS_NO_SUCH_VARIABLE"},
            {},
            "webhooks[0].secret_env: environment variable FEEDS_NO_SUCH_VARIABLE is not set",
        ),
        (
            {"secret_env": "FEEDS_BAD_SECRET"},
            {},
            "webhooks[0].secret_env: environment variable FEEDS_BAD_SECRET: not base64 after the whsec_",
        ),
        ({"secret_file": "missing"}, {}, "webhooks[0].secret_file: cannot read {dir}/missing: "),
        ({"secret_file": "/"}, {}, "webhooks[0].secret_file: cannot read /: not a regular file"),
        ({"secret_file": "hook"}, {"hook": "hunter2\n"}, "webhooks[0].secret_file: {dir}/hook: must start"),
        ({"secret_file": "hook"}, {"hook": ""}, "webhooks[0].secret_file: {dir}/hook: must start"),
        ({"secret_file": "hook"}, {"hook": "x" * 100_000}, "secret_file: {dir}/hook: over 4096 bytes"),
    ],
)
def test_webhook_secret_sources_name_the_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fields: dict[str, str],
    files: dict[str, str],
    message: str,
) -> None:
    monkeypatch.setenv("FEEDS_BAD_SECRET", "whsec_hunter2!")
    monkeypatch.delenv("FEEDS_NO_SUCH_VARIABLE", raising=False)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, hook(**fields)))
    assert message.format(dir=tmp_path) in str(caught.value)
    assert "hunter2" not in str(caught.value)  # the secret itself is never echoed


@pytest.mark.parametrize(
    "value", [float("inf"), float("-inf"), float("nan"), -1, -0.5, "-5s", pytest.param(10**400, id="10**400")]
)
def test_durations_must_be_finite_and_positive(value: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize("value", ["1" * 400, "1" * 400 + "d", 10**12, "36500d"])
def test_absurd_durations_are_refused(value: object) -> None:
    with pytest.raises(ValueError, match="at most 365 days"):
        parse_duration(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("remote: [{name: a, url: 'http://x/', interval: .inf}]\n", "remote[0].interval: "),
        ("remote: [{name: a, url: 'http://x/', interval: .nan}]\n", "remote[0].interval: "),
        ("dedup: {window: -1}\n", "dedup.window: "),
        ("fetch: {per_host_delay: .inf}\n", "fetch.per_host_delay: "),
        ("fetch: {per_host_delay: -1}\n", "fetch.per_host_delay: "),
        ("scheduler: {local_interval: 1000000000000000000000d}\n", "scheduler.local_interval: "),
    ],
)
def test_config_durations_must_be_finite(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(write(tmp_path, text))
    assert message in str(caught.value)


def test_durations_at_the_edges() -> None:
    assert parse_duration("365d") == 365 * 86400
    assert parse_duration(0) == 0
    assert parse_duration(0.5) == 0.5


def test_a_configured_slug_must_fit_a_file_name(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"categories: {{证券时报网: {{slug: {'a' * 81}}}}}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"categories\.证券时报网\.slug: a slug is at most 80 characters"):
        load(path)
