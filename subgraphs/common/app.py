"""The app factory: one Starlette app per subgraph, wired the same way for all three."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Sequence

import uvicorn
from beanie import Document
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route, WebSocketRoute

from . import replica_set
from .config import ConfigError, ServiceSettings
from .db import connect
from .disconnect import CancelOnDisconnect
from .events.runtime import MODELS as EVENT_MODELS
from .events.runtime import EventsRuntime
from .health import health, ready
from .identity import JwksKeys, KeySource, StaticKey, TokenVerifier
from .logging import RequestLogMiddleware, configure_logging
from .schema import SubgraphGraphQL, SubgraphSchema
from .signing import RouterSignatureMiddleware
from .tracing import TraceMiddleware, make_tracer

logger = logging.getLogger("service")

Startup = Callable[[Starlette], Awaitable[Any]]
Shutdown = Callable[[Starlette], Awaitable[None]]


SUBSCRIPTIONS_PER_SOCKET = 100_000


def key_source_from_settings(settings: ServiceSettings) -> KeySource:
    if settings.jwt_public_key_file:
        try:
            return StaticKey.from_pem_file(settings.jwt_public_key_file)
        except (OSError, ValueError) as error:
            raise ConfigError(f"JWT_PUBLIC_KEY_FILE: cannot read a PEM public key ({error})") from None
    if settings.jwt_jwks_url:
        return JwksKeys(settings.jwt_jwks_url)
    raise ConfigError("JWT_PUBLIC_KEY_FILE or JWT_JWKS_URL is required to verify users' tokens")


def create_app(
    settings: ServiceSettings,
    schema: SubgraphSchema,
    models: list[type[Document]],
    *,
    keys: KeySource | None = None,
    startup: Startup | None = None,
    shutdown: Shutdown | None = None,
    routes: Sequence[BaseRoute] = (),
    events: EventsRuntime | None = None,
) -> Starlette:
    key_source = keys or key_source_from_settings(settings)
    if events is not None:
        models = [*models, *EVENT_MODELS]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        app.state.mongo = await connect(
            settings.mongodb_uri, settings.mongodb_db, models, appname=settings.service
        )
        app.state.deps = await startup(app) if startup else None
        if events is not None:
            await events.start()
        logger.info("started", extra={"port": settings.port, "database": settings.mongodb_db})
        try:
            yield
        finally:
            if events is not None:
                await events.stop()
            if shutdown:
                await shutdown(app)
            if isinstance(key_source, JwksKeys):
                await key_source.aclose()
            await app.state.mongo.close()

    # Gateways that multiplex (Hive Gateway sends every subscription to a subgraph over one
    # WebSocket) would meet Strawberry's default cap of 100 per connection; ours opens a socket
    # per subgraph subscription. The cap stays, high enough for a gateway's whole load.
    endpoint = SubgraphGraphQL(schema, graphql_ide=None, max_subscriptions_per_connection=SUBSCRIPTIONS_PER_SOCKET)
    app = Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            # subscriptions (graphql-transport-ws), opened by the router
            WebSocketRoute("/graphql", endpoint),
            Route("/health", health),
            Route("/ready", ready),
            *routes,
            *(events.routes() if events is not None else ()),
        ],
        lifespan=lifespan,
    )
    if settings.router_signing_secret:
        if len(settings.router_signing_secret) < 32:
            raise ConfigError("ROUTER_SIGNING_SECRET must be at least 32 characters")
        app.add_middleware(RouterSignatureMiddleware, secret=settings.router_signing_secret)
    app.add_middleware(CancelOnDisconnect)  # inside the log middleware: a cancelled request is logged
    app.add_middleware(RequestLogMiddleware)
    app.add_middleware(TraceMiddleware, tracer=make_tracer(settings.service))  # outermost: logs see the span
    app.state.settings = settings
    app.state.verifier = TokenVerifier(key_source, issuer=settings.jwt_issuer, audience=settings.jwt_audience)
    return app


def serve(build: Callable[[], tuple[Starlette, ServiceSettings]]) -> None:
    """Entry point of `python -m subgraphs.<name>`: configuration errors exit with a clear message."""
    try:
        app, settings = build()
    except ConfigError as error:
        raise SystemExit(f"configuration error: {error}") from None
    unsuitable = replica_set.check(settings.mongodb_uri)
    if unsuitable:
        raise SystemExit(f"configuration error: {unsuitable}")
    configure_logging(settings.service, settings.log_level)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False, lifespan="on")
