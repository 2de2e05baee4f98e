"""WebSub publishing: tell the hub a topic (one of our feed URLs) has new bytes.

The hub then fetches the topic and pushes it to its subscribers. The ping is a form-encoded POST
with ``hub.mode=publish`` and the topic URL as both ``hub.topic`` and ``hub.url`` (hubs differ in
which name they read; the W3C spec leaves publishing to the hub, and both names are in use).
Pings are owed durably: the pipeline calls ``store.outbox.queue_hub_ping(topic_url, now)`` after a
changed feed file is in place, and ``feeds.notify.deliver_pending`` sends what is due, retrying on
the webhook schedule. This module only speaks the protocol; it keeps no state.

The hub URL comes from the config, so it gets the same address check as feeds and webhooks
(``feeds.netguard``): a hub on a private address is refused unless ``fetch.allow_private`` is true,
and the refusal is final for that ping (``HubPingResult.refused``). Only the start of a hub's answer
is read (``netguard.ANSWER_LIMIT``, after decompression): it is wanted for an error message only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from feeds.config import Config
from feeds.netguard import AddressRefused, NetGuard, read_capped

DEFAULT_TIMEOUT = 10.0
_CONCURRENCY = 8
_SNIPPET = 200  # characters of a hub's error answer kept


@dataclass(frozen=True, slots=True)
class HubPingResult:
    """What the hub answered for one topic: 2xx (usually 202 or 204) means it took the ping."""

    topic: str
    status: int | None  # None when no HTTP answer came (refused, timeout)
    error: str | None  # None when the hub took it
    refused: bool = False  # the hub's address is not allowed: retrying would not help

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, object]:
        return {
            "topic": self.topic,
            "status": self.status,
            "error": self.error,
            "ok": self.ok,
            "refused": self.refused,
        }


def topic_url(config: Config, path: str | Path) -> str:
    """The public URL of an output file: ``site.url`` + its path under ``output_dir``.

    Accepts a path relative to ``output_dir`` (``feeds/all.atom.xml``) or one inside it.
    """
    candidate = Path(path)
    if candidate.is_absolute():
        candidate = candidate.resolve().relative_to(config.output_path.resolve())
    return f"{config.site.url}/{candidate.as_posix().lstrip('/')}"


def publish_form(topic: str) -> dict[str, str]:
    return {"hub.mode": "publish", "hub.topic": topic, "hub.url": topic}


async def ping_hub(
    hub: str,
    topic_urls: Iterable[str],
    *,
    client: httpx.AsyncClient | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    guard: NetGuard | None = None,
) -> tuple[HubPingResult, ...]:
    """POST one publish ping per topic (a few at a time); never raises for a network error.

    ``client``, when given, must come with its own guard (``feeds.notify`` passes its guarded one);
    otherwise one is made with ``guard``, by default refusing private addresses.
    """
    topics = list(dict.fromkeys(topic_urls))
    if client is None:
        async with (guard or NetGuard()).client(timeout) as own:
            return await _ping_all(own, hub, topics, timeout)
    return await _ping_all(client, hub, topics, timeout)


async def _ping_all(
    client: httpx.AsyncClient, hub: str, topics: list[str], timeout: float
) -> tuple[HubPingResult, ...]:
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(topic: str) -> HubPingResult:
        async with gate:
            return await _ping_one(client, hub, topic, timeout)

    return tuple(await asyncio.gather(*(one(topic) for topic in topics)))


async def _ping_one(client: httpx.AsyncClient, hub: str, topic: str, timeout: float) -> HubPingResult:
    """One publish ping; the answer is read only up to ``ANSWER_LIMIT`` bytes (a hub's 256 MiB error
    page, or a compression bomb, must not cost the run its memory)."""
    try:
        async with (
            asyncio.timeout(timeout),
            client.stream("POST", hub, data=publish_form(topic)) as response,
        ):
            answer = await read_capped(response)
    except TimeoutError:
        return HubPingResult(topic, None, f"timeout after {timeout:g} s")
    except AddressRefused as exc:
        return HubPingResult(topic, None, str(exc), refused=True)
    except httpx.HTTPError as exc:
        return HubPingResult(topic, None, f"{type(exc).__name__}: {exc}".rstrip(": "))
    if 200 <= response.status_code < 300:
        return HubPingResult(topic, response.status_code, None)
    snippet = answer.decode("utf-8", "replace")[:_SNIPPET].strip()
    return HubPingResult(topic, response.status_code, f"HTTP {response.status_code} {snippet}".strip())
