"""One client subscription: the pipeline's stages once at subscribe, then per event the plan's
entity fetches and the plugins after execution, into a bounded queue a protocol reads.

Every stage before execution (JWT, rate limit, limits, parsing, authorization, planning) runs
once, in `Router.prepare`, exactly as for a query: a subscribe is one request to them. Each
event is the root fetch's answer: the rest of the plan runs on it through the ordinary
executor, and `Router.respond` applies masking and authorization errors to each result.

The queue is bounded: a client that does not read keeps its events in the router only up to
`queue_size`, then its subscription ends with SUBSCRIPTION_CLIENT_TOO_SLOW (the protocol closes
the stream) and the subgraph subscription is closed. A token's `exp` ends the subscription
with UNAUTHENTICATED at that moment, and so does the router's shutdown (SUBSCRIPTION_SHUTDOWN).
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import orjson
from graphql import validate
from starlette.requests import HTTPConnection

from shared.signing import HEADER as SIGNATURE_HEADER
from shared.signing import signature

from ..connections import ABORT_EXTENSION
from ..errors import SubgraphError
from ..executor.run import Execution, Send
from ..pipeline import Context, GraphQLRequest, Router, RouterState
from ..planner.plan import Fetch, Plan
from ..plugins.signing import SubgraphSigning
from ..plugins.telemetry import Telemetry
from .channel import Channel
from .settings import SubscriptionSettings

log = logging.getLogger("router.subscriptions")

TOO_SLOW = "SUBSCRIPTION_CLIENT_TOO_SLOW"
LIMIT = "SUBSCRIPTION_LIMIT_EXCEEDED"
SHUTDOWN = "SUBSCRIPTION_SHUTDOWN"
EXPIRED = "UNAUTHENTICATED"
DISABLED = "SUBSCRIPTION_NOT_SUPPORTED"
SCHEMA_CHANGED = "SUBSCRIPTION_SCHEMA_CHANGED"


def error(message: str, code: str) -> dict[str, Any]:
    return {"message": message, "extensions": {"code": code}}


@dataclass(frozen=True, slots=True)
class Event:
    """One result to deliver (a GraphQL response: data and errors)."""

    result: dict[str, Any]


@dataclass(frozen=True, slots=True)
class End:
    """The subscription is over. `result`: a last response with the errors that ended it (none
    when the subgraph completed it); `code`: why, for protocols that close differently per reason."""

    result: dict[str, Any] | None = None
    code: str | None = None


Item = Event | End


class EventExecution(Execution):
    """The plan run on one event: the root fetch is answered by the event itself."""

    __slots__ = ("event",)

    def __init__(self, plan: Plan, variables: dict[str, Any], send: Send, event: dict[str, Any]) -> None:
        super().__init__(plan, variables, send)
        self.event = event

    async def _send(self, f: Fetch, body: bytes) -> dict[str, Any] | None:
        if f.root:
            return self.event
        return await super()._send(f, body)


@dataclass
class _Counts:
    per_client: dict[str, int] = field(default_factory=dict)


class Hub:
    """Every open subscription of one router process: the per-client cap and shutdown."""

    def __init__(self, router: Router, settings: SubscriptionSettings) -> None:
        self.router = router
        self.settings = settings
        self.open: set[Subscription] = set()
        self._counts = _Counts()
        self._signing = next((p for p in router.plugins if isinstance(p, SubgraphSigning)), None)
        self.channels: dict[Hashable, Channel] = {}  # the shared ones (subscriptions.dedupe), by request
        self.closing = False
        self.loop: asyncio.AbstractEventLoop | None = None  # the server's, known at the first subscribe
        # what the metrics read at scrape time (router_subscription_* in subscriptions/metrics.py)
        self.delivered = 0
        self.resubscribed = 0
        self.ended: dict[str, int] = {}
        self.access: logging.Logger | None = None  # the telemetry plugin's access log, when on
        router.reload_listeners.append(self.reloaded)
        _HUBS.add(self)

    def observe(self) -> None:
        """Joins the telemetry plugin's metrics and access log (after it made them)."""
        from .metrics import SubscriptionMetrics

        for p in self.router.plugins:
            if isinstance(p, Telemetry):
                if p.metrics is not None:
                    p.metrics.registry.register(SubscriptionMetrics(self))
                self.access = p.log

    def reloaded(self, old: RouterState, new: RouterState) -> None:
        """A new supergraph: each subscription keeps running on the one it started on (its plan,
        its subgraph clients, kept open until it ends), unless its operation no longer validates
        against the new API schema (its field is gone or changed): that one ends now, clearly."""
        verdicts: dict[int, list[str]] = {}
        for sub in list(self.open):
            op = sub.ctx.operation
            if sub.ctx.state is not old or op is None:
                continue
            key = id(op.document)
            if key not in verdicts:
                verdicts[key] = [e.message for e in validate(new.supergraph.api_schema, op.document.ast)]
            problems = verdicts[key]
            if problems:
                log.info("subscription ended by a supergraph reload: %s", problems[0])
                sub.abort(End({"errors": [error("The supergraph changed and this subscription's operation is no "
                                                f"longer valid ({problems[0]}); subscribe again.", SCHEMA_CHANGED)]},
                              SCHEMA_CHANGED))

    async def subscribe(self, request: GraphQLRequest) -> Subscription | tuple[int, dict[str, Any]]:
        """The subscription, started; or the one answer: a refusal (status, body), or the result
        of a query or mutation sent over a streaming transport."""
        if not self.settings.enabled or self.closing:
            reason = "Subscriptions are disabled on this router." if not self.settings.enabled \
                else "The router is shutting down."
            return 400, {"errors": [error(reason, DISABLED if not self.settings.enabled else SHUTDOWN)]}
        self.loop = asyncio.get_running_loop()
        router = self.router
        ctx = await router.prepare(request)
        if not isinstance(ctx, Context):
            return ctx
        op, plan = ctx.operation, ctx.plan
        assert op is not None and plan is not None
        if op.kind != "subscription":
            return await router.complete(ctx)
        roots = [f for f in plan.fetches if f.root]
        denied = any(f.denied for f in plan.selection.by_type.get(plan.selection.type, ()))
        if denied or len(roots) != 1:  # the root field may not be read: nothing to stream
            ctx.result = {"data": None}
            await router.respond(ctx)
            if not ctx.result.get("errors"):
                ctx.result["errors"] = [error("The subscription's root field cannot be subscribed to.",
                                              "QUERY_PLANNING_FAILED")]
            return (403 if ctx.unauthorized else 400), {"errors": ctx.result["errors"]}  # a refusal: no data
        client = _client_of(ctx)
        held = self._counts.per_client.get(client, 0)
        if held >= self.settings.max_per_client:
            ctx.status = 429
            return 429, {"errors": [error(f"Too many open subscriptions (at most {self.settings.max_per_client} "
                                          "per client): end one first.", LIMIT)]}
        self._counts.per_client[client] = held + 1
        sub = Subscription(self, ctx, roots[0], client)
        try:
            await self._join(sub)
        except BaseException:
            if held:
                self._counts.per_client[client] = held
            else:
                self._counts.per_client.pop(client, None)
            raise
        self.open.add(sub)
        ctx.state.use(sub)  # its subgraph clients stay open across a reload until it ends
        sub.start()
        return sub

    async def _join(self, sub: Subscription) -> None:
        """Finds the channel `sub` shares (subscriptions.dedupe), or makes its own."""
        ctx, root = sub.ctx, sub.root
        op = ctx.operation
        assert op is not None
        service = root.service
        variables = op.variables
        vs = {v: variables[v] for v in root.variables if v in variables}
        body: dict[str, Any] = {"query": root.operation}
        if root.operation_name:
            body["operationName"] = root.operation_name
        if vs:
            body["variables"] = vs
        payload = await self.router.subgraph_body(ctx, service, orjson.dumps(body))
        mode = self.settings.dedupe
        if mode == "off":
            sub.channel = Channel(self, object(), sub, payload, replay=False)
            return
        sub.exec_key = _execution_key(ctx, self.router)
        headers = self.upstream_headers(ctx, service)
        headers.pop(SIGNATURE_HEADER, None)  # made afresh for each upgrade
        key = (id(ctx.state), service, payload, tuple(sorted(headers.items())))
        channel = self.channels.get(key)
        if channel is None or channel.done:
            channel = self.channels[key] = Channel(self, key, sub, payload, replay=mode == "replay_last")
        sub.channel = channel

    @property
    def upstreams(self) -> int:
        """Subgraph subscriptions open now, or being opened."""
        return len({id(s.channel) for s in self.open if s.channel is not None and not s.channel.done})

    def release(self, sub: Subscription) -> None:
        if sub not in self.open:
            return
        self.open.discard(sub)
        sub.ctx.state.release(sub)
        reason = sub.end_reason
        self.ended[reason] = self.ended.get(reason, 0) + 1
        if self.access is not None:
            self.access.info(orjson.dumps(sub.access_line()).decode())
        left = self._counts.per_client.get(sub.client, 1) - 1
        if left > 0:
            self._counts.per_client[sub.client] = left
        else:
            self._counts.per_client.pop(sub.client, None)

    def upstream_headers(self, ctx: Context, service: str) -> dict[str, str]:
        """What a POST to the subgraph would carry (header rules, per-subgraph additions), plus a
        signature over the empty body of the upgrade when subgraph signing is on."""
        headers = dict(ctx.subgraph_headers)
        extra = ctx.service_headers.get(service)
        if extra:
            headers.update(extra)
        if self._signing is not None:
            headers[SIGNATURE_HEADER] = signature(self._signing.secret, b"", int(time.time()))
        return headers

    async def shutdown(self) -> None:
        """Ends every stream with SUBSCRIPTION_SHUTDOWN, so clients see why and may reconnect
        elsewhere, before the server waits for its connections to finish."""
        self.closing = True
        for sub in list(self.open):
            sub.abort(End({"errors": [error("The router is shutting down.", SHUTDOWN)]}, SHUTDOWN))


# every hub of this process, for the server's shutdown (tests may run several routers in one)
_HUBS: weakref.WeakSet[Hub] = weakref.WeakSet()


async def shutdown_all() -> None:
    """Ends the streams of the hubs serving on this event loop (one server's)."""
    loop = asyncio.get_running_loop()
    for hub in list(_HUBS):
        if hub.loop is loop:
            await hub.shutdown()
    for _ in range(3):  # the streams' tasks write their last event before the server closes them
        await asyncio.sleep(0)


def drop_connection(request: HTTPConnection) -> None:
    """Drops the TCP connection of a streaming HTTP response whose client stopped reading (its
    buffers are full: a last event or the closing boundary would never get through)."""
    ext = request.scope.get("extensions", {}).get(ABORT_EXTENSION)
    if isinstance(ext, dict) and callable(ext.get("abort")):
        ext["abort"]()


def _execution_key(ctx: Context, router: Router) -> Hashable:
    """What the rest of a plan's run on an event depends on, besides the event: the plan, the
    variables, the headers of the entity fetches; with plugins that rewrite each subgraph body
    per request, the request itself (nothing is shared)."""
    op = ctx.operation
    assert op is not None
    if router.rewrites_subgraph_bodies:
        return id(ctx)
    return (id(ctx.plan), orjson.dumps(op.variables, option=orjson.OPT_SORT_KEYS),
            tuple(sorted(ctx.subgraph_headers.items())),
            tuple(sorted((s, tuple(sorted(h.items()))) for s, h in ctx.service_headers.items())))


def _client_of(ctx: Context) -> str:
    claims = ctx.claims
    sub = claims.get("sub") if claims else None
    if isinstance(sub, str) and sub:
        return "sub:" + sub
    return "ip:" + (ctx.client_ip or ctx.request.remote_addr or "unknown")


class Subscription:
    """Read it with `next()` until it returns an `End`; `close()` when the client goes away."""

    def __init__(self, hub: Hub, ctx: Context, root: Fetch, client: str) -> None:
        self.hub = hub
        self.ctx = ctx
        self.root = root
        self.client = client
        self._queue: deque[Event] = deque()
        self._end: End | None = None
        self._now: End | None = None  # ends before the queued events are delivered
        self._wake = asyncio.Event()
        self.channel: Channel | None = None
        self.exec_key: Hashable = None  # members of a channel with equal keys share each event's execution
        self._timer: asyncio.TimerHandle | None = None
        self._delivered_end = False
        self._final: End | None = None
        self._send: Send | None = None
        self.events = 0
        self.started = time.perf_counter()
        # told at once when the router ends it (its reader may be stuck writing to a slow client)
        self.on_abort: Callable[[End], None] | None = None

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        assert self.channel is not None
        self.channel.join(self)
        exp = (self.ctx.claims or {}).get("exp")
        if isinstance(exp, (int, float)) and not isinstance(exp, bool):
            delay = max(0.0, float(exp) - time.time())
            self._timer = loop.call_later(delay, self.abort, End(
                {"errors": [error("Unauthenticated: the token has expired; subscribe again with a new one.",
                                  EXPIRED)]}, EXPIRED))

    @property
    def ended(self) -> bool:
        return self._delivered_end

    async def next(self, timeout: float | None = None) -> Item | None:
        """The next item; None when `timeout` passed first (the protocol sends a keep-alive)."""
        while True:
            if self._now is not None:
                return self._deliver_end(self._now)
            if self._queue:
                self.events += 1
                self.hub.delivered += 1
                return self._queue.popleft()
            if self._end is not None:
                return self._deliver_end(self._end)
            self._wake.clear()
            if timeout is None:
                await self._wake.wait()
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                return None

    def _deliver_end(self, end: End) -> End:
        self._delivered_end = True
        self._final = end
        self._queue.clear()
        if end.result is not None:
            self.events += 1
            self.hub.delivered += 1
        return end

    @property
    def end_reason(self) -> str:
        """Why it ended: the code of its last error, `complete` (the subgraph completed it) or
        `client` (the client left, or stopped it, first)."""
        final = self._final
        if final is None:
            return "client"
        return final.code or "complete"

    def access_line(self) -> dict[str, Any]:
        """One access line per subscription end, beside the request lines of the same log."""
        ctx = self.ctx
        request = ctx.request
        op = ctx.operation
        accept = request.headers.get("accept", "")
        transport = "websocket" if request.method == "WEBSOCKET" else "sse" if "text/event-stream" in accept \
            else "multipart" if "multipart/mixed" in accept else "sse-single"
        return {
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "level": "info",
            "service": "router", "logger": "router.access", "kind": "subscription_end",
            "transport": transport, "operation": op.name if op is not None else None, "client": self.client,
            "subgraph": self.root.service, "events": self.events, "end": self.end_reason,
            "duration_ms": round((time.perf_counter() - self.started) * 1000, 2),
        }

    def abort(self, end: End) -> None:
        """Ends it now, before anything still queued (token expiry, shutdown, a slow client)."""
        if self._now is None and not self._delivered_end:
            self._now = end
            self._wake.set()
            if self.on_abort is not None:
                self.on_abort(end)
        self._stop_producer()

    def _finish(self, end: End) -> None:
        if self._end is None:
            self._end = end
            self._wake.set()

    def _push(self, result: dict[str, Any]) -> bool:
        if len(self._queue) >= self.hub.settings.queue_size:
            limit = self.hub.settings.queue_size
            log.warning("subscription closed: the client is too slow (%d events unread)", limit)
            self.abort(End({"errors": [error(f"The client reads too slowly: {limit} events were waiting; "
                                             "the subscription is closed.", TOO_SLOW)]}, TOO_SLOW))
            return False
        self._queue.append(Event(result))
        self._wake.set()
        return True

    def _stop_producer(self) -> asyncio.Task[None] | None:
        channel = self.channel
        return channel.leave(self) if channel is not None else None

    async def close(self) -> None:
        """The client left or the stream was delivered: leave the subgraph subscription (closed
        when nobody else reads it), free the slot."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        task = self._stop_producer()
        if task is not None:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self.hub.release(self)

    async def execute(self, answer: dict[str, Any]) -> dict[str, Any]:
        """The rest of the plan on one event of the subgraph subscription: the result before
        the plugins after execution."""
        ctx, router = self.ctx, self.hub.router
        op, plan = ctx.operation, ctx.plan
        assert op is not None and plan is not None
        if self._send is None:
            self._send = router.subgraph_send(ctx)
        ex = EventExecution(plan, op.variables, self._send, answer)
        await ex.run()
        return ex.response()

    async def deliver(self, result: dict[str, Any]) -> None:
        """This client's plugins after execution on its copy of an event's result, into its queue."""
        if self.gone:
            return
        ctx = self.ctx
        ctx.result = result
        await self.hub.router.respond(ctx)
        self._push(ctx.result)

    @property
    def gone(self) -> bool:
        """Ended, or ending: nothing more is queued for it."""
        return self._now is not None or self._delivered_end or self._end is not None

    def finish_complete(self) -> None:
        self._finish(End())

    def finish_internal_error(self) -> None:
        self._finish(End({"errors": [error("Internal router error.", "INTERNAL_SERVER_ERROR")]},
                         "INTERNAL_SERVER_ERROR"))

    async def failed(self, e: SubgraphError) -> None:
        ctx = self.ctx
        ctx.result = {"data": None, "errors": [{"message": str(e),
                                                "extensions": {"code": e.code, "serviceName": self.root.service}}]}
        await self.hub.router.respond(ctx)  # masked like any fetch failure
        self._finish(End(ctx.result, e.code))
