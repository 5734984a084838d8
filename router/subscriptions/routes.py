"""Where the protocols meet the HTTP stage: a WebSocket route on the GraphQL path, and the
streaming answers of POST/GET requests whose Accept asks for SSE or multipart subscriptions
(`@defer`'s multipart answers are defer_http.py's)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from ..pipeline import Router
from ..streamed_request import bad_request, read_request
from . import multipart, sse, ws
from .settings import load
from .sse_single import SingleConnection
from .stream import Hub, Subscription

log = logging.getLogger("router.subscriptions")

Handler = Callable[[Request, Exception], Awaitable[Response]]


class Streams:
    def __init__(self, router: Router, max_body: int) -> None:
        self.hub = Hub(router, load(router.config))
        self.max_body = max_body
        self.path = router.config.graphql_path
        self.single = SingleConnection(self.hub)

    def observe(self) -> None:
        self.hub.observe()

    def routes(self) -> list[BaseRoute]:
        return [WebSocketRoute(self.path, self._websocket)]

    def on_method_not_allowed(self, fallback: Handler) -> Handler:
        """PUT and DELETE are graphql-sse's single-connection reservation and cancellation; the
        GraphQL route does not take them (405 for anything else, with its usual Allow)."""

        async def handler(request: Request, exc: Exception) -> Response:
            if request.url.path == self.path:
                if request.method == "PUT" and not request.headers.get("content-type") \
                        and request.headers.get("content-length", "0") == "0":
                    return await self.single.reserve(request)
                if request.method == "DELETE" and self.single.token_of(request) is not None:
                    return self.single.cancel(request)
            return await fallback(request, exc)

        return handler

    async def _websocket(self, websocket: WebSocket) -> None:
        await ws.serve(websocket, self.hub)

    def in_single_connection(self, request: Request) -> bool:
        """The request belongs to a graphql-sse single connection (its token names one)."""
        return self.single.token_of(request) is not None

    async def http(self, request: Request) -> Response | None:
        """The streaming answer when Accept asks for one (SSE or multipart), else None: the
        ordinary GraphQL-over-HTTP path answers."""
        accept = request.headers.get("accept", "")
        if self.in_single_connection(request):  # graphql-sse's single connection mode
            if request.method == "GET":
                return self.single.stream(request)
            parsed = await read_request(request, self.max_body)
            if isinstance(parsed, Response):
                return parsed
            return self.single.operation(request, parsed)
        if sse.wants(accept):
            proto: Any = sse
        elif multipart.wants(accept):
            proto = multipart
        else:
            return None
        parsed = await read_request(request, self.max_body)
        if isinstance(parsed, Response):
            return parsed
        try:
            got = await self.hub.subscribe(parsed)
        except Exception:  # a router bug: a clear error, never a stack trace
            log.exception("subscribe failed")
            return bad_request("Internal router error.", 500, "INTERNAL_SERVER_ERROR")
        if isinstance(got, Subscription):
            return proto.stream(request, got, self.hub.settings.keep_alive)  # type: ignore[no-any-return]
        status, body = got
        headers = parsed.response_headers or None
        response: Response = proto.one_result(status, body)
        if headers:
            response.headers.update(headers)
        if status == 401:
            response.headers["www-authenticate"] = "Bearer"
        return response
