"""What the orders service stores. Prices are integers in minor units, never floats."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from beanie import Document
from pydantic import BaseModel
from pymongo import ASCENDING, DESCENDING, IndexModel


class Status(str, Enum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


class ProductDocument(Document):
    id: str  # type: ignore[assignment]  # a readable SKU-like id, not an ObjectId
    name: str
    description: str
    price: int
    currency: str
    available: bool = True

    class Settings:
        name = "products"


class OrderLine(BaseModel):
    product_id: str
    # Name and price are copied at order time: later catalogue changes don't rewrite history.
    name: str
    quantity: int
    unit_price: int


class StatusChange(BaseModel):
    status: Status
    at: datetime
    by: str


class OrderDocument(Document):
    user_id: str
    items: list[OrderLine]
    currency: str
    total: int
    status: Status
    created_at: datetime
    updated_at: datetime
    history: list[StatusChange] = []

    class Settings:
        name = "orders"
        indexes = [
            IndexModel([("user_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)], name="by_user_newest"),
            IndexModel([("created_at", DESCENDING), ("_id", DESCENDING)], name="newest"),
        ]
