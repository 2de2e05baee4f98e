"""A real HTTP server on 127.0.0.1 for fetcher tests: routes of canned replies, every request recorded.

``ThreadingHTTPServer`` on port 0 in a background thread, so tests exercise httpx end to end (no
mocks). A route is a ``Reply`` or a function of the ``Seen`` request returning one; replies can honour
ETag / Last-Modified (answering 304), stall, or stream a body that never ends.

``FakeDNS`` answers host names for ``feeds.netguard.NetGuard(resolver=...)``: the only stand-in here,
since no test may ask real DNS or reach beyond 127.0.0.1. Names under ``.test`` (RFC 2606) never
resolve for real, so a request that reaches a server by such a name proves it went to the address
the guard checked.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

STREAM_LIMIT_SECONDS = 20.0  # a "never-ending" body still ends, so a broken client cannot hang the suite


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # answer 304 when If-None-Match matches
    last_modified: str | None = None  # answer 304 when If-Modified-Since equals it
    delay: float = 0.0  # seconds to stall before answering
    stream_forever: bool = False  # after the headers, send ``chunk`` every ``chunk_delay`` seconds
    chunk: bytes = b"<item><title>x</title></item>" * 100
    chunk_delay: float = 0.0


@dataclass(frozen=True)
class Seen:
    """One request as the server saw it."""

    path: str
    headers: dict[str, str]  # lower-case names
    at: float  # time.monotonic()
    peer: int = 0  # the client's port: one per connection


Route = Reply | Callable[[Seen], Reply]


class FeedServer:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.answers: list[tuple[str, int]] = []  # (path, status sent), in order
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def route(self, path: str, reply: Route) -> str:
        """Serve ``reply`` at ``path``; returns the full URL."""
        self.routes[path] = reply
        return self.url(path)

    def hits(self, path: str) -> list[Seen]:
        with self._lock:
            return [seen for seen in self.requests if seen.path == path]

    def statuses(self, path: str) -> list[int]:
        """The statuses answered at ``path`` (a 304 counts here, where the client saw it)."""
        with self._lock:
            return [status for answered, status in self.answers if answered == path]

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _record(self, seen: Seen) -> None:
        with self._lock:
            self.requests.append(seen)

    def _answered(self, path: str, status: int) -> None:
        with self._lock:
            self.answers.append((path, status))


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            return

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            seen = Seen(self.path, headers, time.monotonic(), self.client_address[1])
            server._record(seen)
            # A route without a query answers every query (a URL may carry a token the test adds).
            route = server.routes.get(self.path) or server.routes.get(self.path.split("?", 1)[0])
            if route is None:
                self._send(Reply(404, b"not found"))
                return
            reply = route(seen) if callable(route) else route
            if reply.delay:
                time.sleep(reply.delay)
            if _not_modified(reply, seen):
                self._send(Reply(304, headers=_validators(reply)))
            elif reply.stream_forever:
                self._stream(reply)
            else:
                self._send(reply)

        def _send(self, reply: Reply) -> None:
            server._answered(self.path, reply.status)
            try:
                self.send_response(reply.status)
                headers = {**_validators(reply), **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                if reply.status != 304:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if reply.status != 304:
                    self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _stream(self, reply: Reply) -> None:
            self.close_connection = True
            try:
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
                deadline = time.monotonic() + STREAM_LIMIT_SECONDS
                while time.monotonic() < deadline:
                    self.wfile.write(reply.chunk)
                    self.wfile.flush()
                    if reply.chunk_delay:
                        time.sleep(reply.chunk_delay)
            except (BrokenPipeError, ConnectionResetError, OSError):
                pass

    return Handler


def _validators(reply: Reply) -> dict[str, str]:
    headers = {}
    if reply.etag:
        headers["ETag"] = reply.etag
    if reply.last_modified:
        headers["Last-Modified"] = reply.last_modified
    return headers


def _not_modified(reply: Reply, seen: Seen) -> bool:
    if reply.etag and seen.headers.get("if-none-match") == reply.etag:
        return True
    return bool(reply.last_modified) and seen.headers.get("if-modified-since") == reply.last_modified


class FakeDNS:
    """A resolver of canned answers, ``{name: [address, ...]}``; ``turns`` gives a name a different
    answer on each lookup (the last one repeats), as a rebinding DNS server would. Lookups are kept."""

    def __init__(
        self,
        answers: Mapping[str, Sequence[str]] | None = None,
        turns: Mapping[str, Sequence[Sequence[str]]] | None = None,
    ) -> None:
        self.answers = dict(answers or {})
        self.turns = dict(turns or {})
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host in self.turns:
            turns = self.turns[host]
            return list(turns[min(self.asked.count(host), len(turns)) - 1])
        if host in self.answers:
            return list(self.answers[host])
        raise socket.gaierror(socket.EAI_NONAME, f"{host}: no such name (FakeDNS)")


def closed_port() -> int:
    """A local port nobody listens on (bound, then released): connecting to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()
