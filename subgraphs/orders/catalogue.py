"""The catalogue seeded in dev (and in tests): a few products with fixed ids and prices."""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from .models import ProductDocument

SEED_PRODUCTS: list[dict[str, object]] = [
    {"id": "kbd-mech-87", "name": "Mechanical keyboard", "description": "Tenkeyless, hot-swappable switches.", "price": 8999, "currency": "USD"},
    {"id": "mouse-wl-2", "name": "Wireless mouse", "description": "Two-button, silent clicks.", "price": 2499, "currency": "USD"},
    {"id": "mon-27-qhd", "name": "27-inch monitor", "description": "2560x1440, 144 Hz.", "price": 32900, "currency": "USD"},
    {"id": "cable-usbc-1m", "name": "USB-C cable", "description": "1 m, 100 W.", "price": 999, "currency": "USD"},
    {"id": "desk-mat-xl", "name": "Desk mat", "description": "90 x 40 cm, stitched edges.", "price": 1950, "currency": "USD"},
    {"id": "headset-anc", "name": "Noise-cancelling headset", "description": "Over-ear, 30 h battery.", "price": 19900, "currency": "USD"},
    {"id": "webcam-1080", "name": "Webcam", "description": "1080p, privacy shutter.", "price": 5490, "currency": "USD"},
    {"id": "retired-pager", "name": "Pager", "description": "No longer sold.", "price": 4200, "currency": "USD", "available": False},
]


async def seed_catalogue() -> int:
    """Inserts the seed products that are missing; never overwrites an existing product. Replicas
    starting together race to insert the same ids: the loser finds the product there, as wanted."""
    inserted = 0
    for data in SEED_PRODUCTS:
        if await ProductDocument.get(data["id"]) is None:
            try:
                await ProductDocument.model_validate(data).insert()
            except DuplicateKeyError:
                continue
            inserted += 1
    return inserted
