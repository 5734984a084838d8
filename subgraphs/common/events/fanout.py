"""Live notices to every replica of a service over RabbitMQ: a fanout exchange, and one
exclusive, auto-deleting queue per running replica bound to it.

Unlike the domain events (durable, persistent, each handled by one replica of the consuming
service), a live notice only tells the open subscriptions that something changed: every replica
must see it, none must keep it after it stopped, and one lost while the broker is away costs a
subscriber a missed update, never a wrong one (a subscriber re-reads the state it reports). So:
transient messages, no confirms, queues that vanish with their replica's connection. A replica
drops the notices it sent itself, which it has already announced in-process.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable

import aio_pika
from aio_pika.abc import AbstractExchange, AbstractIncomingMessage, AbstractRobustConnection

logger = logging.getLogger("events.fanout")

# notices waiting for the broker; past this (a broker away for long) the oldest are dropped
MAX_WAITING = 10_000
ORIGIN = "x-origin"


class AmqpFanout:
    """`send(body)` to every other replica; `on_notice(body)` is called for theirs."""

    def __init__(self, url: str, exchange: str, on_notice: Callable[[bytes], None]) -> None:
        self.url = url
        self.exchange_name = exchange
        self.on_notice = on_notice
        self.origin = uuid.uuid4().hex  # this replica, for its own notices coming back
        self._waiting: asyncio.Queue[bytes] = asyncio.Queue(MAX_WAITING)
        self._connection: AbstractRobustConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()  # set once this replica's queue is bound and consumed

    def send(self, body: bytes) -> None:
        """Never blocks the change that caused it: queued for the publishing task."""
        if self._waiting.full():
            self._waiting.get_nowait()
        self._waiting.put_nowait(body)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="live-fanout")

    async def _connect(self) -> AbstractRobustConnection:
        delay = 0.5
        while True:
            try:
                return await aio_pika.connect_robust(self.url, timeout=5)
            except (aio_pika.exceptions.AMQPException, OSError, asyncio.TimeoutError, ConnectionError) as error:
                logger.warning("broker unreachable for live notices (%s); retrying in %.1fs", error, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)

    async def _run(self) -> None:
        self._connection = connection = await self._connect()
        channel = await connection.channel()
        exchange = await channel.declare_exchange(self.exchange_name, aio_pika.ExchangeType.FANOUT, durable=True)
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        await queue.bind(exchange)
        await queue.consume(self._received, no_ack=True)
        logger.info("live notices fanned out through %s", self.exchange_name)
        self.ready.set()
        await self._publish_forever(exchange)

    async def _publish_forever(self, exchange: AbstractExchange) -> None:
        while True:
            body = await self._waiting.get()
            message = aio_pika.Message(body, headers={ORIGIN: self.origin},
                                       delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT)
            try:
                await exchange.publish(message, routing_key="", timeout=5)
            except Exception as error:  # noqa: BLE001 - a lost notice is a missed update; keep going
                logger.warning("live notice not sent (%s: %s)", error.__class__.__name__, error)

    async def _received(self, message: AbstractIncomingMessage) -> None:
        if (message.headers or {}).get(ORIGIN) == self.origin:
            return
        self.on_notice(message.body)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._connection is not None:
            await self._connection.close()
