"""``feeds serve`` throughput: 304s (If-None-Match) and full 200s for a 50-entry Atom feed.

The server runs in its own process (as ``feeds serve`` would) and the load comes from another:
wrk when it is installed (Debian package ``wrk``), else a multi-process Python keep-alive client.
The tool used is printed with the figures. Target: 2,000 responses/s for 304s on 2 cores.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TARGET_304 = 2000.0
DURATION = 5.0
CONNECTIONS = 32
PATH = "/feeds/all.atom.xml"


def feed_xml(entries: int = 50) -> str:
    """A 50-entry Atom feed about the size emit writes (≈1.5 KB of HTML per entry)."""
    body = "<p>" + "证券市场今日收盘，沪深两市成交额 9,000 亿元。" * 30 + "</p>"
    items = "".join(
        f"<entry><title>新闻 {n}</title><id>urn:feeds:{n}</id><updated>2024-01-24T14:56:53Z</updated>"
        f'<link href="https://finews.example.com/{n}"/><content type="html">{body}</content></entry>'
        for n in range(entries)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>all</title><id>urn:feeds:all</id><updated>2024-01-24T14:56:53Z</updated>{items}</feed>\n"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(output: Path, port: int) -> subprocess.Popen[bytes]:
    code = (
        "from feeds.config import Config; from feeds.serve import serve; "
        f"serve(Config.model_validate({{'output_dir': {str(output)!r}, "
        "'websub': {'hub': 'https://hub.example.com/'}}), "
        f"'127.0.0.1', {port})"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{PATH}", timeout=1):
                return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the server did not start")


def etag_of(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{PATH}", timeout=5) as response:
        return str(response.headers["etag"])


# ---- load tools -------------------------------------------------------------------------------


def run_wrk(url: str, headers: dict[str, str], duration: float) -> tuple[float, str]:
    args = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{int(duration)}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, timeout=duration + 30).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if not match:
        raise RuntimeError(f"could not read wrk output:\n{out}")
    note = f"{non_2xx.group(1)} non-2xx/3xx" if non_2xx else "all 2xx/3xx"
    return float(match.group(1)), note


def _client_worker(
    port: int, request: bytes, expect: bytes, duration: float, out: multiprocessing.Queue[int]
) -> None:
    """Keep-alive requests on one raw socket as fast as answers come; counts complete responses."""
    done = 0
    sock = socket.create_connection(("127.0.0.1", port))
    buffer = b""
    deadline = time.monotonic() + duration
    while time.monotonic() < deadline:
        sock.sendall(request)
        while True:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end >= 0:
                length = _content_length(buffer[:head_end])
                if len(buffer) >= head_end + 4 + length:
                    if not buffer.startswith(expect):
                        raise RuntimeError(buffer[:80].decode(errors="replace"))
                    buffer = buffer[head_end + 4 + length :]
                    break
            buffer += sock.recv(262144)
        done += 1
    sock.close()
    out.put(done)


def _content_length(head: bytes) -> int:
    match = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
    return int(match.group(1)) if match else 0


def run_python_client(
    port: int, headers: dict[str, str], duration: float, expect: bytes
) -> tuple[float, str]:
    extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = f"GET {PATH} HTTP/1.1\r\nHost: bench\r\n{extra}\r\n".encode()
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(target=_client_worker, args=(port, request, expect, duration, queue))
        for _ in range(max(2, (os.cpu_count() or 2)))
    ]
    for worker in workers:
        worker.start()
    total = sum(queue.get(timeout=duration + 30) for _ in workers)
    for worker in workers:
        worker.join()
    return total / duration, f"{len(workers)} client processes"


# ---- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=DURATION)
    parser.add_argument("--tool", choices=["auto", "wrk", "python"], default="auto")
    args = parser.parse_args(argv)
    tool = "wrk" if args.tool == "wrk" or (args.tool == "auto" and shutil.which("wrk")) else "python"
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "public"
        (output / "feeds").mkdir(parents=True)
        (output / "feeds" / "all.atom.xml").write_text(feed_xml(), encoding="utf-8")
        size = (output / "feeds" / "all.atom.xml").stat().st_size
        port = free_port()
        server = start_server(output, port)
        try:
            etag = etag_of(port)
            cases = [
                ("304 (If-None-Match)", {"If-None-Match": etag}, b"HTTP/1.1 304"),
                ("200 identity", {}, b"HTTP/1.1 200"),
                ("200 gzip", {"Accept-Encoding": "gzip"}, b"HTTP/1.1 200"),
            ]
            print(f"feeds serve bench: 50-entry feed ({size / 1024:.0f} KiB), load tool: {tool}")
            results = {}
            for name, headers, expect in cases:
                if tool == "wrk":
                    rate, note = run_wrk(f"http://127.0.0.1:{port}{PATH}", headers, args.duration)
                else:
                    rate, note = run_python_client(port, headers, args.duration, expect)
                results[name] = rate
                print(f"  {name:<22} {rate:>9,.0f} req/s   ({note})")
        finally:
            server.terminate()
            server.wait(10)
    ratio = results["304 (If-None-Match)"] / TARGET_304
    print(f"  304 target {TARGET_304:,.0f} req/s: {ratio:.1f}x {'OK' if ratio >= 1 else 'BELOW TARGET'}")
    return 0 if ratio >= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
