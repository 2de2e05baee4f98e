"""A real webhook consumer for tests and the bench: a threaded HTTP server on 127.0.0.1.

It verifies every request with the reference ``standardwebhooks`` library (as a consumer would),
records what arrived, and can be told to misbehave: fail the first N requests, answer a fixed
status forever (500, 410), be slow, be down (stopped, then started again on the same port), or
answer with a hostile body: a compression bomb (``gzip_bomb``, ``brotli_bomb``) or a huge one
(``padding`` bytes streamed from one reused block, so the receiver itself stays small).
It also serves as a WebSub hub stub: form posts are recorded with their parsed fields.
"""

from __future__ import annotations

import functools
import json
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import brotli
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str | None
    status: int  # what we answered
    at: float  # time.monotonic() on arrival

    @property
    def webhook_id(self) -> str:
        return self.headers.get("webhook-id", "")

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


@dataclass
class Behaviour:
    """How the receiver answers; tests change it between passes."""

    fail_first: int = 0  # answer ``fail_status`` to this many requests, then succeed
    fail_status: int = 500
    always: int | None = None  # answer this status to every request (500, 410, ...)
    delay: float = 0.0  # seconds to sleep before answering
    ok_status: int = 204
    body: bytes | None = None  # the answer's body (default: empty, "gone" for a 410)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"content-encoding": "br"}
    padding: int = 0  # bytes streamed after ``body``: a huge answer
    paths: dict[str, Behaviour] = field(default_factory=dict)  # per-path overrides


_BLOCK = b"x" * 65536


@functools.cache
def gzip_bomb(size: int) -> bytes:
    """``size`` zero bytes, gzip-compressed: a small body that inflates to ``size``."""
    packer = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(2**20)
    parts = [packer.compress(zeros) for _ in range(size // len(zeros))]
    return b"".join([*parts, packer.flush()])


@functools.cache
def brotli_bomb(size: int) -> bytes:
    """``size`` zero bytes, brotli-compressed: a tiny body that inflates to ``size``."""
    packer = brotli.Compressor(quality=3, lgwin=24)
    zeros = bytes(2**20)
    parts = [packer.process(zeros) for _ in range(size // len(zeros))]
    return b"".join([*parts, packer.finish()])


class WebhookReceiver:
    """``with WebhookReceiver(secret) as rx: ... rx.url`` — verifies with ``secret`` when given."""

    def __init__(self, secret: str | None = None, port: int = 0) -> None:
        self.secret = secret
        self.behaviour = Behaviour()
        self.received: list[Received] = []
        self.port = port
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self) -> WebhookReceiver:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start`` again (same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def url_for(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"

    # ---- what arrived ------------------------------------------------------------------------

    def accepted(self, path: str | None = None) -> list[Received]:
        """Requests answered 2xx (and verified, when a secret is set)."""
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300 and (path is None or r.path == path)]

    def requests(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if path is None or r.path == path]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.accepted()) < count:
            time.sleep(0.01)
        return self.accepted()

    # ---- deciding an answer ------------------------------------------------------------------

    def behaviour_for(self, path: str) -> Behaviour:
        return self.behaviour.paths.get(path, self.behaviour)

    def _answer(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, float]:
        behaviour = self.behaviour_for(path)
        verified, error = self._verify(headers, body)
        with self._lock:
            seen = self._counts.get(path, 0)
            self._counts[path] = seen + 1
        if behaviour.always is not None:
            status = behaviour.always
        elif seen < behaviour.fail_first:
            status = behaviour.fail_status
        elif not verified:
            status = 400
        else:
            status = behaviour.ok_status
        with self._lock:
            self.received.append(Received(path, headers, body, verified, error, status, time.monotonic()))
        return status, behaviour.delay

    def _verify(self, headers: dict[str, str], body: bytes) -> tuple[bool, str | None]:
        if self.secret is None or "webhook-id" not in headers:
            return True, None
        try:
            Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as exc:
            return False, str(exc)
        return True, None


def _handler_for(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real consumers do

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, delay = receiver._answer(self.path, headers, body)
            if delay:
                time.sleep(delay)
            self._reply(status, receiver.behaviour_for(self.path))

        def _reply(self, status: int, behaviour: Behaviour) -> None:
            reply = behaviour.body if behaviour.body is not None else (b"gone" if status == 410 else b"")
            try:
                self.send_response(status)
                for name, value in behaviour.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply) + behaviour.padding))
                self.end_headers()
                self.wfile.write(reply)
                for start in range(0, behaviour.padding, len(_BLOCK)):
                    self.wfile.write(_BLOCK[: behaviour.padding - start])
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the sender gave up (its timeout, or enough read)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def serve_forever_main(port: int, secret: str | None) -> None:
    """Run a receiver in this process until killed (the bench starts it in a subprocess)."""
    receiver = WebhookReceiver(secret, port).start()
    print(receiver.port, flush=True)
    while True:
        time.sleep(3600)
