"""The fetch dependency graph: from placements to subgraph fetches with their own parents.

Each root placement becomes a root fetch; each jump an entity fetch at the jump's response
path, whose parents are the fetch holding the entities plus every fetch that supplies a
condition (key or `@requires` fields). A requirement that goes back to a subgraph already on
the way is simply a new fetch node, so the graph is acyclic by construction: a node's
parents always exist before it does.

Then fetches to the same subgraph at the same path (type conditions aside) and the same
depth are merged: same depth means neither can wait for the other, so merging never
lengthens a path. Working-data keys of the fields a fetch adds for itself (keys, required
fields) are decided per position, the same in every fetch, so representations can be read
whichever fetch brought a field.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Iterator, Sequence

from graphql import ArgumentNode, NameNode, VariableNode, print_ast

from ..operation import FieldSel, Sel
from ..supergraph import ContextArgument, Supergraph
from .graph import INTERFACE_OBJECT, OBJECT, Node, QueryGraph, field_nodes_for
from .paths import Child, Jump, Local, Placement, PlanningError
from .selection import QuerySel

# A representation reader, as the executor reads it: (field in the representation, key in the
# working data, sub reader), a sub reader being a Reader, or one per __typename for an abstract field.
Reader = tuple[tuple[str, str, "Reader | dict[str, Reader] | None"], ...]
PathStep = str | frozenset[str]


class ByType(dict[str, "Draft"]):
    """The readers of an abstract field's value, per concrete type."""


# A reader as the builder assembles it: {field: (working key, sub reader)}.
Draft = dict[str, tuple[str, "Draft | ByType | None"]]


class FetchNode:
    __slots__ = ("id", "subgraph", "root", "path", "parents", "post", "sel", "inputs", "depth", "contexts", "private",
                 "part")

    def __init__(self, nid: int, subgraph: str, root: bool, path: tuple[PathStep, ...],
                 parents: frozenset["FetchNode"], post: bool) -> None:
        self.id = nid
        self.subgraph = subgraph
        self.root = root
        self.path = path
        self.parents: set[FetchNode] = set(parents)
        self.post = post
        self.sel = QuerySel()  # root: the query's selection; entity: one fragment per representation type
        self.inputs: dict[str | None, tuple[str, Draft]] = {}  # data __typename -> (rep __typename, reader)
        self.depth: int = 1 + max((p.depth for p in parents), default=0)
        self.contexts: list[ContextInput] = []  # @fromContext arguments, one variable each
        self.private: dict[str, str] = {}  # keys of fields the planner added under a name of their own
        self.part: int | None = None  # @defer: the deferred fragment it was planned for (None: the primary part)

    def __repr__(self) -> str:
        return f"FetchNode({self.id}, {self.subgraph}, {self.path}, parents={sorted(p.id for p in self.parents)})"


@dataclass(frozen=True, slots=True)
class ContextInput:
    """A fetch variable set per entity from an enclosing object (@fromContext)."""

    variable: str
    type: str
    depth: int  # the enclosing object is at this many steps of the fetch's path
    keys: tuple[str, ...]  # from it to the value, in the working data


@dataclass(slots=True)
class Frame:
    node: Node
    fn: "FetchNode"
    qs: QuerySel
    path: tuple[PathStep, ...]
    user: Sel | None


def _sets_context(sg: Supergraph, type_name: str, context: str) -> bool:
    t = sg.types.get(type_name)
    if t is None:
        return False
    if context in t.contexts:
        return True
    return any(context in sg.types[i].contexts for i in t.interfaces if i in sg.types) or any(
        context in u.contexts for u in sg.types.values() if u.kind == "union" and type_name in u.members)


class FetchGraph:
    def __init__(self, sg: Supergraph, graph: QueryGraph) -> None:
        self.sg = sg
        self.graph = graph
        self.nodes: list[FetchNode] = []
        self._entities: dict[tuple[object, ...], FetchNode] = {}
        self._collect: list[set[FetchNode]] = []
        self._frames: list[Frame] = []  # the positions being built, outermost first (for @fromContext)
        # @defer (planner/defer.py): the part being planned, and every position built so far by
        # its response path (the fetch holding the object there, its node, its selection)
        self.part: int | None = None
        self.positions: dict[tuple[str, ...], list[Frame]] | None = None
        self.merged_into: dict[FetchNode, FetchNode] = {}  # nodes merged away -> the node holding them

    # ------------------------------------------------------------------ roots
    def add_roots(self, roots: dict[str, list[Local]], sel: Sel) -> None:
        for subgraph in sorted(roots):
            fn = self._node(subgraph, True, (), frozenset(), None)
            self._locals(fn, fn.sel, sel.type, roots[subgraph], (), sel)

    def add_mutation(self, groups: list[tuple[str, list[Local]]], sel: Sel) -> None:
        before: frozenset[FetchNode] = frozenset()
        for subgraph, locals_ in groups:
            start = len(self.nodes)
            fn = self._node(subgraph, True, (), before, None)
            self._locals(fn, fn.sel, sel.type, locals_, (), sel)
            before = frozenset(self.nodes[start:])

    # ------------------------------------------------------------------ building
    def _node(self, subgraph: str, root: bool, path: tuple[PathStep, ...], parents: frozenset[FetchNode],
              post: object) -> FetchNode:
        if not root:
            k = (subgraph, path, parents, post, self.part)
            got = self._entities.get(k)
            if got is not None:
                for c in self._collect:
                    c.add(got)
                return got
        fn = FetchNode(len(self.nodes), subgraph, root, path, parents, bool(post))
        fn.part = self.part
        self.nodes.append(fn)
        if not root:
            self._entities[(subgraph, path, parents, post, self.part)] = fn
        for c in self._collect:
            c.add(fn)
        return fn

    def add_at(self, frame: Frame, pl: Placement) -> None:
        """A placement built at a position already planned (a deferred fragment's, from the
        fetch holding the object there)."""
        self._placement(frame.fn, frame.qs, pl, frame.path, frame.user)

    def _placement(self, fn: FetchNode, qs: QuerySel, pl: Placement, path: tuple[PathStep, ...],
                   user: Sel | None) -> None:
        frame = Frame(pl.node, fn, qs, path, user)
        self._frames.append(frame)
        if self.positions is not None:
            self.positions.setdefault(response_path(path), []).append(frame)
        try:
            self._locals(fn, qs, pl.node.type, pl.locals, path, user)
            for j in pl.jumps:
                self._jump(fn, qs, pl.node, j, path, user)
        finally:
            self._frames.pop()

    def _locals(self, fn: FetchNode, qs: QuerySel, type_name: str, locals_: Sequence[Local],
                path: tuple[PathStep, ...], user: Sel | None) -> None:
        fields = user_fields(user, type_name)
        for loc in locals_:
            f = loc.field
            key = position_key(f, fields)
            if key != f.name and key != f.key and not any(u.key == key for u in fields or ()):
                fn.private[key] = f.name  # a subgraph error at this field names the field, not the key
            qf = qs.add(key, f.name, f.arguments, f.directives, f.sub is not None, self._type(type_name, loc))
            if loc.child is not None:
                assert qf.sub is not None
                sub_path = path + (key,) + ("@",) * loc.edge.list_depth
                self._child(fn, qf.sub, loc.child, sub_path, sub_user(fields, key, f))

    def _child(self, fn: FetchNode, qs: QuerySel, child: Child, path: tuple[PathStep, ...], user: Sel | None) -> None:
        if child.branches is not None:
            qs.typename = True
            for o, (_, pl) in child.branches.items():
                self._placement(fn, qs.fragment(o), pl, path + (frozenset((o,)),), user)
        elif child.placement is not None:
            self._placement(fn, qs, child.placement, path, user)

    def _jump(self, fn: FetchNode, qs: QuerySel, node: Node, j: Jump, path: tuple[PathStep, ...],
              user: Sel | None) -> None:
        if node.kind == OBJECT:
            qs.typename = True  # picks the representation; an interface object's __typename is not the real one
        deps: set[FetchNode] = {fn}
        key = self._condition(fn, qs, j.key, path, user, deps)
        if not j.post:
            self._target(fn, node, j, path, user, deps, key, j.locals, j.typename)
            return
        # Each required field set feeds its own field; sets that need one representation
        # field with different values (price and price(currency: "USD"), say) cannot share a
        # representation: they go to fetches of their own.
        parts: list[tuple[Draft, set[FetchNode], list[Local]]] = []
        for loc, req in zip(j.locals, j.requires):
            rdeps: set[FetchNode] = set(deps)
            reader = self._condition(fn, qs, req, path, user, rdeps) if req is not None else {}
            for i, (r, d, locs) in enumerate(parts):
                if not readers_conflict(r, reader):
                    parts[i] = (merge_readers([r, reader]), d | rdeps, locs + [loc])
                    break
            else:
                parts.append((reader, rdeps, [loc]))
        for i, (reader, rdeps, locs) in enumerate(parts):
            self._target(fn, node, j, path, user, rdeps, merge_readers([key, reader]), locs, None, i)

    def _target(self, fn: FetchNode, node: Node, j: Jump, path: tuple[PathStep, ...], user: Sel | None,
                deps: set[FetchNode], rep: Draft, locals_: list[Local], typename: Child | None,
                part: int = 0) -> None:
        tail = j.edge.tail
        g = self._node(tail.subgraph, False, path, frozenset(deps), (j.post, part))
        data_type = node.type if node.kind == OBJECT else None
        prev = g.inputs.get(data_type)
        g.inputs[data_type] = (j.edge.rep_type, rep if prev is None else merge_readers([prev[1], rep]))
        target = g.sel.fragment(j.edge.rep_type)
        # still the position the jump starts from: a concrete type's, even into an interface object
        here = node.type if node.kind == OBJECT else tail.type
        self._locals(g, target, here, locals_, path, user)
        if typename is not None:
            self._child(g, target, typename, path, user)
        for loc in locals_:
            if loc.edge.context:
                self._context(g, target, loc, user_fields(user, here))

    def _context(self, g: FetchNode, target: QuerySel, loc: Local, fields: list[FieldSel] | None) -> None:
        """A field with @fromContext arguments: each argument is a variable of the fetch, its
        value read per entity from the nearest enclosing object that sets the context (the
        executor sends one `_entities` call per distinct set of values)."""
        qf = target.fields[position_key(loc.field, fields)]
        for ca in loc.edge.context:
            frame = next((fr for fr in reversed(self._frames[:-1]) if _sets_context(self.sg, fr.node.type, ca.context)),
                         None)
            if frame is None:
                raise PlanningError(f"{loc.field.name} takes argument {ca.name!r} from context {ca.context!r}, "
                                    "but no enclosing object in this operation sets it")
            keys = self._context_selection(frame, ca)
            var = f"__ctx_{len(g.contexts)}_"  # no variable name is a prefix of another: see Fetch.render
            g.contexts.append(ContextInput(var, ca.type, len(frame.path), keys))
            qf.arguments = qf.arguments + (ArgumentNode(name=NameNode(value=ca.name),
                                                        value=VariableNode(name=NameNode(value=var))),)

    def _context_selection(self, frame: "Frame", ca: ContextArgument) -> tuple[str, ...]:
        """Adds the context's selection (one field, possibly nested) to the fetch holding the
        enclosing object; the working-data keys leading to the value."""
        qs, type_name, fields = frame.qs, frame.node.type, user_fields(frame.user, frame.node.type)
        ss = ca.selection
        keys: list[str] = []
        while True:
            picked = field_nodes_for(self.sg, ss, type_name)
            if len(picked) != 1:
                raise PlanningError(f"context {ca.context!r}: selection must pick one field on {type_name}")
            fnode = picked[0]
            name = fnode.name.value
            t = self.sg.types[type_name]
            fi = t.fields.get(name)
            if fi is None or not any(e.requires is None and not e.context and e.usable(frozenset())
                                     for e in self.graph.field_edges(Node(type_name, frame.fn.subgraph, frame.node.kind,
                                                                         frame.node.view), name)):
                raise PlanningError(f"context {ca.context!r}: {type_name}.{name} is not available in subgraph "
                                    f"{frame.fn.subgraph!r}, which fetched the enclosing object")
            probe = FieldSel(name, name, tuple(fnode.arguments or ()), (), None, None, False)
            key = position_key(probe, fields)
            sub = fnode.selection_set
            qf = qs.add(key, name, probe.arguments, (), sub is not None, print_ast(fi.type))
            keys.append(key)
            if sub is None:
                return tuple(keys)
            assert qf.sub is not None
            su = sub_user(fields, key, probe)
            qs, ss, type_name = qf.sub, sub, fi.named_type
            fields = user_fields(su, type_name)

    def _condition(self, fn: FetchNode, qs: QuerySel, pl: Placement, path: tuple[PathStep, ...], user: Sel | None,
                   deps: set[FetchNode]) -> Draft:
        """Builds a condition's placement where it stands; returns its reader and adds every
        fetch that brings part of it to `deps`."""
        created: set[FetchNode] = set()
        self._collect.append(created)
        try:
            self._placement(fn, qs, pl, path, user)
        finally:
            self._collect.pop()
        deps.update(created)
        return placement_reader(pl, user_fields(user, pl.node.type), user)

    def _type(self, type_name: str, loc: Local) -> str:
        if loc.edge.subgraph_type:
            return loc.edge.subgraph_type
        t = self.sg.types.get(type_name)
        fi = t.fields.get(loc.field.name) if t is not None else None
        return print_ast(fi.type) if fi is not None else ""

    # ------------------------------------------------------------------ merging
    def merge(self) -> None:
        """Fetches to one subgraph at one path and one depth become one."""
        changed = True
        while changed:
            changed = False
            buckets: dict[tuple[object, ...], list[FetchNode]] = {}
            for n in self.nodes:
                if not n.root:
                    buckets.setdefault((n.subgraph, n.depth, _untyped(n.path), n.part), []).append(n)
            for group in buckets.values():
                if len(group) < 2:
                    continue
                a = group[0]
                for b in group[1:]:
                    if _mergeable(a, b):
                        self._merge(a, b)
                        changed = True
                if changed:
                    break

    def merge_leaves(self) -> None:
        """A fetch nothing depends on joins a later fetch to the same subgraph at the same
        path whose dependencies already include all of its own: the response waits for that
        later fetch anyway, and the entities are read and sent once instead of twice."""
        changed = True
        while changed:
            changed = False
            ancestors = _ancestors(self.nodes)
            parents = {p for n in self.nodes for p in n.parents}
            for n in self.nodes:
                if n.root or n in parents:
                    continue
                for m in self.nodes:
                    if (m is not n and not m.root and m.subgraph == n.subgraph and m.depth > n.depth and m.part == n.part
                            and _untyped(m.path) == _untyped(n.path) and n.parents <= ancestors[m]
                            and _mergeable_inputs(m, n)):
                        self._merge(m, n)
                        changed = True
                        break
                if changed:
                    break

    def _merge(self, a: FetchNode, b: FetchNode) -> None:
        a.path = _union_path(a.path, b.path)
        a.sel.merge(b.sel)
        for t, (rep, reader) in b.inputs.items():
            prev = a.inputs.get(t)
            a.inputs[t] = (rep, reader if prev is None else merge_readers([prev[1], reader]))
        a.parents |= b.parents
        a.post = a.post or b.post
        a.private.update(b.private)
        self.nodes.remove(b)
        self.merged_into[b] = a
        for n in self.nodes:
            if b in n.parents:
                n.parents.discard(b)
                n.parents.add(a)

    def ordered(self) -> list[FetchNode]:
        """Nodes by depth, then creation: every node after all of its parents."""
        return sorted(self.nodes, key=lambda n: (n.depth, n.id))


# ---------------------------------------------------------------------- positions and keys

def user_fields(user: Sel | None, type_name: str) -> list[FieldSel] | None:
    """The client's fields at a position (for an interface object: those of every type)."""
    if user is None:
        return None
    got = user.by_type.get(type_name)
    if got is not None:
        return got
    out: list[FieldSel] = []
    seen: set[str] = set()
    for fs in user.by_type.values():
        for f in fs:
            if f.key not in seen:
                seen.add(f.key)
                out.append(f)
    return out


def _args(f: FieldSel) -> str:
    return ",".join(print_ast(a) for a in f.arguments) if f.arguments else ""


def _directives(f: FieldSel) -> str:
    return " ".join(print_ast(d) for d in f.directives) if f.directives else ""


def position_key(f: FieldSel, user: list[FieldSel] | None) -> str:
    """The working-data key of `f` at a position where the client selected `user`: the
    client's own key for its fields (and for the same field added by the planner), a name
    of its own for anything else, deterministic so that every fetch agrees."""
    if user:
        fa, fd = _args(f), _directives(f)
        for u in user:
            if u.key == f.key and u.name == f.name and _args(u) == fa and _directives(u) == fd:
                return f.key
        if not fd:
            for u in user:
                if u.name == f.name and not u.directives and _args(u) == fa and not u.denied:
                    return u.key
    key = f.name if not f.arguments else f"_{f.name}_{zlib.crc32(_args(f).encode()):08x}"
    if user:
        taken = {u.key for u in user}
        while key in taken:
            key = "_" + key
    return key


def sub_user(fields: list[FieldSel] | None, key: str, f: FieldSel) -> Sel | None:
    if not fields:
        return None
    for u in fields:
        if u.key == key and u.name == f.name:
            return u.sub
    return None


def placement_reader(pl: Placement, fields: list[FieldSel] | None, user: Sel | None) -> Draft:
    """What a representation reads from the working data for the fields of `pl`."""
    out: Draft = {}
    for loc in _all_locals(pl):
        f = loc.field
        if f.name == "__typename":
            continue
        key = position_key(f, fields)
        sub: Draft | ByType | None = None
        if loc.child is not None:
            sub = _child_reader(loc.child, sub_user(fields, key, f))
        prev = out.get(f.name)
        if prev is not None and prev[1] is not None and sub is not None:
            sub = _merge_sub(prev[1], sub)
        out[f.name] = (key, sub)
    return out


def _child_reader(child: Child, user: Sel | None) -> Draft | ByType:
    if child.branches is not None:
        by_type = ByType()
        for o, (_, pl) in child.branches.items():
            r = placement_reader(pl, user_fields(user, o), user)
            r["__typename"] = ("__typename", None)
            by_type[o] = r
        return by_type
    assert child.placement is not None
    return placement_reader(child.placement, user_fields(user, child.node.type), user)


def _all_locals(pl: Placement) -> Iterator[Local]:
    yield from pl.locals
    for j in pl.jumps:
        yield from j.locals


def merge_readers(readers: Sequence[Draft]) -> Draft:
    out: Draft = {}
    for r in readers:
        for name, (key, sub) in r.items():
            prev = out.get(name)
            if prev is None:
                out[name] = (key, sub)
            elif prev[1] is not None and sub is not None:
                out[name] = (prev[0], _merge_sub(prev[1], sub))
    return out


def _merge_sub(a: Draft | ByType, b: Draft | ByType) -> Draft | ByType:
    if isinstance(a, ByType) or isinstance(b, ByType):
        out = ByType(a if isinstance(a, ByType) else {})
        for t, r in (b.items() if isinstance(b, ByType) else ()):
            out[t] = merge_readers([out[t], r]) if t in out else r
        return out
    return merge_readers([a, b])


def freeze_reader(r: Draft) -> Reader:
    """The executor's form of a reader: tuples, abstract parts as {typename: Reader}."""
    out: list[tuple[str, str, Reader | dict[str, Reader] | None]] = []
    for name, (key, sub) in r.items():
        if sub is None:
            out.append((name, key, None))
        elif isinstance(sub, ByType):
            out.append((name, key, {t: freeze_reader(x) for t, x in sub.items()}))
        else:
            out.append((name, key, freeze_reader(sub)))
    return tuple(out)


def response_path(path: tuple[PathStep, ...]) -> tuple[str, ...]:
    """The response keys of a working-data path (list levels and type conditions left out)."""
    return tuple(p for p in path if isinstance(p, str) and p != "@")


def _untyped(path: tuple[PathStep, ...]) -> tuple[str, ...]:
    return tuple("|" if isinstance(p, frozenset) else p for p in path)


def _union_path(a: tuple[PathStep, ...], b: tuple[PathStep, ...]) -> tuple[PathStep, ...]:
    return tuple(x | y if isinstance(x, frozenset) and isinstance(y, frozenset) else x for x, y in zip(a, b))


def _ancestors(nodes: list[FetchNode]) -> dict[FetchNode, set[FetchNode]]:
    out: dict[FetchNode, set[FetchNode]] = {}
    for n in sorted(nodes, key=lambda n: (n.depth, n.id)):
        a: set[FetchNode] = set()
        for p in n.parents:
            a.add(p)
            a |= out[p]
        out[n] = a
    return out


def _mergeable(a: FetchNode, b: FetchNode) -> bool:
    if a.subgraph != b.subgraph or a.depth != b.depth or a.root or b.root:
        return False
    return _mergeable_inputs(a, b)


def _mergeable_inputs(a: FetchNode, b: FetchNode) -> bool:
    if a.contexts or b.contexts:
        return False  # their variables would collide, and each call is sent per context values
    for t, (rep, reader) in b.inputs.items():
        prev = a.inputs.get(t)
        if prev is not None and (prev[0] != rep or readers_conflict(prev[1], reader)):
            return False
    return True


def readers_conflict(a: Draft, b: Draft) -> bool:
    """Whether one representation cannot carry both: a field read from different keys (the
    same field with other arguments), at any depth."""
    for name, (key, sub) in b.items():
        prev = a.get(name)
        if prev is None:
            continue
        if prev[0] != key:
            return True
        psub = prev[1]
        if isinstance(psub, ByType) and isinstance(sub, ByType):
            if any(t in psub and readers_conflict(psub[t], r) for t, r in sub.items()):
                return True
        elif isinstance(psub, dict) and isinstance(sub, dict) and not isinstance(psub, ByType) \
                and not isinstance(sub, ByType) and readers_conflict(psub, sub):
            return True
    return False


__all__ = ["FetchGraph", "FetchNode", "Reader", "freeze_reader", "position_key", "INTERFACE_OBJECT"]
