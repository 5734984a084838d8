"""The `subscriptions:` section of router.yaml."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from ..config import Config
from ..settings import Duration, Settings, validate

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


class SubscriptionsSection(Settings):
    """`subscriptions:` in router.yaml (the defaults are SubscriptionSettings')."""

    enabled: bool = True
    max_per_client: int = Field(16, ge=1)
    queue_size: int = Field(64, ge=1)
    keep_alive: Duration = 15.0
    connection_init_timeout: Duration = 10.0
    upstream_timeout: Duration = 10.0


def load(config: Config) -> SubscriptionSettings:
    s = validate(SubscriptionsSection, SECTION, config.plugins.get(SECTION))
    return SubscriptionSettings(**s.model_dump())
