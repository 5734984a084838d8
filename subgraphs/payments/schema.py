"""The payments subgraph's GraphQL surface: thin resolvers over `service.py`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any, Optional

import strawberry
from beanie import SortDirection
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from ..common.context import RequestContext
from ..common.cost import ListSize
from ..common.errors import BadUserInput
from ..common.loaders import load_groups
from ..common.logging import request_id_var
from ..common.money import Money
from ..common.schema import SubgraphSchema
from . import service
from .models import PaymentDocument
from .models import PaymentMethod as StoredMethod
from .models import PaymentStatus as StoredStatus


@strawberry.enum
class PaymentStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"


@strawberry.enum(description="Where an order is in its life.")
class OrderStatus(Enum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.enum
class PaymentMethod(Enum):
    CARD = "CARD"
    PAYPAL = "PAYPAL"
    BANK_TRANSFER = "BANK_TRANSFER"


def _payments_of_orders(info: Info) -> DataLoader[str, list[PaymentDocument]]:
    context: RequestContext = info.context
    return context.loader(
        "payments_by_order", lambda: load_groups(PaymentDocument, field="order_id", sort=[("created_at", SortDirection.ASCENDING), ("_id", SortDirection.ASCENDING)])
    )


@strawberry.federation.type(keys=["id"], description="An order, as the payments service sees it.")
class Order:
    id: strawberry.ID
    # Non-null in the schema (as the orders service declares them) but absent here unless a
    # @requires brought them: a Payment's order carries only its id.
    total: Money | None = strawberry.federation.field(external=True, graphql_type=Money)
    status: OrderStatus | None = strawberry.federation.field(external=True, graphql_type=OrderStatus)

    @strawberry.federation.field(
        authenticated=True,
        description="Payments made for this order that you may see.",
        directives=[ListSize(assumed_size=5)],  # one live payment per order, plus failed attempts
    )
    async def payments(self, info: Info) -> list["Payment"]:
        viewer = info.context.viewer()
        documents = await _payments_of_orders(info).load(str(self.id))
        return [Payment.from_document(d) for d in documents if service.can_see(viewer, d)]

    @strawberry.federation.field(
        authenticated=True,
        requires=["total { amount currency } status"],
        description=(
            "What is left to pay: the order's total minus its succeeded payments; "
            "nothing for a cancelled order (its payments are refunded, nothing is owed)."
        ),
    )
    async def amount_due(self, info: Info) -> Money:
        viewer = info.context.viewer()
        total = self.total
        if total is None:  # the router always sends it (@requires); a hand-made call may not
            raise BadUserInput("amountDue needs the order's total")
        if self.status == OrderStatus.CANCELLED:
            return Money(amount=0, currency=total.currency)
        documents = await _payments_of_orders(info).load(str(self.id))
        paid = sum(
            d.amount
            for d in documents
            if d.status == StoredStatus.SUCCEEDED and d.currency == total.currency and service.can_see(viewer, d)
        )
        return Money(amount=max(total.amount - paid, 0), currency=total.currency)

    @classmethod
    def resolve_reference(
        cls, id: strawberry.ID, total: Optional[dict[str, Any]] = None, status: Optional[str] = None
    ) -> "Order":
        money = Money(amount=int(total["amount"]), currency=str(total["currency"])) if total else None
        known = status if status in OrderStatus.__members__ else None
        return cls(id=id, total=money, status=OrderStatus(known) if known else None)


@strawberry.federation.type(keys=["id"], description="A payment for an order.")
class Payment:
    id: strawberry.ID
    order: Order
    amount: Money
    status: PaymentStatus
    method: PaymentMethod
    failure_reason: Optional[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_document(cls, document: PaymentDocument) -> "Payment":
        return cls(
            id=strawberry.ID(str(document.id)),
            order=Order(id=strawberry.ID(document.order_id), total=None, status=None),
            amount=Money(amount=document.amount, currency=document.currency),
            status=PaymentStatus(document.status.value),
            method=PaymentMethod(document.method.value),
            failure_reason=document.failure_reason,
            created_at=document.created_at,
            updated_at=document.updated_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Optional["Payment"]:
        identity = info.context.identity
        document = await service.find_visible(identity, id) if identity else None
        return cls.from_document(document) if document else None


@strawberry.type
class Query:
    @strawberry.federation.field(authenticated=True, description="One of your payments (any, for administrators), or null.")
    async def payment(self, info: Info, id: strawberry.ID) -> Optional[Payment]:
        document = await service.find_visible(info.context.viewer(), id)
        return Payment.from_document(document) if document else None


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        requires_scopes=[["payments:write"]],
        description=(
            "Pays your order in full. The amount is the order's total as the orders service knows it. "
            "Retrying with the same idempotencyKey (same order, same method) returns the same payment and "
            "never charges twice. A succeeded payment confirms the order moments later, through the "
            "payment.succeeded event: read order.status again to see CONFIRMED."
        ),
    )
    async def pay_order(
        self, info: Info, order_id: strawberry.ID, method: PaymentMethod, idempotency_key: str
    ) -> Payment:
        context: RequestContext = info.context
        document = await service.pay_order(
            context.deps,
            context.viewer(),
            authorization=context.authorization or "",
            order_id=str(order_id),
            method=StoredMethod(method.value),
            idempotency_key=idempotency_key,
            request_id=request_id_var.get(),
        )
        return Payment.from_document(document)

    @strawberry.federation.mutation(
        requires_scopes=[["payments:admin"]], description="Refunds a succeeded payment (administrators)."
    )
    async def refund_payment(self, info: Info, id: strawberry.ID) -> Payment:
        context: RequestContext = info.context
        return Payment.from_document(await service.refund(context.deps, context.viewer(), str(id)))


schema = SubgraphSchema(query=Query, mutation=Mutation, types=[Order, Payment])
