"""HTTP stage: GraphQL over HTTP (POST and GET) on a Starlette app.

Media types per the GraphQL-over-HTTP spec: `application/graphql-response+json` when the
client accepts it (request errors then get 4xx), `application/json` otherwise (200 for
any well-formed request)."""

from __future__ import annotations

import contextlib
import logging

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .pipeline import GraphQLRequest, Router

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


def _is_graphql_error(body: dict) -> bool:
    codes = {e.get("extensions", {}).get("code") for e in body.get("errors", ())}
    return bool(codes) and codes <= {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT",
                                     "OPERATION_RESOLUTION_FAILURE"}


def _bad(message: str, status: int, media: str, code: str = "BAD_REQUEST", headers: dict | None = None) -> Response:
    return Response(orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]}),
                    status_code=status, media_type=media, headers=headers)


def create_app(router: Router, supergraph_path: str | None = None) -> Starlette:
    path = router.config.graphql_path
    # a request may carry only a persisted query hash when a plugin resolves it (APQ)
    persisted = any(getattr(p, "resolves_persisted_queries", False) for p in router.plugins)

    async def graphql(request: Request) -> Response:
        media = _media(request.headers.get("accept"))
        if media is None:
            return _bad("Accept must allow application/graphql-response+json or application/json.", 406, JSON,
                        "NOT_ACCEPTABLE")
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            if not ctype.startswith("application/json") and not ctype.startswith(GQL_RESPONSE):
                return _bad("Content-Type must be application/json.", 415, media, "UNSUPPORTED_MEDIA_TYPE")
            raw = await request.body()
            try:
                payload = orjson.loads(raw)
            except orjson.JSONDecodeError:
                return _bad("Request body is not valid JSON.", 400, media)
            if isinstance(payload, list):
                return _bad("Batched requests are not supported.", 400, media)
            if not isinstance(payload, dict):
                return _bad("Request body must be a JSON object.", 400, media)
            query = payload.get("query")
            op_name = payload.get("operationName")
            variables = payload.get("variables")
            extensions = payload.get("extensions")
        else:
            params = request.query_params
            query = params.get("query")
            op_name = params.get("operationName")
            try:
                variables = orjson.loads(params["variables"]) if params.get("variables") else None
                extensions = orjson.loads(params["extensions"]) if params.get("extensions") else None
            except orjson.JSONDecodeError:
                return _bad("variables/extensions must be JSON.", 400, media)
        if query is None and isinstance(extensions, dict) and "persistedQuery" in extensions:
            if not persisted:
                return _bad("PersistedQueryNotSupported", 400, media, "PERSISTED_QUERY_NOT_SUPPORTED")
            query = ""
        elif not isinstance(query, str) or not query.strip():
            return _bad("Request must contain a query string.", 400, media)
        if op_name is not None and not isinstance(op_name, str):
            return _bad("operationName must be a string.", 400, media)
        if variables is not None and not isinstance(variables, dict):
            return _bad("variables must be an object.", 400, media)
        req = GraphQLRequest(query, op_name, variables, extensions, request.method, dict(request.headers))
        expose = request.headers.get("x-router-expose-plan") == "true"
        try:
            status, body = await router.execute(req, expose)
        except Exception:  # never a stack trace to the client
            log.exception("request failed")
            return _bad("Internal router error.", 500, media, "INTERNAL_SERVER_ERROR")
        headers = {"allow": "POST"} if status == 405 else {"www-authenticate": "Bearer"} if status == 401 else None
        if media == JSON and status == 400 and _is_graphql_error(body):
            status = 200
        return Response(orjson.dumps(body), status_code=status, media_type=media, headers=headers)

    async def health(request: Request) -> Response:
        return Response(b'{"status":"UP"}', media_type=JSON)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if supergraph_path:
            router.start_watching(supergraph_path)
        try:
            yield
        finally:
            await router.aclose()

    routes = [Route(path, graphql, methods=["GET", "POST"]), Route("/health", health, methods=["GET"])]
    middleware = [p.middleware() for p in router.plugins if hasattr(p, "middleware")]  # e.g. cors
    return Starlette(routes=routes, lifespan=lifespan, middleware=middleware)
