"""``feeds serve`` over a real socket: uvicorn in a thread on 127.0.0.1, a free port, real clients."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path

import httpx
import pytest

from feeds.config import Config, load
from feeds.errors import ConfigError
from feeds.serve import Limits, accepts_gzip, etag_matches, make_server, safe_parts

HUB = "https://hub.example.com/"
OPML = """<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0"><head><title>feeds</title></head><body>
<outline text="All news" title="All news" type="rss" xmlUrl="https://feeds.example.com/feeds/all.atom.xml"/>
<outline text="证券时报网" title="证券时报网" type="rss"
         xmlUrl="https://feeds.example.com/feeds/zhengquanshibaowang.atom.xml"/>
</body></opml>
"""


def atom(title: str) -> str:
    entries = "".join(f"<entry><title>{title} {n}</title><id>urn:{n}</id></entry>" for n in range(20))
    return f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">{entries}</feed>'


def build_output(root: Path) -> None:
    feeds = root / "public" / "feeds"
    feeds.mkdir(parents=True)
    for slug in ("all", "zhengquanshibaowang"):
        (feeds / f"{slug}.atom.xml").write_text(atom(slug), encoding="utf-8")
        (feeds / f"{slug}.rss.xml").write_text(
            f"<rss version='2.0'><channel><title>{slug}</title></channel></rss>"
        )
        (feeds / f"{slug}.json").write_text('{"version": "https://jsonfeed.org/version/1.1", "items": []}')
    (feeds / "index.opml").write_text(OPML, encoding="utf-8")
    (feeds / ".all.atom.xml.tmp").write_text("half-written")
    (root / "secret.txt").write_text("TOP SECRET")
    (feeds / "leak.atom.xml").symlink_to(root / "secret.txt")


def make_config(root: Path, hub: str | None = HUB) -> Config:
    raw: dict[str, object] = {
        "site": {"title": "财经新闻聚合", "url": "https://feeds.example.com"},
        "output_dir": str(root / "public"),
        "base_dir": str(root),
    }
    if hub:
        raw["websub"] = {"hub": hub}
    return Config.model_validate(raw)


@contextlib.contextmanager
def running(config: Config, limits: Limits | None = None) -> Iterator[str]:
    """A real uvicorn server for ``config`` on a free 127.0.0.1 port, in a thread; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = make_server(config, "127.0.0.1", port, limits=limits)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
        sock.close()


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    build_output(tmp_path)
    with running(make_config(tmp_path)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"accept-encoding": "identity"}) as http:
        yield http


def raw_get(base_url: str, target: str) -> tuple[int, bytes]:
    """Send the request line byte for byte (httpx would normalize ``..`` away)."""
    data = exchange(base_url, f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    status = int(data.split(b" ", 2)[1])
    return status, data


def test_200_then_304_with_the_etag(client: httpx.Client) -> None:
    first = client.get("/feeds/all.atom.xml")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert first.headers["last-modified"].endswith("GMT")
    again = client.get("/feeds/all.atom.xml", headers={"if-none-match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get("/feeds/all.atom.xml", headers={"if-none-match": f'"x", W/{etag}'}).status_code == 304
    assert client.get("/feeds/all.atom.xml", headers={"if-none-match": '"other"'}).status_code == 200


def test_if_modified_since(client: httpx.Client) -> None:
    last_modified = client.get("/feeds/all.rss.xml").headers["last-modified"]
    assert client.get("/feeds/all.rss.xml", headers={"if-modified-since": last_modified}).status_code == 304
    old = formatdate(0, usegmt=True)
    assert client.get("/feeds/all.rss.xml", headers={"if-modified-since": old}).status_code == 200
    assert client.get("/feeds/all.rss.xml", headers={"if-modified-since": "garbage"}).status_code == 200


def test_a_changed_file_gets_a_new_etag(client: httpx.Client, tmp_path: Path) -> None:
    path = tmp_path / "public" / "feeds" / "all.json"
    etag = client.get("/feeds/all.json").headers["etag"]
    path.write_text('{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1"}]}')
    os.utime(path, ns=(time.time_ns() + 2_000_000_000,) * 2)
    changed = client.get("/feeds/all.json", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["items"] == [{"id": "1"}]


def test_gzip_when_asked(client: httpx.Client) -> None:
    plain = client.get("/feeds/all.atom.xml")
    zipped = client.get("/feeds/all.atom.xml", headers={"accept-encoding": "gzip, deflate"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decodes it
    assert zipped.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    assert plain.headers["vary"] == zipped.headers["vary"] == "Accept-Encoding"
    assert "content-encoding" not in plain.headers
    assert int(zipped.headers["content-length"]) < int(plain.headers["content-length"])
    gz_etag = zipped.headers["etag"]
    headers = {"accept-encoding": "gzip", "if-none-match": gz_etag}
    assert client.get("/feeds/all.atom.xml", headers=headers).status_code == 304
    assert client.get("/feeds/all.atom.xml", headers={"if-none-match": gz_etag}).status_code == 200
    refused = client.get("/feeds/all.atom.xml", headers={"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_raw_gzip_bytes(base_url: str) -> None:
    with (
        httpx.Client(base_url=base_url) as http,
        http.stream("GET", "/feeds/all.atom.xml", headers={"accept-encoding": "gzip"}) as response,
    ):
        raw = b"".join(response.iter_raw())
    assert gzip.decompress(raw).startswith(b"<?xml")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/feeds/all.atom.xml", "application/atom+xml; charset=utf-8"),
        ("/feeds/all.rss.xml", "application/rss+xml; charset=utf-8"),
        ("/feeds/all.json", "application/feed+json; charset=utf-8"),
        ("/feeds/index.opml", "text/x-opml; charset=utf-8"),
    ],
)
def test_content_types(client: httpx.Client, path: str, content_type: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"] == content_type


def test_link_headers_on_feeds(client: httpx.Client) -> None:
    link = client.get("/feeds/zhengquanshibaowang.rss.xml").headers["link"]
    assert f'<{HUB}>; rel="hub"' in link
    assert '<https://feeds.example.com/feeds/zhengquanshibaowang.rss.xml>; rel="self"' in link
    assert "link" in client.get("/feeds/all.atom.xml", headers={"if-none-match": "*"}).headers
    assert "link" not in client.get("/feeds/index.opml").headers


def test_head_has_the_headers_and_no_body(client: httpx.Client) -> None:
    get = client.get("/feeds/all.atom.xml")
    head = client.head("/feeds/all.atom.xml")
    assert head.status_code == 200 and head.content == b""
    for name in ("etag", "last-modified", "content-type", "content-length", "link"):
        assert head.headers[name] == get.headers[name]
    assert (
        client.head("/feeds/all.atom.xml", headers={"if-none-match": get.headers["etag"]}).status_code == 304
    )


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/feeds/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/feeds/%2E%2E/%2e%2e/secret.txt",
        "/feeds/..%2f..%2fsecret.txt",
        "/feeds/%2e%2e%5c%2e%2e%5csecret.txt",
        "/%252e%252e/secret.txt",
        "/feeds/leak.atom.xml",
        "/feeds/.all.atom.xml.tmp",
        "/feeds/all.atom.xml%00.txt",
        "//etc/passwd",
        "/feeds",
        "/feeds/",
    ],
)
def test_nothing_outside_the_root_or_hidden(base_url: str, target: str) -> None:
    status, data = raw_get(base_url, target)
    assert status in (400, 404)
    assert b"TOP SECRET" not in data and b"root:" not in data and b"half-written" not in data


def test_index_page_lists_feeds_with_discovery_links(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    head = page.text.split("</head>")[0]
    for href, mime in [
        ("/feeds/all.atom.xml", "application/atom+xml"),
        ("/feeds/all.rss.xml", "application/rss+xml"),
        ("/feeds/all.json", "application/feed+json"),
        ("/feeds/zhengquanshibaowang.atom.xml", "application/atom+xml"),
    ]:
        assert f'<link rel="alternate" type="{mime}"' in head and f'href="{href}"' in head
    assert (
        "证券时报网" in page.text and "All news" in page.text and "<title>财经新闻聚合</title>" in page.text
    )
    assert "leak" not in page.text  # a symlink out of the root is neither served nor listed
    assert client.get("/", headers={"if-none-match": page.headers["etag"]}).status_code == 304


def test_other_methods_are_refused(client: httpx.Client) -> None:
    response = client.post("/feeds/all.atom.xml", content=b"x")
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    assert client.get("/nope.atom.xml").status_code == 404


def test_request_helpers() -> None:
    assert safe_parts(b"/feeds/all.atom.xml") == ("feeds", "all.atom.xml")
    assert safe_parts(b"/") == ()
    assert safe_parts(b"/a/%2e%2e/b") is None and safe_parts(b"/%ff") is None
    assert accepts_gzip(b"br, gzip;q=0.5") and not accepts_gzip(b"gzip;q=0, br") and accepts_gzip(b"*")
    assert etag_matches(b'W/"a", "b"', b'"a"') and not etag_matches(b'"c"', b'"a"')


def test_serve_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    build_output(tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    code = (
        "import sys; from feeds.config import Config; from feeds.serve import serve; "
        f"serve(Config.model_validate({{'output_dir': {str(tmp_path / 'public')!r}}}), '127.0.0.1', {port})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/feeds/all.json", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


# ---- what the server hands out -----------------------------------------------------------------

PRIVATE = [
    "feeds.db",
    "feeds.db-wal",
    "feeds.db-shm",
    "feeds.sqlite3",
    "feeds.db.lock",
    "config.yaml",
    "a.yml",
]


def test_store_lock_and_yaml_files_are_never_served(client: httpx.Client, tmp_path: Path) -> None:
    public = tmp_path / "public"
    for name in PRIVATE:
        (public / name).write_text("PRIVATE BYTES")
    (public / "feeds" / "sneaky.atom.xml").symlink_to(public / "feeds.db")  # a feed name, a store's bytes
    for target in [*(f"/{name}" for name in PRIVATE), "/FEEDS.DB", "/feeds/sneaky.atom.xml"]:
        response = client.get(target)
        assert response.status_code == 404 and b"PRIVATE" not in response.content, target
    assert "sneaky" not in client.get("/").text


def test_nosniff_on_every_response(client: httpx.Client, base_url: str) -> None:
    ok = client.get("/feeds/all.atom.xml")
    answers = [
        ok,
        client.get("/feeds/all.atom.xml", headers={"if-none-match": ok.headers["etag"]}),
        client.get("/"),
        client.get("/nope.txt"),
        client.post("/feeds/all.atom.xml"),
    ]
    assert [answer.status_code for answer in answers] == [200, 304, 200, 404, 405]
    assert all(answer.headers["x-content-type-options"] == "nosniff" for answer in answers)
    for request in (b"GET /%2e%2e/x HTTP/1.1\r\nConnection: close\r\n\r\n", b"NOT HTTP AT ALL\r\n\r\n"):
        head = exchange(base_url, request).split(b"\r\n\r\n")[0].lower()
        assert head.startswith(b"http/1.1 400") and b"\r\nx-content-type-options: nosniff" in head


def test_the_index_page_has_a_content_security_policy(client: httpx.Client) -> None:
    policy = client.get("/").headers["content-security-policy"]
    assert policy == (
        "default-src 'none'; style-src 'self'; img-src https: http:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    assert "content-security-policy" not in client.get("/feeds/all.atom.xml").headers


def private_layout(root: Path, inside: str) -> Path:
    """A config whose output_dir holds the store (``inside="store"``) or the config file itself."""
    if inside == "store":
        text, folder = "output_dir: public\nstore: public/data/feeds.db\n", root
    else:
        text, folder = "output_dir: .\nstore: ../store/feeds.db\n", root / "public"
    folder.mkdir(exist_ok=True)
    (folder / "config.yaml").write_text(text, encoding="utf-8")
    return folder / "config.yaml"


@pytest.mark.parametrize("inside", ["store", "config file"])
def test_serve_refuses_an_output_dir_holding_the_store_or_config(tmp_path: Path, inside: str) -> None:
    config = load(private_layout(tmp_path, inside))
    with pytest.raises(ConfigError) as caught:
        make_server(config, "127.0.0.1", 0)
    message = str(caught.value)
    assert "\n" not in message and f"the {inside} " in message
    assert "inside output_dir" in message and str((tmp_path / "public").resolve()) in message


def feeds_serve_once(config: Path, port: str) -> subprocess.CompletedProcess[str]:
    """A ``feeds serve`` expected to give up before serving: its exit and its stderr."""
    command = [sys.executable, "-m", "feeds", "--config", str(config), "serve", "--port", port]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def test_feeds_serve_exits_2_before_binding_when_output_dir_holds_the_store(tmp_path: Path) -> None:
    """The port is held by the test: a refusal that came after binding would be an address error."""
    path = private_layout(tmp_path, "store")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = feeds_serve_once(path, port)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "feeds: config error:" in result.stderr
    assert "store" in result.stderr and "inside output_dir" in result.stderr


def test_feeds_serve_on_a_taken_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("output_dir: public\n", encoding="utf-8")
    (tmp_path / "public").mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = feeds_serve_once(tmp_path / "config.yaml", port)
    assert result.returncode == 1
    assert f"feeds: feeds serve could not start on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


# ---- limits: head size, slow clients, idle and too many connections ------------------------------

REQUEST = b"GET /feeds/all.json HTTP/1.1\r\nHost: x\r\n\r\n"
LAST_REQUEST = b"GET /feeds/all.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
QUICK = Limits(request_timeout=1.0, keep_alive=1)  # tests wait for these, so they are short
GIVE_UP = 20.0  # far beyond QUICK's bounds: only a missing limit keeps a connection open this long


def connect(base_url: str) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=GIVE_UP)


def read_all(conn: socket.socket) -> bytes:
    """Everything until the server closes (a reset ends it too: a refused request may see one)."""
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := conn.recv(65536):
            data += chunk
    return data


def exchange(base_url: str, request: bytes) -> bytes:
    with connect(base_url) as conn:
        conn.sendall(request)
        return read_all(conn)


def statuses(data: bytes) -> list[int]:
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", data)]


def seconds_until_closed(base_url: str, pieces: list[bytes], every: float = 0.25) -> float | None:
    """Send one piece every ``every`` seconds, repeating the last, reading what comes back, until the
    server closes the connection: how long that took, or None if it was still open after GIVE_UP."""
    start = time.monotonic()
    with connect(base_url) as conn:
        conn.settimeout(every)
        for step in range(int(GIVE_UP / every)):
            try:
                conn.sendall(pieces[min(step, len(pieces) - 1)])
                if not conn.recv(65536):
                    return time.monotonic() - start
            except TimeoutError:
                continue
            except (ConnectionResetError, BrokenPipeError):
                return time.monotonic() - start
    return None


SLOW_CLIENTS = {
    "silent after connecting": [b""],
    "a head one byte at a time": [b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"a"],
    "the next head on a keep-alive connection": [REQUEST, b"GET / HTTP/1.1\r\nX-Slow: ", b"a"],
    "a pipelined head": [REQUEST + b"GET / HTTP/1.1\r\nX-Slow: ", b"a"],
    "blank lines after a response": [REQUEST, b"\r\n"],
    "a body one byte at a time": [b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", b"a"],
}


@pytest.mark.parametrize("pieces", SLOW_CLIENTS.values(), ids=SLOW_CLIENTS.keys())
def test_a_request_not_finished_in_time_is_cut_off(tmp_path: Path, pieces: list[bytes]) -> None:
    build_output(tmp_path)
    with running(make_config(tmp_path), QUICK) as url:
        assert seconds_until_closed(url, pieces) is not None
        assert httpx.get(f"{url}/feeds/all.json").status_code == 200


def test_an_idle_keep_alive_connection_is_closed(tmp_path: Path) -> None:
    build_output(tmp_path)
    limits = Limits(request_timeout=GIVE_UP * 3, keep_alive=1)
    with running(make_config(tmp_path), limits) as url, connect(url) as conn:
        conn.sendall(REQUEST)
        assert statuses(read_all(conn)) == [200]  # read_all returns only once the server closes


@pytest.mark.parametrize("before", [b"", REQUEST], ids=["first request", "after a request"])
def test_a_head_over_the_limit_gets_431_and_a_close(base_url: str, before: bytes) -> None:
    with connect(base_url) as conn:
        conn.sendall(before + b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for _ in range(64):  # 1 MiB, far over the limit
                conn.sendall(b"a" * 16384)
            conn.sendall(b"\r\nConnection: close\r\n\r\n")
        answered = statuses(read_all(conn))
    served_before = [200] if before else []
    assert answered in ([*served_before, 431], served_before)  # the 431 may be lost to a reset
    assert httpx.get(f"{base_url}/feeds/all.json").status_code == 200


def test_a_head_just_over_the_limit_is_answered_431(base_url: str) -> None:
    head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * Limits().max_head_bytes
    data = exchange(base_url, head)  # no blank line: only the size can end this request
    assert statuses(data) == [431] and b"connection: close" in data.lower()


def test_a_large_head_within_the_limit_is_served(client: httpx.Client) -> None:
    big = "a" * (Limits().max_head_bytes * 3 // 4)
    assert client.get("/feeds/all.json", headers={"cookie": big}).status_code == 200


def test_connections_over_the_cap_are_refused(tmp_path: Path) -> None:
    build_output(tmp_path)
    limits = Limits(max_connections=4, request_timeout=GIVE_UP * 3, keep_alive=int(GIVE_UP * 3))
    with running(make_config(tmp_path), limits) as url:
        host, port = url.removeprefix("http://").split(":")
        held = [http.client.HTTPConnection(host, int(port), timeout=GIVE_UP) for _ in range(4)]
        for conn in held:  # each served once and kept open: four admitted connections
            conn.request("GET", "/feeds/all.json")
            assert conn.getresponse().read().startswith(b"{")
        refused = exchange(url, LAST_REQUEST)
        assert statuses(refused) in ([503], [])
        held.pop().close()
        assert served_within(url, GIVE_UP)  # a slot freed is a slot to use
        for conn in held:
            conn.close()


def served_within(url: str, seconds: float) -> bool:
    """Whether a request is served 200 before ``seconds`` pass (a closed slot frees asynchronously)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if statuses(exchange(url, LAST_REQUEST)) == [200]:
            return True
        time.sleep(0.1)
    return False


# ---- operators: /healthz, /readyz, /metrics -----------------------------------------------------


def ops_config(root: Path, **serve: object) -> Config:
    """``make_config`` with a ``serve`` block; the store is ``root/store/feeds.db`` (not created)."""
    raw = make_config(root).model_dump()
    raw["serve"] = serve
    return Config.model_validate(raw)


def store_path(root: Path) -> Path:
    return root / "store" / "feeds.db"


def test_healthz_answers_without_a_store(tmp_path: Path) -> None:
    build_output(tmp_path)
    with running(ops_config(tmp_path)) as url, httpx.Client(base_url=url) as http:
        answer = http.get("/healthz")
        assert answer.status_code == 200 and answer.text == "200 ok\n"
        assert answer.headers["cache-control"] == "no-store"
        assert http.head("/healthz").status_code == 200
        assert http.post("/healthz").status_code == 405
    assert not store_path(tmp_path).parent.exists()


def test_readyz_with_no_store_is_503_and_creates_none(tmp_path: Path) -> None:
    build_output(tmp_path)
    with running(ops_config(tmp_path)) as url:
        answer = httpx.get(f"{url}/readyz")
        metrics_text = httpx.get(f"{url}/metrics").text
    assert answer.status_code == 503 and answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["ready"] is False and body["reason"].startswith("no store file yet")
    assert str(tmp_path) not in answer.text  # anyone may ask: no file paths in the answer
    assert "feeds_store_up 0.0" in metrics_text and "feeds_entries" not in metrics_text
    assert not store_path(tmp_path).parent.exists()


def test_readyz_no_cycle_fresh_and_stale(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from feeds.store import Store

    build_output(tmp_path)
    with Store.open(store_path(tmp_path)):
        pass  # migrated, but no cycle has run
    with running(ops_config(tmp_path)) as url, httpx.Client(base_url=url) as http:
        none_yet = http.get("/readyz")
        assert none_yet.status_code == 503
        assert none_yet.json() == {"ready": False, "reason": "no cycle has completed yet", "last_cycle": None}
        now = datetime.now(UTC).replace(microsecond=0)
        with Store.open(store_path(tmp_path)) as store:
            store.meta.mark_cycle(now - timedelta(seconds=5))
        fresh = http.get("/readyz")
        assert fresh.status_code == 200
        assert fresh.json() == {
            "ready": True,
            "last_cycle": (now - timedelta(seconds=5)).isoformat()[:19] + "Z",
        }
        with Store.open(store_path(tmp_path)) as store:
            store.meta.mark_cycle(now - timedelta(hours=2))
        stale = http.get("/readyz")
        assert stale.status_code == 503
        assert "s ago, more than serve.stale_after (3600 s)" in stale.json()["reason"]
    with running(ops_config(tmp_path, stale_after="3h")) as url:
        assert httpx.get(f"{url}/readyz").status_code == 200  # the same store, a longer allowance


def test_metrics_outside_metrics_allow_get_403(tmp_path: Path) -> None:
    build_output(tmp_path)
    with running(ops_config(tmp_path, metrics_allow=["10.0.0.0/8", "2001:db8::/32"])) as url:
        refused = httpx.get(f"{url}/metrics")
        assert refused.status_code == 403 and "feeds_" not in refused.text
        assert httpx.get(f"{url}/healthz").status_code == 200  # only /metrics is restricted
        assert httpx.get(f"{url}/feeds/all.json").status_code == 200
    with running(ops_config(tmp_path, metrics_allow=["127.0.0.1"])) as url:
        assert httpx.get(f"{url}/metrics").status_code == 200


def test_metrics_answer_while_a_writer_holds_the_store(tmp_path: Path) -> None:
    """A cycle's open write transaction (WAL) neither blocks a scrape nor shows through in it."""
    from feeds.store import Store

    build_output(tmp_path)
    with Store.open(store_path(tmp_path)) as store, running(ops_config(tmp_path)) as url:
        store.conn.execute("BEGIN IMMEDIATE")
        store.conn.execute(
            "INSERT INTO failures (source, location, reason, first_seen, last_seen) "
            "VALUES ('s', 'l', 'r', 't', 't')"
        )
        scrape = httpx.get(f"{url}/metrics", timeout=10)
        assert scrape.status_code == 200
        assert "feeds_store_up 1.0" in scrape.text and "feeds_failures 0.0" in scrape.text
        store.conn.execute("ROLLBACK")


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        ("'10.0.0.300/8'", "is not a network"),
        ("'10.1.2.3/8'", "has host bits set"),
        ("10", "is not a network"),
        ("'localhost'", "is not a network"),
    ],
)
def test_a_metrics_allow_entry_that_is_not_a_network_is_a_config_error(
    tmp_path: Path, entry: str, reason: str
) -> None:
    (tmp_path / "config.yaml").write_text(
        f"output_dir: public\nserve: {{metrics_allow: ['127.0.0.0/8', {entry}]}}\n", encoding="utf-8"
    )
    (tmp_path / "public").mkdir()
    result = feeds_serve_once(tmp_path / "config.yaml", "0")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "serve.metrics_allow[1]:" in result.stderr and reason in result.stderr
