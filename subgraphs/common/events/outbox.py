"""The outbox: events written in the same transaction as the change they describe."""

from __future__ import annotations

import asyncio
import weakref
from datetime import datetime
from typing import Any

from beanie import Document
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from ..db import now
from .envelope import Event


class OutboxEvent(Document):
    id: str  # type: ignore[assignment]  # the event id
    type: str
    occurred_at: datetime
    version: int
    data: dict[str, Any]
    published_at: datetime | None = None
    # A relay holds an event until this time while publishing it, so replicas don't race.
    leased_until: datetime
    leased_by: str | None = None
    next_attempt_at: datetime
    attempts: int = 0
    last_error: str | None = None
    dead_at: datetime | None = None

    class Settings:
        name = "outbox"
        indexes = [IndexModel([("published_at", ASCENDING), ("occurred_at", ASCENDING)], name="unpublished")]

    def event(self) -> Event:
        return Event(id=self.id, type=self.type, occurred_at=self.occurred_at, version=self.version, data=self.data)


# One signal per event loop: an asyncio.Event belongs to the loop that first waits on it, and a
# process may run several loops one after the other (tests, a restarted app).
_wakeups: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Event] = weakref.WeakKeyDictionary()


def wakeup() -> asyncio.Event:
    """Set after a commit that wrote an event, so the relay publishes it without waiting a poll."""
    loop = asyncio.get_running_loop()
    signal = _wakeups.get(loop)
    if signal is None:
        signal = _wakeups[loop] = asyncio.Event()
    return signal


async def record(event: Event, session: AsyncClientSession) -> None:
    """Adds the event to the outbox inside the caller's transaction."""
    moment = now()
    await OutboxEvent(
        id=event.id,
        type=event.type,
        occurred_at=event.occurred_at,
        version=event.version,
        data=event.data,
        leased_until=moment,
        next_attempt_at=moment,
    ).insert(session=session)


def committed() -> None:
    wakeup().set()
