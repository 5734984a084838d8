"""Where the protocols meet the HTTP stage: a WebSocket route on the GraphQL path, and the
streaming answers of POST/GET requests whose Accept asks for SSE or multipart."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from .. import defer_http
from ..pipeline import GraphQLRequest, Router
from . import multipart, sse, ws
from .settings import load
from .sse_single import SingleConnection
from .stream import Hub, Subscription, error

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

    async def http(self, request: Request) -> Response | None:
        """The streaming answer when Accept asks for one (SSE or multipart), else None: the
        ordinary GraphQL-over-HTTP path answers."""
        accept = request.headers.get("accept", "")
        if self.single.token_of(request) is not None:  # graphql-sse's single connection mode
            if request.method == "GET":
                return self.single.stream(request)
            parsed = await self._request(request)
            if isinstance(parsed, Response):
                return parsed
            return self.single.operation(request, parsed)
        if defer_http.wants(accept):  # @defer's incremental delivery (or a plain answer)
            parsed = await self._request(request)
            if isinstance(parsed, Response):
                return parsed
            return await defer_http.answer(self.hub.router, parsed, accept,
                                           request.headers.get("x-router-expose-plan") == "true")
        if sse.wants(accept):
            proto: Any = sse
        elif multipart.wants(accept):
            proto = multipart
        else:
            return None
        parsed = await self._request(request)
        if isinstance(parsed, Response):
            return parsed
        try:
            got = await self.hub.subscribe(parsed)
        except Exception:  # a router bug: a clear error, never a stack trace
            log.exception("subscribe failed")
            return _bad("Internal router error.", 500, "INTERNAL_SERVER_ERROR")
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

    async def _request(self, request: Request) -> GraphQLRequest | Response:
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            if not ctype.startswith("application/json"):
                return _bad("Content-Type must be application/json.", 415, "UNSUPPORTED_MEDIA_TYPE")
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_body:
                return _bad(f"Request body is larger than {self.max_body} bytes.", 413, "PAYLOAD_TOO_LARGE")
            chunks: list[bytes] = []
            size = 0
            try:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > self.max_body:
                        return _bad(f"Request body is larger than {self.max_body} bytes.", 413, "PAYLOAD_TOO_LARGE")
                    chunks.append(chunk)
            except ClientDisconnect:
                return Response(status_code=400)
            try:
                payload = orjson.loads(b"".join(chunks))
            except orjson.JSONDecodeError:
                return _bad("Request body is not valid JSON.", 400)
            if not isinstance(payload, dict):
                return _bad("Request body must be a JSON object.", 400)
        else:
            params = request.query_params
            try:
                payload = {"query": params.get("query"), "operationName": params.get("operationName"),
                           "variables": orjson.loads(params["variables"]) if params.get("variables") else None,
                           "extensions": orjson.loads(params["extensions"]) if params.get("extensions") else None}
            except orjson.JSONDecodeError:
                return _bad("variables/extensions must be JSON.", 400)
        query, op_name = payload.get("query"), payload.get("operationName")
        variables, extensions = payload.get("variables"), payload.get("extensions")
        if not isinstance(query, str) or not query.strip():
            return _bad("Request must contain a query string.", 400)
        if op_name is not None and not isinstance(op_name, str):
            return _bad("operationName must be a string.", 400)
        if variables is not None and not isinstance(variables, dict):
            return _bad("variables must be an object.", 400)
        if extensions is not None and not isinstance(extensions, dict):
            return _bad("extensions must be an object.", 400)
        req = GraphQLRequest(query, op_name, variables, extensions, request.method, dict(request.headers),
                             request.client.host if request.client else None)
        request.scope["router.request"] = req  # for telemetry's access line
        return req


def _bad(message: str, status: int, code: str = "BAD_REQUEST") -> Response:
    return Response(orjson.dumps({"errors": [error(message, code)]}), status_code=status,
                    media_type="application/json")
