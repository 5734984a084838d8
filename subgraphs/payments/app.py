"""Wires the payments subgraph."""

from __future__ import annotations

from pydantic import Field
from starlette.applications import Starlette

from ..common.app import create_app, serve
from ..common.config import Env, EnvSettings, ServiceSettings
from ..common.events.envelope import ORDER_CANCELLED
from ..common.events.inbox import Inbox
from ..common.events.runtime import EventsRuntime, EventsSettings
from .models import PaymentDocument
from .orders_client import OrdersClient
from .provider import SimulatedProvider
from .schema import schema
from .service import Payments, order_cancelled_handler


class PaymentsEnv(EnvSettings):
    orders_url: str = Field("http://127.0.0.1:3002/graphql", alias="ORDERS_URL")  # asked for real totals
    decline_above: int = Field(500_000, alias="PAYMENTS_DECLINE_ABOVE", ge=0)  # the simulated provider's limit


def build(env: Env | None = None) -> tuple[Starlette, ServiceSettings]:
    env = env or Env()
    settings = ServiceSettings.from_env("payments", 3003, env)
    own = env.load(PaymentsEnv)
    orders_url, decline_above = own.orders_url, own.decline_above
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
