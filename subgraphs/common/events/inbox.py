"""Consuming an event exactly once in effect: its id is stored in the same transaction as
the consumer's own change, so a redelivery finds the id and changes nothing."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Awaitable, Callable

from beanie import Document
from pymongo.asynchronous.client_session import AsyncClientSession

from ..db import now, transaction
from .envelope import Event
from .outbox import committed

logger = logging.getLogger("events")

Handler = Callable[[Event, AsyncClientSession], Awaitable[None]]


class ProcessedEvent(Document):
    id: str  # type: ignore[assignment]  # the event id
    type: str
    processed_at: datetime

    class Settings:
        name = "processed_events"


class Inbox:
    def __init__(self, handlers: dict[str, Handler]) -> None:
        self.handlers = handlers

    @property
    def event_types(self) -> tuple[str, ...]:
        return tuple(self.handlers)

    async def handle(self, event: Event) -> bool:
        """Applies the event once. Returns False when it had been applied already."""
        handler = self.handlers.get(event.type)
        if handler is None:
            return False

        async def apply(session: AsyncClientSession) -> bool:
            # Checked, not caught: an error inside a transaction aborts it. Two concurrent
            # deliveries both passing the check collide on the insert; the loser's transaction
            # fails, its message is redelivered, and then the check sees the id.
            if await ProcessedEvent.get(event.id, session=session) is not None:
                return False
            await ProcessedEvent(id=event.id, type=event.type, processed_at=now()).insert(session=session)
            await handler(event, session)
            return True

        applied = await transaction(ProcessedEvent, apply)
        committed()  # the handler may have written events of its own
        logger.info("event %s", "applied" if applied else "already applied", extra={"event_id": event.id, "event_type": event.type})
        return applied
