"""Who consumes which event: the one routing table, used for the broker's queues and bindings
and for pushing events to peers when there is no broker."""

from __future__ import annotations

from .envelope import ORDER_CANCELLED, PAYMENT_REFUNDED, PAYMENT_SUCCEEDED

SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    # A full payment confirms a pending order; a refund by an admin cancels an order not yet shipped.
    "orders": (PAYMENT_SUCCEEDED, PAYMENT_REFUNDED),
    # A cancelled order's succeeded payments are refunded.
    "payments": (ORDER_CANCELLED,),
}


def subscribers_of(event_type: str) -> list[str]:
    return [service for service, types in SUBSCRIPTIONS.items() if event_type in types]
