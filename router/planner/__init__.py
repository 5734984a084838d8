"""Query planning: pure functions from (supergraph, operation) to a `Plan`, plus the plan cache."""

from __future__ import annotations

from collections import OrderedDict

from ..executor.shape import compile_shape
from ..operation import Operation, normalize
from ..supergraph import Supergraph
from .builder import Builder, PlanningError
from .plan import Plan, build_fetches, plan_shape, print_plan, schedule, variable_definitions
from .prune import prune

__all__ = ["QueryPlanner", "Plan", "PlanningError", "build_plan", "print_plan", "plan_shape"]


def build_plan(sg: Supergraph, operation: Operation, labels: frozenset[str] = frozenset(),
               denied: frozenset[tuple[str, str]] = frozenset()) -> Plan:
    """`denied`: (type, field) coordinates the caller may not read (see `prune`)."""
    sel = normalize(sg.api_schema, operation)
    planned = prune(sel, denied) if denied else sel
    builder = Builder(sg, labels)
    roots = builder.plan_root(operation.kind, planned)
    segments = schedule(roots, operation.kind)
    steps = build_fetches(segments, operation.name, variable_definitions(operation.definition), operation.kind)
    plan = Plan(operation.kind, steps, compile_shape(sel), root_type=operation.root_type)
    plan.introspection = [f for f in sel.by_type[sel.type] if f.introspection]
    return plan


class QueryPlanner:
    """Plans cached by (document, operation name, @skip/@include variable values, labels).
    The cache is an LRU bounded by entry count and by an estimate of the plans' size."""

    def __init__(self, sg: Supergraph, max_entries: int = 2048, max_bytes: int = 64 << 20) -> None:
        self.sg = sg
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._cache: OrderedDict[tuple, tuple[Plan, int]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def plan(self, operation: Operation, labels: frozenset[str] = frozenset(),
             denied: frozenset[tuple[str, str]] = frozenset()) -> Plan:
        key = (operation.document.text, operation.name, operation.condition_key, labels, denied)
        got = self._cache.get(key)
        if got is not None:
            self._cache.move_to_end(key)
            self.hits += 1
            return got[0]
        self.misses += 1
        plan = build_plan(self.sg, operation, labels, denied)
        size = 4 * len(operation.document.text) + sum(len(f.operation) for s in plan.steps for f in s) + 4096
        self._cache[key] = (plan, size)
        self._bytes += size
        while len(self._cache) > self.max_entries or self._bytes > self.max_bytes:
            _, (_, sz) = self._cache.popitem(last=False)
            self._bytes -= sz
        return plan
