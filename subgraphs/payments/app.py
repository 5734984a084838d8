"""Wires the payments subgraph."""

from __future__ import annotations

from starlette.applications import Starlette

from ..common.app import create_app, serve
from ..common.config import Env, ServiceSettings
from ..common.events.envelope import ORDER_CANCELLED
from ..common.events.inbox import Inbox
from ..common.events.runtime import EventsRuntime, EventsSettings
from .models import PaymentDocument
from .orders_client import OrdersClient
from .provider import SimulatedProvider
from .schema import schema
from .service import Payments, order_cancelled_handler


def build(env: Env | None = None) -> tuple[Starlette, ServiceSettings]:
    env = env or Env()
    settings = ServiceSettings.from_env("payments", 3003, env)
    orders_url = env.str("ORDERS_URL", "http://127.0.0.1:3002/graphql")
    decline_above = env.int("PAYMENTS_DECLINE_ABOVE", 500_000, minimum=0)
    deps = Payments(orders=OrdersClient(orders_url, signing_secret=settings.router_signing_secret), provider=SimulatedProvider(decline_above))
    events = EventsRuntime("payments", EventsSettings.from_env(env), Inbox({ORDER_CANCELLED: order_cancelled_handler(deps)}))

    async def startup(app: Starlette) -> Payments:
        return deps

    async def shutdown(app: Starlette) -> None:
        await app.state.deps.orders.aclose()

    app = create_app(settings, schema, [PaymentDocument], startup=startup, shutdown=shutdown, events=events)
    return app, settings


def main() -> None:
    serve(build)
