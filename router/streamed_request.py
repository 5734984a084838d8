"""The request of an answer streamed over HTTP (GraphQL over SSE, multipart subscriptions,
`@defer`'s multipart parts), read through Starlette's Request: these paths leave the one-pass
ASGI reader of http.py (PostPath) because their answer is a stream, not one body."""

from __future__ import annotations

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from .errors import graphql_error
from .pipeline import GraphQLRequest

__all__ = ["read_request", "bad_request"]


async def read_request(request: Request, max_body: int) -> GraphQLRequest | Response:
    """The operation of a POST (JSON body, at most `max_body` bytes) or GET, or the error answer."""
    if request.method == "POST":
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("application/json"):
            return bad_request("Content-Type must be application/json.", 415, "UNSUPPORTED_MEDIA_TYPE")
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body:
            return bad_request(f"Request body is larger than {max_body} bytes.", 413, "PAYLOAD_TOO_LARGE")
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_body:
                    return bad_request(f"Request body is larger than {max_body} bytes.", 413, "PAYLOAD_TOO_LARGE")
                chunks.append(chunk)
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            payload = orjson.loads(b"".join(chunks))
        except orjson.JSONDecodeError:
            return bad_request("Request body is not valid JSON.", 400)
        if not isinstance(payload, dict):
            return bad_request("Request body must be a JSON object.", 400)
    else:
        params = request.query_params
        try:
            payload = {"query": params.get("query"), "operationName": params.get("operationName"),
                       "variables": orjson.loads(params["variables"]) if params.get("variables") else None,
                       "extensions": orjson.loads(params["extensions"]) if params.get("extensions") else None}
        except orjson.JSONDecodeError:
            return bad_request("variables/extensions must be JSON.", 400)
    query, op_name = payload.get("query"), payload.get("operationName")
    variables, extensions = payload.get("variables"), payload.get("extensions")
    if not isinstance(query, str) or not query.strip():
        return bad_request("Request must contain a query string.", 400)
    if op_name is not None and not isinstance(op_name, str):
        return bad_request("operationName must be a string.", 400)
    if variables is not None and not isinstance(variables, dict):
        return bad_request("variables must be an object.", 400)
    if extensions is not None and not isinstance(extensions, dict):
        return bad_request("extensions must be an object.", 400)
    req = GraphQLRequest(query, op_name, variables, extensions, request.method, dict(request.headers),
                         request.client.host if request.client else None)
    request.scope["router.request"] = req  # for telemetry's access line
    return req


def bad_request(message: str, status: int, code: str = "BAD_REQUEST") -> Response:
    return Response(orjson.dumps({"errors": [graphql_error(message, code)]}), status_code=status,
                    media_type="application/json")
