"""``feeds serve`` over a real socket: uvicorn in a thread on 127.0.0.1, a free port, real clients."""

from __future__ import annotations

import gzip
import os
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

from feeds.config import Config
from feeds.serve import accepts_gzip, etag_matches, make_server, safe_parts

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


@pytest.fixture
def base_url(tmp_path: Path) -> Iterator[str]:
    build_output(tmp_path)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = make_server(make_config(tmp_path), "127.0.0.1", port)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)
    sock.close()


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, headers={"accept-encoding": "identity"}) as http:
        yield http


def raw_get(base_url: str, target: str) -> tuple[int, bytes]:
    """Send the request line byte for byte (httpx would normalize ``..`` away)."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as conn:
        conn.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := conn.recv(65536):
            data += chunk
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
