"""Wires the orders subgraph."""

from __future__ import annotations

from pydantic import Field
from starlette.applications import Starlette

from ..common.app import create_app, serve
from ..common.config import Env, EnvSettings, ServiceSettings
from ..common.events.envelope import PAYMENT_REFUNDED, PAYMENT_SUCCEEDED
from ..common.events.runtime import EventsRuntime, EventsSettings
from .catalogue import seed_catalogue
from .live import NotifyingInbox
from .models import OrderDocument, ProductDocument
from .schema import schema
from .service import on_payment_refunded, on_payment_succeeded


class OrdersEnv(EnvSettings):
    seed_catalogue: bool = Field(False, alias="ORDERS_SEED_CATALOGUE")  # the demo products, once


def build(env: Env | None = None) -> tuple[Starlette, ServiceSettings]:
    env = env or Env()
    settings = ServiceSettings.from_env("orders", 3002, env)
    seed = env.load(OrdersEnv).seed_catalogue
    events = EventsRuntime("orders", EventsSettings.from_env(env), NotifyingInbox({PAYMENT_SUCCEEDED: on_payment_succeeded, PAYMENT_REFUNDED: on_payment_refunded}))

    async def startup(app: Starlette) -> None:
        if seed:
            await seed_catalogue()

    app = create_app(settings, schema, [ProductDocument, OrderDocument], startup=startup, events=events)
    return app, settings


def main() -> None:
    serve(build)
