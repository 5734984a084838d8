"""Telemetry (`telemetry:`): Prometheus metrics, OpenTelemetry traces, JSON access logs.

An ASGI middleware sees every HTTP request, also those refused before the pipeline runs or by
another plugin: it assigns the request id (a safe incoming `x-request-id`, else a new one,
echoed in the response), opens the server span (continuing a client's `traceparent`), and at
the end counts the request, its latency and its errors by code, and writes one access line.
Around each subgraph fetch it opens a client span, sends `traceparent` and `x-request-id`
(so the subgraph continues the trace and logs the same request id) and records the fetch's
latency and failures. Unconfigured, none of it exists: `build` returns None.

The plugin comes first in the plugin list: its `on_request` only remembers the request's
Context (so the access line can name the client and operation even when a later plugin
refuses the request), and its fetch wrapper is the outermost one (one span per logical fetch,
retries inside it).
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

import orjson
from opentelemetry import context as otel_context  # the API only; the SDK loads with tracing on
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context
from pydantic import Field
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message, Scope

from ..config import Config, ConfigError, is_production
from ..errors import SubgraphError
from ..metrics import CONTENT_TYPE, RouterMetrics
from ..metrics_listener import MetricsListener, parse_address
from ..pipeline import Context, GraphQLRequest, HeadersSend
from ..settings import Settings, validate
from .base import Hook, Plugin

PRODUCTION_METRICS_PORT = 9090

SECTION = "telemetry"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_QUIET_PATHS = ("/health", "/ready")


@dataclass
class Record:
    request_id: str
    ctx: Context | None = None


CURRENT: contextvars.ContextVar[Record | None] = contextvars.ContextVar("router_request", default=None)


@dataclass
class TelemetryConfig:
    service_name: str = "router"
    metrics: bool = False
    metrics_path: str = "/metrics"
    metrics_listen: str | None = None  # HOST:PORT of a port of its own; "main": the client port
    tracing: bool = False
    exporter: str = "none"
    endpoint: str | None = None
    exporter_headers: dict[str, str] | None = None
    sample_ratio: float = 1.0
    access_log: bool = False


class MetricsSettings(Settings):
    enabled: bool = True
    path: str = "/metrics"
    listen: str | None = None  # HOST:PORT of a port of its own; "main": the client port


class TracingSettings(Settings):
    enabled: bool = True
    exporter: Literal["none", "console", "otlp"] = "none"
    endpoint: str | None = None
    headers: dict[str, Any] = {}
    sample_ratio: float = Field(1.0, ge=0)


class AccessLogSettings(Settings):
    enabled: bool = True


class TelemetrySettings(Settings):
    """`telemetry:` in router.yaml."""

    service_name: str = "router"
    metrics: MetricsSettings | None = None
    tracing: TracingSettings | None = None
    access_log: AccessLogSettings | None = None


def parse(raw: Any) -> TelemetryConfig:
    """A raw section (a test, a tool) read as the plugin reads its validated one."""
    return config_of(validate(TelemetrySettings, SECTION, raw))


def config_of(s: TelemetrySettings) -> TelemetryConfig:
    cfg = TelemetryConfig(service_name=s.service_name)
    if (m := s.metrics) is not None:
        cfg.metrics, cfg.metrics_path, cfg.metrics_listen = m.enabled, m.path, m.listen
        if cfg.metrics_listen not in (None, "main"):
            parse_address(cfg.metrics_listen, f"{SECTION}.metrics.listen")
        if not cfg.metrics_path.startswith("/"):
            raise ConfigError(f"{SECTION}.metrics.path: must start with /, got {cfg.metrics_path!r}")
    if (t := s.tracing) is not None:
        cfg.tracing, cfg.exporter, cfg.endpoint = t.enabled, t.exporter, t.endpoint
        cfg.exporter_headers = {str(k): str(v) for k, v in t.headers.items()}
        if t.sample_ratio > 1:
            raise ConfigError(f"{SECTION}.tracing.sample_ratio: must be between 0 and 1, got {t.sample_ratio}")
        cfg.sample_ratio = t.sample_ratio
        if cfg.exporter == "otlp" and not cfg.endpoint:
            raise ConfigError(f"{SECTION}.tracing.endpoint: required with exporter: otlp "
                              "(e.g. http://collector:4318/v1/traces)")
    if (a := s.access_log) is not None:
        cfg.access_log = a.enabled
    return cfg


class _AccessHandler(logging.Handler):
    """Writes the pre-serialised JSON line to the current stdout."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(record.getMessage() + "\n")
            sys.stdout.flush()
        except Exception:  # pragma: no cover - a closed stdout must not fail a request
            self.handleError(record)


def _access_logger() -> logging.Logger:
    logger = logging.getLogger("router.access")
    if not any(isinstance(h, _AccessHandler) for h in logger.handlers):
        logger.addHandler(_AccessHandler())
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


class Telemetry(Plugin[TelemetrySettings]):
    section = SECTION
    settings = TelemetrySettings

    @classmethod
    def from_config(cls, s: TelemetrySettings, config: Config) -> "Telemetry | None":
        cfg = config_of(s)
        if not (cfg.metrics or cfg.tracing or cfg.access_log):
            return None
        if cfg.metrics and cfg.metrics_listen is None and is_production(os.environ):
            cfg.metrics_listen = f"{config.host}:{PRODUCTION_METRICS_PORT}"  # never on the client port
        if cfg.metrics_listen not in (None, "main") and config.workers > 1:
            raise ConfigError(f"{SECTION}.metrics.listen: one port cannot serve {config.workers} workers' metrics; "
                              "use server.workers: 1, or listen: main (each scrape then sees one worker)")
        return cls(cfg)

    def __init__(self, cfg: TelemetryConfig) -> None:
        self.cfg = cfg
        self.metrics: RouterMetrics | None = None
        self.tracing = None
        self.router: Any = None
        self.listener: MetricsListener | None = None
        if cfg.tracing:
            from ..tracing import Tracing, make_exporter

            self.tracing = Tracing(cfg.service_name, make_exporter(cfg.exporter, cfg.endpoint, cfg.exporter_headers),
                                   cfg.sample_ratio)
        self.log = _access_logger() if cfg.access_log else None
        # fetch spans and fetch metrics only when there is something to record
        self._hooks: frozenset[Hook] = frozenset({"on_request", "wrap_send"} if cfg.metrics or cfg.tracing
                                                 else {"on_request"})

    # ------------------------------------------------------------------ http level
    def hooks(self) -> frozenset[Hook]:
        return self._hooks

    def routes(self, router: Any) -> list[BaseRoute]:
        """Called by http.create_app with the router (the plan cache is read at scrape time)."""
        self.router = router
        if not self.cfg.metrics:
            return []
        self.metrics = RouterMetrics(lambda: router.state.planner)
        metrics = self.metrics
        if self.cfg.metrics_listen not in (None, "main"):
            address = parse_address(self.cfg.metrics_listen, f"{SECTION}.metrics.listen")
            self.listener = MetricsListener(metrics.registry, address)
            return []  # not on the client port

        async def scrape(request: Request) -> Response:
            return Response(metrics.render(), media_type=CONTENT_TYPE)

        return [Route(self.cfg.metrics_path, scrape, methods=["GET"])]

    def middleware(self) -> list[Middleware]:
        """The access log, request metrics and the server span around every HTTP request."""
        return [Middleware(self.wrap_asgi)]

    def wrap_asgi(self, app: Any) -> Any:
        telemetry = self
        skip = {*_QUIET_PATHS, self.cfg.metrics_path}

        async def middleware(scope: Scope, receive: Any, send: Any) -> None:
            if scope["type"] != "http" or scope["path"] in skip:
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            incoming = ""
            for name, value in scope["headers"]:
                if name == b"x-request-id":
                    incoming = value.decode("latin-1")
                    break
            rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
            record = Record(rid)
            token = CURRENT.set(record)
            status = 500
            rid_header = (b"x-request-id", rid.encode())

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    message["headers"] = [*message.get("headers", ()), rid_header]
                await send(message)

            span = None
            otel_token = None
            tracing = telemetry.tracing
            if tracing is not None:
                carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
                           if k in (b"traceparent", b"tracestate")}
                span = tracing.tracer.start_span(f"{scope['method']} {scope['path']}", context=tracing.extract(carrier),
                                                 kind=SpanKind.SERVER,
                                                 attributes={"http.request.method": scope["method"],
                                                             "url.path": scope["path"], "router.request_id": rid})
                otel_token = otel_context.attach(set_span_in_context(span))
            try:
                await app(scope, receive, send_with_id)
            finally:
                CURRENT.reset(token)
                telemetry._finish(scope, record, status, time.perf_counter() - started, span)
                if otel_token is not None:
                    otel_context.detach(otel_token)

        return middleware

    def _finish(self, scope: Scope, record: Record, status: int, seconds: float, span: Any) -> None:
        req = scope.get("router.request")
        body = scope.get("router.body")
        ctx = record.ctx
        errors = body.get("errors") if isinstance(body, dict) else None
        payload = ctx.payload if ctx is not None else None
        if errors is None and payload is not None:  # a deferred answer: the errors of all its parts
            errors = payload.errors
        if self.metrics is not None:
            self.metrics.request(status, seconds, errors)
            cost = ctx.cost_estimated if ctx is not None else None  # set by demand_control
            if ctx is not None and cost is not None:
                self.metrics.cost.observe(cost)
                measured = ctx.cost_actual
                if measured is not None:
                    self.metrics.cost_actual.observe(measured)
        op_name = op_type = None
        if ctx is not None and ctx.operation is not None:
            op_name, op_type = ctx.operation.name, ctx.operation.kind
        elif req is not None:
            op_name = req.operation_name
        trace_id = None
        if span is not None:
            sc = span.get_span_context()
            trace_id = format(sc.trace_id, "032x")
            span.set_attribute("http.response.status_code", status)
            if op_name:
                span.set_attribute("graphql.operation.name", op_name)
                span.update_name(f"{op_type or 'query'} {op_name}")
            if op_type:
                span.set_attribute("graphql.operation.type", op_type)
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
            span.end()
        if self.log is not None:
            line: dict[str, Any] = {
                "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "level": "info", "service": "router", "logger": "router.access", "request_id": record.request_id,
                "method": scope["method"], "path": scope["path"], "operation": op_name,
                "client": _client(ctx, req, scope), "status": status,
                "duration_ms": round(seconds * 1000, 2),
            }
            if errors:
                line["errors"] = sorted({(e.get("extensions") or {}).get("code") or "NONE"
                                         for e in errors if isinstance(e, dict)})
            if trace_id:
                line["trace_id"] = trace_id
            self.log.info(orjson.dumps(line).decode())

    # ------------------------------------------------------------------ pipeline hooks
    async def on_request(self, ctx: Context) -> None:
        record = CURRENT.get()
        if record is not None:
            record.ctx = ctx
        return None

    def wrap_send(self, ctx: Context, send: HeadersSend) -> HeadersSend:
        record = CURRENT.get()
        rid = record.request_id if record is not None else None
        metrics = self.metrics
        tracing = self.tracing

        async def observed(service: str, body: bytes, headers: dict[str, str] | None) -> dict[str, Any]:
            h = dict(headers) if headers else {}
            if rid is not None:
                h["x-request-id"] = rid
            started = time.perf_counter()
            span = otel_token = None
            if tracing is not None:
                # no attributes: each costs a validation pass in the SDK; the name says the subgraph
                span = tracing.tracer.start_span(f"fetch {service}", kind=SpanKind.CLIENT)
                otel_token = otel_context.attach(set_span_in_context(span))
                tracing.inject(h)
            code = None
            try:
                return await send(service, body, h)
            except SubgraphError as e:
                code = e.code
                raise
            finally:
                if metrics is not None:
                    metrics.fetch(service, time.perf_counter() - started, code)
                if span is not None:
                    if code is not None:
                        span.set_status(Status(StatusCode.ERROR, code))
                    span.end()
                if otel_token is not None:
                    otel_context.detach(otel_token)

        return observed

    async def aclose(self) -> None:
        if self.tracing is not None:
            self.tracing.shutdown()
        if self.listener is not None:
            self.listener.close()


def _client(ctx: Context | None, req: GraphQLRequest | None, scope: Scope) -> str | None:
    if ctx is not None:
        if ctx.claims and isinstance(ctx.claims.get("sub"), str):
            sub: str = ctx.claims["sub"]
            return "sub:" + sub
        if ctx.client_ip:
            return ctx.client_ip
    if req is not None and req.remote_addr:
        return req.remote_addr
    client: tuple[str, int] | None = scope.get("client")
    return client[0] if client else None


def build(config: Config) -> Telemetry | None:
    s = config.section(SECTION, TelemetrySettings)
    return Telemetry.from_config(s, config) if s is not None else None
