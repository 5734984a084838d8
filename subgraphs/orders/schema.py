"""The orders subgraph's GraphQL surface: thin resolvers over `service.py`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import AsyncGenerator, Optional

import strawberry
from beanie import SortDirection
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from ..common.context import RequestContext
from ..common.cost import ListSize, connection
from ..common.db import object_id
from ..common.errors import Forbidden, NotFound
from ..common.loaders import MAX_BATCH, load_by_key
from ..common.money import Money
from ..common.pagination import MAX_PAGE_SIZE, PageInfo, encode_cursor, page_size
from ..common.schema import SubgraphSchema
from . import live, service
from .models import OrderDocument, ProductDocument, Status


@strawberry.enum(description="Where an order is in its life.")
class OrderStatus(Enum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


def _products(info: Info) -> DataLoader[str, ProductDocument | None]:
    context: RequestContext = info.context
    return context.loader("products", lambda: load_by_key(ProductDocument))


def _orders(info: Info) -> DataLoader[str, OrderDocument | None]:
    context: RequestContext = info.context
    return context.loader("orders", lambda: load_by_key(OrderDocument, to_db=object_id))


PageKey = tuple[str, int, Optional[str], Optional[Status]]  # (user id, first, after, status)
Page = tuple[list[OrderDocument], bool]


async def _load_pages(keys: list[PageKey]) -> list[Page | BaseException]:
    """One query per distinct (first, after, status) among the parents asking, usually one."""
    by_arguments: dict[tuple[int, Optional[str], Optional[Status]], list[str]] = {}
    for user_id, first, after, status in keys:
        by_arguments.setdefault((first, after, status), []).append(user_id)
    found: dict[PageKey, Page | BaseException] = {}
    for (first, after, status), user_ids in by_arguments.items():
        try:
            pages = await service.list_orders_of_users(user_ids, first=first, after=after, status=status)
        except Exception as error:  # e.g. a bad cursor: the error of these parents only
            found.update({(user_id, first, after, status): error for user_id in user_ids})
            continue
        found.update({(user_id, first, after, status): page for user_id, page in pages.items()})
    return [found[key] for key in keys]


def _pages(info: Info) -> DataLoader[PageKey, Page]:
    context: RequestContext = info.context
    return context.loader("order_pages", lambda: DataLoader(load_fn=_load_pages, max_batch_size=MAX_BATCH))


@strawberry.federation.type(keys=["id"], description="A product of the catalogue. Prices come from here only.")
class Product:
    id: strawberry.ID
    name: str
    description: str
    price: Money
    available: bool

    @classmethod
    def from_document(cls, document: ProductDocument) -> "Product":
        return cls(
            id=strawberry.ID(document.id),
            name=document.name,
            description=document.description,
            price=Money(amount=document.price, currency=document.currency),
            available=document.available,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Optional["Product"]:
        document = await _products(info).load(id)
        return cls.from_document(document) if document else None


@strawberry.federation.type(keys=["id"], description="A user, as the orders service knows them: by id.")
class User:
    id: strawberry.ID

    @strawberry.federation.field(
        authenticated=True,
        description=(
            "The user's orders, newest first. Visible to the user and to administrators; "
            "null (with a FORBIDDEN error) for anyone else, so the rest of the user still shows."
        ),
        directives=[connection(MAX_PAGE_SIZE)],
    )
    async def orders(
        self, info: Info, first: int = 10, after: Optional[str] = None, status: Optional[OrderStatus] = None
    ) -> Optional["OrderConnection"]:
        viewer = info.context.viewer()
        if viewer.user_id != self.id and not service.is_admin(viewer):
            raise Forbidden("You may only list your own orders")
        key = (str(self.id), page_size(first), after, Status(status.value) if status else None)
        documents, has_next = await _pages(info).load(key)
        return _page(documents, has_next)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "User":
        return cls(id=id)


@strawberry.type(description="One line of an order, priced when the order was placed.")
class OrderItem:
    quantity: int
    unit_price: Money
    _product_id: strawberry.Private[str]
    _name: strawberry.Private[str]

    @strawberry.field
    async def product(self, info: Info) -> Product:
        document = await _products(info).load(self._product_id)
        if document is None:
            # Products are never deleted, only made unavailable; this keeps old orders readable anyway.
            return Product(
                id=strawberry.ID(self._product_id),
                name=self._name,
                description="",
                price=self.unit_price,
                available=False,
            )
        return Product.from_document(document)

    @strawberry.field(description="unitPrice x quantity.")
    def line_total(self) -> Money:
        return Money(amount=self.unit_price.amount * self.quantity, currency=self.unit_price.currency)


@strawberry.federation.type(keys=["id"], description="A customer's order.")
class Order:
    id: strawberry.ID
    user: User
    items: list[OrderItem]
    total: Money
    status: OrderStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_document(cls, document: OrderDocument) -> "Order":
        return cls(
            id=strawberry.ID(str(document.id)),
            user=User(id=strawberry.ID(document.user_id)),
            items=[
                OrderItem(
                    quantity=line.quantity,
                    unit_price=Money(amount=line.unit_price, currency=document.currency),
                    _product_id=line.product_id,
                    _name=line.name,
                )
                for line in document.items
            ],
            total=Money(amount=document.total, currency=document.currency),
            status=OrderStatus(document.status.value),
            created_at=document.created_at,
            updated_at=document.updated_at,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Optional["Order"]:
        document = await _orders(info).load(id)
        if document is None or not service.can_see(info.context.identity, document):
            return None
        return cls.from_document(document)


@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@strawberry.type(description="A page of orders.")
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo

    @strawberry.field(description="The orders of this page (the edges' nodes).")
    def nodes(self) -> list[Order]:
        return [edge.node for edge in self.edges]


async def _connection(filter_: dict[str, str], first: int, after: Optional[str], status: Optional[OrderStatus]) -> OrderConnection:
    documents, has_next = await service.list_orders(
        filter_, first=page_size(first), after=after, status=Status(status.value) if status else None
    )
    return _page(documents, has_next)


def _page(documents: list[OrderDocument], has_next: bool) -> OrderConnection:
    edges = [OrderEdge(cursor=encode_cursor(d.created_at, d.id), node=Order.from_document(d)) for d in documents]
    return OrderConnection(
        edges=edges, page_info=PageInfo(has_next_page=has_next, end_cursor=edges[-1].cursor if edges else None)
    )


@strawberry.input
class OrderItemInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.type
class Query:
    @strawberry.field(description="The catalogue's products that can be ordered.", directives=[ListSize(assumed_size=100)])
    async def products(self) -> list[Product]:
        documents = await ProductDocument.find({"available": True}).sort([("_id", SortDirection.ASCENDING)]).to_list()
        return [Product.from_document(document) for document in documents]

    @strawberry.field(description="A product by id, or null.")
    async def product(self, info: Info, id: strawberry.ID) -> Optional[Product]:
        document = await _products(info).load(id)
        return Product.from_document(document) if document else None

    @strawberry.federation.field(authenticated=True, description="One of your orders (any order for administrators), or null.")
    async def order(self, info: Info, id: strawberry.ID) -> Optional[Order]:
        document = await service.find_visible(info.context.viewer(), id)
        return Order.from_document(document) if document else None

    @strawberry.federation.field(
        authenticated=True,
        description="Your orders, newest first. Administrators see everyone's, or one user's with userId.",
        directives=[connection(MAX_PAGE_SIZE)],
    )
    async def orders(
        self,
        info: Info,
        first: int = 10,
        after: Optional[str] = None,
        status: Optional[OrderStatus] = None,
        user_id: Optional[strawberry.ID] = None,
    ) -> OrderConnection:
        viewer = info.context.viewer()
        if service.is_admin(viewer):
            filter_ = {"user_id": str(user_id)} if user_id else {}
        elif user_id is None or user_id == viewer.user_id:
            filter_ = {"user_id": viewer.user_id}
        else:
            raise Forbidden("You may only list your own orders")
        return await _connection(filter_, first, after, status)


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(authenticated=True, description="Places an order at catalogue prices.")
    async def create_order(self, info: Info, items: list[OrderItemInput]) -> Order:
        lines = [service.LineRequest(product_id=str(item.product_id), quantity=item.quantity) for item in items]
        return Order.from_document(await service.create_order(info.context.viewer(), lines))

    @strawberry.federation.mutation(authenticated=True, description="Cancels your order while it is pending or confirmed.")
    async def cancel_order(self, info: Info, id: strawberry.ID) -> Order:
        return Order.from_document(await service.cancel(info.context.viewer(), id))

    @strawberry.federation.mutation(
        requires_scopes=[["orders:admin"]],
        description=(
            "Moves a confirmed order along confirmed -> shipped -> delivered, or cancels it (administrators). "
            "Only its payment confirms an order: asking for CONFIRMED is refused with ORDER_NOT_PAID."
        ),
    )
    async def update_order_status(self, info: Info, id: strawberry.ID, status: OrderStatus) -> Order:
        document = await service.update_status(info.context.viewer(), id, Status(status.value))
        return Order.from_document(document)


@strawberry.type
class Subscription:
    @strawberry.federation.field(
        authenticated=True,
        is_subscription=True,
        description=(
            "Each change of one of your orders (any order for administrators): placed, status moves, payments "
            "that confirm it, cancellations. With orderId, that order only, starting with its current state. "
            "Someone else's order never shows (orderId of an order you may not see: NOT_FOUND)."
        ),
    )
    async def order_updated(self, info: Info, order_id: Optional[strawberry.ID] = None) -> AsyncGenerator[Order, None]:
        viewer = info.context.viewer()
        seen: dict[str, object] = {}  # order id -> updated_at last sent: a notice that changed nothing is dropped
        async with live.FEED.listen(str(order_id) if order_id is not None else None) as listener:
            if order_id is not None:  # listening already: a change made meanwhile is not missed
                current = await service.find_visible(viewer, str(order_id))
                if current is None:
                    raise NotFound("Order not found")
                seen[str(order_id)] = current.updated_at
                yield Order.from_document(current)  # where it stands now: nothing is missed in between
            while True:
                changed = await listener.next()
                document = await service.find_visible(viewer, changed)
                if document is None or seen.get(changed) == document.updated_at:
                    continue
                seen[changed] = document.updated_at
                if len(seen) > live.MAX_PENDING_ORDERS:
                    seen.pop(next(iter(seen)))
                yield Order.from_document(document)

    @strawberry.federation.field(
        authenticated=True,
        is_subscription=True,
        description=(
            "Your own newest orders (at most first, newest first; administrators too see only theirs): the list "
            "as it stands now, then again each time one of them changes or you place one."
        ),
        directives=[ListSize(assumed_size=MAX_PAGE_SIZE, slicing_arguments=["first"], require_one_slicing_argument=False)],
    )
    async def my_orders(self, info: Info, first: int = 10) -> AsyncGenerator[list[Order], None]:
        viewer = info.context.viewer()
        size = page_size(first)
        mine = {"user_id": viewer.user_id}
        async with live.FEED.listen(None) as listener:  # listening first: a change made meanwhile is not missed
            documents, _ = await service.list_orders(mine, first=size, after=None, status=None)
            sent = [(d.id, d.updated_at) for d in documents]
            yield [Order.from_document(d) for d in documents]
            while True:
                changed = await listener.next()
                oid = object_id(changed)
                order = await OrderDocument.get(oid) if oid is not None else None
                if order is None or order.user_id != viewer.user_id:
                    continue  # not the caller's: nothing to re-read
                documents, _ = await service.list_orders(mine, first=size, after=None, status=None)
                now = [(d.id, d.updated_at) for d in documents]
                if now == sent:  # a notice that changed nothing the caller sees (an older order, a no-op)
                    continue
                sent = now
                yield [Order.from_document(d) for d in documents]


schema = SubgraphSchema(query=Query, mutation=Mutation, subscription=Subscription, types=[User, Order, Product])
