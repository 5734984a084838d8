"""Wires the orders subgraph."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from starlette.applications import Starlette

from ..common.app import create_app, serve
from ..common.config import ConfigError, Env, EnvSettings, ServiceSettings
from ..common.events.envelope import PAYMENT_REFUNDED, PAYMENT_SUCCEEDED
from ..common.events.fanout import AmqpFanout
from ..common.events.runtime import EventsRuntime, EventsSettings
from . import live
from .catalogue import seed_catalogue
from .live import NotifyingInbox
from .models import OrderDocument, ProductDocument
from .schema import schema
from .service import on_payment_refunded, on_payment_succeeded


class OrdersEnv(EnvSettings):
    seed_catalogue: bool = Field(False, alias="ORDERS_SEED_CATALOGUE")  # the demo products, once
    live_fanout: Literal["amqp", "local"] | None = Field(None, alias="ORDERS_LIVE_FANOUT")  # see live_fanout


def build(env: Env | None = None) -> tuple[Starlette, ServiceSettings]:
    env = env or Env()
    settings = ServiceSettings.from_env("orders", 3002, env)
    seed = env.load(OrdersEnv).seed_catalogue
    events_settings = EventsSettings.from_env(env)
    events = EventsRuntime("orders", events_settings, NotifyingInbox({PAYMENT_SUCCEEDED: on_payment_succeeded, PAYMENT_REFUNDED: on_payment_refunded}))
    fanout = live_fanout(env, events_settings)

    async def startup(app: Starlette) -> None:
        if seed:
            await seed_catalogue()
        if fanout is not None:
            live.relay_through(fanout)
            await fanout.start()

    async def shutdown(app: Starlette) -> None:
        if fanout is not None:
            live.FEED.relay = None
            await fanout.close()

    app = create_app(settings, schema, [ProductDocument, OrderDocument], startup=startup, shutdown=shutdown, events=events)
    return app, settings


def live_fanout(env: Env, events: EventsSettings) -> AmqpFanout | None:
    """ORDERS_LIVE_FANOUT: `amqp` (the default with AMQP_URL) tells every replica of every change,
    so each subscriber sees them all whichever replica it is connected to; `local` (the default
    without, as in `make dev`'s single replica) keeps notices in this process."""
    mode = env.load(OrdersEnv).live_fanout or ("amqp" if events.amqp_url else "local")
    if mode == "local":
        return None
    if not events.amqp_url:
        raise ConfigError("ORDERS_LIVE_FANOUT=amqp needs AMQP_URL")
    return AmqpFanout(events.amqp_url, live.exchange_name(events.namespace), live.received())


def main() -> None:
    serve(build)
