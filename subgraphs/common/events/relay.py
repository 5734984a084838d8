"""The relay: publishes the outbox, oldest first, and marks each event once it is confirmed.

It wakes up right after a commit that wrote an event, and also polls (events left by a crash
or written by another replica). While the transport is down it backs off and keeps the order;
nothing is marked published until the transport confirmed it.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import Protocol

from pymongo import ReturnDocument

from ..db import now
from .envelope import Event
from .outbox import OutboxEvent, wakeup

logger = logging.getLogger("events.relay")

LEASE_SECONDS = 30
MAX_BACKOFF_SECONDS = 30.0


class TransportUnavailable(Exception):
    """The broker or peer could not be reached: retried without limit."""


class DeliveryRejected(Exception):
    """The receiving side failed to process the event: counts towards dead-lettering."""


class Publisher(Protocol):
    async def publish(self, event: Event) -> None: ...

    async def close(self) -> None: ...


class Relay:
    def __init__(self, publisher: Publisher, *, poll_interval: float, max_attempts: int) -> None:
        # Leases name their holder, so this relay takes back its own events at once after a
        # failure it could not record (e.g. the database went away mid-publish).
        self.instance = uuid.uuid4().hex
        self.publisher = publisher
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts

    async def run(self) -> None:
        signal = wakeup()
        while True:
            signal.clear()
            try:
                await self.drain()
            except Exception:  # the database may be down; try again on the next round
                logger.exception("relay round failed")
            try:
                await asyncio.wait_for(signal.wait(), self.poll_interval)
            except asyncio.TimeoutError:
                pass

    async def drain(self) -> int:
        published = 0
        while (entry := await self._claim()) is not None:
            try:
                await self.publisher.publish(entry.event())
            except Exception as error:  # any failure: the event stays unpublished and is retried
                await self._failed(entry, error)
                return published
            await OutboxEvent.get_pymongo_collection().update_one(
                {"_id": entry.id}, {"$set": {"published_at": now(), "last_error": None}}
            )
            published += 1
        return published

    async def _claim(self) -> OutboxEvent | None:
        moment = now()
        raw = await OutboxEvent.get_pymongo_collection().find_one_and_update(
            {
                "published_at": None,
                "dead_at": None,
                "next_attempt_at": {"$lte": moment},
                "$or": [{"leased_until": {"$lte": moment}}, {"leased_by": self.instance}],
            },
            {"$set": {"leased_until": moment + timedelta(seconds=LEASE_SECONDS), "leased_by": self.instance}},
            sort=[("occurred_at", 1)],
            return_document=ReturnDocument.AFTER,
        )
        return OutboxEvent.model_validate(raw) if raw else None

    async def _failed(self, entry: OutboxEvent, error: Exception) -> None:
        attempts = entry.attempts + 1
        moment = now()
        update: dict[str, object] = {
            "attempts": attempts,
            "last_error": f"{error.__class__.__name__}: {error}"[:500],
            "leased_until": moment,
            "next_attempt_at": moment + timedelta(seconds=min(0.5 * 2 ** min(attempts, 10), MAX_BACKOFF_SECONDS)),
        }
        if isinstance(error, DeliveryRejected) and attempts >= self.max_attempts:
            update["dead_at"] = moment
            logger.error("event dead-lettered after %d attempts", attempts, extra={"event_id": entry.id, "event_type": entry.type})
        else:
            logger.warning("event not published yet: %s", error, extra={"event_id": entry.id, "event_type": entry.type})
        await OutboxEvent.get_pymongo_collection().update_one({"_id": entry.id}, {"$set": update})
