"""What feeds accepts from other hosts: which addresses it connects to, and how much of an answer it reads.

Addresses. Feed URLs, their redirects, webhook endpoints and the WebSub hub all come from outside (a
config, a feed server's ``Location`` header), so a republisher could be steered into its own network
and republish what it finds there (SSRF). Unless ``fetch.allow_private`` is true, feeds refuses to
connect to loopback, private (RFC 1918, ULA), link-local, unspecified, shared (CGNAT), multicast,
reserved and other non-public addresses, IPv4 ones also when embedded in IPv6 (``::ffff:a.b.c.d``,
6to4, NAT64).

The check happens where the socket is opened, not beside it. ``GuardedTransport`` is httpx's own
transport with its httpcore connection pool built on ``GuardedBackend``: for every new connection,
httpcore asks the backend to connect to the URL's host; the backend resolves the name once (through
an injectable ``Resolver``), refuses the whole host if any address it got is not public, and opens the
TCP connection to one of those checked IP literals itself. Nothing resolves the name a second time, so
a DNS answer that changes between a check and a connect (DNS rebinding) has nothing to slip through.
TLS is unaffected: httpcore still starts TLS with the URL's host name as SNI and for certificate
checks, and the ``Host`` header is the URL's. Every redirect hop is a new request through the same
transport, so each hop is checked too; a kept-alive connection is reused only for the host it was
opened (and checked) for. The transport ignores proxy environment variables: a proxy would resolve
and connect on our behalf, past the check.

Answers. An endpoint's answer is only read for an error message, so it is read through the bounded
decoders here: at most ``ANSWER_LIMIT`` bytes off the wire and at most that many after decompression,
produced in pieces, so a gzip or brotli bomb never inflates in memory. The feed fetcher uses the same
decoders with its own, larger limit (``fetch.max_bytes``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import zlib
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeAlias

import httpcore
import httpx

from feeds import USER_AGENT
from feeds.config import Config
from feeds.errors import FeedsError

try:  # optional at run time: without it we simply do not offer "br"
    import brotli
except ImportError:  # pragma: no cover - brotli is a declared dependency
    brotli = None

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver: TypeAlias = Callable[[str, int], Awaitable[Sequence[str]]]
"""``(host, port) -> addresses``: how a host name becomes the IP addresses the guard checks."""

ANSWER_LIMIT = 64 * 1024  # bytes of a webhook endpoint's or hub's answer read, raw and decoded
PIECE = 64 * 1024  # decoded bytes produced per decompression step: bounds a bomb's overshoot
ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
DECODE_ERRORS: tuple[type[Exception], ...] = (zlib.error, ValueError) + ((brotli.error,) if brotli else ())
HINT = "set fetch.allow_private: true to allow it"

_DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)  # httpx's own
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 embedded in the last 32 bits (RFC 6052)


# ---- which addresses are refused (pure) ---------------------------------------------------------


def refusal(address: str | IPAddress) -> str | None:
    """Why ``address`` is not a public one ("a loopback address"), or None when it is.

    The order matters: 127.0.0.1 is also "private" to ``ipaddress``, and the first name is the
    one an operator will recognise.
    """
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        inner = refusal(embedded)
        return None if inner is None else f"{inner} (embedded in IPv6)"
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED, "a shared (carrier-grade NAT) address"),
        (not ip.is_global, "not a public address"),
    )
    return next((reason for failed, reason in checks if failed), None)


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64), which is what gets reached."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


class AddressRefused(FeedsError):
    """A connection to a non-public address was refused (``fetch.allow_private`` is false).

    Deliberately not an httpx error: it passes through httpx untouched, so callers tell a refusal
    (a config matter, never worth retrying) from a network failure (worth retrying).
    """

    def __init__(self, host: str, address: str, reason: str) -> None:
        self.host = host
        self.address = address
        self.reason = reason
        subject = f"{address} is" if _same_address(host, address) else f"{host} resolves to {address},"
        super().__init__(f"refused: {subject} {reason}; {HINT}")


def _same_address(host: str, address: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")) == ipaddress.ip_address(address)
    except ValueError:
        return False


# ---- resolving and checking ---------------------------------------------------------------------


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer (``getaddrinfo``, in a thread as asyncio does it)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True, slots=True)
class NetGuard:
    """The address policy of one run: what may be connected to, and how names are resolved.

    ``exempt`` lists ``(address, port)`` pairs allowed although not public: a known internal
    service, or, in tests, a local server standing in for a public host (so a redirect from it to
    another local address can be seen refused).
    """

    allow_private: bool = False
    resolver: Resolver = system_resolver
    exempt: frozenset[tuple[IPAddress, int]] = field(default_factory=frozenset)

    @classmethod
    def for_config(cls, config: Config) -> NetGuard:
        return cls(allow_private=config.fetch.allow_private)

    @classmethod
    def exempting(
        cls, endpoints: Iterable[tuple[str, int]], resolver: Resolver = system_resolver
    ) -> NetGuard:
        """A refusing guard that lets the listed ``(address, port)`` pairs through."""
        pairs = frozenset((ipaddress.ip_address(address), port) for address, port in endpoints)
        return cls(allow_private=False, resolver=resolver, exempt=pairs)

    async def addresses(self, host: str, port: int, timeout: float | None = None) -> list[str]:
        """The checked addresses to connect to; raises ``AddressRefused`` if any is not allowed.

        One refused address refuses the host: which of several addresses a connection would use
        is not ours to predict, and a name that mixes public and internal answers is suspect.
        With ``allow_private`` nothing is refused, but names still go through ``resolver``, so a
        run behaves the same with and without the key apart from the refusals.
        """
        found = await self._resolve(host, port, timeout)
        if self.allow_private:
            return found
        for address in found:
            reason = refusal(address)
            if reason is not None and (ipaddress.ip_address(address), port) not in self.exempt:
                raise AddressRefused(host, address, reason)
        return found

    async def _resolve(self, host: str, port: int, timeout: float | None) -> list[str]:
        """A literal as is; a name through the resolver, its failures as httpcore connect errors."""
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            async with asyncio.timeout(timeout):
                answer = await self.resolver(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from None
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        found = list(dict.fromkeys(answer))
        if not found:
            raise httpcore.ConnectError(f"cannot resolve {host}: no address")
        return found

    def transport(
        self, *, verify: ssl.SSLContext | bool = True, limits: httpx.Limits | None = None, http2: bool = False
    ) -> GuardedTransport:
        """An httpx transport that connects only where this guard allows (``AsyncClient(transport=)``)."""
        return GuardedTransport(self, verify=verify, limits=limits or _DEFAULT_LIMITS, http2=http2)

    def client(self, timeout: float, limits: httpx.Limits | None = None) -> httpx.AsyncClient:
        """A client for webhook endpoints and hubs: every connection checked, redirects not followed
        (a redirect from an endpoint is an answer, not an instruction)."""
        return httpx.AsyncClient(
            transport=self.transport(limits=limits),
            timeout=timeout,
            headers={"user-agent": USER_AGENT, "accept-encoding": ACCEPT_ENCODING},
            follow_redirects=False,
        )


# ---- the connect-time check inside httpx --------------------------------------------------------


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend with the guard in front of every TCP connect (module docstring)."""

    def __init__(self, guard: NetGuard, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._guard.addresses(host, port, timeout)
        return await self._connect_first(addresses, port, timeout, local_address, socket_options)

    async def _connect_first(
        self,
        addresses: list[str],
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to the checked literals in the resolver's order, as ``socket.create_connection``
        does; a literal is never looked up again, so what was checked is what gets connected."""
        options = list(socket_options or ())
        error: httpcore.ConnectError | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, options)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None  # addresses is never empty
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Never configured by feeds; refused so that no path around the check exists."""
        raise httpcore.ConnectError(f"unix sockets are not used by feeds ({path})")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (request mapping, exceptions, streaming) over a ``GuardedBackend`` pool.

    httpx takes no network backend, so the pool it built is replaced by an equal one that has it;
    if a future httpx keeps its pool elsewhere, construction fails instead of running unguarded.
    """

    def __init__(self, guard: NetGuard, *, verify: ssl.SSLContext | bool, limits: httpx.Limits, http2: bool):
        context = verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        super().__init__(verify=context, limits=limits, http1=True, http2=http2, trust_env=False)
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError("httpx changed: cannot install the address guard")  # pragma: no cover
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=http2,
            network_backend=GuardedBackend(guard),
        )


# ---- bounded decoding ---------------------------------------------------------------------------


class Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def flush(self) -> Iterator[bytes]: ...


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def flush(self) -> Iterator[bytes]:
        yield from ()


class _Zlib:
    """gzip / deflate in pieces of at most ``PIECE`` bytes; "deflate" may be zlib-wrapped or raw."""

    def __init__(self, wbits: int) -> None:
        self._decompressor = zlib.decompressobj(wbits)
        self._try_raw = wbits == zlib.MAX_WBITS  # some servers send raw deflate as "deflate"

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data and not self._decompressor.eof:
            try:
                out = self._decompressor.decompress(data, PIECE)
            except zlib.error:
                if not self._try_raw:
                    raise
                self._decompressor, self._try_raw = zlib.decompressobj(-zlib.MAX_WBITS), False
                continue
            self._try_raw = False
            data = self._decompressor.unconsumed_tail
            if out:
                yield out

    def flush(self) -> Iterator[bytes]:
        out = self._decompressor.flush()
        if out:
            yield out


class _Brotli:
    def __init__(self) -> None:
        assert brotli is not None
        self._decompressor = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        out = self._decompressor.process(data, output_buffer_limit=PIECE)
        while True:
            if out:
                yield out
            if self._decompressor.can_accept_more_data() or not out:
                return
            out = self._decompressor.process(b"", output_buffer_limit=PIECE)

    def flush(self) -> Iterator[bytes]:
        yield from ()


def decoder(content_encoding: str) -> Decoder | None:
    """A bounded decoder for a ``Content-Encoding``; None for one we do not decode (``zstd``)."""
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        return _Identity()
    if encoding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return _Zlib(zlib.MAX_WBITS)
    if encoding == "br" and brotli is not None:
        return _Brotli()
    return None


async def read_capped(response: httpx.Response, limit: int = ANSWER_LIMIT) -> bytes:
    """The start of an answer: at most ``limit`` bytes read off the wire, at most ``limit`` decoded.

    For messages only, so a body that cannot be decoded is just left out. Reading stops early, and
    httpx then closes the connection instead of reusing it: cheaper than reading a huge body.
    """
    unpack = decoder(response.headers.get("content-encoding", ""))
    if unpack is None:
        return b""
    kept = bytearray()
    seen = 0
    try:
        async for chunk in response.aiter_raw():
            take = chunk[: limit - seen]
            seen += len(take)
            if _keep(kept, unpack.feed(take), limit) or seen >= limit:
                return bytes(kept)
        _keep(kept, unpack.flush(), limit)
    except DECODE_ERRORS:
        pass
    return bytes(kept)


def _keep(kept: bytearray, pieces: Iterator[bytes], limit: int) -> bool:
    """Append decoded pieces until ``kept`` holds ``limit`` bytes; True once it does (stop reading)."""
    for piece in pieces:
        kept += piece[: limit - len(kept)]
        if len(kept) >= limit:
            return True
    return False
