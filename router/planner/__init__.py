"""Query planning: pure functions from (supergraph, operation) to a `Plan`, plus the plan cache.

The stages, one module each: `graph` (the query graph, built once per supergraph), `paths`
(path finding over it: where each selection is collected, which jumps and conditions it
needs), `fetch` (the fetch dependency graph built from those paths, merged), `aliases`
(fields a subgraph query could not hold together), `plan` (plans as data, printing).
"""

from __future__ import annotations

from collections.abc import Callable

from shared.lru import LRU

from ..operation import Operation, Sel, normalize
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
    the plans' size. The query graph is built once, with the planner.

    `prepare` (the executor's `footprint.compile_plan`) is called on each new plan before it is
    cached and returns the bytes of what it attached (compiled code): part of the plan's weight,
    and most of it on large selections."""

    def __init__(self, sg: Supergraph, max_entries: int = 2048, max_bytes: int = 64 << 20,
                 prepare: Callable[[Plan], int] | None = None) -> None:
        self.sg = sg
        self.prepare = prepare
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
        size = plan_bytes(operation, plan)
        if self.prepare is not None:
            size += self.prepare(plan)
        self._cache.put(key, plan, size)
        return plan


def plan_bytes(operation: Operation, plan: Plan) -> int:
    """Estimated bytes of a plan without its compiled code: per field of the normalised
    selection (a `FieldSel` and its lists), per fetch (its nodes, calls and targets) and the
    fetches' operation strings. Fitted to tracemalloc's count of a plan's allocations on the
    bench operations (`tests/unit/router/test_plan_footprint.py` keeps it within 2x)."""
    return 2048 + 2560 * len(plan.fetches) + 600 * selected_fields(plan.selection) + sum(
        len(f.operation) for f in plan.fetches)


def selected_fields(sel: Sel) -> int:
    """Fields in a selection, each shared sub-selection counted once."""
    seen: set[int] = set()
    todo = [sel]
    n = 0
    while todo:
        s = todo.pop()
        if id(s) in seen:
            continue
        seen.add(id(s))
        for fields in s.by_type.values():
            n += len(fields)
            todo.extend(f.sub for f in fields if f.sub is not None)
    return n
