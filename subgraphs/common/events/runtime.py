"""Starts and stops a service's event machinery: the relay of its outbox and, when it
consumes events, its consumer (RabbitMQ) or receiving endpoint (no broker)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from pydantic import Field
from starlette.routing import Route

from ..config import ConfigError, Env, EnvSettings
from .amqp import AmqpConsumer, AmqpPublisher, Topology
from .inbox import Inbox, ProcessedEvent
from .outbox import OutboxEvent
from .relay import Publisher, Relay
from .routes import SUBSCRIPTIONS
from .webhook import PATH, WebhookPublisher, receiver

logger = logging.getLogger("events")

MODELS = [OutboxEvent, ProcessedEvent]


class EventsEnv(EnvSettings):
    """The events variables (EventsSettings is built from them)."""

    amqp_url: str | None = Field(None, alias="AMQP_URL")
    namespace: str = Field("shop", alias="EVENTS_NAMESPACE")
    max_deliveries: int = Field(5, alias="EVENTS_MAX_DELIVERIES", ge=1, le=100)
    peers: str | None = Field(None, alias="EVENTS_PEERS")  # orders=http://host:port,...
    secret: str | None = Field(None, alias="EVENTS_SECRET")
    relay_interval_ms: int = Field(2000, alias="EVENTS_RELAY_INTERVAL_MS", ge=50)
    failpoint: str | None = Field(None, alias="EVENTS_FAILPOINT")


@dataclass(frozen=True)
class EventsSettings:
    amqp_url: str | None
    namespace: str
    max_deliveries: int
    peers: dict[str, str]
    secret: bytes | None
    relay_interval: float
    failpoint: str | None

    @classmethod
    def from_env(cls, env: Env) -> "EventsSettings":
        e = env.load(EventsEnv)
        peers: dict[str, str] = {}
        for item in (e.peers or "").split(","):
            if not item.strip():
                continue
            name, sep, url = item.partition("=")
            if not sep or not url.startswith(("http://", "https://")):
                raise ConfigError(f"EVENTS_PEERS must look like 'orders=http://host:port,...', got {item!r}")
            peers[name.strip()] = url.strip()
        secret = e.secret
        if peers and not secret:
            raise ConfigError("EVENTS_SECRET is required with EVENTS_PEERS (events are signed)")
        if secret is not None and len(secret) < 16:
            raise ConfigError("EVENTS_SECRET must be at least 16 characters")
        return cls(
            amqp_url=e.amqp_url,
            namespace=e.namespace,
            max_deliveries=e.max_deliveries,
            peers=peers,
            secret=secret.encode() if secret else None,
            relay_interval=e.relay_interval_ms / 1000,
            failpoint=e.failpoint,
        )


@dataclass
class EventsRuntime:
    service: str
    settings: EventsSettings
    inbox: Inbox | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    closers: list[Publisher | AmqpConsumer] = field(default_factory=list)

    def routes(self) -> list[Route]:
        """The receiving endpoint, only in broker-less mode and only with a secret to check."""
        if self.settings.amqp_url or self.inbox is None or self.settings.secret is None:
            return []
        return [Route(PATH, receiver(self.inbox, self.settings.secret), methods=["POST"])]

    async def start(self) -> None:
        publisher: Publisher | None = None
        if self.settings.amqp_url:
            topology = Topology(self.settings.namespace, self.settings.max_deliveries)
            publisher = AmqpPublisher(self.settings.amqp_url, topology)
            if self.inbox is not None:
                consumer = AmqpConsumer(
                    self.settings.amqp_url, topology, self.service, self.inbox, failpoint=self.settings.failpoint
                )
                self.closers.append(consumer)
                self.tasks.append(asyncio.create_task(consumer.run(), name="events-consumer"))
            mode = "rabbitmq"
        elif self.settings.peers:
            missing = set(SUBSCRIPTIONS) - set(self.settings.peers) - {self.service}
            if missing:
                raise ConfigError(f"EVENTS_PEERS has no URL for: {', '.join(sorted(missing))}")
            assert self.settings.secret is not None
            publisher = WebhookPublisher(self.settings.peers, self.settings.secret)
            mode = "http push to peers"
        else:
            logger.warning("no AMQP_URL and no EVENTS_PEERS: events stay in the outbox until one is configured")
            mode = "outbox only"
        if publisher is not None:
            self.closers.append(publisher)
            relay = Relay(publisher, poll_interval=self.settings.relay_interval, max_attempts=self.settings.max_deliveries)
            self.tasks.append(asyncio.create_task(relay.run(), name="events-relay"))
        logger.info("events: %s", mode)

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for closer in self.closers:
            await closer.close()
