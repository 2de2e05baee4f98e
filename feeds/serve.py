"""``feeds serve``: the output folder over HTTP, read-only, cache-friendly.

Stack: a pure ASGI app (no framework) on uvicorn with the httptools parser. Why:

* uvicorn is the most used, actively released ASGI server; it owns the HTTP/1.1 parsing, keep-alive
  and graceful shutdown that a hand-written asyncio server would have to get right alone, and
  httptools (llhttp, Node's parser) makes that parsing cheap: several times the 304s/s of uvicorn's
  pure-Python h11 protocol (figures: bench/bench_serve.py, README).
* A framework (Starlette, ...) would add routing and middleware we do not use: this app answers GET
  and HEAD for files and one index page, so a few hundred lines of plain ASGI keep the request path
  short.

What it guarantees: strong ETags from the file's bytes (cached by path, mtime_ns, size and inode;
the gzip variant's ETag ends ``-gzip``), Last-Modified, 304 for If-None-Match / If-Modified-Since,
gzip when Accept-Encoding asks (always ``Vary: Accept-Encoding``), the feed content types, ``Link``
headers naming the WebSub hub and the feed's own URL, and no file outside ``output_dir``: ``..``,
``.``, hidden names, encoded slashes, NULs and backslashes are refused before the disk is touched,
and a symlink whose target resolves outside the root is a 404.

What it protects: it refuses to start when ``output_dir`` holds the store or the config file, and it
never hands out database, lock or YAML files even if one lands in ``output_dir``. Every response
says ``X-Content-Type-Options: nosniff``; HTML gets a Content-Security-Policy that allows nothing the
index page does not use. One client's cost is bounded (``Limits``): the size of a request head, the
time to send a request, idle keep-alive time and the number of open connections. uvicorn enforces
only the keep-alive time for httptools, so ``_GuardedProtocol`` adds the rest.

For operators (``Operations``): ``/healthz`` answers 200 from memory while the server runs;
``/readyz`` and ``/metrics`` read the store, which another process writes (cron's ``feeds run
--once`` or the daemon). Those two run in a worker thread (``asyncio.to_thread``), each on a
read-only SQLite connection of its own with a short busy timeout (``feeds.store.figures``): in WAL
mode a reader does not wait for the writer, and if it ever must, it gives up within a second, so a
scrape never holds up the file requests served on the event loop. ``/metrics`` is answered only to
the ``serve.metrics_allow`` networks (403 otherwise), judged by the connecting address: proxy
headers are not trusted, so behind a reverse proxy it is the proxy's address that counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import html
import json
import os
import re
import signal
import stat
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote_to_bytes

import uvicorn
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from feeds import metrics
from feeds.config import Config
from feeds.errors import ConfigError, FeedsError, StoreError
from feeds.store import figures
from feeds.timefmt import iso

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

_TYPES: dict[str, tuple[str, bool]] = {  # suffix → (content type, is a feed that gets Link headers)
    ".atom.xml": ("application/atom+xml; charset=utf-8", True),
    ".rss.xml": ("application/rss+xml; charset=utf-8", True),
    ".json": ("application/feed+json; charset=utf-8", True),
    ".opml": ("text/x-opml; charset=utf-8", False),
    ".xml": ("application/xml; charset=utf-8", False),
    ".html": ("text/html; charset=utf-8", False),
    ".css": ("text/css; charset=utf-8", False),
    ".txt": ("text/plain; charset=utf-8", False),
    ".xsl": ("application/xslt+xml; charset=utf-8", False),
}
_COMPRESSIBLE = ("text/", "application/atom", "application/rss", "application/feed", "application/xml")
_DISCOVERY = (  # index page: file suffix, MIME type for <link rel=alternate>, label
    (".atom.xml", "application/atom+xml", "Atom"),
    (".rss.xml", "application/rss+xml", "RSS"),
    (".json", "application/feed+json", "JSON Feed"),
)
_CACHE_FILES = 512
_GZIP_MIN = 256
# Nothing the pages do not use: their own stylesheet and the articles' images; no script, form,
# frame, inline style or <base>.
_HTML_POLICY = (
    b"default-src 'none'; style-src 'self'; img-src https: http:; base-uri 'none'; "
    b"form-action 'none'; frame-ancestors 'none'"
)
# Never served even when present under output_dir: the store (with its WAL, shared memory, journal
# and run lock) and YAML such as the config file. Hidden names are refused earlier, by safe_parts.
_PRIVATE_NAME = re.compile(r"\.(db|sqlite3?)(-wal|-shm|-journal)?$|\.(lock|ya?ml)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Representation:
    """One file's bytes as served, with the validators computed from them."""

    body: bytes
    etag: bytes
    gzip_body: bytes | None  # None: not worth compressing / not a text type
    gzip_etag: bytes | None
    last_modified: bytes
    mtime: int  # whole seconds, what Last-Modified says
    content_type: bytes
    is_feed: bool


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    headers: Headers
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Operations:
    """``/healthz``, ``/readyz`` and ``/metrics``: the store they read, who may scrape, when the
    store counts as stale. The paths take precedence over files of the same name (a build never
    writes any)."""

    store: Path | str  # a SQLite file, or a PostgreSQL URL
    networks: tuple[metrics.Network, ...]
    stale_after: float
    registry: CollectorRegistry
    clock: Callable[[], datetime]

    HEALTH: ClassVar[str] = "/healthz"
    READY: ClassVar[str] = "/readyz"
    METRICS: ClassVar[str] = "/metrics"

    @classmethod
    def of(cls, config: Config, clock: Callable[[], datetime] | None = None) -> Operations:
        now = clock or _now
        path, serve = config.store_location, config.serve
        return cls(path, serve.networks, serve.stale_after, metrics.registry_for(path, now), now)

    def reads_store(self, scope: Scope) -> bool:
        """Whether answering needs the store (then it runs in a worker thread). A refused scrape
        does not: clients outside ``metrics_allow`` cannot tie up the threads that read."""
        if scope["method"] not in ("GET", "HEAD"):
            return False
        if scope["path"] == self.METRICS:
            return metrics.allowed(_client(scope), self.networks)
        return bool(scope["path"] == self.READY)

    def respond(self, path: str, client: str | None) -> Response | None:
        """The answer for an operator path, None for any other path. May read the store."""
        if path == self.HEALTH:
            return _plain(200, "ok", _NO_STORE)
        if path == self.READY:
            return self._ready()
        if path == self.METRICS:
            if not metrics.allowed(client, self.networks):
                return _plain(403, "forbidden: /metrics is only for serve.metrics_allow", _NO_STORE)
            body = generate_latest(self.registry)
            headers = [(b"content-type", CONTENT_TYPE_LATEST.encode()), *_length(body), *_NO_STORE]
            return Response(200, headers, body)
        return None

    def _ready(self) -> Response:
        """200 ``{"ready": true, ...}`` or 503 with the reason; the reason names no file path (this
        answer is for anyone who asks)."""
        last = None
        try:
            last = figures.last_cycle(self.store)
            reason = metrics.readiness(last, self.clock(), self.stale_after)
        except StoreError as exc:
            reason = exc.reason
        answer: dict[str, object] = {"ready": reason is None}
        if reason is not None:
            answer["reason"] = reason
        answer["last_cycle"] = None if last is None else iso(last)
        body = json.dumps(answer).encode() + b"\n"
        headers = [(b"content-type", b"application/json"), *_length(body), *_NO_STORE]
        return Response(200 if reason is None else 503, headers, body)


def _now() -> datetime:
    return datetime.now(UTC)


def _client(scope: Scope) -> str | None:
    """The connecting address (None on a Unix socket); proxy headers are not trusted."""
    client = scope.get("client")
    return str(client[0]) if client else None


_NO_STORE: Headers = [(b"cache-control", b"no-store")]


def _length(body: bytes) -> Headers:
    return [(b"content-length", str(len(body)).encode())]


class FeedServer:
    """The ASGI app: ``make_app(config)`` builds one; uvicorn (or any ASGI server) runs it."""

    def __init__(
        self,
        root: Path,
        site_url: str,
        site_title: str,
        hub: str | None,
        operations: Operations | None = None,
    ) -> None:
        self.root = root
        self.site_url = site_url.rstrip("/")
        self.site_title = site_title
        self.hub = hub
        self.operations = operations
        self._cache: OrderedDict[str, tuple[tuple[int, int, int], Representation]] = OrderedDict()
        self._index: tuple[object, Representation] | None = None
        self._lock = threading.Lock()  # the app may be shared by servers on several threads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if self.operations is not None and self.operations.reads_store(scope):
            response = await asyncio.to_thread(self.respond, scope)  # the loop keeps serving files
        else:
            response = self.respond(scope)
        await send({"type": "http.response.start", "status": response.status, "headers": response.headers})
        body = b"" if scope["method"] == "HEAD" else response.body
        await send({"type": "http.response.body", "body": body})

    # ---- routing ---------------------------------------------------------------------------

    def respond(self, scope: Scope) -> Response:
        """The whole answer to one request, as a value (no I/O but reading the output folder, and
        the store for the operator paths)."""
        if scope["method"] not in ("GET", "HEAD"):
            return _plain(405, "method not allowed", [(b"allow", b"GET, HEAD")])
        if self.operations is not None:
            answer = self.operations.respond(scope["path"], _client(scope))
            if answer is not None:
                return answer
        parts = safe_parts(scope.get("raw_path") or scope["path"].encode())
        if parts is None:
            return _plain(400, "bad path")
        request = _RequestHeaders.of(scope["headers"])
        if not parts:  # the build's index.html, else one made from the feeds on disk
            built = self._file(("index.html",))
            return self._conditional(built or self._index_page(), request, "/")
        rep = self._file(parts)
        if rep is None:
            return _plain(404, "not found")
        return self._conditional(rep, request, "/" + "/".join(parts))

    def _conditional(self, rep: Representation, request: _RequestHeaders, path: str) -> Response:
        use_gzip = rep.gzip_body is not None and request.accepts_gzip
        etag = rep.gzip_etag if use_gzip and rep.gzip_etag else rep.etag
        headers: Headers = [
            (b"etag", etag),
            (b"last-modified", rep.last_modified),
            (b"cache-control", b"no-cache"),
        ]
        if rep.gzip_body is not None:
            headers.append((b"vary", b"Accept-Encoding"))
        if rep.is_feed:
            headers.append((b"link", self._link_header(path)))
        if rep.content_type.startswith(b"text/html"):
            headers.append((b"content-security-policy", _HTML_POLICY))
        if request.not_modified(etag, rep.mtime):
            return Response(304, headers)
        body = rep.gzip_body if use_gzip and rep.gzip_body is not None else rep.body
        headers += [
            (b"content-type", rep.content_type),
            (b"content-length", str(len(body)).encode()),
        ]
        if use_gzip:
            headers.append((b"content-encoding", b"gzip"))
        return Response(200, headers, body)

    def _link_header(self, path: str) -> bytes:
        links = [f'<{self.site_url}{path}>; rel="self"']
        if self.hub:
            links.insert(0, f'<{self.hub}>; rel="hub"')
        return ", ".join(links).encode()

    # ---- files -----------------------------------------------------------------------------

    def _file(self, parts: tuple[str, ...]) -> Representation | None:
        """The file at ``parts`` under the root, from cache while (mtime_ns, size, inode) hold."""
        real = _inside(self.root, parts)
        if real is None or _private(parts[-1]) or _private(real):
            return None
        try:
            info = os.stat(real)
        except OSError:
            return None
        if not stat.S_ISREG(info.st_mode):
            return None
        key = (info.st_mtime_ns, info.st_size, info.st_ino)
        with self._lock:
            cached = self._cache.get(real)
            if cached is not None and cached[0] == key:
                self._cache.move_to_end(real)
                return cached[1]
        return self._load(real)

    def _load(self, real: str) -> Representation | None:
        """Read a file and key the cache by the fstat of the very descriptor read (no torn pairs)."""
        try:
            with open(real, "rb") as handle:
                info = os.fstat(handle.fileno())
                body = handle.read()
        except OSError:
            return None
        rep = representation(body, _content_type(real), info.st_mtime)
        with self._lock:
            self._cache[real] = ((info.st_mtime_ns, info.st_size, info.st_ino), rep)
            self._cache.move_to_end(real)
            while len(self._cache) > _CACHE_FILES:
                self._cache.popitem(last=False)
        return rep

    # ---- index page ------------------------------------------------------------------------

    def _index_page(self) -> Representation:
        """The HTML index, rebuilt when the feeds folder or the OPML file changes."""
        feeds_dir = self.root / "feeds"
        key = (_stat_key(feeds_dir), _stat_key(feeds_dir / "index.opml"))
        with self._lock:
            if self._index is not None and self._index[0] == key:
                return self._index[1]
        page = index_html(self.site_title, list_feeds(self.root))
        mtime = max((float(part[0]) / 1e9 for part in key if part), default=0.0)
        rep = representation(page.encode(), "text/html; charset=utf-8", mtime, is_feed=False)
        with self._lock:
            self._index = (key, rep)
        return rep


def make_app(config: Config) -> FeedServer:
    """The ASGI app serving ``config.output_path``, refused if that would publish private files."""
    check_output_dir(config)
    hub = config.websub.hub if config.websub else None
    root = config.output_path.resolve()
    return FeedServer(root, config.site.url, config.site.title, hub, Operations.of(config))


def check_output_dir(config: Config) -> None:
    """Raise ConfigError when the store or the config file lies inside ``output_dir``.

    Serving such a folder (``output_dir: .`` is the usual slip) would hand out the config (webhook
    secrets) and the database to anyone; the name filter in ``_private`` is only a second line.
    """
    root = config.output_path.resolve()
    stored = () if config.store_is_postgres else (("store", config.store_path),)
    for what, path in (*stored, ("config file", Path(config.path))):
        real = path.resolve()
        if real.is_relative_to(root):
            raise ConfigError(
                config.path,
                f"the {what} {real} is inside output_dir {root}; feeds serve would publish it",
                key="output_dir",
            )


def representation(
    body: bytes, content_type: str, mtime: float, is_feed: bool | None = None
) -> Representation:
    """Bytes → what is served: strong ETag from a hash of the bytes; a gzip twin for text types."""
    digest = hashlib.blake2b(body, digest_size=16).hexdigest()
    gzip_body = None
    if content_type.startswith(_COMPRESSIBLE) and len(body) >= _GZIP_MIN:
        gzip_body = gzip.compress(body, compresslevel=6, mtime=0)
    feed = is_feed if is_feed is not None else any(t[0] == content_type and t[1] for t in _TYPES.values())
    return Representation(
        body=body,
        etag=f'"{digest}"'.encode(),
        gzip_body=gzip_body,
        gzip_etag=f'"{digest}-gzip"'.encode() if gzip_body is not None else None,
        last_modified=formatdate(int(mtime), usegmt=True).encode(),
        mtime=int(mtime),
        content_type=content_type.encode(),
        is_feed=feed,
    )


# ---- request parsing (pure) -----------------------------------------------------------------


def safe_parts(raw_path: bytes) -> tuple[str, ...] | None:
    """The path's segments if it is safe to look up under the root, else None (→ 400).

    Decodes percent-escapes exactly once, then refuses ``..`` and ``.`` segments, hidden names
    (temp files of atomic writes), empty segments, NUL, backslashes and non-UTF-8. A second layer of
    escapes (``%252e``) stays literal text and simply names no file.
    """
    try:
        text = unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not text.startswith("/") or "\x00" in text or "\\" in text:
        return None
    parts = tuple(text[1:].split("/")) if text != "/" else ()
    if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        return None
    return parts


def _inside(root: Path, parts: tuple[str, ...]) -> str | None:
    """The real path of ``parts`` under ``root``, or None if it (or a symlink on the way) leaves it."""
    base = str(root)
    real = os.path.realpath(os.path.join(base, *parts))
    if real == base or not real.startswith(base + os.sep):
        return None
    return real


@dataclass(frozen=True, slots=True)
class _RequestHeaders:
    if_none_match: bytes | None
    if_modified_since: bytes | None
    accepts_gzip: bool

    @classmethod
    def of(cls, headers: list[tuple[bytes, bytes]]) -> _RequestHeaders:
        inm = ims = None
        gzip_ok = False
        for name, value in headers:
            if name == b"if-none-match":
                inm = value
            elif name == b"if-modified-since":
                ims = value
            elif name == b"accept-encoding":
                gzip_ok = accepts_gzip(value)
        return cls(inm, ims, gzip_ok)

    def not_modified(self, etag: bytes, mtime: int) -> bool:
        """RFC 9110 §13.2.2: If-None-Match decides when present; else If-Modified-Since."""
        if self.if_none_match is not None:
            return etag_matches(self.if_none_match, etag)
        if self.if_modified_since is not None:
            since = _http_date(self.if_modified_since)
            return since is not None and mtime <= since
        return False


def etag_matches(header: bytes, etag: bytes) -> bool:
    """Weak comparison, as If-None-Match asks: ``W/`` prefixes are ignored; ``*`` matches."""
    for candidate in header.split(b","):
        tag = candidate.strip()
        if tag == b"*" or tag.removeprefix(b"W/") == etag:
            return True
    return False


def accepts_gzip(header: bytes) -> bool:
    """True when Accept-Encoding lists gzip (or ``*``) with a non-zero q."""
    for item in header.lower().split(b","):
        coding, _, params = item.strip().partition(b";")
        if coding.strip() not in (b"gzip", b"x-gzip", b"*"):
            continue
        quality = params.strip()
        if not quality.startswith(b"q="):
            return True
        try:
            return float(quality[2:]) > 0
        except ValueError:
            return False
    return False


def _http_date(value: bytes) -> int | None:
    try:
        return int(parsedate_to_datetime(value.decode("latin-1")).timestamp())
    except (TypeError, ValueError, IndexError):
        return None


def _private(path: str) -> bool:
    """Whether a name (or a path's last part) is one never handed out: a store, lock or YAML file."""
    return _PRIVATE_NAME.search(os.path.basename(path)) is not None


def _content_type(path: str) -> str:
    name = path.lower()
    for suffix, (content_type, _) in _TYPES.items():
        if name.endswith(suffix):
            return content_type
    return "application/octet-stream"


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return (info.st_mtime_ns, info.st_size)


def _plain(status: int, text: str, extra: Headers | None = None) -> Response:
    body = f"{status} {text}\n".encode()
    headers: Headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *(extra or []),
    ]
    return Response(status, headers, body)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


# ---- index page -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedLink:
    """One category's feeds as the index lists them."""

    slug: str
    title: str
    files: tuple[tuple[str, str, str], ...]  # (href, MIME type, label)


def list_feeds(root: Path) -> list[FeedLink]:
    """Every ``feeds/<slug>.*`` feed on disk, ``all`` first, titled from ``feeds/index.opml``."""
    feeds_dir = root / "feeds"
    titles = _opml_titles(feeds_dir / "index.opml")
    slugs: dict[str, list[tuple[str, str, str]]] = {}
    for suffix, mime, label in _DISCOVERY:
        for path in sorted(feeds_dir.glob(f"*{suffix}")):
            slug = path.name[: -len(suffix)]
            if _servable(root, ("feeds", path.name)):
                slugs.setdefault(slug, []).append((f"/feeds/{path.name}", mime, label))
    order = sorted(slugs, key=lambda slug: (slug != "all", slug))
    return [FeedLink(slug, titles.get(slug, slug), tuple(slugs[slug])) for slug in order]


def _servable(root: Path, parts: tuple[str, ...]) -> bool:
    """Whether the server would hand out this file (so the index never links a refused one)."""
    if safe_parts(("/" + "/".join(parts)).encode()) is None:
        return False
    real = _inside(root.resolve(), parts)
    return real is not None and not _private(parts[-1]) and not _private(real) and os.path.isfile(real)


def _opml_titles(path: Path) -> dict[str, str]:
    """slug → title from the OPML outlines' ``xmlUrl`` and ``title``/``text``; {} if unreadable."""
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return {}
    titles: dict[str, str] = {}
    for outline in tree.iter("outline"):
        url = outline.get("xmlUrl")
        title = outline.get("title") or outline.get("text")
        if not url or not title:
            continue
        name = url.rsplit("/", 1)[-1]
        for suffix, _, _ in _DISCOVERY:
            if name.endswith(suffix):
                titles.setdefault(name[: -len(suffix)], title)
    return titles


def index_html(site_title: str, feeds: list[FeedLink]) -> str:
    """The index: feed discovery ``<link rel="alternate">`` tags in ``<head>``, a list in ``<body>``."""
    esc = html.escape
    head = [
        f'<link rel="alternate" type="{mime}" title="{esc(feed.title)} ({label})" href="{esc(href)}">'
        for feed in feeds
        for href, mime, label in feed.files
    ]
    items = [
        f"<li>{esc(feed.title)}: "
        + " · ".join(f'<a href="{esc(href)}">{label}</a>' for href, _, label in feed.files)
        + "</li>"
        for feed in feeds
    ]
    body = "\n".join(items) if items else "<li>No feeds yet: run <code>feeds build</code>.</li>"
    return (
        '<!doctype html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(site_title)}</title>\n" + "\n".join(head) + "\n</head>\n<body>\n"
        f"<h1>{esc(site_title)}</h1>\n<ul>\n{body}\n</ul>\n"
        '<p><a href="/feeds/index.opml">OPML</a></p>\n</body>\n</html>\n'
    )


# ---- running --------------------------------------------------------------------------------


class _Server(uvicorn.Server):
    """uvicorn's server, but SIGINT/SIGTERM end ``serve`` normally instead of being re-raised.

    uvicorn re-raises the captured signal after its graceful shutdown (so SIGTERM kills the process
    with -15); ``feeds serve`` should finish its connections and exit 0 like ``feeds daemon``.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


@dataclass(frozen=True, slots=True)
class Limits:
    """What one client may hold of the server; the defaults are what ``feeds serve`` uses.

    Feed readers send a request line and a few short headers at once, then read; nothing legitimate
    comes near these bounds, while without them a slow or oversized request holds memory and a
    connection for as long as the client likes.
    """

    max_head_bytes: int = 16 * 1024  # request line + headers (h11's and Node's default): else 431
    request_timeout: float = 10.0  # from a request's first byte (or the connection) to its last byte
    keep_alive: int = 5  # idle seconds after a response before the connection is closed
    max_connections: int = 1000  # open at once; more are answered 503 and closed when accepted


class _GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits uvicorn leaves out for it.

    uvicorn arms a timer only once a response has been sent and cancels it on any byte, so a client
    that never finishes a request (one byte every few seconds, or nothing at all) holds the connection
    forever; httptools buffers a request head of any size; and ``limit_concurrency`` answers 503 only
    after a whole head has arrived, counting the asking connection too, so it neither bounds open
    connections nor stops a slow client. This subclass adds, per connection:

    * a deadline to receive each request: it starts when the connection opens, when a byte arrives
      on an idle keep-alive connection, or when a pipelined request begins, and ends when the request
      message is complete; when it passes, the connection is closed. One timer per connection is
      re-armed lazily, so a busy keep-alive connection does not create and cancel a timer per request;
    * a cap on the bytes of a request head (431, then close), counted per read, so httptools never
      buffers more than the cap plus one read;
    * a cap on open connections, checked when one is accepted (503, then close).
    """

    limits: ClassVar[Limits] = Limits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading = False  # a request is due or partly received: its deadline runs
        self._head_open = False  # ... and its head is not complete yet
        self._head_bytes = 0
        self._ended_here = False  # a request ended inside the read being parsed
        self._deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's
        if len(self.connections) >= self.limits.max_connections:
            self.transport = transport
            self._refuse(HTTPStatus.SERVICE_UNAVAILABLE)
            return
        super().connection_made(transport)
        self._begin_request()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if not self._reading:
            self._begin_request()  # bytes on an idle connection: the next request has begun
        self._ended_here = False
        super().data_received(data)
        if self._head_open and not self._ended_here and not self.transport.is_closing():
            # The whole read belongs to the open head (when a request ended inside this read, the
            # next head's share is unknown and counted from the next read on).
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_head_bytes:
                self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE)

    # httptools callbacks: where a request begins, where its head and where it ends

    def on_message_begin(self) -> None:
        if not self._reading:
            self._begin_request()  # pipelined behind a request that ended in this read
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._head_open = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._reading = self._head_open = False
        self._ended_here = True
        super().on_message_complete()

    # the deadline

    def _begin_request(self) -> None:
        self._reading = self._head_open = True
        self._head_bytes = 0
        self._deadline = self.loop.time() + self.limits.request_timeout
        if self._timer is None:
            self._timer = self.loop.call_at(self._deadline, self._check_deadline)

    def _check_deadline(self) -> None:
        """Close a connection whose request is overdue; otherwise wait for the current deadline."""
        self._timer = None
        if not self._reading or self.transport.is_closing():
            return
        if self._responding():  # reading waits while a pipelined response is still being sent
            self._deadline = self.loop.time() + self.limits.request_timeout
        if self.loop.time() >= self._deadline:
            self.transport.close()
            return
        self._timer = self.loop.call_at(self._deadline, self._check_deadline)

    def _responding(self) -> bool:
        return self.cycle is not None and not self.cycle.response_complete

    def _refuse(self, status: HTTPStatus) -> None:
        """Answer ``status`` and close; only close if a response is being sent (it would interleave)."""
        if not self._responding():
            body = f"{status.value} {status.phrase}\n".encode()
            lines = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
            lines += [name + b": " + value for name, value in self.server_state.default_headers]
            lines += [b"content-type: text/plain; charset=utf-8", b"content-length: %d" % len(body)]
            lines.append(b"connection: close")
            self.transport.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        self.transport.close()


def _protocol_with(chosen: Limits) -> type[_GuardedProtocol]:
    """The protocol class uvicorn instantiates per connection, carrying these limits."""

    class Protocol(_GuardedProtocol):
        limits = chosen

    return Protocol


def server_config(
    config: Config, host: str, port: int, access_log: bool = False, limits: Limits | None = None
) -> uvicorn.Config:
    """uvicorn settings: the guarded httptools protocol, no WebSocket, no lifespan, no proxy headers,
    no Server header; ``nosniff`` is a server-wide header so uvicorn's own error answers carry it."""
    chosen = limits or Limits()
    return uvicorn.Config(
        make_app(config),
        host=host,
        port=port,
        http=_protocol_with(chosen),
        ws="none",
        loop="asyncio",
        lifespan="off",
        access_log=access_log,
        proxy_headers=False,
        server_header=False,
        headers=[("X-Content-Type-Options", "nosniff")],
        timeout_keep_alive=chosen.keep_alive,
        log_level="info",
    )


def make_server(
    config: Config,
    host: str = "127.0.0.1",
    port: int = 8000,
    access_log: bool = False,
    limits: Limits | None = None,
) -> uvicorn.Server:
    """A server not yet started: ``.run()`` blocks; set ``.should_exit = True`` to stop it.

    Raises ConfigError (before any port is bound) when ``output_dir`` holds the store or the config.
    """
    return _Server(server_config(config, host, port, access_log, limits))


def serve(config: Config, host: str = "127.0.0.1", port: int = 8000, access_log: bool = False) -> None:
    """Serve ``output_dir`` until SIGINT/SIGTERM; returns normally after a graceful shutdown.

    uvicorn ends its process with status 3 when it cannot start (the port is taken, say), having
    logged why; that becomes our one-line operational error (exit 1).
    """
    try:
        make_server(config, host, port, access_log).run()
    except SystemExit as exc:
        if exc.code in (None, 0):
            raise
        raise FeedsError(f"feeds serve could not start on {host}:{port} (see the log line above)") from None
