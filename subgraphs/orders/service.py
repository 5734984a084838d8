"""Order rules, free of GraphQL: pricing from the catalogue, ownership, status transitions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from beanie import SortDirection
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from ..common.db import now, object_id, transaction
from ..common.errors import BadUserInput, Conflict, Forbidden, NotFound
from ..common.events import outbox
from ..common.events.envelope import ORDER_CANCELLED, ORDER_CREATED, Event
from ..common.identity import Identity
from ..common.pagination import newest_first_filter
from . import live
from .models import OrderDocument, OrderLine, ProductDocument, Status, StatusChange

MAX_LINES = 50
MAX_QUANTITY = 1000
ADMIN_SCOPE = "orders:admin"

# The only moves an order may make. Anything else is refused, atomically.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.CONFIRMED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.SHIPPED, Status.CANCELLED}),
    Status.SHIPPED: frozenset({Status.DELIVERED}),
}
CANCELLABLE_BY_OWNER = (Status.PENDING, Status.CONFIRMED)


def sources_of(target: Status) -> list[str]:
    return [source.value for source, targets in TRANSITIONS.items() if target in targets]


@dataclass(frozen=True)
class LineRequest:
    product_id: str
    quantity: int


def is_admin(viewer: Identity) -> bool:
    return viewer.has_scope(ADMIN_SCOPE)


def can_see(viewer: Identity | None, order: OrderDocument) -> bool:
    return viewer is not None and (order.user_id == viewer.user_id or is_admin(viewer))


async def create_order(viewer: Identity, lines: list[LineRequest]) -> OrderDocument:
    if not lines:
        raise BadUserInput("An order needs at least one item", argumentName="items")
    if len(lines) > MAX_LINES:
        raise BadUserInput(f"An order may have at most {MAX_LINES} items", argumentName="items")
    quantities: dict[str, int] = {}
    for line in lines:
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise BadUserInput(
                f"Quantity must be between 1 and {MAX_QUANTITY}", argumentName="items", productId=line.product_id
            )
        # The same product twice is one line with the summed quantity.
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    products = {
        product.id: product
        for product in await ProductDocument.find({"_id": {"$in": list(quantities)}}).to_list()
    }
    order_lines: list[OrderLine] = []
    for product_id, quantity in quantities.items():
        product = products.get(product_id)
        if product is None or not product.available:
            raise BadUserInput("Unknown or unavailable product", argumentName="items", productId=product_id)
        if quantity > MAX_QUANTITY:
            raise BadUserInput(f"Quantity must be between 1 and {MAX_QUANTITY}", argumentName="items", productId=product_id)
        order_lines.append(
            OrderLine(product_id=product.id, name=product.name, quantity=quantity, unit_price=product.price)
        )
    currencies = {products[line.product_id].currency for line in order_lines}
    if len(currencies) != 1:
        raise BadUserInput("All items of an order must be priced in the same currency", argumentName="items")
    created = now()
    order = OrderDocument(
        user_id=viewer.user_id,
        items=order_lines,
        currency=currencies.pop(),
        total=sum(line.unit_price * line.quantity for line in order_lines),
        status=Status.PENDING,
        created_at=created,
        updated_at=created,
        history=[StatusChange(status=Status.PENDING, at=created, by=viewer.user_id)],
    )

    async def write(session: AsyncClientSession) -> None:
        await order.insert(session=session)
        await outbox.record(Event.new(ORDER_CREATED, order_created(order)), session)

    await transaction(OrderDocument, write)
    outbox.committed()
    live.FEED.publish(str(order.id))
    return order


def _money(amount: int, currency: str) -> dict[str, object]:
    return {"amount": amount, "currency": currency}


def order_created(order: OrderDocument) -> dict[str, object]:
    return {
        "orderId": str(order.id),
        "userId": order.user_id,
        "items": [
            {"productId": line.product_id, "quantity": line.quantity, "unitPrice": _money(line.unit_price, order.currency)}
            for line in order.items
        ],
        "total": _money(order.total, order.currency),
    }


async def find_visible(viewer: Identity | None, order_id: str) -> OrderDocument | None:
    """The order if the viewer may see it. Someone else's order looks exactly like a missing one."""
    oid = object_id(order_id)
    order = await OrderDocument.get(oid) if oid else None
    return order if order is not None and can_see(viewer, order) else None


async def transition(
    order_id: str, target: Status, *, by: Identity, allowed_sources: list[str] | None = None
) -> OrderDocument:
    """Moves an order to `target` only if its current status allows it, in one atomic update:
    of two racing transitions, the second finds the status already changed and is refused."""
    oid = object_id(order_id)
    if oid is None:
        raise NotFound("Order not found")
    sources = allowed_sources if allowed_sources is not None else sources_of(target)
    moment = now()
    change = StatusChange(status=target, at=moment, by=by.user_id)

    async def write(session: AsyncClientSession) -> dict[str, Any] | None:
        before = await OrderDocument.get_pymongo_collection().find_one_and_update(
            {"_id": oid, "status": {"$in": sources}},
            {"$set": {"status": target.value, "updated_at": moment}, "$push": {"history": change.model_dump()}},
            return_document=ReturnDocument.BEFORE,
            session=session,
        )
        if before is not None and target == Status.CANCELLED:
            data = {
                "orderId": str(oid),
                "userId": before["user_id"],
                "previousStatus": before["status"],
                "cancelledBy": by.user_id,
                "total": _money(before["total"], before["currency"]),
            }
            await outbox.record(Event.new(ORDER_CANCELLED, data), session)
        return before

    before = await transaction(OrderDocument, write)
    if before is not None:
        outbox.committed()
        live.FEED.publish(str(oid))
        order: OrderDocument = OrderDocument.model_validate(before)
        order.status, order.updated_at = target, moment
        order.history.append(change)
        return order
    current = await OrderDocument.get(oid)
    if current is None:
        raise NotFound("Order not found")
    message = (
        f"Order is already {target.value}"
        if current.status == target
        else f"Order cannot move from {current.status.value} to {target.value}"
    )
    raise Conflict(
        message,
        code="INVALID_STATUS_TRANSITION",
        currentStatus=current.status.value,
        requestedStatus=target.value,
    )


async def update_status(viewer: Identity, order_id: str, target: Status) -> OrderDocument:
    """Admins move orders along by hand, except into CONFIRMED: only a full payment
    (the payment.succeeded event) confirms an order, so nothing unpaid can be confirmed or shipped."""
    if not is_admin(viewer):
        raise Forbidden("Only administrators may change an order's status")
    if target != Status.CONFIRMED:
        return await transition(order_id, target, by=viewer)
    oid = object_id(order_id)
    current = await OrderDocument.get(oid) if oid else None
    if current is not None and current.status == Status.PENDING:
        raise Conflict(
            "An order is confirmed by its payment, not by hand",
            code="ORDER_NOT_PAID",
            currentStatus=current.status.value,
            requestedStatus=target.value,
        )
    # From any other status, CONFIRMED is no move at all: refused with the usual error.
    return await transition(order_id, target, by=viewer, allowed_sources=[])


async def cancel(viewer: Identity, order_id: str) -> OrderDocument:
    """The owner cancels their own order while it has not shipped (admins use update_status)."""
    order = await find_visible(viewer, order_id)
    if order is None:
        raise NotFound("Order not found")
    if order.user_id != viewer.user_id:
        raise Forbidden("Only the order's owner may cancel it; administrators use updateOrderStatus")
    return await transition(
        order_id, Status.CANCELLED, by=viewer, allowed_sources=[status.value for status in CANCELLABLE_BY_OWNER]
    )


async def list_orders(filter_: dict[str, Any], *, first: int, after: str | None, status: Status | None) -> tuple[list[OrderDocument], bool]:
    query: dict[str, Any] = {**filter_, **newest_first_filter(after)}
    if status is not None:
        query["status"] = status.value
    documents = (
        await OrderDocument.find(query).sort([("created_at", SortDirection.DESCENDING), ("_id", SortDirection.DESCENDING)]).limit(first + 1).to_list()
    )
    return documents[:first], len(documents) > first


async def list_orders_of_users(
    user_ids: list[str], *, first: int, after: str | None, status: Status | None
) -> dict[str, tuple[list[OrderDocument], bool]]:
    """The same page for several users in one query (`User.orders` under N parents costs one
    database round trip, not N). The cursor is read until every user has a full page or the
    matches end, and at most `first + 1` documents per user are kept."""
    query: dict[str, Any] = {"user_id": {"$in": list(dict.fromkeys(user_ids))}, **newest_first_filter(after)}
    if status is not None:
        query["status"] = status.value
    pages: dict[str, list[OrderDocument]] = {user_id: [] for user_id in user_ids}
    unfilled = len(pages)
    async for document in OrderDocument.find(query).sort([("created_at", SortDirection.DESCENDING), ("_id", SortDirection.DESCENDING)]):
        page = pages[document.user_id]
        if len(page) <= first:
            page.append(document)
            if len(page) == first + 1:
                unfilled -= 1
                if unfilled == 0:
                    break
    return {user_id: (page[:first], len(page) > first) for user_id, page in pages.items()}


async def on_payment_succeeded(event: Event, session: AsyncClientSession) -> None:
    """A payment for the full amount confirms a pending order. A payment that lands on an
    order cancelled meanwhile gets the cancellation announced again, so payments refunds it."""
    oid = object_id(str(event.data["orderId"]))
    amount = event.data["amount"]
    order = await OrderDocument.get(oid, session=session) if oid else None
    if order is None:
        return
    if order.status == Status.CANCELLED:
        data = {
            "orderId": str(order.id),
            "userId": order.user_id,
            "previousStatus": Status.CANCELLED.value,
            "cancelledBy": "orders",
            "total": _money(order.total, order.currency),
            "reason": "paid after cancellation",
        }
        await outbox.record(Event.new(ORDER_CANCELLED, data), session)
        return
    if order.status != Status.PENDING:
        return
    if amount["currency"] != order.currency or int(amount["amount"]) < order.total:
        return
    moment = now()
    change = StatusChange(status=Status.CONFIRMED, at=moment, by="payments").model_dump()
    await OrderDocument.get_pymongo_collection().update_one(
        {"_id": order.id, "status": Status.PENDING.value},
        {"$set": {"status": Status.CONFIRMED.value, "updated_at": moment}, "$push": {"history": change}},
        session=session,
    )


async def on_payment_refunded(event: Event, session: AsyncClientSession) -> None:
    """An admin's refund leaves the order unpaid: one not yet shipped is cancelled (announced
    like any cancellation), so an unpaid order can never ship. A refund that answers a
    cancellation (reason `order.cancelled`) finds the order cancelled already; a shipped or
    delivered order stays as it is (a refund after shipping is a return)."""
    if event.data.get("reason") != "admin":
        return
    oid = object_id(str(event.data["orderId"]))
    if oid is None:
        return
    moment = now()
    change = StatusChange(status=Status.CANCELLED, at=moment, by="payments").model_dump()
    before = await OrderDocument.get_pymongo_collection().find_one_and_update(
        {"_id": oid, "status": {"$in": [Status.PENDING.value, Status.CONFIRMED.value]}},
        {"$set": {"status": Status.CANCELLED.value, "updated_at": moment}, "$push": {"history": change}},
        return_document=ReturnDocument.BEFORE,
        session=session,
    )
    if before is None:
        return
    data = {
        "orderId": str(oid),
        "userId": before["user_id"],
        "previousStatus": before["status"],
        "cancelledBy": "payments",
        "total": _money(before["total"], before["currency"]),
        "reason": "payment refunded",
    }
    await outbox.record(Event.new(ORDER_CANCELLED, data), session)
