"""The request pipeline: operation -> plan -> execute, with hook points around each stage.

Each stage is one call with a plain value between; plugins (`plugins/`: auth, limits, rate
limits, masking, telemetry) are `Plugin` subclasses (plugins/base.py) called in order, each
stage calling only the plugins that use its hook. With no plugins the pipeline pays nothing
for them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import random
from dataclasses import dataclass, field
from typing import Any, Callable

from . import heap
from .client import SubgraphClients
from .config import Config
from .errors import defer_not_acceptable
from .executor.footprint import compile_plan
from .executor.run import Execution, Send
from .introspection import introspect
from .operation import DocumentCache, Operation, OperationError, prepare_operation
from .payload_scope import PayloadScope
from .planner import Plan, PlanningError, QueryPlanner
from .plugins.base import HeadersSend, Plugin
from .supergraph import Supergraph, SupergraphError

log = logging.getLogger("router")


@dataclass
class GraphQLRequest:
    query: str
    operation_name: str | None = None
    variables: dict[str, Any] | None = None
    extensions: dict[str, Any] | None = None
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    # The TCP peer (a proxy's address when behind one; see rate_limit for X-Forwarded-For).
    remote_addr: str | None = None
    # Headers the plugins add to the HTTP response (e.g. Retry-After); http.py sends them.
    response_headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """Everything one request carries through the stages; plugins may read and set fields."""

    request: GraphQLRequest
    state: "RouterState"
    operation: Operation | None = None
    plan: Plan | None = None
    result: dict[str, Any] | None = None
    status: int = 200
    labels: frozenset[str] = frozenset()
    extensions: dict[str, Any] = field(default_factory=dict)
    subgraph_headers: dict[str, str] = field(default_factory=dict)  # sent to every subgraph
    service_headers: dict[str, dict[str, str]] = field(default_factory=dict)  # per subgraph, on top
    # "extensions" added to subgraph requests, per subgraph name (None: every subgraph)
    subgraph_extensions: dict[str | None, dict[str, Any]] = field(default_factory=dict)
    # Verified JWT claims of the caller, set by the jwt plugin (None: anonymous).
    claims: dict[str, Any] | None = None
    # The client's address as the router trusts it (X-Forwarded-For only from trusted proxies).
    client_ip: str | None = None
    # (type, field) coordinates the caller may not read, set by the authorization plugin:
    # the planner leaves them out and the response answers them null.
    unauthorized: frozenset[tuple[str, str]] = frozenset()
    # Token limit of the parser (set by the limits plugin): counted while parsing, which runs
    # after the cheap checks (JWT, rate limit), so a refused client costs no lexing.
    max_tokens: int | None = None
    # Set by demand_control: the estimated and the measured cost of the operation, and the cost
    # directives of the supergraph it read (its CostDirectives).
    cost_estimated: int | None = None
    cost_actual: int | None = None
    cost_directives: Any = None
    # Set while a deferred answer's payloads go through the after-execution plugins: which
    # payload `result` is (payload_scope.py); None for a one-payload answer.
    payload: PayloadScope | None = None


# The plugin contract (hooks, capabilities) is router/plugins/base.py; re-exported for plugins.
__all__ = ["Context", "GraphQLRequest", "HeadersSend", "Plugin", "Router", "RouterState"]


class RouterState:
    """One supergraph's worth of derived state; replaced as a whole on hot reload."""

    def __init__(self, supergraph: Supergraph, config: Config) -> None:
        self.supergraph = supergraph
        self.supergraph_hash = hashlib.sha256(supergraph.sdl.encode()).hexdigest()[:16]
        self.documents = DocumentCache(supergraph.api_schema, config.document_cache_entries,
                                       config.document_cache_bytes)
        self.planner = QueryPlanner(supergraph, config.plan_cache_entries, config.plan_cache_bytes, compile_plan)
        urls: dict[str, str] = {}
        timeouts: dict[str, float] = {}
        for name in supergraph.graph_names:
            sc = config.subgraphs.get(name)
            urls[name] = sc.url if sc and sc.url else supergraph.url(name)
            if sc and sc.timeout:
                timeouts[name] = sc.timeout
        self.clients = SubgraphClients(urls, timeouts, config.subgraph_timeout, config.client,
                                       config.max_connections_per_subgraph, config.max_response_bytes)
        # Long-lived users (running subscriptions) of this state: after a reload its clients are
        # closed only once the last of them let go.
        self.users: set[object] = set()
        self._idle = asyncio.Event()  # set while no one uses the state; one event, waited on by _retire
        self._idle.set()

    def use(self, user: object) -> None:
        self.users.add(user)
        self._idle.clear()

    def release(self, user: object) -> None:
        self.users.discard(user)
        if not self.users:
            self._idle.set()

    async def idle(self) -> None:
        """Returns when no subscription uses this state any more."""
        await self._idle.wait()


def _err(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


class Router:
    def __init__(self, config: Config, supergraph: Supergraph, plugins: list[Plugin[Any]] | None = None) -> None:
        self.config = config
        self.state = RouterState(supergraph, config)
        self.plugins = list(plugins or [])
        # per stage, the plugins that use it, once: a hook no plugin overrides costs nothing per request
        used = [(p, p.hooks()) for p in self.plugins]
        self._on_request = [p.on_request for p, hooks in used if "on_request" in hooks]
        self._on_operation = [p.on_operation for p, hooks in used if "on_operation" in hooks]
        self._on_plan = [p.on_plan for p, hooks in used if "on_plan" in hooks]
        self._on_subgraph_request = [p.on_subgraph_request for p, hooks in used if "on_subgraph_request" in hooks]
        self._on_response = [p.on_response for p, hooks in used if "on_response" in hooks]
        self._wrappers = [p.wrap_send for p, hooks in reversed(used) if "wrap_send" in hooks]
        self._watch_task: asyncio.Task[None] | None = None
        # told of every successful reload (old state, new state), before the old one is retired
        self.reload_listeners: list[Callable[[RouterState, RouterState], None]] = []

    # ------------------------------------------------------------------ request path
    async def execute(self, request: GraphQLRequest, expose_plan: bool = False) -> tuple[int, dict[str, Any]]:
        ctx = await self.prepare(request)
        if not isinstance(ctx, Context):
            return ctx
        return await self.complete(ctx, expose_plan)

    async def complete(self, ctx: Context, expose_plan: bool = False) -> tuple[int, dict[str, Any]]:
        """A prepared query or mutation executed into its one answer."""
        op, plan, state = ctx.operation, ctx.plan, ctx.state
        assert op is not None and plan is not None
        if op.kind == "subscription":  # planned and authorised, but one answer cannot hold a stream
            return 400, {"errors": [_err("A subscription needs a streaming transport: a WebSocket (graphql-transport-ws), "
                                         "Accept: text/event-stream (GraphQL over SSE) or Accept: multipart/mixed;"
                                         "subscriptionSpec=1.0.", "SUBSCRIPTION_TRANSPORT_REQUIRED")]}
        if plan.defer is not None:  # deferred fragments need a multipart answer (defer_http.py)
            return 406, defer_not_acceptable()
        prefill = None
        if plan.introspection:
            if not self.config.introspection:
                return 400, {"errors": [_err("Introspection is disabled.", "INTROSPECTION_DISABLED")]}
            prefill, errs = introspect(state.supergraph, op)
            if errs:
                return 200, {"errors": errs, "data": None}
        ex = Execution(plan, op.variables, self.subgraph_send(ctx))
        if prefill:
            ex.data.update(prefill)
        if plan.fetches:
            await ex.run()
        result = ex.response()
        if expose_plan and self.config.expose_query_plan:
            result.setdefault("extensions", {})["queryPlan"] = plan.print()
        ctx.result = result
        await self.respond(ctx)
        return ctx.status, ctx.result

    async def prepare(self, request: GraphQLRequest) -> "Context | tuple[int, dict[str, Any]]":
        """The stages before execution (plugins before, operation, authorization, plan), shared by
        one-answer requests and subscriptions: the context with its plan, or the early answer."""
        state = self.state  # one consistent snapshot for the whole request
        ctx = Context(request, state, labels=active_labels(self.config.override_labels,
                                                           state.supergraph.percent_labels))
        for h in self._on_request:
            early = await h(ctx)
            if early is not None:
                return ctx.status, early
        try:
            doc = state.documents.get(request.query, ctx.max_tokens)
            op = prepare_operation(state.supergraph.api_schema, doc, request.operation_name, request.variables)
        except OperationError as e:
            return e.status, {"errors": e.errors}
        if op.kind == "mutation" and request.method == "GET":
            return 405, {"errors": [_err("Mutations cannot be sent with GET.", "METHOD_NOT_ALLOWED")]}
        ctx.operation = op
        for h in self._on_operation:
            early = await h(ctx)
            if early is not None:
                return ctx.status, early
        try:
            plan = state.planner.plan(op, ctx.labels, ctx.unauthorized)
        except Exception as e:  # noqa: BLE001 - a planner bug must never become a 500
            reason = str(e) if isinstance(e, PlanningError) else f"internal planner error ({type(e).__name__}: {e})"
            op_hash = hashlib.sha256(f"{op.name or ''}\0{request.query}".encode()).hexdigest()[:16]
            log.error("query planning failed (operation %s, supergraph %s): %s", op_hash, state.supergraph_hash,
                      reason, exc_info=not isinstance(e, PlanningError))
            return 400, {"errors": [_err(f"Query planning failed: {reason}", "QUERY_PLANNING_FAILED")]}
        ctx.plan = plan
        for h in self._on_plan:
            early = await h(ctx)
            if early is not None:
                return ctx.status, early
        return ctx

    def subgraph_send(self, ctx: Context) -> Send:
        """The request's subgraph send: retries, breaker, fetch spans, header rules and signing."""
        send: Send = ctx.state.clients.send
        if self._on_subgraph_request or ctx.subgraph_headers or ctx.service_headers or self._wrappers:
            wrapped: HeadersSend = ctx.state.clients.send
            for wrap in self._wrappers:  # retries, breaker, fetch spans: around each subgraph call
                wrapped = wrap(ctx, wrapped)
            send = self._hooked_send(ctx, wrapped)
        return send

    async def subgraph_body(self, ctx: Context, service: str, body: bytes) -> bytes:
        """A subgraph request's body after the plugins' `on_subgraph_request` (for requests sent
        outside `subgraph_send`: a subscription's opening message)."""
        for h in self._on_subgraph_request:
            body = await h(ctx, service, body)
        return body

    @property
    def rewrites_subgraph_bodies(self) -> bool:
        """Whether a plugin may change a subgraph request's body per client request."""
        return bool(self._on_subgraph_request)

    async def respond(self, ctx: Context) -> None:
        """The plugins after execution (authorization errors, masking, cost) on `ctx.result`; a
        subscription calls it once per event."""
        for h in self._on_response:
            await h(ctx)

    def _hooked_send(self, ctx: Context, send: HeadersSend) -> Send:
        hooks = self._on_subgraph_request

        async def hooked(service: str, body: bytes) -> dict[str, Any]:
            for h in hooks:
                body = await h(ctx, service, body)
            headers = ctx.subgraph_headers
            extra = ctx.service_headers.get(service)
            if extra:
                headers = {**headers, **extra}
            return await send(service, body, headers or None)

        return hooked

    # ------------------------------------------------------------------ hot reload
    def reload(self, sdl: str) -> bool:
        """Swap in a new supergraph; a broken one is logged and ignored."""
        try:
            sg = Supergraph(sdl)
        except SupergraphError as e:
            log.error("supergraph reload rejected, keeping the current one: %s", e)
            return False
        old = self.state
        self.state = RouterState(sg, self.config)
        log.info("supergraph reloaded (%d subgraphs)", len(sg.graph_names))
        for listener in self.reload_listeners:
            listener(old, self.state)
        try:
            loop = asyncio.get_running_loop()
            loop.call_later(self.config.subgraph_timeout + 5, lambda: asyncio.ensure_future(_retire(old)))
        except RuntimeError:
            pass
        return True

    def start_watching(self, path: str) -> None:
        if self._watch_task is None and self.config.hot_reload:
            self._watch_task = asyncio.ensure_future(self._watch(path))

    async def _watch(self, path: str) -> None:
        def stamp() -> tuple[int, int, int] | None:
            try:
                st = os.stat(path)
                return (st.st_mtime_ns, st.st_size, st.st_ino)
            except OSError:
                return None

        last = stamp()
        while True:
            await asyncio.sleep(self.config.poll_interval)
            now = stamp()
            if now is None or now == last:
                continue
            last = now
            try:
                with open(path, encoding="utf-8") as f:
                    sdl = f.read()
            except OSError as e:
                log.error("cannot read supergraph %s: %s", path, e)
                continue
            if sdl == self.state.supergraph.sdl:
                continue
            self.reload(sdl)

    async def aclose(self) -> None:
        if self._watch_task is not None:
            self._watch_task.cancel()
        await self.state.clients.aclose()
        for p in self.plugins:
            await p.aclose()


def active_labels(configured: frozenset[str], percent: tuple[tuple[str, float], ...],
                  rand: Callable[[], float] = random.random) -> frozenset[str]:
    """Labels in force for one request: the configured ones plus each percent(N) label drawn
    with probability N% (the plan cache keys on the result, so at most 2^k plans)."""
    if not percent:
        return configured
    drawn = {label for label, pct in percent if rand() * 100.0 < pct}
    return configured | drawn if drawn else configured


async def _retire(state: RouterState) -> None:
    """Close a replaced supergraph's subgraph clients (once no subscription runs on them any
    more), then let the collector have the rest."""
    await state.idle()
    await state.clients.aclose()
    del state
    heap.settle()
