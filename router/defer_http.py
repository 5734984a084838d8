"""`@defer` over HTTP: a request whose `Accept` allows `multipart/mixed` (Apollo Client sends
`multipart/mixed;deferSpec=20220824,application/json`, GraphiQL `application/json,
multipart/mixed`) and whose operation defers a fragment is answered as
`multipart/mixed;boundary="graphql";deferSpec=20220824`, one part per payload
(`executor/incremental.py`), framed as the multipart subscriptions are. The same request
without an active `@defer` gets the ordinary JSON answer, as Apollo Router does.

Each payload goes through the after-execution plugins (`payload_scope.py`), and
`limits.request_timeout` bounds the whole stream: a timeout before the initial payload is the
queries' 504, a later one ends the stream with a last part carrying `REQUEST_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .errors import DEFER_ACCEPT
from .executor.incremental import IncrementalExecution
from .introspection import introspect
from .payload_scope import NOWHERE, PRIMARY, PayloadScope
from .pipeline import Context, GraphQLRequest, Router
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
    timeout = next((p.request_timeout for p in router.plugins if p.request_timeout), None)
    deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
    payloads: AsyncGenerator[dict[str, Any], None] | None = None
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
            try:
                return _json(*await asyncio.wait_for(router.complete(ctx, expose_plan), _left(deadline)), req,
                             accept)
            except TimeoutError:  # as the JSON path answers it
                return _json(504, _timed_out(timeout), req, accept)
        prefill = None
        if plan.introspection:
            if not router.config.introspection:
                return _json(400, {"errors": [{"message": "Introspection is disabled.",
                                               "extensions": {"code": "INTROSPECTION_DISABLED"}}]}, req, accept)
            prefill, errs = introspect(ctx.state.supergraph, ctx.operation)
            if errs:
                return _json(200, {"errors": errs, "data": None}, req, accept)
        ex = IncrementalExecution(plan, ctx.operation.variables, router.subgraph_send(ctx),
                                  ctx.state.supergraph.api_schema)
        if prefill:
            ex.data.update(prefill)
        scope = PayloadScope(plan.defer)
        ctx.payload = scope
        payloads = ex.payloads()
        try:  # the initial payload before any byte is sent: a timeout here is the JSON path's 504
            first = await asyncio.wait_for(anext(payloads), _left(deadline))
        except TimeoutError:
            await payloads.aclose()
            return _json(504, _timed_out(timeout), req, accept)
        merged = _Merged(first, any(p.reads_merged_data for p in router.plugins))
        if expose_plan and router.config.expose_query_plan:
            first.setdefault("extensions", {})["queryPlan"] = plan.print()
        await _respond(router, ctx, scope, first, merged, ex.fragment_of, initial=True)
    except Exception:  # never a stack trace to the client
        log.exception("request failed")
        if payloads is not None:
            await payloads.aclose()  # its fetches stop with it
        return _json(500, {"errors": [{"message": "Internal router error.",
                                       "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}, req, accept)

    async def body() -> AsyncIterator[bytes]:
        try:
            yield PART + orjson.dumps(first)
            while first["hasNext"]:
                try:
                    part = await asyncio.wait_for(anext(payloads), _left(deadline))
                except StopAsyncIteration:
                    break
                except TimeoutError:  # the deferred fetches still running are cancelled with the stream
                    part = {"hasNext": False, **_timed_out(timeout)}
                    await _respond(router, ctx, scope, part, merged, ex.fragment_of)
                    yield PART + orjson.dumps(part)
                    break
                await _respond(router, ctx, scope, part, merged, ex.fragment_of)
                yield PART + orjson.dumps(part)
                if not part.get("hasNext"):
                    break
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


def _left(deadline: float | None) -> float | None:
    return None if deadline is None else max(0.0, deadline - asyncio.get_running_loop().time())


def _timed_out(timeout: float | None) -> dict[str, Any]:
    return {"errors": [{"message": f"Request timed out after {timeout or 0:g} s.",
                        "extensions": {"code": "REQUEST_TIMEOUT"}}]}


class _Merged:
    """The data a client holds after the parts so far (each item merged at its path), for
    the plugins that measure the whole answer."""

    def __init__(self, first: dict[str, Any], enabled: bool) -> None:
        self.enabled = enabled  # only when a plugin reads it
        self.data = first.get("data")  # the initial payload is sent before anything is merged into it

    def add(self, item: dict[str, Any]) -> None:
        data = item.get("data")
        if not self.enabled or data is None or self.data is None:
            return
        node: Any = self.data
        for key in item.get("path") or ():
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return
        if isinstance(node, dict) and isinstance(data, dict):
            _deep_merge(node, copy.deepcopy(data))  # a copy: the item itself is sent as it is


def _deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for k, v in source.items():
        if k in target and isinstance(target[k], dict) and isinstance(v, dict):
            _deep_merge(target[k], v)
        elif k in target and isinstance(target[k], list) and isinstance(v, list) and len(target[k]) == len(v):
            for i, (a, b) in enumerate(zip(target[k], v)):
                if isinstance(a, dict) and isinstance(b, dict):
                    _deep_merge(a, b)
                else:
                    target[k][i] = b
        else:
            target[k] = v


async def _respond(router: Router, ctx: Context, scope: PayloadScope, part: dict[str, Any], merged: _Merged,
                   fragment_of: Callable[[dict[str, Any]], int], initial: bool = False) -> None:
    """One payload through the after-execution plugins (authorization errors, masking, cost), as
    the one-payload answer goes: the initial payload whole, then each incremental item and the
    part's own errors; after the last payload a final call over the merged data, whose
    extensions (the measured cost) go on the last part."""
    saved = ctx.result
    try:
        if initial:
            scope.at(PRIMARY)
            ctx.result = part
            await router.respond(ctx)
            part = ctx.result
            scope.errors.extend(part.get("errors") or ())
        else:
            for item in part.get("incremental") or ():
                scope.at(fragment_of(item), item.get("path"))
                ctx.result = item
                await router.respond(ctx)
                scope.errors.extend(item.get("errors") or ())
                merged.add(item)
            if part.get("errors"):
                scope.at(NOWHERE)
                ctx.result = {"errors": part["errors"]}
                await router.respond(ctx)
                part["errors"] = ctx.result.get("errors") or []
                scope.errors.extend(part["errors"])
        if not part.get("hasNext"):
            scope.at(NOWHERE)
            scope.final = True
            scope.data = merged.data
            ctx.result = {"data": merged.data}
            await router.respond(ctx)
            errors = ctx.result.get("errors")
            if errors:  # about fields no payload held (authorization's, under a null parent)
                part.setdefault("errors", []).extend(errors)
                scope.errors.extend(errors)
            extensions = ctx.result.get("extensions")
            if extensions:
                part.setdefault("extensions", {}).update(extensions)
    finally:
        ctx.result = saved
