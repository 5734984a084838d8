"""The `subscriptions:` section of router.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from ..config import Config
from ..settings import Duration, Settings

SECTION = "subscriptions"

# false: each client subscription its own; true: identical ones share; replay_last: they share,
# and a joiner first gets the group's latest event
Dedupe = bool | Literal["replay_last"]


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
    # identical subscriptions (same subgraph request, same headers) share one subgraph
    # subscription, and each event's entity fetches run once per identical plan and inputs:
    # "off" (each its own), "on" (a joiner sees the events after it joined), "replay_last"
    # (a joiner also gets the group's latest event at once: right for streams that start with
    # the current state, like the shop's orderUpdated)
    dedupe: Literal["off", "on", "replay_last"] = "off"

    def resubscribe_delay(self, attempt: int) -> float:
        """The wait before the `attempt`-th (1-based) resubscription in a row."""
        return float(min(self.resubscribe_max_backoff, self.resubscribe_backoff * 2 ** (attempt - 1)))


class ResubscribeSection(Settings):
    """`subscriptions.resubscribe`: present, a lost subgraph subscription is opened again."""

    attempts: int = Field(3, ge=0)
    backoff: Duration = 0.5
    max_backoff: Duration = 10.0


class SubscriptionsSection(Settings):
    """`subscriptions:` in router.yaml (the defaults are SubscriptionSettings')."""

    enabled: bool = True
    max_per_client: int = Field(16, ge=1)
    queue_size: int = Field(64, ge=1)
    keep_alive: Duration = 15.0
    connection_init_timeout: Duration = 10.0
    upstream_timeout: Duration = 10.0
    resubscribe: ResubscribeSection | None = None
    dedupe: Dedupe = False


def load(config: Config) -> SubscriptionSettings:
    s = config.section(SECTION, SubscriptionsSection) or SubscriptionsSection()
    again = s.resubscribe
    return SubscriptionSettings(
        enabled=s.enabled, max_per_client=s.max_per_client, queue_size=s.queue_size, keep_alive=s.keep_alive,
        connection_init_timeout=s.connection_init_timeout, upstream_timeout=s.upstream_timeout,
        resubscribe_attempts=again.attempts if again else 0,
        resubscribe_backoff=again.backoff if again else SubscriptionSettings.resubscribe_backoff,
        resubscribe_max_backoff=again.max_backoff if again else SubscriptionSettings.resubscribe_max_backoff,
        dedupe="replay_last" if s.dedupe == "replay_last" else "on" if s.dedupe else "off",
    )
