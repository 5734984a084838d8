"""Continue the router's trace: the server span of each request is a child of the incoming
W3C `traceparent` (a new trace without one), so one trace id runs from the client through
the router into every subgraph, and the JSON log lines carry it (see logging.py).

Spans are exported where the standard OpenTelemetry variables say: OTEL_TRACES_EXPORTER
(`otlp`, `console` or `none`, the default) and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT /
OTEL_EXPORTER_OTLP_ENDPOINT for OTLP over HTTP."""

from __future__ import annotations

import os
import sys

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.types import ASGIApp, Receive, Scope, Send

_PROPAGATOR = TraceContextTextMapPropagator()


def make_tracer(service: str, env: dict[str, str] | None = None) -> trace.Tracer:
    env = dict(os.environ) if env is None else env
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    kind = env.get("OTEL_TRACES_EXPORTER", "none").lower()
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # endpoint from the env
    elif kind == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
    return provider.get_tracer(service)


class TraceMiddleware:
    """Pure ASGI: one server span per HTTP request, current while the app (and the request
    log middleware inside it) runs."""

    def __init__(self, app: ASGIApp, tracer: trace.Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])
                   if k in (b"traceparent", b"tracestate")}
        with self.tracer.start_as_current_span(
            f"{scope['method']} {scope['path']}", context=_PROPAGATOR.extract(carrier),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": scope["method"], "url.path": scope["path"]},
        ):
            await self.app(scope, receive, send)
