"""Live order changes for `Subscription.orderUpdated` and `Subscription.myOrders`: a notice per
committed change, fanned out in-process to every open subscription of this replica and, with
several replicas (`ORDERS_LIVE_FANOUT=amqp`, the default when AMQP_URL is set), to every other
replica through a RabbitMQ fanout exchange (`common/events/fanout.py`): a subscriber on one
replica sees the changes made through any of them.

Notices carry only an order id; a subscriber re-reads the order, so a burst of changes to one
order that a subscriber has not caught up with collapses into one read of its latest state
(the pending set is bounded by the number of distinct orders, not by the number of changes).
Notices are sent after the transaction committed, so a subscriber never reads a change that
was rolled back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Protocol

from ..common.events.envelope import Event
from ..common.events.inbox import Inbox

# A subscriber more than this many distinct orders behind is cut off (it re-subscribes).
MAX_PENDING_ORDERS = 1000


class Lagging(Exception):
    """A subscriber fell too far behind; its stream ends instead of growing without bound."""


class Listener:
    def __init__(self, order_id: str | None) -> None:
        self.order_id = order_id
        self._pending: dict[str, None] = {}  # insertion-ordered set of order ids
        self._changed = asyncio.Event()
        self.lagging = False

    def notify(self, order_id: str) -> None:
        if self.order_id is not None and order_id != self.order_id:
            return
        if len(self._pending) >= MAX_PENDING_ORDERS and order_id not in self._pending:
            self.lagging = True
        self._pending[order_id] = None
        self._changed.set()

    async def next(self) -> str:
        while not self._pending:
            self._changed.clear()
            await self._changed.wait()
        if self.lagging:
            raise Lagging(f"more than {MAX_PENDING_ORDERS} orders changed before this subscriber read them")
        order_id = next(iter(self._pending))
        del self._pending[order_id]
        return order_id


class OrderFeed:
    def __init__(self) -> None:
        self._listeners: set[Listener] = set()
        # the other replicas, when there are: told of every change this replica announces
        self.relay: Callable[[str], None] | None = None

    def publish(self, order_id: str) -> None:
        """A change committed here: this replica's subscribers, then the other replicas'."""
        self.deliver(order_id)
        if self.relay is not None:
            self.relay(order_id)

    def deliver(self, order_id: str) -> None:
        """A change announced here or by another replica, to this replica's subscribers."""
        for listener in list(self._listeners):
            listener.notify(order_id)

    @asynccontextmanager
    async def listen(self, order_id: str | None) -> AsyncIterator[Listener]:
        listener = Listener(order_id)
        self._listeners.add(listener)
        try:
            yield listener
        finally:
            self._listeners.discard(listener)

    @property
    def listeners(self) -> int:
        return len(self._listeners)


FEED = OrderFeed()


def exchange_name(namespace: str) -> str:
    return f"{namespace}.live.orders"


def relay_through(fanout: "NoticeSender", feed: OrderFeed = FEED) -> None:
    """Wires a fan-out to the feed: its notices in, this replica's out (order ids as ASCII)."""
    feed.relay = lambda order_id: fanout.send(order_id.encode())


def received(feed: OrderFeed = FEED) -> Callable[[bytes], None]:
    def on_notice(body: bytes) -> None:
        try:
            order_id = body.decode("ascii")
        except UnicodeDecodeError:
            return
        if 0 < len(order_id) <= 64:
            feed.deliver(order_id)

    return on_notice


class NoticeSender(Protocol):
    """What the feed needs of a fan-out (`common/events/fanout.AmqpFanout` is one)."""

    def send(self, body: bytes) -> None: ...


class NotifyingInbox(Inbox):
    """Consumed payment events may change an order (a full payment confirms it, a refund cancels
    it): announced once their transaction committed. One that changed nothing costs the
    subscribers a read, and they drop it (its `updatedAt` is the one they sent last)."""

    async def handle(self, event: Event) -> bool:
        applied = await super().handle(event)
        order_id = event.data.get("orderId")
        if applied and isinstance(order_id, str):
            FEED.publish(order_id)
        return applied
