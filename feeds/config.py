"""Load and validate ``config.yaml``.

pydantic does the checking (unknown keys are refused, so a typo never silently means "default");
this module turns its errors into one ``ConfigError`` line naming the key, resolves relative
paths against the config file's folder, and reads webhook secrets kept outside the file.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import ipaddress
import math
import os
import re
import stat
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from feeds.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|KiB|MB|MiB|GB|GiB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1000, "kib": 1024, "mb": 10**6, "mib": 2**20, "gb": 10**9, "gib": 2**30}
SLUG_RE = re.compile(r"^[a-z0-9_-]+$")
# A slug names files (`<slug>.atom.xml` and its temporary sibling): well under a file name's 255 bytes.
MAX_SLUG = 80
# The longest duration accepted: beyond it a value is a typo (a unit or digits too many) or `.inf`,
# and timers and date arithmetic downstream would overflow on it.
MAX_DURATION = 365 * 86400.0
MAX_SECRET_FILE_BYTES = 4096  # a whsec_ key is well under this; a bigger file is the wrong file


def parse_duration(value: object) -> float:
    """``90``, ``"30s"``, ``"15m"``, ``"2h"``, ``"1d"`` → seconds, from 0 to ``MAX_DURATION``."""
    seconds = _seconds(value)
    if math.isnan(seconds):
        raise ValueError(f"{_shown(value)} is not a duration like 30s, 15m, 2h or 1d")
    if seconds < 0:
        raise ValueError(f"{_shown(value)} is negative: a duration is 0 or more")
    if seconds > MAX_DURATION:
        raise ValueError(f"{_shown(value)} is too long: a duration is at most 365 days")
    return seconds


def _seconds(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a duration like 30s, 15m, 2h or 1d")
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an int too big for a float
            return math.inf
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{_shown(value)} is not a duration like 30s, 15m, 2h or 1d")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _shown(value: object) -> str:
    """A value quoted for an error message, cut short: a typo may be long."""
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def parse_size(value: object) -> int:
    """``1048576``, ``"15MiB"``, ``"500KB"`` → bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a size like 15MiB")
    return int(match.group(1)) * _SIZE_UNITS[(match.group(2) or "b").lower()]


Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
Size = Annotated[int, BeforeValidator(parse_size), Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


class SiteConfig(_Strict):
    title: str = "feeds"
    url: str = "http://localhost:8000"
    timezone: str = "Asia/Shanghai"
    author: str | None = None  # feed-level author; defaults to the site title
    description: str | None = None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return _check_timezone(value)

    @field_validator("url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not re.match(r"^https?://[^/]+", value):
            raise ValueError(f"{value!r} must be an absolute http(s) URL")
        return value.rstrip("/")


# Which source's copy of a news item the entry shows: the highest priority wins (feeds/merge.py).
LOCAL_PRIORITY = 100  # the site's own posts: the full article
REMOTE_PRIORITY = 50


class LocalSource(_Strict):
    path: str
    name: str | None = None
    priority: StrictInt = LOCAL_PRIORITY
    category: str | None = None  # for posts that name none
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)

    @property
    def source_name(self) -> str:
        return self.name or f"local:{self.path}"


class RemoteSource(_Strict):
    name: str
    url: str
    priority: StrictInt = REMOTE_PRIORITY
    category: str | None = None
    interval: Duration = 900.0
    timezone: str | None = None
    enabled: bool = True
    # The OPML list (as ``OpmlList.shown``) this source was expanded from; None when configured
    # directly. A `remote` entry that spells `opml` is a list, never a source, so only the
    # expansion (feeds/sources/opml.py) ever sets it.
    opml: str | None = None

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)


def shown_location(location: str) -> str:
    """A list's path or URL as feeds shows it: a URL without userinfo, query or fragment, where
    access tokens live (``feeds sources`` output and logs may be pasted into tickets)."""
    parts = urlsplit(location)
    if parts.scheme.lower() not in ("http", "https"):
        return location
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc += f":{port}" if port is not None else ""
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, "", ""))


def _check_list_location(value: str) -> str:
    """An OPML list is a path, a ``file://`` URL or an http(s) URL with a host."""
    text = value.strip()
    if not text:
        raise ValueError("give a path or an http(s) URL of an OPML file")
    scheme = urlsplit(text).scheme.lower()
    if scheme in ("http", "https"):
        if not urlsplit(text).hostname:
            raise ValueError(f"{_shown(shown_location(text))} has no host")
    elif len(scheme) > 1 and scheme != "file":  # one letter: a Windows drive
        raise ValueError(f"{scheme}: lists are read from a path, file:// or http(s) only")
    return text


class OpmlList(_Strict):
    """A `remote` entry naming an OPML subscription list instead of one feed: every outline with
    an ``xmlUrl`` becomes a remote source with this entry's settings (feeds/sources/opml.py)."""

    opml: str  # a path (relative to the config file's folder), file://…, or an http(s) URL
    name: str | None = None  # how the list itself shows in `feeds sources` (default: opml:<location>)
    priority: StrictInt = REMOTE_PRIORITY  # of each of its sources
    category: str | None = None  # for outlines whose own category and parent outline give none
    interval: Duration = 900.0  # each source's poll interval, and a URL list's own refetch interval
    timezone: str | None = None
    enabled: bool = True  # false: the list is not read and none of its sources is polled

    @field_validator("opml")
    @classmethod
    def _location(cls, value: str) -> str:
        return _check_list_location(value)

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)

    @property
    def shown(self) -> str:
        """The list's location without secrets: what its sources' ``list`` field says."""
        return shown_location(self.opml)

    @property
    def list_name(self) -> str:
        """The list's own row in the sources table (its fetch state, errors and backoff)."""
        return self.name or f"opml:{self.shown}"

    @property
    def is_url(self) -> bool:
        return urlsplit(self.opml).scheme.lower() in ("http", "https")


class CategoryConfig(_Strict):
    title: str | None = None
    slug: str | None = None
    aliases: tuple[str, ...] = ()

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and not SLUG_RE.match(value):
            raise ValueError(f"{value!r} is not a slug: use a-z, 0-9, _ and - only")
        if value is not None and len(value) > MAX_SLUG:
            raise ValueError(f"a slug is at most {MAX_SLUG} characters (it names files)")
        return value


MAX_RETAIN = 100 * 365 * 86400.0  # a retention period past a century is a typo


def parse_retention(value: object) -> float:
    """A duration like ``365d`` for ``feed.retain``, which may be longer than other durations."""
    seconds = _seconds(value)
    if math.isnan(seconds) or seconds <= 0:
        raise ValueError(f"{_shown(value)} is not a positive duration like 365d")
    if seconds > MAX_RETAIN:
        raise ValueError(f"{_shown(value)} is too long: a retention period is at most 100 years")
    return seconds


Retention = Annotated[float, BeforeValidator(parse_retention)]


class FeedConfig(_Strict):
    limit: int = Field(50, ge=1, le=10000)
    # Entries whose published date is older than this are deleted at the end of a run, and leave a
    # tombstone so that no source brings them back; None (the default) keeps everything.
    retain: Retention | None = None


def is_postgres_url(location: str | Path) -> bool:
    """Whether a ``store`` names a PostgreSQL database (a libpq URL) rather than a SQLite file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


class FetchConfig(_Strict):
    concurrency: int = Field(32, ge=1, le=1000)
    per_host: int = Field(2, ge=1, le=1000)
    per_host_delay: Annotated[float, BeforeValidator(parse_duration), Field(ge=0)] = 1.0
    timeout: Duration = 30.0
    connect_timeout: Duration = 10.0
    max_bytes: Size = 15 * 2**20
    max_redirects: int = Field(5, ge=0, le=20)
    # Loopback, private, link-local and unspecified addresses are refused for feeds, webhooks and hubs
    # unless this is true (a republisher must not be steered into its own network).
    allow_private: bool = False
    max_items: int = Field(1000, ge=1, le=1_000_000)  # the newest this many items of a document


class WebSubConfig(_Strict):
    hub: str


_SECRET_SOURCES = ("secret", "secret_env", "secret_file")


class WebhookConfig(_Strict):
    url: str
    # One of the three: secret_env (a variable's name) and secret_file (a path) keep the secret out of
    # config.yaml; load() reads them into `secret`, which is what the rest of feeds uses.
    secret: str = Field("", repr=False)
    secret_env: str | None = None
    secret_file: str | None = None
    categories: tuple[str, ...] | None = None
    events: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _one_secret(self) -> WebhookConfig:
        given = [name for name in _SECRET_SOURCES if getattr(self, name)]
        if len(given) != 1:
            which = "only one" if given else "one"
            raise ValueError(f"give {which} of secret, secret_env or secret_file")
        return self


class DedupConfig(_Strict):
    near: bool = True  # merge copies without an infoCode whose normalized titles are equal
    window: Duration = 72 * 3600.0  # ... when their own dates are at most this far apart


MatchField = Literal["title", "content", "link", "author", "tags", "categories"]
RewriteField = Literal["title", "content", "link", "author"]
MAX_WITH = 1024  # characters of a replacement text (feeds/rules.py bounds how often it is put in)
_ACTIONS = ("drop_if", "keep_if", "remove", "replace", "strip_params", "add_categories")


def _text(value: str) -> str:
    """YAML can spell a lone surrogate (``"\\ud800"``); nothing downstream can encode one."""
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("not valid text (a lone surrogate)") from None
    return value


def _pattern(value: str) -> str:
    from feeds.rules import compile_pattern  # RE2 is loaded only by a config that has rules

    compile_pattern(_text(value))
    return value


def _patterns_by_field(value: dict[str, str] | None) -> dict[str, str] | None:
    """``{field: RE2 pattern}``, each pattern compiled once to refuse it here, naming its field."""
    for name, pattern in (value or {}).items():
        try:
            _pattern(pattern)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return value


class ReplaceConfig(_Strict):
    field: RewriteField
    pattern: str
    with_: str = Field("", alias="with", max_length=MAX_WITH)

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _pattern(value)

    @model_validator(mode="after")
    def _groups(self) -> ReplaceConfig:
        from feeds.rules import compile_pattern

        compile_pattern(self.pattern).check_replacement(_text(self.with_))
        return self


class RuleConfig(_Strict):
    """One content rule (feeds/rules.py): an optional scope and at least one action."""

    name: str | None = None
    sources: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    drop_if: dict[MatchField, str] | None = None
    keep_if: dict[MatchField, str] | None = None
    remove: str | None = None
    replace: tuple[ReplaceConfig, ...] | None = None
    strip_params: tuple[str, ...] | None = None
    add_categories: tuple[str, ...] | None = None

    @field_validator("drop_if", "keep_if")
    @classmethod
    def _patterns(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return _patterns_by_field(value)

    @field_validator("remove")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is not None:
            from feeds.rules import compile_selector

            compile_selector(_text(value))
        return value

    @field_validator("strip_params")
    @classmethod
    def _globs(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            from feeds.rules import compile_glob

            compile_glob([_text(glob) for glob in value])
        return value

    @field_validator("categories")
    @classmethod
    def _slugs(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for slug in value or ():
            if not SLUG_RE.match(slug):
                raise ValueError(f"{slug!r} is not a category slug (a-z, 0-9, _ and - only)")
        return value

    @model_validator(mode="after")
    def _has_action(self) -> RuleConfig:
        if not any(getattr(self, action) for action in _ACTIONS):
            raise ValueError(f"a rule needs at least one action: {', '.join(_ACTIONS)}")
        return self

    def spec(self) -> dict[str, Any]:
        """The rule as feeds/rules.py compiles it (and fingerprints it): set keys only."""
        return self.model_dump(by_alias=True, exclude_none=True)


ViewField = Literal["title", "content", "link", "author"]


class ViewConfig(_Strict):
    """An extra feed of the entries in any listed category or with any listed tag, that match every
    ``match`` pattern (RE2); emitted like a category (feeds/views.py)."""

    slug: str
    title: str | None = None
    categories: tuple[str, ...] | None = None  # names or slugs, resolved like a post's categories
    tags: tuple[str, ...] | None = None
    match: dict[ViewField, str] | None = None

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG_RE.match(value) or len(value) > MAX_SLUG:
            raise ValueError(
                f"{value!r} is not a slug: a-z, 0-9, _ and - only, at most {MAX_SLUG} characters"
            )
        if value == "all":
            raise ValueError("'all' is the feed of every entry; a view needs another slug")
        return value

    @field_validator("match")
    @classmethod
    def _patterns(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return _patterns_by_field(value)

    @model_validator(mode="after")
    def _selects(self) -> ViewConfig:
        if not (self.categories or self.tags or self.match):
            raise ValueError("a view needs categories, tags or match (else it is the 'all' feed)")
        return self


class SchedulerConfig(_Strict):
    local_interval: Duration = 60.0
    jitter: float = Field(0.1, ge=0, le=1)
    webhook_interval: Duration = 15.0
    # PostgreSQL workers (feeds/worker.py): how long a claimed source stays a worker's before another
    # may take it (a worker killed mid-fetch holds it no longer than this), and how often an idle
    # worker looks for due sources.
    lease: Duration = 300.0
    poll: Duration = 5.0


def _network(value: object) -> str:
    """A ``serve.metrics_allow`` entry: an address or a network in CIDR form, normalized.

    Only text is read (YAML would hand ``10`` over as a number, which ``ipaddress`` takes for the
    address 0.0.0.10), and host bits must be clear: ``10.1.2.3/8`` is a slip for ``10.0.0.0/8`` or
    ``10.1.2.3/32``, and guessing which would widen or narrow who may read the figures.
    """
    if not isinstance(value, str):
        raise ValueError(f"{_shown(value)} is not a network: give one like 10.0.0.0/8 or ::1/128 as text")
    try:
        return str(ipaddress.ip_network(value.strip()))
    except ValueError as exc:
        raise ValueError(f"{_shown(value)} is not a network like 10.0.0.0/8 or ::1/128 ({exc})") from None


Network = Annotated[str, BeforeValidator(_network)]


class ServeConfig(_Strict):
    """``feeds serve``'s own settings: who may read ``/metrics``, and when ``/readyz`` calls the
    store stale."""

    metrics_allow: tuple[Network, ...] = ("127.0.0.0/8", "::1/128")
    stale_after: Duration = 3600.0

    @field_validator("metrics_allow", mode="before")
    @classmethod
    def _a_list(cls, value: object) -> object:
        if isinstance(value, str):  # `metrics_allow: 10.0.0.0/8` would otherwise read "not a tuple"
            raise ValueError("give a list of networks, such as [127.0.0.0/8, '::1/128']")
        return value

    @property
    def networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        return tuple(ipaddress.ip_network(network) for network in self.metrics_allow)


class Config(_Strict):
    site: SiteConfig = SiteConfig()
    store: str = "store/feeds.db"
    output_dir: str = "public"
    local: tuple[LocalSource, ...] = ()
    remote: tuple[RemoteSource, ...] = ()
    # The `remote` entries that are OPML lists, moved here before validation (``_split_lists``);
    # error messages still name them remote[N].
    lists: tuple[OpmlList, ...] = ()
    categories: dict[str, CategoryConfig] = {}
    feed: FeedConfig = FeedConfig()
    dedup: DedupConfig = DedupConfig()
    fetch: FetchConfig = FetchConfig()
    websub: WebSubConfig | None = None
    webhooks: tuple[WebhookConfig, ...] = ()
    rules: tuple[RuleConfig, ...] = ()
    views: tuple[ViewConfig, ...] = ()
    scheduler: SchedulerConfig = SchedulerConfig()
    serve: ServeConfig = ServeConfig()
    base_dir: str = "."  # set by load(): the config file's folder
    path: str = "config.yaml"  # set by load()

    @model_validator(mode="before")
    @classmethod
    def _split_lists(cls, data: Any) -> Any:
        """`remote` holds feeds and OPML lists (an entry with an `opml` key); each goes to its field."""
        if not isinstance(data, dict) or not isinstance(data.get("remote"), list | tuple):
            return data
        feeds, lists = _split_remote(data["remote"])
        if not lists:
            return data
        return {**data, "remote": feeds, "lists": (*data.get("lists", ()), *lists)}

    @field_validator("remote")
    @classmethod
    def _unique_names(cls, value: tuple[RemoteSource, ...]) -> tuple[RemoteSource, ...]:
        names = [source.name for source in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"source names must be unique; repeated: {', '.join(duplicates)}")
        return value

    @model_validator(mode="after")
    def _unique_source_names(self) -> Config:
        """A copy names its source: two sources of one name would share copies and priority."""
        names = [source.source_name for source in self.local] + [source.name for source in self.remote]
        names += [entry.list_name for entry in self.lists]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(
                f"source names must be unique across local and remote; repeated: {', '.join(duplicates)}"
            )
        return self

    @model_validator(mode="after")
    def _rule_scopes(self) -> Config:
        """A rule's ``sources`` name configured sources (a typo would silently match nothing), and
        the categories it adds have safe slugs."""
        from feeds.slugs import CategoryResolver, UnsafeCategory

        names = set(self.priorities)
        resolver = CategoryResolver(self.categories)
        for index, rule in enumerate(self.rules):
            where = f"rules[{index}]" + (f" ({rule.name})" if rule.name else "")
            unknown = sorted(set(rule.sources or ()) - names)
            if unknown:
                raise ValueError(f"{where}.sources: no source named {', '.join(map(repr, unknown))}")
            for name in rule.add_categories or ():
                try:
                    resolver.resolve(name)
                except UnsafeCategory as exc:
                    raise ValueError(f"{where}.add_categories: {exc}") from None
        return self

    @model_validator(mode="after")
    def _view_slugs(self) -> Config:
        """A view is a feed of its own: its slug may be no other view's, nor a configured category's
        (a category that only a feed brings is refused at build time, see pipeline.build)."""
        from feeds.slugs import CategoryResolver, UnsafeCategory

        resolver = CategoryResolver(self.categories)
        configured = {resolver.resolve(name).slug for name in self.categories}
        seen: set[str] = set()
        for index, view in enumerate(self.views):
            if view.slug in seen or view.slug in configured:
                what = "another view" if view.slug in seen else "a category in `categories`"
                raise ValueError(f"views[{index}].slug: {view.slug!r} is already the slug of {what}")
            seen.add(view.slug)
            for name in view.categories or ():
                try:
                    resolver.resolve(name)
                except UnsafeCategory as exc:
                    raise ValueError(f"views[{index}].categories: {exc}") from None
        return self

    @property
    def priorities(self) -> dict[str, int]:
        """Source name → priority, for every configured source."""
        found = {source.source_name: source.priority for source in self.local}
        return found | {source.name: source.priority for source in self.remote}

    def resolve(self, path: str) -> Path:
        """A config path, relative to the config file's folder unless absolute."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else Path(self.base_dir) / candidate

    @property
    def store_is_postgres(self) -> bool:
        """``store`` is a libpq URL (``postgresql://…``): the PostgreSQL backend, not a file."""
        return is_postgres_url(self.store)

    @property
    def store_path(self) -> Path:
        """The SQLite store's file (for a PostgreSQL store, a path nothing is kept at)."""
        return self.resolve(self.store)

    @property
    def store_location(self) -> Path | str:
        """What ``Store.open`` takes: the SQLite file, or the PostgreSQL URL as written."""
        return self.store if self.store_is_postgres else self.store_path

    @property
    def output_path(self) -> Path:
        return self.resolve(self.output_dir)


_TOP_LEVEL_ONLY = {"base_dir", "path", "lists"}


def _is_list_entry(entry: object) -> bool:
    return isinstance(entry, dict) and "opml" in entry


def _split_remote(entries: Any) -> tuple[list[Any], list[Any]]:
    """`remote`'s entries as (feeds, OPML lists), each in the order written."""
    return [e for e in entries if not _is_list_entry(e)], [e for e in entries if _is_list_entry(e)]


def _remote_position(loc: tuple[int | str, ...], raw: dict[str, Any]) -> tuple[int | str, ...]:
    """A location in ``remote`` or ``lists`` as the operator wrote it: ``remote[N]`` counts both kinds."""
    entries = raw.get("remote")
    if len(loc) < 2 or loc[0] not in ("remote", "lists") or not isinstance(loc[1], int):
        return loc
    if not isinstance(entries, list | tuple):
        return loc
    wanted = loc[0] == "lists"
    positions = [n for n, entry in enumerate(entries) if _is_list_entry(entry) == wanted]
    if loc[1] >= len(positions):
        return loc
    return ("remote", positions[loc[1]], *loc[2:])


def load(path: str | Path) -> Config:
    """Read and validate the config file; every problem is a ConfigError naming the key."""
    config_path = Path(path)
    try:
        text = config_path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(str(config_path), "config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(config_path), f"cannot read config: {exc}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(str(config_path), f"invalid YAML{line}: {getattr(exc, 'problem', exc)}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(str(config_path), "the top level must be a mapping of keys")
    for key in _TOP_LEVEL_ONLY & raw.keys():
        raise ConfigError(str(config_path), "unknown key", key=key)
    raw = {**raw, "base_dir": str(config_path.resolve().parent), "path": str(config_path)}
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        raise _config_error(str(config_path), exc, raw) from None
    return _with_secrets(config)


class _SecretError(ValueError):
    """A webhook secret that cannot be used, with the key it came from; never carries the secret."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        super().__init__(reason)


def _with_secrets(config: Config) -> Config:
    """The config with every webhook's secret read and checked now: a secret notify cannot decode
    would otherwise leave its deliveries pending without a word."""
    hooks = []
    for index, hook in enumerate(config.webhooks):
        try:
            secret = _webhook_secret(hook, config)
        except _SecretError as exc:
            raise ConfigError(config.path, str(exc), key=f"webhooks[{index}].{exc.key}") from None
        hooks.append(hook.model_copy(update={"secret": secret, "secret_env": None, "secret_file": None}))
    return config.model_copy(update={"webhooks": tuple(hooks)}) if hooks else config


def _webhook_secret(hook: WebhookConfig, config: Config) -> str:
    """The secret from wherever the entry keeps it, checked as notify will decode it."""
    if hook.secret_env:
        where = f"environment variable {hook.secret_env}"
        value = os.environ.get(hook.secret_env)
        if value is None:
            raise _SecretError("secret_env", f"{where} is not set")
        return _checked_secret(value.strip(), "secret_env", f"{where}: ")
    if hook.secret_file:
        path = config.resolve(hook.secret_file)
        return _checked_secret(_read_secret_file(path), "secret_file", f"{path}: ")
    return _checked_secret(hook.secret, "secret", "")


def _read_secret_file(path: Path) -> str:
    """The file's text without surrounding whitespace (editors add a final newline); only a small
    regular file is read, so a wrong path (a device, a FIFO, a log) cannot hang or flood the load."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise _SecretError("secret_file", f"cannot read {path}: not a regular file")
        with path.open("rb") as handle:
            data = handle.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        raise _SecretError("secret_file", f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise _SecretError("secret_file", f"{path}: over {MAX_SECRET_FILE_BYTES} bytes, not a secret file")
    try:
        return data.decode("utf-8-sig").strip()
    except UnicodeDecodeError:
        raise _SecretError("secret_file", f"{path}: not UTF-8 text") from None


def _checked_secret(secret: str, key: str, where: str) -> str:
    problem = _secret_problem(secret)
    if problem is not None:
        raise _SecretError(key, f"{where}{problem}")
    return secret


def _secret_problem(secret: str) -> str | None:
    """Why a ``whsec_<base64>`` secret cannot be used, or None: the checks notify's decode_secret
    makes when signing (base64 padding may be left off), made when the config is read."""
    if not secret.startswith("whsec_"):
        return "must start with whsec_ followed by a base64 key"
    encoded = secret.removeprefix("whsec_")
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return "not base64 after the whsec_ prefix"
    return None if key else "empty key after the whsec_ prefix"


def _config_error(path: str, exc: ValidationError, raw: dict[str, Any] | None = None) -> ConfigError:
    """The first validation error as one line: the dotted key and a plain reason."""
    error = exc.errors()[0]
    shown = _remote_position(error["loc"], raw or {})
    location = _named_rule(_dotted(shown), shown, raw or {})
    if error["type"] == "extra_forbidden":
        return ConfigError(path, f"unknown key{_suggestion(error['loc'])}", key=location)
    reason = error["msg"].removeprefix("Value error, ")
    return ConfigError(path, reason, key=location)


def _named_rule(location: str, loc: tuple[int | str, ...], raw: dict[str, Any]) -> str:
    """``rules[N] (name)``: the operator knows a rule by its name, when it has one."""
    if len(loc) < 2 or loc[0] != "rules" or not isinstance(loc[1], int):
        return location
    rules = raw.get("rules")
    rule = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else None
    name = rule.get("name") if isinstance(rule, dict) else None
    if not isinstance(name, str) or not name:
        return location
    where = f"rules[{loc[1]}]"
    return location.replace(where, f"{where} ({name})", 1)


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for "the key of this mapping" (the key is named already)
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _suggestion(loc: tuple[int | str, ...]) -> str:
    """' (did you mean 'interval'?)' for a misspelt key, found among the model's field names."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue
        field_info = model.model_fields.get(part)
        model = _model_of(field_info.annotation) if field_info else None
    if model is None:
        return ""
    known = [name for name in model.model_fields if name not in _TOP_LEVEL_ONLY]
    close = difflib.get_close_matches(str(loc[-1]), known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _model_of(annotation: Any) -> Any:
    """The BaseModel inside an annotation such as ``tuple[RemoteSource, ...]`` or ``X | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
