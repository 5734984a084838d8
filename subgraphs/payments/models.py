"""What the payments service stores."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from beanie import Document
from pymongo import ASCENDING, IndexModel


class PaymentStatus(str, Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"


class PaymentMethod(str, Enum):
    CARD = "CARD"
    PAYPAL = "PAYPAL"
    BANK_TRANSFER = "BANK_TRANSFER"


class PaymentDocument(Document):
    order_id: str
    user_id: str
    amount: int
    currency: str
    status: PaymentStatus
    method: PaymentMethod
    idempotency_key: str
    # The order id while this payment is PENDING or SUCCEEDED, else null. A unique index on
    # it makes "at most one live payment per order" a database guarantee, so two payments
    # racing with different idempotency keys cannot both charge the order.
    active_for: str | None
    failure_reason: str | None = None
    created_at: datetime
    updated_at: datetime

    class Settings:
        name = "payments"
        indexes = [
            IndexModel([("user_id", ASCENDING), ("idempotency_key", ASCENDING)], unique=True, name="idempotency"),
            IndexModel(
                [("active_for", ASCENDING)],
                unique=True,
                partialFilterExpression={"active_for": {"$type": "string"}},
                name="one_live_payment_per_order",
            ),
            IndexModel([("order_id", ASCENDING)], name="by_order"),
        ]
