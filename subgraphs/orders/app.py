"""Wires the orders subgraph."""

from __future__ import annotations

from starlette.applications import Starlette

from ..common.app import create_app, serve
from ..common.config import Env, ServiceSettings
from .catalogue import seed_catalogue
from .models import OrderDocument, ProductDocument
from .schema import schema


def build(env: Env | None = None) -> tuple[Starlette, ServiceSettings]:
    env = env or Env()
    settings = ServiceSettings.from_env("orders", 3002, env)
    seed = env.bool("ORDERS_SEED_CATALOGUE", False)

    async def startup(app: Starlette) -> None:
        if seed:
            await seed_catalogue()

    return create_app(settings, schema, [ProductDocument, OrderDocument], startup=startup), settings


def main() -> None:
    serve(build)
