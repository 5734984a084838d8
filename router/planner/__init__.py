"""Query planning: pure functions from (supergraph, operation) to a `Plan`, plus the plan cache.

The stages, one module each: `graph` (the query graph, built once per supergraph), `paths`
(path finding over it: where each selection is collected, which jumps and conditions it
needs), `fetch` (the fetch dependency graph built from those paths, merged), `aliases`
(fields a subgraph query could not hold together), `plan` (plans as data, printing).
"""

from __future__ import annotations

from shared.lru import LRU

from ..operation import Operation, normalize
from ..supergraph import Supergraph
from .defer import assign_shared, has_defer, split_defer
from .defer_parts import plan_parts
from .fetch import FetchGraph
from .graph import QueryGraph
from .paths import PathFinder, PlanningError
from .plan import Plan, emit, plan_shape, print_plan
from .prune import prune

__all__ = ["QueryPlanner", "QueryGraph", "Plan", "PlanningError", "build_plan", "print_plan", "plan_shape"]


def build_plan(sg: Supergraph, operation: Operation, labels: frozenset[str] = frozenset(),
               denied: frozenset[tuple[str, str]] = frozenset(), graph: QueryGraph | None = None) -> Plan:
    """`denied`: (type, field) coordinates the caller may not read (see `prune`)."""
    if graph is None:
        graph = QueryGraph(sg)
    sel = normalize(sg.api_schema, operation)
    planned = prune(sel, denied) if denied else sel
    split = split_defer(sg.api_schema, operation, denied) if has_defer(operation) else None
    if split is not None and operation.kind != "subscription":  # events carry deferred fields inline
        try:
            steps = plan_parts(sg, graph, labels, operation, split, planned)
        except PlanningError:  # parts the planner cannot place apart: planned as a whole below
            steps = None
        if steps is not None:
            plan = Plan(operation.kind, steps, sel, root_type=operation.root_type)
            plan.introspection = [f for f in sel.by_type[sel.type] if f.introspection]
            plan.defer = split
            return plan
    finder = PathFinder(graph, labels)
    fetches = FetchGraph(sg, graph)
    root_fields = planned.by_type[planned.type]
    if operation.kind == "mutation":
        fetches.add_mutation(finder.place_mutation(root_fields), planned)
    else:
        fetches.add_roots(finder.place_root(operation.kind, root_fields), planned)
    fetches.merge()
    fetches.merge_leaves()
    steps = emit(fetches, operation.kind, operation.name, operation.definition)
    plan = Plan(operation.kind, steps, sel, root_type=operation.root_type)
    plan.introspection = [f for f in sel.by_type[sel.type] if f.introspection]
    if split is not None:  # a fragment the parts planner could not place: planned as a whole
        assign_shared(split, plan)
        plan.defer = split
    return plan


class QueryPlanner:
    """Plans cached by (document, operation name, @skip/@include variable values, labels,
    denied coordinates). The cache is an LRU bounded by entry count and by an estimate of
    the plans' size. The query graph is built once, with the planner."""

    def __init__(self, sg: Supergraph, max_entries: int = 2048, max_bytes: int = 64 << 20) -> None:
        self.sg = sg
        self.graph = QueryGraph(sg)
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._cache: LRU[tuple[object, ...], Plan] = LRU(max_entries, max_bytes)
        self.hits = 0
        self.misses = 0

    def plan(self, operation: Operation, labels: frozenset[str] = frozenset(),
             denied: frozenset[tuple[str, str]] = frozenset()) -> Plan:
        key = (operation.document.text, operation.name, operation.condition_key, labels, denied)
        got = self._cache.get(key)
        if got is not None:
            self.hits += 1
            return got
        self.misses += 1
        plan = build_plan(self.sg, operation, labels, denied, self.graph)
        size = 4 * len(operation.document.text) + sum(len(f.operation) for f in plan.fetches) + 4096
        self._cache.put(key, plan, size)
        return plan
