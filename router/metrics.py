"""Prometheus metrics of one router (its own registry, so that several routers in one process,
as in tests, do not share counters). Labels are bounded: HTTP status, error codes (subgraphs
send codes of their own, so a code must look like one and at most `MAX_CODES` distinct codes
are kept; the rest count as OTHER), subgraph names (from the supergraph), limit names."""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.metrics_core import Metric

from .planner import QueryPlanner

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MAX_CODES = 64
_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")

_LATENCY = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _PlanCache:
    """Reads the planner's own hit/miss counters at scrape time (nothing on the request path)."""

    def __init__(self, planner: Callable[[], QueryPlanner]) -> None:
        self.planner = planner

    def describe(self) -> Iterable[Metric]:
        return []

    def collect(self) -> Iterable[Metric]:
        p = self.planner()
        hits = CounterMetricFamily("router_plan_cache_hits", "Query plans served from the plan cache.")
        misses = CounterMetricFamily("router_plan_cache_misses", "Query plans computed (not in the plan cache).")
        hits.add_metric([], p.hits)
        misses.add_metric([], p.misses)
        yield hits
        yield misses


class RouterMetrics:
    def __init__(self, planner: Callable[[], QueryPlanner] | None = None) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("router_http_requests", "HTTP requests answered, by status.",
                                ["status"], registry=r)
        self.duration = Histogram("router_http_request_duration_seconds",
                                  "Time from request to response.", buckets=_LATENCY, registry=r)
        self.errors = Counter("router_graphql_errors", "GraphQL errors in responses, by extensions.code.",
                              ["code"], registry=r)
        self.fetch_duration = Histogram("router_subgraph_fetch_duration_seconds",
                                        "Subgraph fetch latency (each attempt).", ["subgraph"],
                                        buckets=_LATENCY, registry=r)
        self.fetch_errors = Counter("router_subgraph_fetch_errors", "Failed subgraph fetches, by code.",
                                    ["subgraph", "code"], registry=r)
        self.rate_limited = Counter("router_rate_limit_rejections", "Requests refused by a rate limit.",
                                    ["limit"], registry=r)
        cost_buckets = (1, 10, 100, 500, 1000, 5000, 10000, 50000, 100000)
        self.cost = Histogram("router_operation_cost_estimated", "Estimated static cost of operations (demand control).",
                              buckets=cost_buckets, registry=r)
        self.cost_actual = Histogram("router_operation_cost_actual",
                                     "Cost of what the responses held, by the same rules (demand control).",
                                     buckets=cost_buckets, registry=r)
        if planner is not None:
            r.register(_PlanCache(planner))
        self._codes: set[str] = set()
        self._status: dict[int, Any] = {}
        self._fetch: dict[str, Any] = {}  # label children cached: .labels() takes a lock each call

    def _code(self, code: Any) -> str:
        if not isinstance(code, str) or not _CODE.match(code):
            return "OTHER" if code is not None else "NONE"
        if code in self._codes:
            return code
        if len(self._codes) >= MAX_CODES:
            return "OTHER"
        self._codes.add(code)
        return code

    def request(self, status: int, seconds: float, errors: list[Any] | None) -> None:
        c = self._status.get(status)
        if c is None:
            c = self._status[status] = self.requests.labels(str(status))
        c.inc()
        self.duration.observe(seconds)
        if errors:
            for e in errors:
                ext = e.get("extensions") if isinstance(e, dict) else None
                code = ext.get("code") if isinstance(ext, dict) else None
                self.errors.labels(self._code(code)).inc()
                if code == "RATE_LIMITED" and isinstance(ext, dict):
                    limit = ext.get("limit")
                    self.rate_limited.labels(limit if limit in ("client", "ip", "global", "operation") else "other").inc()

    def fetch(self, subgraph: str, seconds: float, error_code: str | None) -> None:
        h = self._fetch.get(subgraph)
        if h is None:
            h = self._fetch[subgraph] = self.fetch_duration.labels(subgraph)
        h.observe(seconds)
        if error_code is not None:
            self.fetch_errors.labels(subgraph, self._code(error_code)).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
