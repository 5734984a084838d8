"""OpenTelemetry tracing for the router: a tracer provider of its own (not the process-global
one, so one process can hold several routers) with the configured exporter, and W3C trace
context (`traceparent`) read from clients and written to subgraph requests."""

from __future__ import annotations

import sys
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased, TraceIdRatioBased
from opentelemetry.trace import Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

PROPAGATOR = TraceContextTextMapPropagator()


def make_exporter(kind: str, endpoint: str | None, headers: dict[str, str] | None = None) -> SpanExporter | None:
    if kind == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter(endpoint=endpoint, headers=headers or None)
    if kind == "console":
        return ConsoleSpanExporter(out=sys.stderr)
    return None


class Tracing:
    def __init__(self, service_name: str = "router", exporter: SpanExporter | None = None,
                 sample_ratio: float = 1.0) -> None:
        self.provider = TracerProvider(resource=Resource.create({"service.name": service_name}),
                                       sampler=ParentBased(ALWAYS_ON if sample_ratio >= 1 else
                                                           TraceIdRatioBased(sample_ratio)))
        if exporter is not None:
            self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self.tracer: Tracer = self.provider.get_tracer("router")

    @staticmethod
    def extract(headers: dict[str, str]) -> Any:
        return PROPAGATOR.extract(headers)

    @staticmethod
    def inject(headers: dict[str, str]) -> None:
        PROPAGATOR.inject(headers)

    def shutdown(self) -> None:
        self.provider.shutdown()
