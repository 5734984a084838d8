"""Payment rules, free of GraphQL: the real amount, idempotency, one live payment per order."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from ..common.db import now, object_id, transaction
from ..common.errors import BadUserInput, Conflict, Forbidden, NotFound
from ..common.events import outbox
from ..common.events.envelope import PAYMENT_REFUNDED, PAYMENT_SUCCEEDED, Event
from ..common.events.inbox import Handler
from ..common.identity import Identity
from .models import PaymentDocument, PaymentMethod, PaymentStatus
from .orders_client import OrdersClient
from .provider import SimulatedProvider

ADMIN_SCOPE = "payments:admin"
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")
# A retry that finds the first attempt still running waits this long for its outcome.
PENDING_WAIT_SECONDS = 10.0
# A payment still PENDING after this long was orphaned (e.g. a crash mid-charge); the next
# retry with its key charges it again, which is safe because the provider is idempotent.
STALE_PENDING_SECONDS = 30.0


@dataclass(frozen=True)
class Payments:
    orders: OrdersClient
    provider: SimulatedProvider


def can_see(viewer: Identity, payment: PaymentDocument) -> bool:
    return payment.user_id == viewer.user_id or viewer.has_scope(ADMIN_SCOPE)


async def pay_order(
    deps: Payments,
    viewer: Identity,
    *,
    authorization: str,
    order_id: str,
    method: PaymentMethod,
    idempotency_key: str,
    request_id: str | None = None,
) -> PaymentDocument:
    if not IDEMPOTENCY_KEY.match(idempotency_key):
        raise BadUserInput(
            "idempotencyKey must be 8-128 characters: letters, digits, '.', '_', ':' or '-'",
            argumentName="idempotencyKey",
        )
    earlier = await PaymentDocument.find_one({"user_id": viewer.user_id, "idempotency_key": idempotency_key})
    if earlier is not None:
        return await _replay(deps, earlier, order_id, method)

    order = await deps.orders.order(order_id, authorization, request_id)
    if order is None or order.user_id != viewer.user_id:
        raise NotFound("Order not found")
    if order.status == "CANCELLED":
        raise Conflict("A cancelled order cannot be paid", code="ORDER_NOT_PAYABLE")
    moment = now()
    payment = PaymentDocument(
        order_id=order.id,
        user_id=viewer.user_id,
        amount=order.total,
        currency=order.currency,
        status=PaymentStatus.PENDING,
        method=method,
        idempotency_key=idempotency_key,
        active_for=order.id,
        created_at=moment,
        updated_at=moment,
    )
    try:
        await payment.insert()
    except DuplicateKeyError as error:
        if "idempotency_key" in (error.details or {}).get("keyPattern", {}):
            # A concurrent retry with the same key got there first: answer with its payment.
            winner = await PaymentDocument.find_one({"user_id": viewer.user_id, "idempotency_key": idempotency_key})
            if winner is not None:
                return await _replay(deps, winner, order_id, method)
        raise Conflict("This order is already paid or a payment is in progress", code="ORDER_ALREADY_PAID") from None
    return await _charge(deps, payment)


async def _charge(deps: Payments, payment: PaymentDocument) -> PaymentDocument:
    result = await deps.provider.charge(str(payment.id), payment.amount, payment.currency, payment.method)
    outcome: dict[str, Any] = {"updated_at": now()}
    if result.succeeded:
        outcome["status"] = PaymentStatus.SUCCEEDED.value
    else:
        outcome.update(status=PaymentStatus.FAILED.value, failure_reason=result.failure_reason, active_for=None)

    async def settle(session: AsyncClientSession) -> dict[str, Any] | None:
        settled = await _collection().find_one_and_update(
            {"_id": payment.id, "status": PaymentStatus.PENDING.value},
            {"$set": outcome},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if settled is not None and result.succeeded:
            await outbox.record(Event.new(PAYMENT_SUCCEEDED, _event_data(settled)), session)
        return settled

    settled = await transaction(PaymentDocument, settle)
    if settled is None:  # another attempt settled it first; its outcome stands
        current = await PaymentDocument.get(payment.id)
        assert current is not None
        return current
    outbox.committed()
    # Beanie's Document has an untyped base class: its methods read as Any
    document: PaymentDocument = PaymentDocument.model_validate(settled)
    return document


def _collection() -> AsyncCollection[dict[str, Any]]:
    return PaymentDocument.get_pymongo_collection()


def _event_data(payment: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "paymentId": str(payment["_id"]),
        "orderId": payment["order_id"],
        "userId": payment["user_id"],
        "amount": {"amount": payment["amount"], "currency": payment["currency"]},
        "method": payment["method"],
        **extra,
    }


async def _replay(deps: Payments, earlier: PaymentDocument, order_id: str, method: PaymentMethod) -> PaymentDocument:
    """A retry must be the same request: a key reused for another order or another method is
    a client bug, and answering with the first payment would hide it."""
    if earlier.order_id != order_id:
        raise Conflict("This idempotency key was already used for another order", code="IDEMPOTENCY_KEY_REUSED")
    if earlier.method != method:
        raise Conflict(
            f"This idempotency key was already used with method {earlier.method.value}",
            code="IDEMPOTENCY_KEY_REUSED",
        )
    waited = 0.0
    payment: PaymentDocument | None = earlier
    while payment is not None and payment.status == PaymentStatus.PENDING and waited < PENDING_WAIT_SECONDS:
        if now() - payment.updated_at > timedelta(seconds=STALE_PENDING_SECONDS):
            return await _charge(deps, payment)
        await asyncio.sleep(0.05)
        waited += 0.05
        payment = await PaymentDocument.get(earlier.id)
    assert payment is not None
    return payment


async def refund(deps: Payments, viewer: Identity, payment_id: str) -> PaymentDocument:
    if not viewer.has_scope(ADMIN_SCOPE):
        raise Forbidden("Only administrators may refund payments")
    oid = object_id(payment_id)
    payment = await PaymentDocument.get(oid) if oid else None
    if payment is None:
        raise NotFound("Payment not found")

    async def write(session: AsyncClientSession) -> dict[str, Any] | None:
        return await _refund_in(session, deps, payment.id, reason="admin")

    refunded = await transaction(PaymentDocument, write)
    if refunded is None:
        raise Conflict(
            f"Only a succeeded payment can be refunded (this one is {payment.status.value})", code="NOT_REFUNDABLE"
        )
    outbox.committed()
    document: PaymentDocument = PaymentDocument.model_validate(refunded)
    return document


async def _refund_in(session: AsyncClientSession, deps: Payments, payment_id: Any, *, reason: str) -> dict[str, Any] | None:
    """SUCCEEDED -> REFUNDED plus its event, inside the caller's transaction; None if not refundable.
    The provider is asked first and is idempotent per payment, so a retried transaction is safe."""
    current = await _collection().find_one({"_id": payment_id, "status": PaymentStatus.SUCCEEDED.value}, session=session)
    if current is None:
        return None
    await deps.provider.refund(str(payment_id), current["amount"], current["currency"])
    refunded = await _collection().find_one_and_update(
        {"_id": payment_id, "status": PaymentStatus.SUCCEEDED.value},
        {"$set": {"status": PaymentStatus.REFUNDED.value, "active_for": None, "updated_at": now()}},
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    if refunded is not None:
        await outbox.record(Event.new(PAYMENT_REFUNDED, _event_data(refunded, reason=reason)), session)
    return refunded


def order_cancelled_handler(deps: Payments) -> Handler:
    """A cancelled order gets its succeeded payments refunded."""

    async def on_order_cancelled(event: Event, session: AsyncClientSession) -> None:
        order_id = str(event.data["orderId"])
        async for payment in _collection().find(
            {"order_id": order_id, "status": PaymentStatus.SUCCEEDED.value}, {"_id": 1}, session=session
        ):
            await _refund_in(session, deps, payment["_id"], reason="order.cancelled")

    return on_order_cancelled


async def find_visible(viewer: Identity, payment_id: str) -> PaymentDocument | None:
    oid = object_id(payment_id)
    payment = await PaymentDocument.get(oid) if oid else None
    return payment if payment is not None and can_see(viewer, payment) else None
