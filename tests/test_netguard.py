"""The address guard and the bounded answer reader, on their own: which addresses are refused, that the
connection goes to the address that was checked, and that no answer is read past its limit.

Servers are the real ones on 127.0.0.1 (tests/feedserver.py); names are answered by ``FakeDNS``.
"""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import httpcore
import httpx
import pytest
from feedserver import FakeDNS, FeedServer, Reply, closed_port, feed_server
from webhook_receiver import brotli_bomb, gzip_bomb

from feeds.netguard import ANSWER_LIMIT, AddressRefused, GuardedBackend, NetGuard, read_capped, refusal

__all__ = ["feed_server"]  # the fixture, imported so pytest finds it here

T = TypeVar("T")
MEMORY_BOUND = 8 * 2**20  # what reading one capped answer may allocate at its peak


def peak_of(work: Callable[[], Coroutine[Any, Any, T]]) -> tuple[T, int]:
    """Run ``work`` in a fresh event loop; its result and the peak of Python allocations meanwhile."""
    tracemalloc.start()
    try:
        result = asyncio.run(work())
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---- which addresses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.8.9.10", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fc00::1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("100.64.0.1", "a shared (carrier-grade NAT) address"),
        ("100.127.255.254", "a shared (carrier-grade NAT) address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a reserved address"),
        ("::ffff:127.0.0.1", "a loopback address (embedded in IPv6)"),
        ("::ffff:10.0.0.1", "a private address (embedded in IPv6)"),
        ("::ffff:169.254.169.254", "a link-local address (embedded in IPv6)"),
        ("2002:7f00:1::", "a loopback address (embedded in IPv6)"),  # 6to4 of 127.0.0.1
        ("64:ff9b::a00:1", "a private address (embedded in IPv6)"),  # NAT64 of 10.0.0.1
        ("::127.0.0.1", "a reserved address"),  # IPv4-compatible (deprecated)
        ("0.1.2.3", "a private address"),
        ("192.0.2.1", "a private address"),  # documentation
    ],
)
def test_non_public_addresses_are_named(address: str, reason: str) -> None:
    assert refusal(address) == reason


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "2002:808:808::"]
)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


def test_the_refusal_names_the_host_the_address_and_the_key() -> None:
    by_name = AddressRefused("intranet.test", "10.0.0.1", "a private address")
    assert str(by_name) == (
        "refused: intranet.test resolves to 10.0.0.1, a private address; "
        "set fetch.allow_private: true to allow it"
    )
    literal = AddressRefused("127.0.0.1", "127.0.0.1", "a loopback address")
    assert str(literal).startswith("refused: 127.0.0.1 is a loopback address;")


# ---- resolving ----------------------------------------------------------------------------------


def test_one_internal_answer_refuses_the_whole_name() -> None:
    dns = FakeDNS({"mixed.test": ["93.184.216.34", "10.0.0.1"], "public.test": ["93.184.216.34"]})
    guard = NetGuard(resolver=dns)
    with pytest.raises(AddressRefused, match=r"mixed\.test resolves to 10.0.0.1, a private address"):
        asyncio.run(guard.addresses("mixed.test", 80))
    assert asyncio.run(guard.addresses("public.test", 80)) == ["93.184.216.34"]


def test_literals_skip_the_resolver_and_exemptions_are_per_port() -> None:
    dns = FakeDNS()
    guard = NetGuard.exempting([("127.0.0.1", 8080)], dns)
    assert asyncio.run(guard.addresses("127.0.0.1", 8080)) == ["127.0.0.1"]
    with pytest.raises(AddressRefused):
        asyncio.run(guard.addresses("127.0.0.1", 8081))
    assert dns.asked == []


def test_allow_private_refuses_nothing_but_still_resolves_through_the_resolver() -> None:
    dns = FakeDNS({"intranet.test": ["10.0.0.1", "fd00::1"]})
    guard = NetGuard(allow_private=True, resolver=dns)
    assert asyncio.run(guard.addresses("intranet.test", 443)) == ["10.0.0.1", "fd00::1"]
    assert dns.asked == ["intranet.test"]


def test_resolver_failures_are_connect_errors() -> None:
    async def slow(host: str, port: int) -> list[str]:
        await asyncio.sleep(5)
        return ["93.184.216.34"]

    async def empty(host: str, port: int) -> list[str]:
        return []

    with pytest.raises(httpcore.ConnectError, match=r"nowhere\.test"):
        asyncio.run(NetGuard(resolver=FakeDNS()).addresses("nowhere.test", 80))
    with pytest.raises(httpcore.ConnectError, match="no address"):
        asyncio.run(NetGuard(resolver=empty).addresses("empty.test", 80))
    started = time.monotonic()
    with pytest.raises(httpcore.ConnectTimeout):
        asyncio.run(NetGuard(resolver=slow).addresses("slow.test", 80, timeout=0.2))
    assert time.monotonic() - started < 2


# ---- connecting ---------------------------------------------------------------------------------


def test_the_backend_connects_to_the_checked_literal(feed_server: FeedServer) -> None:
    dns = FakeDNS({"feeds.test": ["127.0.0.1"]})
    backend = GuardedBackend(NetGuard.exempting([("127.0.0.1", feed_server.port)], dns))

    async def connect() -> tuple[str, int]:
        stream = await backend.connect_tcp("feeds.test", feed_server.port, timeout=2)
        try:
            peer = stream.get_extra_info("server_addr")
            return str(peer[0]), int(peer[1])
        finally:
            await stream.aclose()

    assert asyncio.run(connect()) == ("127.0.0.1", feed_server.port)
    assert dns.asked == ["feeds.test"]


def test_the_next_checked_address_is_tried_when_one_does_not_answer(feed_server: FeedServer) -> None:
    feed_server.route("/x", Reply(body=b"here"))
    dns = FakeDNS({"two.test": ["::1", "127.0.0.1"]})  # the server listens on IPv4 only

    async def get() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=NetGuard(allow_private=True, resolver=dns).transport()
        ) as client:
            return await client.get(f"http://two.test:{feed_server.port}/x")

    assert asyncio.run(get()).text == "here"


def test_refused_and_unreachable_stay_apart() -> None:
    """A refusal is not an httpx error (callers must not retry it); a closed port still is one."""

    async def get(url: str, guard: NetGuard) -> None:
        async with httpx.AsyncClient(transport=guard.transport()) as client:
            await client.get(url)

    url = f"http://127.0.0.1:{closed_port()}/"
    with pytest.raises(AddressRefused):
        asyncio.run(get(url, NetGuard()))
    with pytest.raises(httpx.ConnectError):
        asyncio.run(get(url, NetGuard(allow_private=True)))


# ---- reading an answer --------------------------------------------------------------------------


def get_capped(url: str) -> Callable[[], Coroutine[Any, Any, tuple[int, bytes]]]:
    async def work() -> tuple[int, bytes]:
        async with NetGuard(allow_private=True).client(5) as client, client.stream("GET", url) as response:
            return response.status_code, await read_capped(response)

    return work


@pytest.mark.parametrize(
    ("encoding", "bomb"),
    [("br", lambda: brotli_bomb(256 * 2**20)), ("gzip", lambda: gzip_bomb(64 * 2**20))],
)
def test_a_compression_bomb_is_read_only_up_to_the_limit(
    feed_server: FeedServer, encoding: str, bomb: Callable[[], bytes]
) -> None:
    url = feed_server.route("/bomb", Reply(500, bomb(), headers={"Content-Encoding": encoding}))
    (status, answer), peak = peak_of(get_capped(url))
    assert status == 500 and answer == bytes(ANSWER_LIMIT)
    assert peak < MEMORY_BOUND


def test_a_huge_answer_is_read_only_up_to_the_limit(feed_server: FeedServer) -> None:
    url = feed_server.route("/huge", Reply(500, stream_forever=True, chunk=b"x" * 65536))
    started = time.monotonic()
    (status, answer), peak = peak_of(get_capped(url))
    assert status == 500 and len(answer) == ANSWER_LIMIT and peak < MEMORY_BOUND
    assert time.monotonic() - started < 5


def test_a_short_answer_is_read_whole_and_a_broken_one_is_left_out(feed_server: FeedServer) -> None:
    short = feed_server.route("/short", Reply(400, b"bad signature"))
    broken = feed_server.route(
        "/broken", Reply(500, b"not gzip at all", headers={"Content-Encoding": "gzip"})
    )
    unknown = feed_server.route(
        "/zstd", Reply(500, b"\x28\xb5\x2f\xfd", headers={"Content-Encoding": "zstd"})
    )
    assert asyncio.run(get_capped(short)()) == (400, b"bad signature")
    assert asyncio.run(get_capped(broken)()) == (500, b"")
    assert asyncio.run(get_capped(unknown)()) == (500, b"")
