"""Path finding: for each selection, the cheapest way through the query graph.

At a node (a type in the subgraph the current fetch talks to) each requested field is a
*piece* with options: collect it here (a field edge of this node), or jump by a key edge to
another node that has it (an entity fetch), jumping back into the same subgraph when the
field's `@requires` must be fed first. A jump's conditions (the key's fields, the required
fields) are planned at this same node by the same procedure, so a condition may itself need
jumps: multi-hop key chains, `@requires` chains and round trips come out of the recursion.

Pieces going to the same node share one fetch, so options are chosen together: every set of
jump targets is tried (greedily when there are many) and each piece takes its best option
within the set. A composite field collected somewhere may leave a *residual*: the part of
its sub-selection that subgraph cannot reach (a field of a value type it does not have, a
member it cannot jump from). The residual is a new piece, placed at the same node through
another subgraph, or handed to the parent node when nothing here can take it: that is how
"parent entity calls" and value types split over subgraphs are planned.

Costs are (sequential depth, fetches, fields requested), compared in that order. Results are
memoised per (node, selection); a requirement that needs itself is cut, and the search has
a bound, reached only by pathological operations (a clear PlanningError then).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Callable, Sequence

from ..operation import FieldSel, Sel
from .graph import ABSTRACT, INTERFACE_OBJECT, OBJECT, FieldEdge, KeyEdge, Node, QueryGraph

Cost = tuple[int, int, int]  # (sequential depth, fetches, fields)
Marker = tuple["Node", tuple[str, int]]  # a condition being planned: (node, ("key"|"requires", edge id))
Group = tuple[Node, bool]  # the node a jump goes to, and whether it feeds a @requires
ZERO: Cost = (0, 0, 0)
MAX_EVALUATIONS = 200_000
MAX_EXACT_GROUPS = 8


class PlanningError(Exception):
    """The operation cannot be planned over this supergraph."""


def _par(a: Cost, b: Cost) -> Cost:
    return (max(a[0], b[0]), a[1] + b[1], a[2] + b[2])


@dataclass(slots=True, eq=False)
class Local:
    """A field collected in the fetch of the node it is placed at."""

    field: FieldSel
    edge: FieldEdge
    child: "Child | None"


@dataclass(slots=True, eq=False)
class Child:
    """What a composite field holds at its tail: one placement, or one per concrete type."""

    node: Node
    placement: "Placement | None" = None
    branches: "dict[str, tuple[Node, Placement]] | None" = None
    cost: Cost = ZERO


@dataclass(slots=True, eq=False)
class Jump:
    """An entity fetch from a node: conditions planned at the head, fields at the tail."""

    edge: KeyEdge
    key: "Placement"
    requires: list["Placement | None"] = field(default_factory=list)  # post jumps: one per local, in order
    locals: list[Local] = field(default_factory=list)
    post: bool = False  # feeds a @requires: waits for the required data
    typename: Child | None = None  # an interface object's concrete type, resolved at the tail


@dataclass(slots=True, eq=False)
class Placement:
    node: Node
    locals: list[Local]
    jumps: list[Jump]
    residual: list[FieldSel]
    cost: Cost


@dataclass(slots=True, eq=False)
class _Option:
    piece: FieldSel
    group: tuple[Node, bool] | None  # None: collected here; else (jump tail, post)
    edge: FieldEdge | None
    child: Child | None
    residual: FieldSel | None
    cost: Cost  # effective cost of this piece (depth from the current fetch)
    subgraph: str
    requires: "Placement | None" = None
    typename: Child | None = None


@dataclass(slots=True, eq=False)
class _Group:
    tail: Node
    post: bool
    edge: KeyEdge
    key: "Placement"
    fixed: Cost  # charged once when the group is used


class PathFinder:
    """Plans selections for one operation over one query graph (labels fixed)."""

    def __init__(self, graph: QueryGraph, labels: frozenset[str] = frozenset()) -> None:
        self.graph = graph
        self.sg = graph.sg
        self.labels = labels
        # results with the cut markers they assumed (see _condition): reusable while those are active
        self._memo: dict[tuple[Node, tuple[int, ...], bool], tuple[Placement, frozenset[Marker]]] = {}
        self._children: dict[tuple[Node, int, bool], tuple[Child, frozenset[Marker]]] = {}
        self._groups: dict[tuple[Node, Node, bool], tuple[_Group | None, frozenset[Marker]]] = {}
        self._assumed: list[set[Marker]] = []  # per open computation: the cuts it relied on
        self._active: set[Marker] = set()
        self._evaluations = 0
        self._keep: list[object] = []  # derived selections stay alive: memo keys use id()

    # ------------------------------------------------------------------ placement
    def place(self, node: Node, fields: Sequence[FieldSel], alone: bool = False) -> Placement:
        """`alone`: what this subgraph can collect without any jump (the rest is residual)."""
        key = (node, tuple(map(id, fields)), alone)
        got = self._memo.get(key)
        if got is not None and got[1] <= self._active:
            return got[0]
        self._evaluations += 1
        if self._evaluations > MAX_EVALUATIONS:
            raise PlanningError(f"query planning gave up after {MAX_EVALUATIONS} evaluated options "
                                "(the operation is too large or too deep for this supergraph)")
        self._assumed.append(set())
        try:
            result = self._place(node, fields, alone)
        finally:
            assumed = self._close()
        self._memo[key] = (result, assumed)
        return result

    def key_placement(self, node: Node, edge: KeyEdge) -> Placement | None:
        """A key edge's field set planned at `node` (None: not to be had there), for a jump
        the caller builds itself (`defer_parts`)."""
        return self._condition(node, ("key", id(edge)), edge.key)

    def _close(self) -> frozenset[Marker]:
        """Ends a computation: what it assumed, which its caller now assumes too."""
        assumed = frozenset(self._assumed.pop())
        if self._assumed:
            self._assumed[-1] |= assumed
        return assumed

    def _place(self, node: Node, fields: Sequence[FieldSel], alone: bool) -> Placement:
        pieces = [f for f in fields if not f.introspection and not (f.name == "__typename" and f.sub is None)]
        locals_: list[Local] = []
        residual: list[FieldSel] = []
        chosen: dict[tuple[Node, bool], list[_Option]] = {}
        tried: dict[int, frozenset[str]] = {id(p): frozenset() for p in pieces}
        total = ZERO
        while pieces:
            options = {id(p): self._options(node, p, tried[id(p)], alone) for p in pieces}
            placeable: list[FieldSel] = []
            for p in pieces:
                (placeable if options[id(p)] else residual).append(p)
            picks = self._choose(placeable, options, set(chosen), lambda g: self._fixed(node, g))
            pieces = []
            for p, o in picks:
                if o.group is None:
                    assert o.edge is not None
                    locals_.append(Local(p, o.edge, o.child))
                    total = _par(total, o.cost)
                else:
                    chosen.setdefault(o.group, []).append(o)
                if o.residual is not None:
                    tried[id(o.residual)] = tried[id(p)] | {o.subgraph}
                    pieces.append(o.residual)
        jumps = []
        for gk, opts in chosen.items():
            g = self._group(node, gk[0], gk[1])
            assert g is not None
            j = Jump(g.edge, g.key, post=g.post)
            gcost = g.fixed
            for o in opts:
                if o.typename is not None:
                    j.typename = o.typename
                else:
                    assert o.edge is not None
                    j.locals.append(Local(o.piece, o.edge, o.child))
                if g.post:
                    j.requires.append(o.requires)
                gcost = _par(gcost, o.cost)
            jumps.append(j)
            total = _par(total, gcost)
        return Placement(node, locals_, jumps, residual, total)

    def _fixed(self, node: Node, gk: tuple[Node, bool]) -> Cost:
        g = self._group(node, gk[0], gk[1])
        assert g is not None
        return g.fixed

    # ------------------------------------------------------------------ options
    def _options(self, node: Node, p: FieldSel, tried: frozenset[str], alone: bool = False) -> list[_Option]:
        out: list[_Option] = []
        if alone:
            lo = self._local(node, p, True) if p.name != "__typename" and node.subgraph not in tried else None
            return [lo] if lo is not None else []
        if p.name == "__typename":  # an interface object's concrete type: only by a jump
            for ke in self.graph.key_edges(node):
                tail = ke.tail
                if tail.kind != ABSTRACT or tail.subgraph in tried or self._group(node, tail, False) is None:
                    continue
                assert p.sub is not None
                child = self._child(tail, p.sub)
                if child is not None:
                    out.append(self._jump_option(node, p, (tail, False), None, child, None, typename=child))
            return out
        if node.subgraph not in tried:
            lo = self._local(node, p)
            if lo is not None:
                if lo.residual is None and lo.cost[:2] == (0, 0):
                    return [lo]  # nothing beats collecting it right here
                out.append(lo)
        seen: set[tuple[Node, bool]] = set()
        for ke in self.graph.key_edges(node):
            tail = ke.tail
            if tail.subgraph in tried:
                continue
            edges = [e for e in self.graph.field_edges(tail, p.name) if e.usable(self.labels)]
            if not edges:
                continue
            plain = [e for e in edges if e.requires is None and not e.context]
            if plain:
                if tail.subgraph == node.subgraph:
                    continue  # it would have been collected here
                e, post = plain[0], False
            else:
                e, post = edges[0], True
            if (tail, post) in seen or self._group(node, tail, post) is None:
                continue
            seen.add((tail, post))
            req = None
            if e.requires is not None:
                req = self._condition(node, ("requires", id(e)), e.requires)
                if req is None:
                    continue
            child = None
            if e.tail is not None and p.sub is not None:
                child = self._child(e.tail, p.sub)
                if child is None:
                    continue
            out.append(self._jump_option(node, p, (tail, post), e, child, req))
        return out

    def _jump_option(self, node: Node, p: FieldSel, gk: tuple[Node, bool], e: FieldEdge | None,
                     child: Child | None, req: Placement | None, typename: Child | None = None) -> _Option:
        g = self._group(node, gk[0], gk[1])
        assert g is not None
        ccost = child.cost if child is not None else ZERO
        start = g.key.cost[0] if req is None else max(g.key.cost[0], req.cost[0])
        rfetch, rsize = (req.cost[1], req.cost[2]) if req is not None else (0, 0)
        cost = (start + 1 + ccost[0], ccost[1] + rfetch, ccost[2] + rsize + 1)
        return _Option(p, gk, e, child, self._restrict(p, child), cost, gk[0].subgraph, req, typename)

    def _local(self, node: Node, p: FieldSel, alone: bool = False) -> _Option | None:
        for e in self.graph.field_edges(node, p.name):
            # a @requires field needs the required data in a representation; a @fromContext
            # one an argument per parent: both are fetched by jumping back in
            if e.requires is not None or e.context or not e.usable(self.labels):
                continue
            if e.tail is None or p.sub is None:
                return _Option(p, None, e, None, None, (0, 0, 1), node.subgraph)
            child = self._child(e.tail, p.sub, alone)
            if child is None or not _collects(child):
                return None
            return _Option(p, None, e, child, self._restrict(p, child),
                           (child.cost[0], child.cost[1], child.cost[2] + 1), node.subgraph)
        return None

    def _group(self, node: Node, tail: Node, post: bool) -> _Group | None:
        """The cheapest key edge from `node` to `tail` whose key can be had at `node`."""
        gk = (node, tail, post)
        cached = self._groups.get(gk)
        if cached is not None and cached[1] <= self._active:
            return cached[0]
        self._assumed.append(set())
        try:
            best = self._best_group(node, tail, post)
        except BaseException:
            self._close()
            raise
        self._groups[gk] = (best, self._close())
        return best

    def _best_group(self, node: Node, tail: Node, post: bool) -> _Group | None:
        best: _Group | None = None
        for ke in self.graph.key_edges(node):
            if ke.tail != tail:
                continue
            key = self._condition(node, ("key", id(ke)), ke.key)
            if key is None:
                continue
            fixed = (key.cost[0] + 1, key.cost[1] + 1, key.cost[2])
            if best is None or fixed < best.fixed:
                best = _Group(tail, post, ke, key, fixed)
        return best

    def _condition(self, node: Node, what: tuple[str, int], sel: Sel) -> Placement | None:
        """A key or @requires field set planned at `node`; None when it cannot be had there
        (or only through itself)."""
        marker = (node, what)
        if marker in self._active:
            # a condition that needs itself: cut; what is computed meanwhile assumes the cut
            if self._assumed:
                self._assumed[-1].add(marker)
            return None
        fields = sel.by_type.get(sel.type)
        if fields is None:
            fields = sel.by_type.get(node.type, [])
        self._active.add(marker)
        try:
            pl = self.place(node, fields)
        finally:
            self._active.discard(marker)
            if self._assumed:
                self._assumed[-1].discard(marker)  # a cut of its own making, not an assumption
        if pl.residual:
            return None
        return pl

    # ------------------------------------------------------------------ children
    def _child(self, tail: Node, sel: Sel, alone: bool = False) -> Child | None:
        ck = (tail, id(sel), alone)
        got = self._children.get(ck)
        if got is not None and got[1] <= self._active:
            return got[0]
        self._assumed.append(set())
        try:
            child = self._make_child(tail, sel, alone)
        except BaseException:
            self._close()
            raise
        self._children[ck] = (child, self._close())
        return child

    def _make_child(self, tail: Node, sel: Sel, alone: bool) -> Child:
        if tail.kind == OBJECT:
            fields = sel.by_type.get(tail.type)
            if fields is None:
                fields = next(iter(sel.by_type.values()), [])
            pl = self.place(tail, fields, alone)
            child = Child(tail, placement=pl, cost=pl.cost)
        elif tail.kind == ABSTRACT:
            branches: dict[str, tuple[Node, Placement]] = {}
            cost = ZERO
            for o in self.graph.possible_types(tail):
                fields = sel.by_type.get(o)
                if fields is None:
                    continue
                down = self.graph.downcast(tail, o)
                if down is None:
                    continue
                pl = self.place(down, fields, alone)
                branches[o] = (down, pl)
                cost = _par(cost, pl.cost)
            child = Child(tail, branches=branches, cost=cost)
        else:
            child = self._interface_object(tail, sel, alone)
        return child

    def _interface_object(self, tail: Node, sel: Sel, alone: bool = False) -> Child:
        """A subgraph that knows the interface only as an object: it answers the interface's
        own fields; the concrete type (and whatever depends on it) comes from a subgraph that
        knows the implementations, through a `__typename` piece jumping there."""
        iface = self.sg.types[tail.type]
        merged: dict[str, FieldSel] = {}
        per_type: dict[str, list[FieldSel]] = {}
        keys_per_type: list[set[str]] = []
        need_typename = False
        for t, fields in sel.by_type.items():
            specific: list[FieldSel] = []
            keys = set()
            for f in fields:
                keys.add(f.key)
                if f.name == "__typename":
                    need_typename = True
                elif f.name in iface.fields:
                    merged[f.key] = self._merge_field(merged.get(f.key), f)
                else:
                    specific.append(f)
            per_type[t] = specific
            keys_per_type.append(keys)
        if any(per_type.values()) or (keys_per_type and any(k != keys_per_type[0] for k in keys_per_type)):
            need_typename = True
        pieces = list(merged.values())
        if need_typename:
            ts = Sel(tail.type, True, {t: fs for t, fs in per_type.items()})
            piece = FieldSel("__typename", "__typename", (), (), None, ts, False)
            self._keep.extend((ts, piece))
            pieces.append(piece)
        self._keep.append(pieces)
        pl = self.place(tail, pieces, alone)
        return Child(tail, placement=pl, cost=pl.cost)

    def _merge_field(self, a: FieldSel | None, b: FieldSel) -> FieldSel:
        if a is None or a.sub is None or b.sub is None or a.sub is b.sub:
            return a if a is not None else b
        sub = merge_sels(a.sub, b.sub)
        m = FieldSel(a.key, a.name, a.arguments, a.directives, a.type, sub, a.nonnull)
        self._keep.append(m)
        return m

    def _restrict(self, p: FieldSel, child: Child | None) -> FieldSel | None:
        """`p` cut down to what `child` could not place (None: nothing left)."""
        if child is None:
            return None
        by_type: dict[str, list[FieldSel]] = {}
        if child.branches is not None:
            for o, (_, pl) in child.branches.items():
                if pl.residual:
                    by_type[o] = pl.residual
        elif child.placement is not None and child.placement.residual:
            assert p.sub is not None
            t = child.node.type if child.node.kind == OBJECT else p.sub.type
            if child.node.kind == INTERFACE_OBJECT:
                # an interface object's residual is on the interface: every concrete type needs it
                for o in p.sub.by_type:
                    by_type[o] = [f for f in child.placement.residual if f.name != "__typename"] + [
                        f for r in child.placement.residual if r.name == "__typename" and r.sub is not None
                        for f in r.sub.by_type.get(o, [])]
            else:
                by_type[t] = child.placement.residual
        if not by_type:
            return None
        assert p.sub is not None
        sub = Sel(p.sub.type, p.sub.abstract, by_type)
        r = FieldSel(p.key, p.name, p.arguments, p.directives, p.type, sub, p.nonnull, p.introspection)
        self._keep.extend((sub, r))
        return r

    # ------------------------------------------------------------------ choosing
    def _choose(self, pieces: list[FieldSel], options: dict[int, list[_Option]], already: set[Group],
                fixed: Callable[[tuple[Node, bool]], Cost]) -> list[tuple[FieldSel, _Option]]:
        """One option per piece: every set of jump targets is tried (greedily past
        MAX_EXACT_GROUPS of them); each piece takes its best option within the set; the set
        costing least (targets already paid for in `already` are free) wins."""
        if not pieces:
            return []
        groups: set[Group] = set()
        forced: set[Group] = set(already)
        for p in pieces:
            opts = options[id(p)]
            gs = {o.group for o in opts if o.group is not None}
            groups.update(gs)
            if len(gs) == 1 and all(o.group is not None for o in opts):
                forced.update(gs)
        optional = sorted((g for g in groups if g not in forced), key=_group_order)
        best: tuple[Cost, int, tuple[tuple[str, str, str, bool], ...]] | None = None
        best_picks: list[tuple[FieldSel, _Option]] = []

        def evaluate(used: frozenset[Group]) -> None:
            nonlocal best, best_picks
            picks: list[tuple[FieldSel, _Option]] = []
            total = ZERO
            charged: set[Group] = set()
            for p in pieces:
                pick = None
                for o in options[id(p)]:
                    if o.group is not None and o.group not in used:
                        continue
                    if pick is None or _better(o, pick):
                        pick = o
                if pick is None:
                    return
                picks.append((p, pick))
                total = _par(total, _with_residual(pick))
                if pick.group is not None and pick.group not in charged:
                    charged.add(pick.group)
                    if pick.group not in already:
                        total = _par(total, fixed(pick.group))
            score = (total, len(charged), tuple(sorted(_group_order(g) for g in charged)))
            if best is None or score < best:
                best = score
                best_picks = picks

        base = frozenset(forced)
        if len(optional) <= MAX_EXACT_GROUPS:
            for n in range(len(optional) + 1):
                for combo in combinations(optional, n):
                    evaluate(base | frozenset(combo))
        else:
            used = set(base)
            evaluate(frozenset(used))
            improved = True
            while improved:
                improved = False
                for g in optional:
                    if g in used:
                        continue
                    before = best
                    evaluate(frozenset(used | {g}))
                    if best is not before:
                        used.add(g)
                        improved = True
                        break
        if best is None:
            evaluate(frozenset(groups) | base)
        return best_picks

    # ------------------------------------------------------------------ roots
    def place_root(self, kind: str, fields: Sequence[FieldSel]) -> dict[str, list[Local]]:
        """Root fields of a query: each subgraph root is a fetch of its own, in parallel."""
        roots = self.graph.roots.get(kind, {})
        pieces = [f for f in fields if not f.introspection and f.name != "__typename"]
        tried: dict[int, frozenset[str]] = {id(p): frozenset() for p in pieces}
        out: dict[str, list[Local]] = {}
        while pieces:
            options = {id(p): self._root_options(roots, p, tried[id(p)]) for p in pieces}
            for p in pieces:
                if not options[id(p)]:
                    raise PlanningError(_unreachable(kind, p))
            picks = self._choose(pieces, options, {(roots[g], False) for g in out},
                                 lambda g: (1, 1, 0))
            pieces = []
            for p, o in picks:
                assert o.edge is not None
                out.setdefault(o.subgraph, []).append(Local(p, o.edge, o.child))
                if o.residual is not None:
                    tried[id(o.residual)] = tried[id(p)] | {o.subgraph}
                    pieces.append(o.residual)
        return out

    def place_mutation(self, fields: Sequence[FieldSel]) -> list[tuple[str, list[Local]]]:
        """Mutation root fields run one after the other: consecutive fields of one subgraph
        share a fetch (a subgraph runs its own mutation fields in order)."""
        roots = self.graph.roots.get("mutation", {})
        out: list[tuple[str, list[Local]]] = []
        for p in fields:
            if p.introspection or p.name == "__typename":
                continue
            opts = self._root_options(roots, p, frozenset())
            opts = [o for o in opts if o.residual is None] or opts
            if not opts:
                raise PlanningError(_unreachable("mutation", p))
            prev = out[-1][0] if out else None
            o = min(opts, key=lambda o: (o.residual is not None, o.cost, o.subgraph != prev, o.subgraph))
            if o.residual is not None:
                raise PlanningError(f"cannot plan mutation field {p.name}: its selection needs "
                                    f"{', '.join(f.name for f in _leaves(o.residual))} from elsewhere")
            assert o.edge is not None
            if prev == o.subgraph:
                out[-1][1].append(Local(p, o.edge, o.child))
            else:
                out.append((o.subgraph, [Local(p, o.edge, o.child)]))
        return out

    def _root_options(self, roots: dict[str, Node], p: FieldSel, tried: frozenset[str],
                      split: bool = True) -> list[_Option]:
        """Each subgraph root that has the field; with `split`, also what a root can collect
        without jumps when another root can take the rest in parallel (a shareable root field
        entered in several subgraphs at once: one step instead of a root and then jumps)."""
        out = []
        for g, node in roots.items():
            if g in tried:
                continue
            lo = self._local(node, p)
            if lo is None:
                continue
            c = lo.cost
            out.append(_Option(p, (node, False), lo.edge, lo.child, lo.residual, (c[0] + 1, c[1], c[2]), g))
            if not split or c[0] == 0 or p.sub is None:
                continue
            alone = self._local(node, p, True)
            if alone is None or alone.residual is None:
                continue
            rest = alone.residual
            if any(o.residual is None for o in self._root_options(roots, rest, tried | {g}, False)):
                a = alone.cost
                out.append(_Option(p, (node, False), alone.edge, alone.child, rest, (a[0] + 1, a[1], a[2]), g))
        return out


def _unreachable(kind: str, p: FieldSel) -> str:
    leaves = ", ".join(sorted({f.name for f in _leaves(p)}))
    return f"no subgraph can resolve {kind} field {p.name!r}" + (f" (unreachable: {leaves})" if p.sub else "")


def _leaves(p: FieldSel) -> list[FieldSel]:
    if p.sub is None:
        return [p]
    out = []
    for fs in p.sub.by_type.values():
        for f in fs:
            out.extend(_leaves(f))
    return out or [p]




def _group_order(g: Group) -> tuple[str, str, str, bool]:
    return (g[0].subgraph, g[0].type, g[0].kind, g[1])


def _collects(child: Child) -> bool:
    """Whether a field's child collects anything here: not when all of it is left to others."""
    parts = [pl for _, pl in child.branches.values()] if child.branches is not None else [child.placement]
    if all(pl is None or not pl.residual for pl in parts):
        return True
    return any(pl is not None and (pl.locals or pl.jumps) for pl in parts)


def _better(a: _Option, b: _Option) -> bool:
    return _rank(a) < _rank(b)


def _rank(o: _Option) -> tuple[Cost, bool, bool, tuple[str, str, str, bool] | tuple[()]]:
    """Cheaper first, then whole, then collected here."""
    return (_with_residual(o), o.residual is not None, o.group is not None,
            _group_order(o.group) if o.group else ())


def _with_residual(o: _Option) -> Cost:
    """An option's cost with what it leaves to others: one more fetch, and its fields counted
    twice (someone must still collect them), so that collecting more here wins a tie."""
    if o.residual is None:
        return o.cost
    return (o.cost[0], o.cost[1] + 1, o.cost[2] + 2 * len(_leaves(o.residual)))


def merge_sels(a: Sel, b: Sel) -> Sel:
    """The union of two selections of the same type (fields with the same response key merged)."""
    out = Sel(a.type, a.abstract)
    for t in list(a.by_type) + [t for t in b.by_type if t not in a.by_type]:
        fields: dict[str, FieldSel] = {}
        for f in a.by_type.get(t, []) + b.by_type.get(t, []):
            prev = fields.get(f.key)
            if prev is None:
                fields[f.key] = f
            elif prev.sub is not None and f.sub is not None and prev.sub is not f.sub:
                fields[f.key] = FieldSel(prev.key, prev.name, prev.arguments, prev.directives, prev.type,
                                         merge_sels(prev.sub, f.sub), prev.nonnull)
        out.by_type[t] = list(fields.values())
    return out
