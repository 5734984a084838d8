"""The event envelope every service publishes and accepts (documented in docs/events.md)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from ..db import now

ORDER_CREATED = "order.created"
ORDER_CANCELLED = "order.cancelled"
PAYMENT_SUCCEEDED = "payment.succeeded"
PAYMENT_REFUNDED = "payment.refunded"
EVENT_TYPES = (ORDER_CREATED, ORDER_CANCELLED, PAYMENT_SUCCEEDED, PAYMENT_REFUNDED)
ENVELOPE_VERSION = 1


class InvalidEvent(ValueError):
    """A message that is not an event envelope we understand; retrying cannot fix it."""


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    occurred_at: datetime
    version: int
    data: dict[str, Any]

    @classmethod
    def new(cls, type_: str, data: dict[str, Any]) -> "Event":
        return cls(id=str(uuid.uuid4()), type=type_, occurred_at=now(), version=ENVELOPE_VERSION, data=data)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.id,
                "type": self.type,
                "occurredAt": self.occurred_at.isoformat(),
                "version": self.version,
                "data": self.data,
            }
        )

    @classmethod
    def from_json(cls, raw: bytes) -> "Event":
        try:
            body = orjson.loads(raw)
            event = cls(
                id=str(uuid.UUID(body["id"])),
                type=body["type"],
                occurred_at=datetime.fromisoformat(body["occurredAt"]),
                version=int(body["version"]),
                data=body["data"],
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
            raise InvalidEvent(f"not an event envelope: {error}") from None
        if event.type not in EVENT_TYPES or not isinstance(event.data, dict):
            raise InvalidEvent(f"unknown event type {event.type!r}")
        if event.version != ENVELOPE_VERSION:
            raise InvalidEvent(f"unsupported envelope version {event.version}")
        return event
