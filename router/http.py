"""HTTP stage: GraphQL over HTTP (POST and GET) on a Starlette app.

Media types per the GraphQL-over-HTTP spec: `application/graphql-response+json` when the
client accepts it (request errors then get 4xx), `application/json` otherwise (200 for
any well-formed request)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import Any, NamedTuple

import orjson
from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from . import defer_http, heap
from . import graphiql as graphiql_ide
from .health import Readiness, liveness
from .pipeline import GraphQLRequest, Router
from .subscriptions.routes import Streams

log = logging.getLogger("router")

GQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"


def _media(accept: str | None) -> str | None:
    if not accept:
        return JSON
    if GQL_RESPONSE in accept:
        return GQL_RESPONSE
    if JSON in accept or "*/*" in accept or "application/*" in accept:
        return JSON
    return None


def _is_graphql_error(body: dict[str, Any]) -> bool:
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors", ())}
    return bool(codes) and codes <= {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT",
                                     "OPERATION_RESOLUTION_FAILURE", "QUERY_PLANNING_FAILED"}


def _error_body(message: str, code: str = "BAD_REQUEST") -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


class Out(NamedTuple):
    """An HTTP answer before it is sent: the same for Starlette's route and the bare POST path."""

    status: int
    body: bytes
    media: str | None = None
    headers: dict[str, str] | None = None

    def response(self) -> Response:
        return Response(self.body, status_code=self.status, media_type=self.media, headers=self.headers)

    def head(self) -> list[tuple[bytes, bytes]]:
        """The response headers exactly as Starlette's `Response` writes them."""
        if self.headers is None and self.media is not None and self.status >= 200 and self.status not in (204, 304):
            return [(b"content-length", str(len(self.body)).encode()), (b"content-type", self.media.encode("latin-1"))]
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (self.headers or {}).items()]
        keys = {k for k, _ in raw}
        if b"content-length" not in keys and not (self.status < 200 or self.status in (204, 304)):
            raw.append((b"content-length", str(len(self.body)).encode("latin-1")))
        if self.media is not None and b"content-type" not in keys:
            raw.append((b"content-type", self.media.encode("latin-1")))
        return raw


class Incoming(NamedTuple):
    """What the GraphQL handler reads of a request (from Starlette's `Request` or straight from
    the ASGI scope)."""

    method: str
    headers: dict[str, str]  # lower-case names, the first value of a repeated header
    client: str | None
    scope: MutableMapping[str, Any]


def _bad(message: str, status: int, media: str, code: str = "BAD_REQUEST",
         headers: dict[str, str] | None = None) -> Out:
    return Out(status, orjson.dumps(_error_body(message, code)), media, headers)


class BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive, headers: dict[str, str], limit: int) -> bytes:
    """The body, refused as soon as it passes `limit` (a declared Content-Length is checked
    before anything is read); ClientDisconnect when the client leaves before its end."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect


def _incoming(scope: MutableMapping[str, Any]) -> Incoming:
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        k = name.decode("latin-1")
        if k not in headers:
            headers[k] = value.decode("latin-1")
    client = scope.get("client")
    return Incoming(scope["method"], headers, client[0] if client else None, scope)


class PostPath:
    """`POST <graphql path>` answered straight from ASGI, as the innermost middleware: the
    plugins' middleware (CORS, telemetry) and Starlette's error middleware still wrap it, but
    its exception middleware, routing and Request/Response objects are skipped, which measured
    about a quarter of the router's CPU on a one-fetch query. Everything else goes on to
    Starlette's routes."""

    def __init__(self, app: ASGIApp, path: str, handler: Callable[[Incoming, Receive], Awaitable[Out]]) -> None:
        self.app = app
        self.path = path
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        inc = None
        if scope["type"] == "http" and scope["method"] == "POST" and get_route_path(scope) == self.path:
            inc = _one_answer(scope)
        if inc is None:
            await self.app(scope, receive, send)
            return
        out = await self.handler(inc, receive)
        await send({"type": "http.response.start", "status": out.status, "headers": out.head()})
        await send({"type": "http.response.body", "body": out.body})


def _one_answer(scope: Scope) -> Incoming | None:
    """The POST as an Incoming, read in one pass over its headers; None for a POST that asks
    for a stream (GraphQL over SSE, multipart subscriptions, graphql-sse's single-connection
    mode, `@defer`'s multipart parts), which Starlette's route hands to router/subscriptions or
    defer_http.py."""
    if b"token=" in scope.get("query_string", b""):
        return None
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name == b"accept":
            if b"text/event-stream" in value or b"multipart/mixed" in value:
                return None
        elif name == b"x-graphql-event-stream-token":
            return None
        k = name.decode("latin-1")
        if k not in headers:
            headers[k] = value.decode("latin-1")
    client = scope.get("client")
    return Incoming(scope["method"], headers, client[0] if client else None, scope)


def create_app(router: Router, supergraph_path: str | None = None) -> Starlette:
    path = router.config.graphql_path
    plugins = router.plugins
    # Set by the limits plugin when configured; a body limit applies in any case.
    max_body = next((p.max_request_bytes for p in plugins if p.max_request_bytes), 2_000_000)
    timeout = next((p.request_timeout for p in plugins if p.request_timeout), None)
    ide = graphiql_ide.build(router.config)
    # subscriptions (and any operation) over WebSocket, SSE and multipart HTTP
    streams = Streams(router, max_body)
    # a request may carry only a persisted query hash when a plugin resolves it (APQ)
    persisted = any(p.resolves_persisted_queries for p in plugins)

    # Batched requests (a JSON array of operations) only when limits.max_batch_size > 1.
    max_batch = max((p.max_batch_size for p in plugins), default=1)

    def operation_request(query: Any, op_name: Any, variables: Any, extensions: Any,
                          inc: Incoming) -> GraphQLRequest | dict[str, Any]:
        """One operation's parameters checked into a GraphQLRequest, or the error body."""
        if query is None and isinstance(extensions, dict) and "persistedQuery" in extensions:
            if not persisted:
                return _error_body("PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED")
            query = ""
        elif not isinstance(query, str) or not query.strip():
            return _error_body("Request must contain a query string.")
        if op_name is not None and not isinstance(op_name, str):
            return _error_body("operationName must be a string.")
        if variables is not None and not isinstance(variables, dict):
            return _error_body("variables must be an object.")
        return GraphQLRequest(query, op_name, variables, extensions, inc.method, dict(inc.headers), inc.client)

    async def run(req: GraphQLRequest, expose: bool) -> tuple[int, dict[str, Any]]:
        try:
            if timeout is None:
                return await router.execute(req, expose)
            return await asyncio.wait_for(router.execute(req, expose), timeout)
        except TimeoutError:  # asyncio's is this one since 3.11
            return 504, _error_body(f"Request timed out after {timeout:g} s.", "REQUEST_TIMEOUT")
        except Exception:  # never a stack trace to the client
            log.exception("request failed")
            return 500, _error_body("Internal router error.", "INTERNAL_SERVER_ERROR")

    async def batch(inc: Incoming, payload: list[Any], media: str) -> Out:
        """Each entry runs through the whole pipeline (plugins included), in order; the answer
        is the array of their results."""
        if max_batch <= 1:
            return _bad("Batched requests (a JSON array of operations) are not enabled: send one operation "
                        "per request, or set limits.max_batch_size.", 400, media, "BATCHING_NOT_SUPPORTED")
        if not payload:
            return _bad("A batch must contain at least one operation.", 400, media)
        if len(payload) > max_batch:
            return _bad(f"A batch may contain at most {max_batch} operations.", 400, media, "BATCH_LIMIT_EXCEEDED")
        expose = inc.headers.get("x-router-expose-plan") == "true"
        bodies: list[dict[str, Any]] = []
        headers: dict[str, str] = {}
        for entry in payload:
            if not isinstance(entry, dict):
                bodies.append(_error_body("Each batch entry must be a JSON object."))
                continue
            req = operation_request(entry.get("query"), entry.get("operationName"), entry.get("variables"),
                                    entry.get("extensions"), inc)
            if isinstance(req, dict):
                bodies.append(req)
                continue
            inc.scope.setdefault("router.request", req)  # the access line names the first
            _, body = await run(req, expose)
            headers.update(req.response_headers)
            bodies.append(body)
        inc.scope["router.body"] = {"errors": [e for b in bodies for e in b.get("errors") or ()]}
        return Out(200, orjson.dumps(bodies), media, headers or None)

    async def answer(inc: Incoming, req: GraphQLRequest | dict[str, Any], media: str) -> Out:
        """One operation's answer (POST and GET alike)."""
        if isinstance(req, dict):
            return Out(400, orjson.dumps(req), media)
        inc.scope["router.request"] = req  # for telemetry's access line
        status, body = await run(req, inc.headers.get("x-router-expose-plan") == "true")
        inc.scope["router.body"] = body
        headers = req.response_headers or None
        if status == 405:
            headers = {**(headers or {}), "allow": "POST"}
        elif status == 401:
            headers = {**(headers or {}), "www-authenticate": "Bearer"}
        if media == JSON and status == 400 and _is_graphql_error(body):
            status = 200
        return Out(status, orjson.dumps(body), media, headers)

    async def post(inc: Incoming, receive: Receive) -> Out:
        media = _media(inc.headers.get("accept"))
        if media is None:
            return _bad("Accept must allow application/graphql-response+json or application/json.", 406, JSON,
                        "NOT_ACCEPTABLE")
        ctype = inc.headers.get("content-type", "")
        if not ctype.startswith("application/json") and not ctype.startswith(GQL_RESPONSE):
            return _bad("Content-Type must be application/json.", 415, media, "UNSUPPORTED_MEDIA_TYPE")
        try:
            raw = await _read_body(receive, inc.headers, max_body)
        except BodyTooLarge:
            return _bad(f"Request body is larger than {max_body} bytes.", 413, media, "PAYLOAD_TOO_LARGE")
        except ClientDisconnect:  # the client left mid-body: nobody to answer, nothing to log
            return Out(400, b"")
        try:
            payload = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return _bad("Request body is not valid JSON.", 400, media)
        if isinstance(payload, list):
            return await batch(inc, payload, media)
        if not isinstance(payload, dict):
            return _bad("Request body must be a JSON object.", 400, media)
        req = operation_request(payload.get("query"), payload.get("operationName"), payload.get("variables"),
                                payload.get("extensions"), inc)
        return await answer(inc, req, media)

    async def graphql(request: Request) -> Response:
        if ide is not None and request.method == "GET" and graphiql_ide.wants_html(request):
            return ide.response(request)
        if defer_http.wants(request.headers.get("accept", "")) and not streams.in_single_connection(request):
            return await defer_http.serve(router, request, max_body)  # @defer's parts (or one JSON answer)
        streamed = await streams.http(request)
        if streamed is not None:
            return streamed
        if request.method == "POST":  # under a mount with another path (PostPath answers the rest)
            return (await post(_incoming(request.scope), request.receive)).response()
        inc = Incoming(request.method, dict(request.headers), request.client.host if request.client else None,
                       request.scope)
        media = _media(inc.headers.get("accept"))
        if media is None:
            return _bad("Accept must allow application/graphql-response+json or application/json.", 406, JSON,
                        "NOT_ACCEPTABLE").response()
        params = request.query_params
        try:
            variables = orjson.loads(params["variables"]) if params.get("variables") else None
            extensions = orjson.loads(params["extensions"]) if params.get("extensions") else None
        except orjson.JSONDecodeError:
            return _bad("variables/extensions must be JSON.", 400, media).response()
        req = operation_request(params.get("query"), params.get("operationName"), variables, extensions, inc)
        return (await answer(inc, req, media)).response()

    async def health(request: Request) -> Response:
        return Response(orjson.dumps(liveness()), media_type=JSON)

    readiness = Readiness(router)

    async def ready(request: Request) -> Response:
        ok, body = await readiness.check()
        return Response(orjson.dumps(body), status_code=200 if ok else 503, media_type=JSON)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if supergraph_path:
            router.start_watching(supergraph_path)
        heap.tune()
        heap.settle()
        try:
            yield
        finally:
            await router.aclose()

    routes: list[BaseRoute] = [Route(path, graphql, methods=["GET", "POST"]), Route("/health", health, methods=["GET"]),
              Route("/ready", ready, methods=["GET"]), *streams.routes()]
    if ide is not None:
        routes += ide.routes()
    middleware: list[Middleware] = []
    for p in plugins:  # in plugin order, the first outermost: telemetry sees what cors answers
        middleware += p.middleware()  # e.g. telemetry's access log, cors
        routes += p.routes(router)  # e.g. /metrics
    streams.observe()  # the subscriptions' gauges and counters join the telemetry plugin's metrics
    middleware.append(Middleware(PostPath, path=path, handler=post))  # innermost: every plugin's wraps it
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware,
                     exception_handlers={404: _not_found, 405: streams.on_method_not_allowed(_method_not_allowed)})


async def _not_found(request: Request, exc: Exception) -> Response:
    return _bad(f"Nothing is served at {request.url.path}.", 404, JSON, "NOT_FOUND").response()


async def _method_not_allowed(request: Request, exc: Exception) -> Response:
    """PUT, DELETE, ... get a GraphQL error like every other refusal, not Starlette's text."""
    allow = (exc.headers if isinstance(exc, HTTPException) else None) or {}
    allowed = ", ".join(sorted({m.strip() for m in allow.get("Allow", "GET, POST").split(",")}))  # stable order
    return _bad(f"Method {request.method} is not allowed here; use {allowed}.", 405, JSON, "METHOD_NOT_ALLOWED",
                {"allow": allowed}).response()
