"""Cursor pagination over (createdAt, id), newest first.

Cursors are opaque to clients (base64url of JSON) and stable under inserts, unlike offsets.
A cursor that does not decode is the client's mistake and gets BAD_USER_INPUT.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import orjson
import strawberry
from bson import ObjectId

from .errors import BadUserInput

MAX_PAGE_SIZE = 100


@strawberry.federation.type(shareable=True, description="Where a page of a connection ends.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@dataclass(frozen=True)
class Position:
    created_at: datetime
    id: ObjectId


def encode_cursor(created_at: datetime, document_id: ObjectId | None) -> str:
    if document_id is None:  # Beanie types a document's id as optional: only stored ones have one
        raise ValueError("a document that was never stored has no cursor")
    raw = orjson.dumps([int(created_at.timestamp() * 1_000_000), str(document_id)])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        micros, document_id = orjson.loads(base64.urlsafe_b64decode(padded))
        created_at = datetime.fromtimestamp(int(micros) / 1_000_000, timezone.utc)
        return Position(created_at, ObjectId(document_id))
    except Exception:
        raise BadUserInput("Invalid cursor", argumentName="after") from None


def page_size(first: int) -> int:
    if first < 1 or first > MAX_PAGE_SIZE:
        raise BadUserInput(f"first must be between 1 and {MAX_PAGE_SIZE}", argumentName="first")
    return first


def newest_first_filter(after: str | None) -> dict[str, Any]:
    """A Mongo filter for the items strictly after `after` in (createdAt desc, _id desc) order."""
    if after is None:
        return {}
    position = decode_cursor(after)
    return {
        "$or": [
            {"created_at": {"$lt": position.created_at}},
            {"created_at": position.created_at, "_id": {"$lt": position.id}},
        ]
    }
