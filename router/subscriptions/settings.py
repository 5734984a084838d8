"""The `subscriptions:` section of router.yaml."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..config import Config
from ..plugins.options import Section
from ..plugins.rate_limit import parse_duration

SECTION = "subscriptions"


@dataclass(frozen=True)
class SubscriptionSettings:
    enabled: bool = True
    # open subscriptions per client (the JWT `sub` when verified, else the IP), over all connections
    max_per_client: int = 16
    # events resolved but not yet written to a slow client; one more and the subscription is closed
    queue_size: int = 64
    # WebSocket pings, SSE comments, multipart `{}` heartbeats: proxies keep idle streams open
    keep_alive: float = 15.0
    # a WebSocket that does not send connection_init in time is closed (4408)
    connection_init_timeout: float = 10.0
    # opening a subgraph subscription (connect, connection_ack, its answer to subscribe)
    upstream_timeout: float = 10.0
    # a subgraph subscription lost mid-stream (or not reachable) is opened again this many times
    # in a row, waiting backoff, then twice that, ... up to max_backoff; 0: the stream ends at once
    resubscribe_attempts: int = 0
    resubscribe_backoff: float = 0.5
    resubscribe_max_backoff: float = 10.0

    def resubscribe_delay(self, attempt: int) -> float:
        """The wait before the `attempt`-th (1-based) resubscription in a row."""
        return float(min(self.resubscribe_max_backoff, self.resubscribe_backoff * 2 ** (attempt - 1)))


def _duration(sec: Section, key: str, default: float) -> float:
    raw = sec.value(key)
    return default if raw is None else parse_duration(f"{sec.where}.{key}", raw)


def load(config: Config) -> SubscriptionSettings:
    body: Any = config.plugins.get(SECTION)
    sec = Section(SECTION, body)
    d = SubscriptionSettings()
    max_per_client = sec.integer("max_per_client", d.max_per_client, minimum=1)
    queue_size = sec.integer("queue_size", d.queue_size, minimum=1)
    settings = SubscriptionSettings(
        enabled=sec.boolean("enabled", d.enabled),
        max_per_client=max_per_client if max_per_client is not None else d.max_per_client,
        queue_size=queue_size if queue_size is not None else d.queue_size,
        keep_alive=_duration(sec, "keep_alive", d.keep_alive),
        connection_init_timeout=_duration(sec, "connection_init_timeout", d.connection_init_timeout),
        upstream_timeout=_duration(sec, "upstream_timeout", d.upstream_timeout),
    )
    again = sec.section("resubscribe")
    if again is not None:
        attempts = again.integer("attempts", 3, minimum=0)
        settings = replace(settings, resubscribe_attempts=attempts,
                           resubscribe_backoff=_duration(again, "backoff", d.resubscribe_backoff),
                           resubscribe_max_backoff=_duration(again, "max_backoff", d.resubscribe_max_backoff))
        again.done()
    sec.done()
    return settings
