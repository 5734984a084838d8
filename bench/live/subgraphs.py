"""The live benchmark's two subgraphs, in one uvicorn process (`python -m bench.live.subgraphs
PORT`): `orders` owns `Subscription.orderUpdated(id)` (the order's current state first, then
one event per `bump`) over graphql-transport-ws, and `payments` adds `Order.amountDue`, so each
event costs the gateway one entity fetch, as the shop's live orders do."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route, WebSocketRoute
from strawberry.asgi import GraphQL

VERSIONS: dict[str, int] = {}
LISTENERS: dict[str, set[asyncio.Queue[int]]] = {}


@strawberry.federation.type(keys=["id"])
class Order:
    id: strawberry.ID
    version: int
    status: str
    bumped_at: float


def _order(order_id: str) -> Order:
    v = VERSIONS.get(order_id, 0)
    return Order(id=strawberry.ID(order_id), version=v, status="CONFIRMED" if v else "PENDING", bumped_at=time.time())


@strawberry.type
class OrdersQuery:
    @strawberry.field
    def order(self, id: strawberry.ID) -> Order:
        return _order(str(id))


@strawberry.type
class Mutation:
    @strawberry.mutation
    def bump(self, id: strawberry.ID) -> Order:
        key = str(id)
        VERSIONS[key] = VERSIONS.get(key, 0) + 1
        for queue in LISTENERS.get(key, ()):
            queue.put_nowait(VERSIONS[key])
        return _order(key)


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def order_updated(self, id: strawberry.ID) -> AsyncGenerator[Order, None]:
        key = str(id)
        queue: asyncio.Queue[int] = asyncio.Queue()
        LISTENERS.setdefault(key, set()).add(queue)
        try:
            yield _order(key)
            while True:
                await queue.get()
                yield _order(key)
        finally:
            LISTENERS[key].discard(queue)


@strawberry.federation.type(keys=["id"])
class PaymentsOrder:
    id: strawberry.ID

    @strawberry.field
    def amount_due(self) -> int:
        return 1000 + len(self.id)

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "PaymentsOrder":
        return cls(id=id)


@strawberry.type
class PaymentsQuery:
    @strawberry.field
    def currency(self) -> str:
        return "USD"


class Quiet(strawberry.federation.Schema):
    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        return None


orders_schema = Quiet(query=OrdersQuery, mutation=Mutation, subscription=Subscription, types=[Order])
PaymentsOrder.__strawberry_definition__.name = "Order"  # type: ignore[attr-defined]
payments_schema = Quiet(query=PaymentsQuery, types=[PaymentsOrder])


def sdl(schema: strawberry.federation.Schema) -> str:
    result = schema.execute_sync("{ _service { sdl } }")
    assert result.data is not None, result.errors
    return str(result.data["_service"]["sdl"])


def app() -> Starlette:
    # no cap on subscriptions per WebSocket (Strawberry's default is 100): Hive Gateway sends all
    # of its subscriptions to a subgraph over one socket, our router one socket per subscription
    # (or one per group with subscriptions.dedupe)
    orders: Any = GraphQL(orders_schema, graphql_ide=None, max_subscriptions_per_connection=None)
    payments: Any = GraphQL(payments_schema, graphql_ide=None)
    return Starlette(routes=[Route("/orders/graphql", orders, methods=["GET", "POST"]),
                             WebSocketRoute("/orders/graphql", orders),
                             Route("/payments/graphql", payments, methods=["GET", "POST"])])


if __name__ == "__main__":
    uvicorn.run(app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", ws_max_queue=64,
                timeout_keep_alive=60)
