"""Wires the payments subgraph."""

from __future__ import annotations

from starlette.applications import Starlette

from ..common.app import create_app, serve
from ..common.config import Env, ServiceSettings
from .models import PaymentDocument
from .orders_client import OrdersClient
from .provider import SimulatedProvider
from .schema import schema
from .service import Payments


def build(env: Env | None = None) -> tuple[Starlette, ServiceSettings]:
    env = env or Env()
    settings = ServiceSettings.from_env("payments", 3003, env)
    orders_url = env.str("ORDERS_URL", "http://127.0.0.1:3002/graphql")
    decline_above = env.int("PAYMENTS_DECLINE_ABOVE", 500_000, minimum=0)

    async def startup(app: Starlette) -> Payments:
        return Payments(orders=OrdersClient(orders_url), provider=SimulatedProvider(decline_above))

    async def shutdown(app: Starlette) -> None:
        await app.state.deps.orders.aclose()

    return create_app(settings, schema, [PaymentDocument], startup=startup, shutdown=shutdown), settings


def main() -> None:
    serve(build)
