"""The query graph: where each subgraph can take an operation, built once per supergraph.

A node is a type as one subgraph sees it: an object type, an abstract type (interface or
union) whose concrete members that subgraph knows, or an interface the subgraph only knows
as an `@interfaceObject`. Out of a node go

- field edges: the fields the subgraph resolves there (not `@external`, not overridden away;
  an `@override` with a label is an edge usable only while the label is on, or only while it
  is off). A field edge may carry a condition: its `@requires` field set, or arguments taken
  from an ancestor (`@fromContext`);
- key edges: entity jumps to every subgraph that can resolve this object by one of its
  resolvable keys (the same subgraph included: a `@requires` field is resolved by jumping
  back in with the required data), to `@interfaceObject` subgraphs of its interfaces, and,
  from an interface object, to the subgraphs that know the interface's implementations
  (that is where `__typename` is resolved). A key edge's condition is its key's field set;
- down-casts, from an abstract node to the concrete types possible in that subgraph.

`@provides` makes external fields local on one path only: a field edge with `provides`
leads to a *view* of its return type, a copy of the node with the provided fields added
(nested provides lead to nested views). Everything else about a view (keys, other fields)
is its plain node's.

Conditions are stored as selections (`operation.Sel`) over supergraph types, so the path
finder plans them exactly like the client's own fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from ..operation import FieldSel, Sel
from ..supergraph import ContextArgument, FieldInfo, JoinField, Supergraph, TypeInfo, named_type, unwrap

OBJECT, ABSTRACT, INTERFACE_OBJECT = "object", "abstract", "interface_object"


@dataclass(frozen=True, slots=True)
class Node:
    type: str
    subgraph: str
    kind: str  # OBJECT | ABSTRACT | INTERFACE_OBJECT
    view: int = 0  # 0: the plain node; otherwise the id of a @provides view

    def __repr__(self) -> str:
        v = f"#{self.view}" if self.view else ""
        return f"{self.type}/{self.subgraph}{v}"


@dataclass(frozen=True, slots=True, eq=False)
class FieldEdge:
    name: str
    tail: Node | None  # None for a leaf (scalar or enum)
    list_depth: int
    requires: Sel | None = None  # the @requires condition, on the edge's parent type
    label: str | None = None  # progressive @override: usable iff (label is active) == when
    when: bool = True
    provided: bool = False  # an @external field made local by a @provides on the path
    subgraph_type: str | None = None  # the field's type in that subgraph when it differs
    context: tuple[ContextArgument, ...] = ()  # arguments taken from an ancestor (@fromContext)

    def usable(self, labels: frozenset[str]) -> bool:
        return self.label is None or (self.label in labels) == self.when


@dataclass(frozen=True, slots=True, eq=False)
class KeyEdge:
    head: Node
    tail: Node
    key: Sel  # the key's fields, on the head's type
    key_text: str
    rep_type: str  # __typename of the representation (an interface name for interface objects)


@dataclass(slots=True)
class _Edges:
    fields: dict[str, list[FieldEdge]] = field(default_factory=dict)
    keys: list[KeyEdge] = field(default_factory=list)
    downcasts: dict[str, Node] = field(default_factory=dict)


class QueryGraph:
    """Nodes and edges of one supergraph. Views for @provides are built with the graph."""

    def __init__(self, sg: Supergraph) -> None:
        self.sg = sg
        self._edges: dict[Node, _Edges] = {}
        self._views = 0
        self._conditions: dict[tuple[str, int], Sel] = {}
        self.roots: dict[str, dict[str, Node]] = {}  # operation kind -> subgraph -> root node
        for t in sg.types.values():
            if t.composite:
                for g in self._graphs_of(t):
                    self._add_node(t, g)
        for node in list(self._edges):
            if node.view == 0:
                self._add_keys(node)
        for kind, name in (("query", sg.query_type), ("mutation", sg.mutation_type),
                           ("subscription", sg.subscription_type)):
            if name is None or name not in sg.types:
                continue
            by_graph = {}
            for g in sg.graph_names:
                n = Node(name, g, OBJECT)
                if n in self._edges and self._edges[n].fields:
                    by_graph[g] = n
            self.roots[kind] = by_graph

    # ------------------------------------------------------------------ queries
    def field_edges(self, node: Node, name: str) -> list[FieldEdge]:
        e = self._edges.get(node)
        if e is not None:
            got = e.fields.get(name)
            if got is not None or node.view == 0:
                return got or []
        if node.view:
            return self.field_edges(Node(node.type, node.subgraph, node.kind), name)
        return []

    def key_edges(self, node: Node) -> list[KeyEdge]:
        plain = node if node.view == 0 else Node(node.type, node.subgraph, node.kind)
        e = self._edges.get(plain)
        return e.keys if e is not None else []

    def downcast(self, node: Node, type_name: str) -> Node | None:
        e = self._edges.get(node)
        got = e.downcasts.get(type_name) if e is not None else None
        if got is None and node.view:
            plain = self._edges.get(Node(node.type, node.subgraph, node.kind))
            got = plain.downcasts.get(type_name) if plain is not None else None
        return got

    def possible_types(self, node: Node) -> list[str]:
        e = self._edges.get(node)
        if e is None and node.view:
            e = self._edges.get(Node(node.type, node.subgraph, node.kind))
        return sorted(e.downcasts) if e is not None else []

    def node(self, type_name: str, subgraph: str) -> Node | None:
        """The plain node of a type in a subgraph (None when the subgraph does not have it)."""
        t = self.sg.types.get(type_name)
        if t is None or not t.composite:
            return None
        n = Node(type_name, subgraph, self._kind(t, subgraph))
        return n if n in self._edges else None

    def nodes(self) -> list[Node]:
        return list(self._edges)

    def edge_count(self) -> int:
        return sum(sum(len(v) for v in e.fields.values()) + len(e.keys) + len(e.downcasts)
                   for e in self._edges.values())

    def condition(self, type_name: str, field_set: SelectionSetNode) -> Sel:
        """A field set (key or @requires) on `type_name` as a selection; cached."""
        k = (type_name, id(field_set))  # the supergraph's field sets live as long as it does
        got = self._conditions.get(k)
        if got is None:
            got = self._conditions[k] = field_set_sel(self.sg, type_name, field_set)
        return got

    # ------------------------------------------------------------------ building
    def _graphs_of(self, t: TypeInfo) -> list[str]:
        if t.graphs:
            return sorted(t.graphs)
        return sorted(self.sg.graph_names)  # fed1 value types carry no join__type

    def _kind(self, t: TypeInfo, g: str) -> str:
        if t.kind == "object":
            return OBJECT
        if t.kind == "interface" and self.sg.is_interface_object(t.name, g):
            return INTERFACE_OBJECT
        return ABSTRACT

    def _add_node(self, t: TypeInfo, g: str, view: int = 0) -> Node:
        node = Node(t.name, g, self._kind(t, g), view)
        if node in self._edges:
            return node
        edges = self._edges[node] = _Edges()
        if view:
            return node  # a view's own edges are added by _add_view
        if node.kind == ABSTRACT:
            for o in sorted(self.sg.possible_types_in(t.name, g)):
                edges.downcasts[o] = Node(o, g, OBJECT)
        for f in t.fields.values():
            for j, label, when in field_sources(self.sg, t, f):
                if j != g:
                    continue
                jf = _join(f, g)
                edges.fields.setdefault(f.name, []).append(self._field_edge(t, f, g, jf, label, when))
        return node

    def _field_edge(self, t: TypeInfo, f: FieldInfo, g: str, jf: JoinField | None, label: str | None,
                    when: bool, provided: bool = False, tail: Node | None = None) -> FieldEdge:
        ret = self.sg.types.get(f.named_type)
        if tail is None and ret is not None and ret.composite:
            tail = Node(ret.name, g, self._kind(ret, g))
            if jf is not None and jf.provides is not None:
                tail = self._add_view(ret, g, jf.provides)
        requires = self.condition(t.name, jf.requires) if jf is not None and jf.requires is not None else None
        sub_type = jf.type if jf is not None and jf.type else None
        context = jf.context_arguments if jf is not None else ()
        return FieldEdge(f.name, tail, _list_depth(f), requires, label, when, provided, sub_type, context)

    def _add_view(self, t: TypeInfo, g: str, provides: SelectionSetNode) -> Node:
        """A copy of (t, g) where the fields of `provides` are local, external or not."""
        self._views += 1
        node = self._add_node(t, g, self._views)
        edges = self._edges[node]
        if node.kind == ABSTRACT:
            for o in sorted(self.sg.possible_types_in(t.name, g)):
                sub = _fragment_fields(self.sg, provides, o)
                if sub.selections:
                    edges.downcasts[o] = self._add_view(self.sg.types[o], g, sub)
                else:
                    edges.downcasts[o] = Node(o, g, OBJECT)
            return node
        for s in field_nodes_for(self.sg, provides, t.name):
            f = t.fields.get(s.name.value)
            if f is None:
                continue
            ret = self.sg.types.get(f.named_type)
            tail = None
            if ret is not None and ret.composite:
                tail = (self._add_view(ret, g, s.selection_set) if s.selection_set is not None
                        else Node(ret.name, g, self._kind(ret, g)))
            jf = next((j for j in f.joins if j.graph == g), None)
            edge = self._field_edge(t, f, g, None, None, True, provided=True, tail=tail)
            if jf is not None and jf.type:
                edge = FieldEdge(edge.name, edge.tail, edge.list_depth, None, None, True, True, jf.type)
            edges.fields.setdefault(f.name, []).insert(0, edge)
        return node

    def _add_keys(self, node: Node) -> None:
        sg = self.sg
        t = sg.types[node.type]
        edges = self._edges[node]
        if node.kind == OBJECT:
            for g in sorted(t.graphs):
                if sg.is_interface_object(t.name, g):
                    continue
                target = Node(t.name, g, OBJECT)
                if target not in self._edges:
                    continue
                for k in sg.keys(t.name, g):
                    edges.keys.append(KeyEdge(node, target, self.condition(t.name, k.selection), k.fields, t.name))
            for iname in t.interfaces:
                it = sg.types.get(iname)
                if it is None:
                    continue
                for g in sorted(it.graphs):
                    if not sg.is_interface_object(iname, g):
                        continue
                    target = Node(iname, g, INTERFACE_OBJECT)
                    for k in sg.keys(iname, g):
                        edges.keys.append(KeyEdge(node, target, self.condition(t.name, k.selection), k.fields, iname))
        elif node.kind == INTERFACE_OBJECT:
            for g in sorted(t.graphs):
                target = Node(t.name, g, self._kind(t, g))
                if target not in self._edges:
                    continue
                for k in sg.keys(t.name, g):
                    edges.keys.append(KeyEdge(node, target, self.condition(t.name, k.selection), k.fields, t.name))


def _join(f: FieldInfo, g: str) -> JoinField | None:
    for j in f.joins:
        if j.graph == g and not j.external:
            return j
    return None


def field_sources(sg: Supergraph, t: TypeInfo, f: FieldInfo) -> list[tuple[str, str | None, bool]]:
    """(subgraph, override label, usable when the label is on?) for each subgraph resolving t.f."""
    if not f.joins:
        if t.owner is not None and sg.join_version < (0, 2):
            return [(t.owner, None, True)]
        graphs = sorted(t.graphs) if t.graphs else sorted(sg.graph_names)
        return [(g, None, True) for g in graphs]
    out: list[tuple[str, str | None, bool]] = []
    for j in f.joins:
        if j.graph is None or j.external or j.used_overridden:
            continue
        if j.override_label:
            out.append((j.graph, j.override_label, j.override is not None))
        else:
            out.append((j.graph, None, True))
    return out


def _list_depth(f: FieldInfo) -> int:
    return sum(1 for w in unwrap(f.type) if w == "list")


def _applies(sg: Supergraph, cond: str | None, type_name: str) -> bool:
    return cond is None or cond == type_name or type_name in sg.possible_types(cond)


def field_nodes_for(sg: Supergraph, ss: SelectionSetNode, type_name: str) -> list[FieldNode]:
    """The fields of a field set that apply to `type_name` (inline fragments flattened)."""
    out: list[FieldNode] = []
    for s in ss.selections:
        if isinstance(s, FieldNode):
            out.append(s)
        elif isinstance(s, InlineFragmentNode):
            cond = s.type_condition.name.value if s.type_condition else None
            if _applies(sg, cond, type_name) or (cond is not None and cond in _interfaces(sg, type_name)):
                out.extend(field_nodes_for(sg, s.selection_set, type_name))
    return out


def _interfaces(sg: Supergraph, type_name: str) -> list[str]:
    t = sg.types.get(type_name)
    return t.interfaces if t is not None else []


def _fragment_fields(sg: Supergraph, ss: SelectionSetNode, type_name: str) -> SelectionSetNode:
    return SelectionSetNode(selections=tuple(field_nodes_for(sg, ss, type_name)))


def field_set_sel(sg: Supergraph, type_name: str, ss: SelectionSetNode) -> Sel:
    """A field set as a selection. Fields on an abstract type are collected per concrete type,
    as the operation's own selections are; an interface (an interface object's key, say) is
    treated as one type."""
    t = sg.types[type_name]
    sel = Sel(type_name, False)
    sel.by_type[type_name] = _collect(sg, t, ss)
    return sel


def _collect(sg: Supergraph, t: TypeInfo, ss: SelectionSetNode) -> list[FieldSel]:
    grouped: dict[str, list[FieldNode]] = {}
    for s in field_nodes_for(sg, ss, t.name):
        grouped.setdefault(s.name.value, []).append(s)
    out: list[FieldSel] = []
    for name, nodes in grouped.items():
        if name == "__typename":
            out.append(FieldSel(name, name, (), (), None, None, False))
            continue
        f = t.fields.get(name)
        if f is None:
            continue
        sub = None
        ret = sg.types.get(named_type(f.type))
        sets = [n.selection_set for n in nodes if n.selection_set is not None]
        if ret is not None and ret.composite and sets:
            merged = SelectionSetNode(selections=tuple(x for s in sets for x in s.selections))
            if ret.abstract:
                sub = Sel(ret.name, True)
                for o in sorted(sg.possible_types(ret.name)):
                    sub.by_type[o] = _collect(sg, sg.types[o], merged)
            else:
                sub = Sel(ret.name, False)
                sub.by_type[ret.name] = _collect(sg, ret, merged)
        out.append(FieldSel(name, name, tuple(nodes[0].arguments or ()), (), None, sub, False))
    return out
