"""The service's own MongoDB database, through Beanie.

Each subgraph owns one database (`users`, `orders`, `payments`) and nothing else reads it.
One client per process (per event loop); Beanie is initialised on it at start, which also
creates the indexes the documents declare.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, TypeVar

from beanie import Document, init_beanie
from bson import ObjectId
from bson.errors import InvalidId
from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

from .query_count import ReadCounter

T = TypeVar("T")
# documents as the driver returns them (Beanie turns them into models)
Client = AsyncMongoClient[dict[str, Any]]


async def connect(uri: str, database: str, models: list[type[Document]], *, appname: str) -> Client:
    client: Client = AsyncMongoClient(
        uri,
        tz_aware=True,
        appname=appname,
        serverSelectionTimeoutMS=10_000,
        event_listeners=[ReadCounter()],
    )
    await init_beanie(database=client[database], document_models=models)
    return client


async def ping(client: Client, timeout: float = 2.0) -> bool:
    try:
        await asyncio.wait_for(client.admin.command("ping"), timeout)
    except Exception:  # any failure means "not ready"; the reason is in the server logs
        return False
    return True


def object_id(value: str) -> ObjectId | None:
    """An ObjectId from a client-supplied id, or None for anything malformed (treated as not found)."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None


def now() -> datetime:
    """The current UTC time at MongoDB's precision (milliseconds), so a value returned right
    after a write equals the value read back later (cursors depend on it)."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


async def transaction(model: type[Document], work: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
    """Runs `work` in one MongoDB transaction on `model`'s database, retried by the driver on
    transient conflicts, so it must be safe to run again (no side effects outside the session)."""
    client: Client = model.get_pymongo_collection().database.client
    async with client.start_session() as session:
        return await session.with_transaction(work)
