"""`@defer` over HTTP: a request whose `Accept` allows `multipart/mixed` (Apollo Client sends
`multipart/mixed;deferSpec=20220824,application/json`, GraphiQL `application/json,
multipart/mixed`) and whose operation defers a fragment is answered as
`multipart/mixed;boundary="graphql";deferSpec=20220824`, one part per payload
(`executor/incremental.py`), framed as the multipart subscriptions are. The same request
without an active `@defer` gets the ordinary JSON answer, as Apollo Router does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .errors import DEFER_ACCEPT
from .executor.incremental import IncrementalExecution
from .introspection import introspect
from .pipeline import Context, GraphQLRequest, Router
from .plugins.masking import MaskingPlugin
from .streamed_request import read_request
from .subscriptions.multipart import CLOSE, HEADERS, PART

log = logging.getLogger("router.defer")

MEDIA = 'multipart/mixed;boundary="graphql";deferSpec=20220824'
ACCEPT = DEFER_ACCEPT
_REQUEST_ERRORS = {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT",
                   "OPERATION_RESOLUTION_FAILURE", "QUERY_PLANNING_FAILED"}

__all__ = ["wants", "serve", "answer", "MEDIA", "ACCEPT"]


async def serve(router: Router, request: Request, max_body: int) -> Response:
    """The answer to a GraphQL request whose Accept allows multipart (`wants`): its parts when
    the operation defers a fragment, else its one JSON answer."""
    parsed = await read_request(request, max_body)
    if isinstance(parsed, Response):
        return parsed
    return await answer(router, parsed, request.headers.get("accept", ""),
                        request.headers.get("x-router-expose-plan") == "true")


def wants(accept: str) -> bool:
    """A multipart answer is allowed and the request is not a multipart subscription."""
    return "multipart/mixed" in accept and "subscriptionspec" not in accept.lower()


def _json(status: int, body: dict[str, Any], req: GraphQLRequest, accept: str) -> Response:
    if status == 400 and "application/graphql-response+json" not in accept:
        codes = {e.get("extensions", {}).get("code") for e in body.get("errors", ())}
        if codes and codes <= _REQUEST_ERRORS:
            status = 200  # GraphQL request errors under application/json, as the JSON path answers them
    response = Response(orjson.dumps(body), status_code=status, media_type="application/json")
    if req.response_headers:
        response.headers.update(req.response_headers)
    if status == 401:
        response.headers["www-authenticate"] = "Bearer"
    return response


async def answer(router: Router, req: GraphQLRequest, accept: str, expose_plan: bool = False) -> Response:
    try:
        ctx = await router.prepare(req)
        if not isinstance(ctx, Context):
            return _json(*ctx, req, accept)
        plan = ctx.plan
        assert plan is not None and ctx.operation is not None
        if plan.defer is None or ctx.operation.kind == "subscription":
            # nothing deferred (or a subscription, whose events carry deferred fields inline)
            if ctx.operation.kind == "subscription":
                return _json(400, {"errors": [{"message": "A subscription over multipart needs "
                                                          "Accept: multipart/mixed;subscriptionSpec=1.0.",
                                               "extensions": {"code": "SUBSCRIPTION_TRANSPORT_REQUIRED"}}]},
                             req, accept)
            timeout = next((p.request_timeout for p in router.plugins if p.request_timeout), None)
            try:
                return _json(*await asyncio.wait_for(router.complete(ctx, expose_plan), timeout), req, accept)
            except TimeoutError:  # as the JSON path answers it
                return _json(504, {"errors": [{"message": f"Request timed out after {timeout:g} s.",
                                               "extensions": {"code": "REQUEST_TIMEOUT"}}]}, req, accept)
        prefill = None
        if plan.introspection:
            if not router.config.introspection:
                return _json(400, {"errors": [{"message": "Introspection is disabled.",
                                               "extensions": {"code": "INTROSPECTION_DISABLED"}}]}, req, accept)
            prefill, errs = introspect(ctx.state.supergraph, ctx.operation)
            if errs:
                return _json(200, {"errors": errs, "data": None}, req, accept)
    except Exception:  # never a stack trace to the client
        log.exception("request failed")
        return _json(500, {"errors": [{"message": "Internal router error.",
                                       "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}, req, accept)
    ex = IncrementalExecution(plan, ctx.operation.variables, router.subgraph_send(ctx),
                              ctx.state.supergraph.api_schema)
    if prefill:
        ex.data.update(prefill)

    masking = [p for p in router.plugins if isinstance(p, MaskingPlugin)]

    async def body() -> AsyncIterator[bytes]:
        first = True
        payloads = ex.payloads()
        try:
            async for payload in payloads:
                if first:
                    first = False
                    if expose_plan and router.config.expose_query_plan:
                        payload.setdefault("extensions", {})["queryPlan"] = plan.print()
                    ctx.result = payload
                    await router.respond(ctx)  # masking, authorization errors, telemetry: the primary part
                    payload = ctx.result
                else:
                    await _mask(masking, ctx, payload)
                yield PART + orjson.dumps(payload)
        except Exception:  # a router bug mid-stream: the client gets a last part saying so
            log.exception("deferred execution failed")
            yield PART + orjson.dumps({"hasNext": False, "errors": [
                {"message": "Internal router error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]})
        finally:
            await payloads.aclose()
        yield CLOSE

    response = StreamingResponse(body(), media_type=MEDIA, headers=HEADERS)
    if req.response_headers:
        response.headers.update(req.response_headers)
    return response


async def _mask(masking: list[MaskingPlugin], ctx: Context, part: dict[str, Any]) -> None:
    """`error_masking` on a subsequent part: each item's errors (and the part's own) are masked
    as the initial payload's are."""
    if not masking:
        return
    holders = [part, *(part.get("incremental") or ())]
    saved = ctx.result
    try:
        for holder in holders:
            if holder.get("errors"):
                ctx.result = {"errors": holder["errors"]}
                for plugin in masking:
                    await plugin.on_response(ctx)
                holder["errors"] = ctx.result["errors"]
    finally:
        ctx.result = saved
