"""`@defer` planned part by part: the primary selection first, then each deferred fragment
from the fetch that holds the object it sits on, in fetches of its own.

A null in a non-null field propagates up to the nearest nullable position, in the subgraph as
in the router. Had a deferred field been fetched with the fields the initial payload shows, a
subgraph failing on it would null the object holding both, and so the initial payload (the
incremental delivery spec and Apollo Router keep the initial payload whole). So a deferred
fragment's fields that its parent's fetch could collect (no jump) and that include a non-null
field go to an entity fetch of their own, keyed on the parent's key, in the same subgraph; a
root-level fragment of a query gets root fetches of its own. Deferred fetches are never merged
nor batched with another part's, so no initial payload waits for them.

Where the parent has no key in that subgraph the fields stay in the parent's fetch (as for a
value type: nothing else can fetch them). When a fragment's position cannot be found in the
fetches planned, or sits on an abstract position the planner did not split by type (an
interface object's), `plan_parts` answers None and the operation is planned as a whole (`defer.assign_shared`).
"""

from __future__ import annotations

from dataclasses import replace

from graphql import GraphQLSchema, is_abstract_type

from ..operation import FieldSel, Operation, Sel
from ..supergraph import Supergraph
from .defer import DeferPlan, Step, _closure, applies
from .fetch import FetchGraph, FetchNode, Frame, PathStep
from .graph import OBJECT, QueryGraph
from .paths import Jump, PathFinder, Placement
from .plan import Fetch, emit

__all__ = ["plan_parts"]


def plan_parts(sg: Supergraph, graph: QueryGraph, labels: frozenset[str], operation: Operation,
               split: DeferPlan, whole: Sel) -> list[Fetch] | None:
    """The fetches of every part, ownership set on `split`; None: plan it as a whole.
    `whole`: the operation's selection with every fragment in place; working-data keys are
    decided against it, so that a key field one part adds never takes another part's key."""
    schema = sg.api_schema
    finder = PathFinder(graph, labels)
    fg = FetchGraph(sg, graph)
    fg.positions = {}
    primary = _with_typenames(schema, split.primary)
    root_fields = primary.by_type[primary.type]
    if operation.kind == "mutation":
        fg.add_mutation(finder.place_mutation(root_fields), whole)
    else:
        fg.add_roots(finder.place_root(operation.kind, root_fields), whole)
    heads: dict[int, list[FetchNode]] = {}
    for d in split.deferred:
        fg.part = d.id
        sel = _with_typenames(schema, d.selection)
        heads[d.id] = []
        if not d.steps:  # at the root: root fetches of its own
            fields = [f for f in sel.by_type.get(sel.type, ()) if not f.introspection]
            if operation.kind != "query":
                return None
            if fields:
                fg.add_roots(finder.place_root("query", fields), whole)
            continue
        wanted = {t: fs for t, fs in sel.by_type.items() if fs and all(applies(schema, c, t) for c in d.conditions)}
        frames = [f for f in fg.positions.get(tuple(k for k, _ in d.steps), [])
                  if _on_the_way(schema, f.path, d.steps)]
        if any(f.node.kind != OBJECT for f in frames):
            return None  # an abstract position not split by type (an interface object): planned as a whole
        for type_name, fields in sorted(wanted.items()):
            found = _heads(frames, type_name)
            if not found:
                if not [f for f in fields if f.name != "__typename"]:
                    continue  # only __typename: the primary part answers it
                return None
            for frame in found:
                heads[d.id].append(frame.fn)
                placement = finder.place(frame.node, fields)
                if placement.residual:
                    return None
                fg.add_at(frame, _isolated(finder, graph, placement))
    fg.part = None
    fg.merge()
    fg.merge_leaves()
    fetches = emit(fg, operation.kind, operation.name, operation.definition)
    _assign(split, fetches, heads, fg.merged_into)
    return fetches


def _heads(frames: list[Frame], type_name: str) -> list[Frame]:
    """Per working-data position (type conditions included: one object may be reached through
    several fragments), the first fetch holding an object of that type there."""
    best: dict[tuple[object, ...], Frame] = {}
    for f in frames:
        if f.node.kind != OBJECT or f.node.type != type_name:
            continue
        got = best.get(f.path)
        if got is None or (f.fn.depth, f.fn.id) < (got.fn.depth, got.fn.id):
            best[f.path] = f
    return list(best.values())


def _on_the_way(schema: GraphQLSchema, path: tuple[PathStep, ...], steps: tuple[Step, ...]) -> bool:
    """Whether a working-data path runs where the fragment is: each type the path narrows an
    object to on the way takes the type conditions the fragment sits under."""
    i = 0
    narrowed: list[str] = []
    for p in path:
        if isinstance(p, frozenset):
            narrowed.extend(p)
        elif p != "@":
            if i >= len(steps):
                return False
            conds = steps[i][1]
            if any(not applies(schema, c, t) for t in narrowed for c in conds):
                return False
            narrowed = []
            i += 1
    return True


def _isolated(finder: PathFinder, graph: QueryGraph, pl: Placement) -> Placement:
    """The placement with its fields collected at the parent moved to an entity fetch of
    their own (same subgraph, the parent's key), when one of them is non-null."""
    if not any(loc.field.nonnull and loc.field.name != "__typename" for loc in pl.locals):
        return pl
    node = pl.node
    for edge in graph.key_edges(node):
        if edge.tail.subgraph != node.subgraph or edge.tail.type != node.type:
            continue
        key = finder.key_placement(node, edge)
        if key is None:
            continue
        at_tail = finder.place(edge.tail, [loc.field for loc in pl.locals])
        if at_tail.jumps or at_tail.residual:
            continue
        jump = Jump(edge, key, locals=list(at_tail.locals))
        return Placement(node, [], [jump, *pl.jumps], [], pl.cost)
    return pl


def _with_typenames(schema: GraphQLSchema, sel: Sel) -> Sel:
    """A copy where a composite field left with no field (its fields all deferred) asks for
    `__typename` (a subgraph query cannot select nothing), and so does every abstract position."""
    by_type: dict[str, list[FieldSel]] = {}
    for t, fields in sel.by_type.items():
        out = []
        if sel.abstract and not any(f.key == "__typename" for f in fields):
            out.append(_TYPENAME)  # which fragments apply: a part may hold none of the fields that would tell
        for f in fields:
            if f.sub is not None:
                sub = f.sub
                if not any(sub.by_type.values()):
                    sub = _typename_only(schema, sub)
                f = replace(f, sub=_with_typenames(schema, sub))
            out.append(f)
        by_type[t] = out
    return Sel(sel.type, sel.abstract, by_type, sel.untyped)


def _typename_only(schema: GraphQLSchema, sel: Sel) -> Sel:
    t = schema.get_type(sel.type)
    types = [o.name for o in schema.get_possible_types(t)] if t is not None and is_abstract_type(t) else [sel.type]
    return Sel(sel.type, sel.abstract, {name: [_TYPENAME] for name in types}, sel.untyped)


_TYPENAME = FieldSel("__typename", "__typename", (), (), None, None, True)


def _assign(split: DeferPlan, fetches: list[Fetch], heads: dict[int, list[FetchNode]],
            merged_into: dict[FetchNode, FetchNode]) -> None:
    fetch_of: dict[FetchNode, int] = {n: f.id for f in fetches for n in f.nodes}

    def fetch_id(n: FetchNode) -> int | None:
        while n not in fetch_of and n in merged_into:
            n = merged_into[n]
        return fetch_of.get(n)

    closure = _closure(fetches)
    split.primary_fetches = closure({f.id for f in fetches if f.part is None})
    owner: dict[int, int | None] = {fid: None for fid in split.primary_fetches}
    for d in split.deferred:
        mine = {f.id for f in fetches if f.part == d.id}
        waits = {fid for n in heads[d.id] if (fid := fetch_id(n)) is not None}
        d.fetches = closure(mine | waits)
        for fid in d.fetches:
            owner.setdefault(fid, d.id)
    split.owner = owner
