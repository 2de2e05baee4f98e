"""Fetch due remote feeds over HTTP (httpx, asyncio) and parse them; results stream out as they finish.

One run: ``fetch_due`` syncs the config into the sources table, picks the due sources (a pure
decision, ``feeds.policy.is_due``), and fetches them under three limits: global concurrency, per-host
concurrency and a minimum spacing between requests to one host. Each fetch is a conditional GET
(ETag / Last-Modified), follows redirects itself (so it sees which hops were permanent), reads the
body as a stream and decodes gzip/deflate/brotli itself in bounded pieces, so neither a slow server
(whole-request ``asyncio.timeout``) nor a decompression bomb (``max_bytes`` after decoding) can
hold a run. Every connection, redirect hops included, is checked where it is opened
(``feeds.netguard``): a feed or a redirect that leads to a loopback, private or link-local address
is refused, recorded as the source's "blocked" error, unless ``fetch.allow_private`` is true.
Results carry the source's new state (``SourceState``); the pipeline stores entries and state in one
transaction per source (``store.sources.record``). Nothing here writes the store except the
initial ``sync``.

What a new body becomes is not decided here: the caller passes a parse step (``Parse``) that
returns the body's entries ready to store, and each result carries them as that step made them,
so nothing travels beside the results. The pipeline's step parses and normalizes in a worker
process; an OPML list's keeps its outlines itself and gives no entries. The entry type is fixed
(``Entry | ItemFailure``) rather than the fetcher being generic over it: every result goes to the
same store, and a step with nothing to store returns none of them.

httpx's connection pool serializes a lot of work per client, so requests are spread over a few
clients (one per ``CLIENT_SLOTS`` concurrent requests); bench/bench_fetch.py measures it. A host
keeps to the same few clients, so its feeds share kept-alive connections.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias
from urllib.parse import unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo

import httpx

from feeds import USER_AGENT, netguard, policy
from feeds.config import Config, FetchConfig, RemoteSource
from feeds.errors import FetchError
from feeds.model import Entry, FetchResult, FetchStatus, ItemFailure, SourceState
from feeds.netguard import ACCEPT_ENCODING, DECODE_ERRORS, AddressRefused, NetGuard
from feeds.parse.feed import FeedParseError, ParseContext, ParsedFeed
from feeds.sources.gates import HostGates
from feeds.store.sources import SourceRow, host_of

if TYPE_CHECKING:
    from feeds.store.interface import Storage

CLIENT_SLOTS = 2  # concurrent requests per httpx client (see the module docstring)
MAX_CLIENTS = 32
DRAIN_LIMIT = 64 * 1024  # bytes of an unwanted body read to keep the connection
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 308})
RETRY_AFTER_STATUSES = frozenset({429, 503})
# Failures that mean "could not reach the host at all": what the network-down heuristic counts.
CONNECTION_KINDS = frozenset({"dns", "refused", "unreachable", "connect", "connect_timeout"})
ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.8"


@dataclass(frozen=True, slots=True)
class _Plan:
    """One source to fetch in this run."""

    remote: RemoteSource
    row: SourceRow
    target: str  # the URL, or a file path for file:// and plain-path sources
    is_file: bool
    context: ParseContext


@dataclass(frozen=True, slots=True)
class _Response:
    """The last response of a redirect chain; ``body`` only for 2xx."""

    status: int
    url: str
    permanent_url: str | None  # where an unbroken chain of permanent redirects led
    headers: Mapping[str, str]  # lower-case keys
    body: bytes | None


# ---- entry point --------------------------------------------------------------------------------


async def fetch_due(
    config: Config,
    store: Storage,
    now: datetime,
    parse: Parse,
    force_all: bool = False,
    sources: Collection[str] | None = None,
    guard: NetGuard | None = None,
    gates: HostGates | None = None,
) -> AsyncIterator[FetchResult]:
    """Fetch every due source; yield each result as soon as it is ready (see the module docstring).

    ``parse`` turns each new body into its entries (see ``Parse``).
    ``sources`` limits the run to those names (the daemon's per-source jobs) and skips syncing the
    config into the store, which the daemon does once at start and on reload: O(1) work per job.
    ``guard`` replaces the address policy taken from ``fetch.allow_private`` (tests inject a resolver).
    ``gates``: per-host and overall limits shared with other fetches (the daemon's jobs); by default
    this run's own.

    Connection-level failures are held back to the end of the run: when most hosts were unreachable
    (``policy.network_down``) our own network is the likely culprit, and they are yielded with
    ``count_error=False`` so no source is backed off for it.
    """
    if sources is None:
        store.sources.sync(config.remote)
        rows = store.sources.rows()
    else:
        rows = [row for row in map(store.sources.get, sorted(sources)) if row is not None]
    plans = plan_fetches(config, rows, store.sources.host_windows(now), now, force_all)
    if not plans:
        return
    async with Fetcher(config.fetch, now, parse, guard=guard, gates=gates) as fetcher:
        async for result in fetcher.run(plans):
            yield result


def plan_fetches(
    config: Config,
    rows: list[SourceRow],
    windows: Mapping[str, datetime],
    now: datetime,
    force_all: bool = False,
) -> list[_Plan]:
    """The configured sources due at ``now`` (``force_all``: all but gone ones and open host windows)."""
    by_name = {row.name: row for row in rows}
    plans = []
    for remote in config.remote:
        row = by_name.get(remote.name)
        if row is None:
            continue
        window = windows.get(row.host) if row.host else None
        if policy.is_due(
            row.next_due, now, force_all=force_all, gone=row.gone, enabled=remote.enabled, host_window=window
        ):
            plans.append(_plan(config, remote, row, now))
    return plans


def plan_one(config: Config, remote: RemoteSource, row: SourceRow, now: datetime) -> _Plan:
    """The plan for one source outside ``config.remote``: an OPML list is fetched like a feed."""
    return _plan(config, remote, row, now)


def _plan(config: Config, remote: RemoteSource, row: SourceRow, now: datetime) -> _Plan:
    target, is_file = _target(config, row.url)
    context = ParseContext(
        source=remote.name,
        url=Path(target).resolve().as_uri() if is_file else target,
        fetched_at=now,
        timezone=ZoneInfo(remote.timezone or config.site.timezone),
        category=remote.category,
        max_items=config.fetch.max_items,
    )
    return _Plan(remote=remote, row=row, target=target, is_file=is_file, context=context)


def _target(config: Config, url: str) -> tuple[str, bool]:
    """``file://`` URLs and plain paths (relative to the config) as file paths; any other URL as is.

    An unsupported scheme (``ftp:``) goes to httpx, which refuses it: a clear "bad_url" error.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return unquote(parts.path), True
    if len(scheme) <= 1:  # no scheme, or a Windows drive letter
        return str(config.resolve(url)), True
    return url, False


# ---- the fetcher --------------------------------------------------------------------------------


Parse: TypeAlias = Callable[[bytes, ParseContext, str | None], Awaitable[ParsedFeed[Entry | ItemFailure]]]
"""A fetched body (with its Content-Type) → the parse, its items ready to store; raises
``FeedParseError`` for a body that is no usable document. The caller may run it elsewhere (a
process pool) while fetches go on; what it returns is what the result carries."""


class Fetcher:
    """Fetches plans under the run's limits; one per run (it owns the httpx clients)."""

    def __init__(
        self,
        fetch: FetchConfig,
        now: datetime,
        parse: Parse,
        clients: int | None = None,
        guard: NetGuard | None = None,
        gates: HostGates | None = None,
    ) -> None:
        self._config = fetch
        self._now = now
        self._parse = parse
        self._gates = gates or HostGates(fetch)
        count = clients or min(MAX_CLIENTS, max(1, -(-fetch.concurrency // CLIENT_SLOTS)))
        per_client = max(1, -(-fetch.concurrency // count))
        tls = httpx.create_ssl_context()  # built once: each client building its own costs ~25 ms
        # Four times the share, as a cap only (the semaphores bound the requests): the few busy hosts
        # that hash to one client do not queue in its pool, and no pool grows large enough for
        # httpcore's per-request scan of it to cost much.
        guard = guard or NetGuard(allow_private=fetch.allow_private)
        self._clients = [_client(fetch, 4 * per_client, tls, guard) for _ in range(count)]
        self._host_span = min(count, -(-min(fetch.per_host, fetch.concurrency) // per_client))
        self._host_turns: dict[str, int] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients), return_exceptions=True)

    async def run(self, plans: list[_Plan]) -> AsyncIterator[FetchResult]:
        """Yield results as they complete; connection failures last, judged by the network-down rule."""
        tasks = [asyncio.create_task(self.fetch(plan)) for plan in plans]
        held: list[FetchResult] = []
        reached: set[str] = set()
        try:
            for next_done in asyncio.as_completed(tasks):
                result = await next_done
                if result.state.status in CONNECTION_KINDS:
                    held.append(result)
                    continue
                if result.state.host and result.outcome != FetchStatus.DEFERRED:
                    reached.add(result.state.host)
                yield result
            for result in _judge_network(held, reached):
                yield result
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def fetch(self, plan: _Plan) -> FetchResult:
        """One source, never raising: every failure becomes an ERROR result with a one-line reason."""
        started = time.monotonic()
        try:
            if plan.is_file:
                body = await asyncio.to_thread(_read_file, plan.target, self._config.max_bytes)
                response = _Response(200, plan.row.url, None, {}, body)
                result = await self._outcome(plan, response, status="file")
            else:
                result = await self._fetch_http(plan)
        except FetchError as exc:
            result = _error(plan, exc, retry_after=None)
        except Exception as exc:  # a bug must cost one source, not the run; the reason is kept
            result = _error(plan, FetchError(plan.row.url, "internal", f"{type(exc).__name__}: {exc}"), None)
        return replace(result, state=replace(result.state, duration_ms=_ms_since(started)))

    async def _fetch_http(self, plan: _Plan) -> FetchResult:
        host = plan.row.host or ""
        gate = self._gates.gate(host)
        if (until := gate.deferred_until(self._now)) is not None:
            return _deferred(plan, until)
        async with gate:
            if (until := gate.deferred_until(self._now)) is not None:  # set while we queued
                return _deferred(plan, until)
            async with self._gates.overall:
                response = await self._request(plan)
        result = await self._outcome(plan, response, status=str(response.status))
        if result.state.retry_after is not None:
            gate.retry_after = result.state.retry_after
        return result

    async def _request(self, plan: _Plan) -> _Response:
        """GET with the whole exchange (redirects and body included) under one ``asyncio.timeout``."""
        try:
            async with asyncio.timeout(self._config.timeout):
                return await _follow(self._client_for(plan.row.host or ""), plan, self._config)
        except TimeoutError:
            raise FetchError(
                plan.row.url, "timeout", f"no complete answer within {self._config.timeout:g}s"
            ) from None
        except httpx.HTTPError as exc:
            raise _transport_error(plan.row.url, exc) from None

    def _client_for(self, host: str) -> httpx.AsyncClient:
        """A host's requests take turns on the same few clients, as many as its per-host limit
        needs, so they reuse kept-alive connections (and TLS sessions) instead of each client
        opening its own; hosts spread over all clients by a stable hash of their name."""
        start = zlib.crc32(host.encode()) % len(self._clients)
        turn = self._host_turns.get(host, 0)
        self._host_turns[host] = turn + 1
        return self._clients[(start + turn % self._host_span) % len(self._clients)]

    async def _outcome(self, plan: _Plan, response: _Response, status: str) -> FetchResult:
        """Turn the final response into a result: parse a new 2xx body, classify everything else."""
        code = response.status
        if code == 304:
            return _not_modified(plan, response, self._now)
        if code == 410:
            return _gone(plan, response)
        if code in RETRY_AFTER_STATUSES or not 200 <= code < 300:
            retry_after = (
                policy.parse_retry_after(response.headers.get("retry-after"), self._now)
                if code in RETRY_AFTER_STATUSES
                else None
            )
            reason = f"HTTP {code}" + (
                f", retry after {retry_after:%Y-%m-%d %H:%M:%SZ}" if retry_after else ""
            )
            return _error(
                plan, FetchError(response.url, str(code), reason, status=code), retry_after=retry_after
            )
        return await self._parsed(plan, response, status)

    async def _parsed(self, plan: _Plan, response: _Response, status: str) -> FetchResult:
        body = response.body or b""
        digest = hashlib.sha256(body).hexdigest()
        url, aliases = _moved(plan.row, response.permanent_url)
        state = SourceState(
            url=url,
            aliases=aliases,
            status=status,
            etag=response.headers.get("etag"),  # a new body: only its own validators count
            last_modified=response.headers.get("last-modified"),
            body_hash=digest,
            host=host_of(url),
            floor=_floor(response.headers, plan.row.ttl, self._now),
            ttl=plan.row.ttl,
        )
        if digest == plan.row.body_hash:
            return FetchResult(plan.remote.name, (), None, (), FetchStatus.UNCHANGED, state)
        context = replace(plan.context, url=response.url) if not plan.is_file else plan.context
        try:
            parsed = await self._parse(body, context, response.headers.get("content-type"))
        except FeedParseError as exc:
            return _error(plan, FetchError(response.url, "parse", exc.reason), retry_after=None)
        floor = _floor(response.headers, parsed.ttl, self._now)
        state = replace(state, floor=floor, ttl=parsed.ttl, warning=parsed.warning, meta=parsed.meta)
        return FetchResult(
            plan.remote.name,
            parsed.items,
            None,
            parsed.skipped,
            FetchStatus.OK,
            state,
            parser=parsed.parser,
            found=parsed.found,
        )


def _client(fetch: FetchConfig, connections: int, tls: ssl.SSLContext, guard: NetGuard) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        transport=guard.transport(verify=tls, limits=limits),  # checks every connection's address
        follow_redirects=False,  # _follow does it, to see which hops are permanent
        timeout=httpx.Timeout(fetch.timeout, connect=fetch.connect_timeout),
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
    )


# ---- HTTP: redirects and the body ---------------------------------------------------------------


async def _follow(client: httpx.AsyncClient, plan: _Plan, fetch: FetchConfig) -> _Response:
    """GET ``plan.row.url``, following up to ``max_redirects`` hops; loops and overlong chains are errors.

    Each hop's connection is checked by the client's guard; a refused hop ends the chain as an
    error, so a permanent redirect into a private network is never recorded as the source's URL.
    """
    url = plan.row.url
    seen = {url}
    permanent_url: str | None = None
    chain_is_permanent = True
    for _ in range(fetch.max_redirects + 1):
        try:
            response, location = await _hop(client, url, plan, fetch, permanent_url)
        except AddressRefused as exc:
            raise _refused(plan.row.url, url, exc) from None
        if location is None:
            return response
        target = urljoin(url, location.strip())
        if target in seen:
            raise FetchError(plan.row.url, "redirect_loop", f"redirect loop at {target}")
        permanent_hop = response.status in PERMANENT or _https_upgrade(url, target)
        chain_is_permanent = chain_is_permanent and permanent_hop
        permanent_url = target if chain_is_permanent else permanent_url
        seen.add(target)
        url = target
    raise FetchError(plan.row.url, "too_many_redirects", f"more than {fetch.max_redirects} redirects")


async def _hop(
    client: httpx.AsyncClient, url: str, plan: _Plan, fetch: FetchConfig, permanent_url: str | None
) -> tuple[_Response, str | None]:
    """One request of a chain: the response (body read for a 2xx) and where it redirects, if it does."""
    async with client.stream("GET", url, headers=_conditional_headers(plan.row)) as response:
        location = response.headers.get("location")
        headers = {key.lower(): value for key, value in response.headers.items()}
        if response.status_code in REDIRECTS and location:
            await _drain(response)
            return _Response(response.status_code, url, permanent_url, headers, None), location
        body = await _read_body(response, url, fetch.max_bytes) if response.is_success else None
        if body is None:
            await _drain(response)
        return _Response(response.status_code, url, permanent_url, headers, body), None


def _refused(start: str, url: str, exc: AddressRefused) -> FetchError:
    """A refused hop as the source's error, naming the redirect that led there."""
    via = f" (redirected from {start})" if url != start else ""
    return FetchError(url, "blocked", f"{exc}{via}")


async def _drain(response: httpx.Response) -> None:
    """Read a small unwanted body (304, 404, redirect) so the connection goes back to the pool.

    An unread body makes httpcore close the connection; a big one is not worth reading either.
    """
    if int(response.headers.get("content-length") or 0) > DRAIN_LIMIT:
        return
    seen = 0
    async for raw in response.aiter_raw():
        seen += len(raw)
        if seen > DRAIN_LIMIT:
            return


def _conditional_headers(row: SourceRow) -> dict[str, str]:
    headers = {}
    if row.etag:
        headers["If-None-Match"] = row.etag
    if row.last_modified:
        headers["If-Modified-Since"] = row.last_modified
    return headers


def _https_upgrade(old: str, new: str) -> bool:
    """http://host/path → https://host/path: taken as permanent whatever the status code says."""
    before, after = urlsplit(old), urlsplit(new)
    return (
        before.scheme == "http"
        and after.scheme == "https"
        and before.hostname == after.hostname
        and (before.path or "/") == (after.path or "/")
        and before.query == after.query
    )


async def _read_body(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    """The decoded body, refused as soon as it grows past ``max_bytes`` (compressed or not)."""
    content_encoding = response.headers.get("content-encoding", "")
    decoder = netguard.decoder(content_encoding)
    if decoder is None:
        raise FetchError(url, "decode", f"unsupported Content-Encoding {content_encoding!r}")
    pieces: list[bytes] = []
    size = 0
    try:
        async for raw in response.aiter_raw():
            for piece in decoder.feed(raw):
                size = _keep(pieces, piece, size, max_bytes, url)
        for piece in decoder.flush():
            size = _keep(pieces, piece, size, max_bytes, url)
    except DECODE_ERRORS as exc:
        raise FetchError(url, "decode", f"cannot decode the body: {exc}") from None
    return b"".join(pieces)


def _keep(pieces: list[bytes], piece: bytes, size: int, max_bytes: int, url: str) -> int:
    size += len(piece)
    if size > max_bytes:
        raise FetchError(url, "too_large", f"body larger than {max_bytes} bytes (decoded)")
    pieces.append(piece)
    return size


def _read_file(path: str, max_bytes: int) -> bytes:
    """A local feed file, refused past ``max_bytes``."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FetchError(path, "not_found", "no such file") from None
    except OSError as exc:
        raise FetchError(path, "io", f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise FetchError(path, "too_large", f"file larger than {max_bytes} bytes")
    return data


def _transport_error(url: str, exc: httpx.HTTPError) -> FetchError:
    """httpx's exception as a short kind: the network-down rule and ``feeds sources`` rely on it."""
    causes = list(_causes(exc))
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchError(url, "connect_timeout", "connection timed out")
    if isinstance(exc, httpx.TimeoutException):
        return FetchError(url, "timeout", f"timed out ({type(exc).__name__})")
    if any(isinstance(cause, socket.gaierror) for cause in causes) or "name resolution" in str(exc).lower():
        return FetchError(url, "dns", f"cannot resolve host: {exc}")
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return FetchError(url, "tls", f"TLS error: {exc}")
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes) or "refused" in str(exc).lower():
        return FetchError(url, "refused", "connection refused")
    if isinstance(exc, httpx.ConnectError):
        unreachable = "unreachable" in str(exc).lower()
        return FetchError(url, "unreachable" if unreachable else "connect", f"cannot connect: {exc}")
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return FetchError(url, "bad_url", str(exc))
    if isinstance(exc, httpx.RemoteProtocolError):
        return FetchError(url, "protocol", f"broken HTTP answer: {exc}")
    return FetchError(url, "network", f"{type(exc).__name__}: {exc}")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# ---- results ------------------------------------------------------------------------------------


def _moved(row: SourceRow, permanent_url: str | None) -> tuple[str, tuple[str, ...]]:
    """The source's URL after a permanent redirect, the old one kept among the aliases."""
    if not permanent_url or permanent_url == row.url:
        return row.url, row.aliases
    aliases = tuple(alias for alias in row.aliases if alias != permanent_url)
    return permanent_url, (*aliases, row.url) if row.url not in aliases else aliases


def _base_state(plan: _Plan, status: str, **changes: object) -> SourceState:
    """The stored state carried forward unchanged, with ``changes`` applied."""
    row = plan.row
    state = SourceState(
        url=row.url,
        aliases=row.aliases,
        status=status,
        etag=row.etag,
        last_modified=row.last_modified,
        body_hash=row.body_hash,
        host=row.host,
        ttl=row.ttl,
    )
    return replace(state, **changes)  # type: ignore[arg-type]


def _not_modified(plan: _Plan, response: _Response, now: datetime) -> FetchResult:
    url, aliases = _moved(plan.row, response.permanent_url)
    state = _base_state(
        plan,
        "304",
        url=url,
        aliases=aliases,
        host=host_of(url),
        etag=response.headers.get("etag") or plan.row.etag,
        last_modified=response.headers.get("last-modified") or plan.row.last_modified,
        floor=_floor(response.headers, plan.row.ttl, now),
    )
    return FetchResult(plan.remote.name, (), None, (), FetchStatus.NOT_MODIFIED, state)


def _floor(headers: Mapping[str, str], ttl: int | None, now: datetime) -> datetime | None:
    """The later of the HTTP cache lifetime and the feed's own <ttl>."""
    return policy.latest([policy.cache_floor(headers, now), policy.ttl_floor(ttl, now)])


def _gone(plan: _Plan, response: _Response) -> FetchResult:
    reason = "HTTP 410 Gone: polling stopped until the config URL changes or the source is re-enabled"
    state = _base_state(plan, "410", error=reason)
    failure = ItemFailure(plan.remote.name, response.url, reason)
    return FetchResult(plan.remote.name, (), failure, (), FetchStatus.GONE, state)


def _error(plan: _Plan, exc: FetchError, retry_after: datetime | None) -> FetchResult:
    reason = " ".join(exc.reason.split())[:300]
    state = _base_state(plan, exc.kind, error=reason, retry_after=retry_after)
    failure = ItemFailure(plan.remote.name, exc.url, reason)
    return FetchResult(plan.remote.name, (), failure, (), FetchStatus.ERROR, state)


def _deferred(plan: _Plan, until: datetime) -> FetchResult:
    state = _base_state(plan, "deferred", retry_after=until)
    return FetchResult(plan.remote.name, (), None, (), FetchStatus.DEFERRED, state)


def _judge_network(held: list[FetchResult], reached: set[str]) -> Iterator[FetchResult]:
    """Connection failures, marked not counted when most hosts tried in this run were unreachable."""
    failed = {result.state.host for result in held if result.state.host} - reached
    down = policy.network_down(reached | failed, failed)
    for result in held:
        if down:
            error = f"{result.state.error} (most hosts unreachable: our network? not counted)"
            yield replace(result, state=replace(result.state, count_error=False, error=error))
        else:
            yield result


def _ms_since(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
