"""RabbitMQ transport (aio-pika): a durable topic exchange, one durable quorum queue per
consuming service, persistent messages, publisher confirms, and a dead-letter queue per
service that takes a message after EVENTS_MAX_DELIVERIES failed deliveries."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractIncomingMessage, AbstractRobustConnection

from .envelope import Event, InvalidEvent
from .inbox import Inbox
from .relay import TransportUnavailable
from .routes import SUBSCRIPTIONS

logger = logging.getLogger("events.amqp")


@dataclass(frozen=True)
class Topology:
    namespace: str
    max_deliveries: int

    @property
    def exchange(self) -> str:
        return f"{self.namespace}.events"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.namespace}.events.dead"

    def queue(self, service: str) -> str:
        return f"{self.namespace}.{service}"

    def dead_queue(self, service: str) -> str:
        return f"{self.namespace}.{service}.dead"

    async def declare(self, channel: AbstractChannel) -> AbstractExchange:
        """Declares everything (idempotently), so no event is unroutable whichever service starts first."""
        exchange = await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        dead_exchange = await channel.declare_exchange(self.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
        for service, event_types in SUBSCRIPTIONS.items():
            dead = await channel.declare_queue(self.dead_queue(service), durable=True, arguments={"x-queue-type": "quorum"})
            await dead.bind(dead_exchange, routing_key=service)
            queue = await channel.declare_queue(
                self.queue(service),
                durable=True,
                arguments={
                    "x-queue-type": "quorum",
                    # Delivered at most max_deliveries times, then dead-lettered.
                    "x-delivery-limit": self.max_deliveries - 1,
                    "x-dead-letter-exchange": self.dead_letter_exchange,
                    "x-dead-letter-routing-key": service,
                },
            )
            for event_type in event_types:
                await queue.bind(exchange, routing_key=event_type)
        return exchange


class AmqpPublisher:
    def __init__(self, url: str, topology: Topology) -> None:
        self.url = url
        self.topology = topology
        self.connection: AbstractRobustConnection | None = None
        self.exchange: AbstractExchange | None = None
        self.lock = asyncio.Lock()

    async def _exchange(self) -> AbstractExchange:
        async with self.lock:
            if self.exchange is None:
                connection = await aio_pika.connect_robust(self.url, timeout=5)
                try:
                    channel = await connection.channel(publisher_confirms=True)
                    self.exchange = await self.topology.declare(channel)
                except BaseException:
                    await connection.close()
                    raise
                self.connection = connection
            return self.exchange

    async def publish(self, event: Event) -> None:
        try:
            exchange = await self._exchange()
            message = aio_pika.Message(
                event.to_json(),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=event.id,
                type=event.type,
                timestamp=event.occurred_at,
            )
            # Returns only once the broker confirmed it has the message (publisher confirms).
            await exchange.publish(message, routing_key=event.type, mandatory=True, timeout=10)
        except Exception as error:
            # Closed channels, refused connections, timeouts, unroutable returns: all mean
            # "not confirmed yet", and the relay will try again.
            raise TransportUnavailable(f"{error.__class__.__name__}: {error}") from error

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()


class AmqpConsumer:
    """Consumes this service's queue; acks only after the event's transaction committed."""

    def __init__(self, url: str, topology: Topology, service: str, inbox: Inbox, *, failpoint: str | None = None) -> None:
        self.url = url
        self.topology = topology
        self.service = service
        self.inbox = inbox
        self.failpoint = failpoint
        self.connection: AbstractRobustConnection | None = None

    async def run(self) -> None:
        delay = 0.5
        while self.connection is None:
            try:
                self.connection = await aio_pika.connect_robust(self.url, timeout=5)
            except (aio_pika.exceptions.AMQPException, OSError, asyncio.TimeoutError, ConnectionError) as error:
                logger.warning("broker unreachable (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)
        channel = await self.connection.channel()
        await channel.set_qos(prefetch_count=16)
        await self.topology.declare(channel)
        queue = await channel.get_queue(self.topology.queue(self.service))
        await queue.consume(self.on_message)
        logger.info("consuming %s", self.topology.queue(self.service))
        await asyncio.Future()  # the robust connection restores the consumer after outages

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            event = Event.from_json(message.body)
        except InvalidEvent as error:
            logger.error("poison message dead-lettered: %s", error, extra={"message_id": message.message_id})
            await message.reject(requeue=False)
            return
        try:
            await self.inbox.handle(event)
        except Exception:
            logger.exception("event handler failed; the broker will redeliver", extra={"event_id": event.id})
            await message.nack(requeue=True)
            return
        if self.failpoint == "exit-before-ack":
            # Test hook (EVENTS_FAILPOINT): dies like a killed process, after commit, before ack.
            os._exit(75)
        await message.ack()

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()
