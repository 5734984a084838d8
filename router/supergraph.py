"""Load a standard supergraph SDL (join v0.1-v0.5, core/link) into a planning model, with the
API schema clients see (derived in shared/api_schema.py, as the composer derives it).

The model answers the planner's questions in O(1): which subgraphs resolve a field,
which keys a subgraph offers for a type, which fields are external, provided or
required, which types a subgraph knows behind an interface or union. Everything is
computed once per supergraph, never per request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Iterable, cast

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    GraphQLError,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    OperationDefinitionNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    SelectionSetNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    build_ast_schema,
    parse,
    value_from_ast_untyped,
)

from shared.api_schema import api_document
from shared.links import read_links

__all__ = ["Supergraph", "SupergraphError", "TypeInfo", "FieldInfo", "JoinField", "Key"]


class SupergraphError(Exception):
    """The SDL is not a usable supergraph (syntax, missing join spec, bad references)."""


@dataclass(frozen=True)
class Key:
    fields: str
    selection: SelectionSetNode
    resolvable: bool


@dataclass
class JoinType:
    graph: str
    keys: list[Key] = field(default_factory=list)
    interface_object: bool = False
    extension: bool = False


@dataclass(frozen=True)
class ContextArgument:
    """An argument a subgraph's field takes from an ancestor (@fromContext): the value of
    `selection` on the nearest enclosing object that sets `context` (@context)."""

    name: str
    type: str
    context: str
    selection: SelectionSetNode


@dataclass(frozen=True)
class JoinField:
    graph: str | None
    external: bool = False
    requires: SelectionSetNode | None = None
    provides: SelectionSetNode | None = None
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False
    type: str | None = None
    context_arguments: tuple[ContextArgument, ...] = ()


@dataclass
class FieldInfo:
    name: str
    type: TypeNode
    joins: list[JoinField] = field(default_factory=list)
    inaccessible: bool = False
    has_args: bool = False

    @cached_property
    def named_type(self) -> str:
        return named_type(self.type)

    @cached_property
    def labels(self) -> frozenset[str]:
        return frozenset(j.override_label for j in self.joins if j.override_label)


@dataclass
class TypeInfo:
    name: str
    kind: str  # object | interface | union | enum | scalar | input
    graphs: dict[str, JoinType] = field(default_factory=dict)
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    implements: dict[str, set[str]] = field(default_factory=dict)  # graph -> interfaces
    members: list[str] = field(default_factory=list)  # union members (supergraph-wide)
    union_members: dict[str, set[str]] = field(default_factory=dict)  # graph -> members
    owner: str | None = None  # join v0.1
    inaccessible: bool = False
    contexts: list[str] = field(default_factory=list)  # names this type sets with @context

    @property
    def abstract(self) -> bool:
        return self.kind in ("interface", "union")

    @property
    def composite(self) -> bool:
        return self.kind in ("object", "interface", "union")


@dataclass(frozen=True)
class Graph:
    enum_value: str
    name: str
    url: str


def named_type(t: TypeNode) -> str:
    while not isinstance(t, NamedTypeNode):
        t = cast("ListTypeNode | NonNullTypeNode", t).type
    return t.name.value


def parse_field_set(text: str) -> SelectionSetNode:
    try:
        doc = parse("{" + text + "}", no_location=True)
    except GraphQLError as e:
        raise SupergraphError(f"invalid field set {text!r}: {e.message}") from None
    return cast(OperationDefinitionNode, doc.definitions[0]).selection_set


def _args(directive: DirectiveNode) -> dict[str, Any]:
    return {a.name.value: value_from_ast_untyped(a.value) for a in directive.arguments or ()}


class Supergraph:
    """A parsed supergraph: the planning model plus the API schema."""

    def __init__(self, sdl: str) -> None:
        self.sdl = sdl
        try:
            self.document: DocumentNode = parse(sdl, no_location=True)
        except GraphQLError as e:
            raise SupergraphError(f"supergraph SDL does not parse: {e.message}") from None
        self.links = read_links(self.document)
        if "join" not in self.links.features:
            raise SupergraphError("not a supergraph: no @link/@core to https://specs.apollo.dev/join")
        self.join_version = self.links.features["join"].version
        self._d_join_type = self.links.directive("join", "type")
        self._d_join_field = self.links.directive("join", "field")
        self._d_join_owner = self.links.directive("join", "owner")
        self._d_join_graph = self.links.directive("join", "graph")
        self._d_join_implements = self.links.directive("join", "implements")
        self._d_join_union = self.links.directive("join", "unionMember")
        self._d_inaccessible = self.links.directive("inaccessible", "inaccessible")
        self._d_context = self.links.directive("context", "context") if "context" in self.links.features else None
        self.graphs: dict[str, Graph] = {}
        self.types: dict[str, TypeInfo] = {}
        self.query_type = "Query"
        self.mutation_type: str | None = None
        self.subscription_type: str | None = None
        self._read_definitions()
        self.api_schema: GraphQLSchema = self._build_api_schema()
        self._possible: dict[str, frozenset[str]] = {}

    # ------------------------------------------------------------------ definitions
    def _read_definitions(self) -> None:
        for d in self.document.definitions:
            if isinstance(d, SchemaDefinitionNode):
                for op in d.operation_types:
                    name = op.type.name.value
                    if op.operation.value == "query":
                        self.query_type = name
                    elif op.operation.value == "mutation":
                        self.mutation_type = name
                    else:
                        self.subscription_type = name
            elif isinstance(d, EnumTypeDefinitionNode) and d.name.value == self._prefix("join") + "Graph":
                for v in d.values or ():
                    for dd in v.directives or ():
                        if dd.name.value == self._d_join_graph:
                            a = _args(dd)
                            self.graphs[v.name.value] = Graph(v.name.value, a["name"], a.get("url") or "")
        if not self.graphs:
            raise SupergraphError("supergraph declares no subgraphs (enum join__Graph is empty)")
        for d in self.document.definitions:
            kind = {
                ObjectTypeDefinitionNode: "object",
                InterfaceTypeDefinitionNode: "interface",
                UnionTypeDefinitionNode: "union",
                EnumTypeDefinitionNode: "enum",
                ScalarTypeDefinitionNode: "scalar",
                InputObjectTypeDefinitionNode: "input",
            }.get(type(d))
            if kind is None:
                continue
            self._read_type(cast(TypeDefinitionNode, d), kind)
        if self.query_type not in self.types:
            raise SupergraphError(f"root type {self.query_type} is not defined")
        for t in self.types.values():
            for f in t.fields.values():
                if f.named_type not in self.types and f.named_type not in _BUILTIN_SCALARS:
                    raise SupergraphError(f"{t.name}.{f.name} refers to unknown type {f.named_type}")

    def _prefix(self, spec: str) -> str:
        return self.links.prefix(spec)

    def _graph(self, enum_value: object) -> str:
        g = self.graphs.get(enum_value) if isinstance(enum_value, str) else None
        if g is None:
            raise SupergraphError(f"unknown join__Graph value {enum_value!r}")
        return g.name

    def _read_type(self, d: TypeDefinitionNode, kind: str) -> None:
        name = d.name.value
        t = TypeInfo(name=name, kind=kind)
        for dd in d.directives or ():
            dn = dd.name.value
            if dn == self._d_join_type:
                a = _args(dd)
                g = self._graph(a.get("graph"))
                jt = t.graphs.setdefault(g, JoinType(g))
                if a.get("key"):
                    jt.keys.append(Key(a["key"], parse_field_set(a["key"]), a.get("resolvable", True) is not False))
                if a.get("isInterfaceObject"):
                    jt.interface_object = True
                if a.get("extension"):
                    jt.extension = True
            elif dn == self._d_join_owner:
                t.owner = self._graph(_args(dd).get("graph"))
            elif dn == self._d_join_implements:
                a = _args(dd)
                t.implements.setdefault(self._graph(a.get("graph")), set()).add(a["interface"])
            elif dn == self._d_join_union:
                a = _args(dd)
                t.union_members.setdefault(self._graph(a.get("graph")), set()).add(a["member"])
            elif dn == self._d_inaccessible:
                t.inaccessible = True
            elif dn == self._d_context:
                ctx = _args(dd).get("name")
                if isinstance(ctx, str):
                    t.contexts.append(ctx)
        if isinstance(d, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode)):
            t.interfaces = [i.name.value for i in d.interfaces or ()]
        if isinstance(d, UnionTypeDefinitionNode):
            t.members = [m.name.value for m in d.types or ()]
        if isinstance(d, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode, InputObjectTypeDefinitionNode)):
            for fd in d.fields or ():
                fi = FieldInfo(fd.name.value, fd.type, has_args=bool(getattr(fd, "arguments", None)))
                for dd in fd.directives or ():
                    dn = dd.name.value
                    if dn == self._d_join_field:
                        a = _args(dd)
                        field_graph = self._graph(a["graph"]) if a.get("graph") is not None else None
                        fi.joins.append(JoinField(
                            graph=field_graph,
                            external=bool(a.get("external")),
                            requires=parse_field_set(a["requires"]) if a.get("requires") else None,
                            provides=parse_field_set(a["provides"]) if a.get("provides") else None,
                            override=a.get("override"),
                            override_label=a.get("overrideLabel"),
                            used_overridden=bool(a.get("usedOverridden")),
                            type=a.get("type"),
                            context_arguments=tuple(_context_argument(c) for c in a.get("contextArguments") or ()),
                        ))
                    elif dn == self._d_inaccessible:
                        fi.inaccessible = True
                t.fields[fi.name] = fi
        self.types[name] = t

    # ------------------------------------------------------------------ API schema
    def _build_api_schema(self) -> GraphQLSchema:
        try:
            return build_ast_schema(api_document(self.document), assume_valid_sdl=True)
        except (GraphQLError, TypeError) as e:
            raise SupergraphError(f"cannot build the API schema: {e}") from None

    # ------------------------------------------------------------------ queries used by the planner
    def type(self, name: str) -> TypeInfo:
        return self.types[name]

    def possible_types(self, name: str) -> frozenset[str]:
        """Object types a value of `name` can have (supergraph-wide)."""
        got = self._possible.get(name)
        if got is not None:
            return got
        t = self.types.get(name)
        if t is None:
            res: frozenset[str] = frozenset()
        elif t.kind == "object":
            res = frozenset((name,))
        elif t.kind == "union":
            res = frozenset(t.members)
        elif t.kind == "interface":
            res = frozenset(
                o.name for o in self.types.values() if o.kind == "object" and name in o.interfaces
            )
        else:
            res = frozenset()
        self._possible[name] = res
        return res

    def type_in_graph(self, type_name: str, graph: str) -> bool:
        t = self.types.get(type_name)
        if t is None:
            return False
        if not t.graphs:
            return True  # fed1 value types carry no join__type: every graph has them
        return graph in t.graphs

    def possible_types_in(self, name: str, graph: str) -> frozenset[str]:
        """Object types that `graph` may return for a field of abstract type `name`."""
        key = f"{name}\0{graph}"
        got = self._possible.get(key)
        if got is not None:
            return got
        t = self.types[name]
        jt = t.graphs.get(graph)
        if t.kind == "object":
            res = frozenset((name,)) if self.type_in_graph(name, graph) else frozenset()
        elif t.kind == "union":
            if t.union_members:
                res = frozenset(t.union_members.get(graph, ()))
            else:
                res = frozenset(m for m in t.members if self.type_in_graph(m, graph))
        elif jt is not None and jt.interface_object:
            res = frozenset()  # the graph only knows the interface as an object type
        else:
            out = set()
            for o in self.possible_types(name):
                ot = self.types[o]
                if not self.type_in_graph(o, graph):
                    continue
                if ot.implements:
                    if name in ot.implements.get(graph, ()):
                        out.add(o)
                else:
                    out.add(o)
            res = frozenset(out)
        self._possible[key] = res
        return res

    def is_interface_object(self, type_name: str, graph: str) -> bool:
        jt = self.types[type_name].graphs.get(graph)
        return bool(jt and jt.interface_object)

    def resolving_graphs(self, type_name: str, field_name: str, labels: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Graphs that resolve `type_name.field_name` themselves (no @external, not overridden)."""
        t = self.types[type_name]
        f = t.fields.get(field_name)
        if f is None:
            return ()
        if f.labels:
            return self._resolving(t, f, labels & f.labels)
        key = (type_name, field_name)
        got = self._resolving_cache.get(key)
        if got is None:
            got = self._resolving(t, f, frozenset())
            self._resolving_cache[key] = got
        return got

    @cached_property
    def _resolving_cache(self) -> dict[tuple[str, str], tuple[str, ...]]:
        return {}

    def _resolving(self, t: TypeInfo, f: FieldInfo, labels: frozenset[str]) -> tuple[str, ...]:
        graphs_with_join = [j for j in f.joins if j.graph is not None]
        if not f.joins:
            if t.owner is not None and self.join_version < (0, 2):
                return (t.owner,)
            if not t.graphs:
                return tuple(g.name for g in self.graphs.values())
            return tuple(t.graphs)
        out: list[str] = []
        for j in graphs_with_join:
            if j.external or j.used_overridden:
                continue
            if j.override_label:
                active = j.override_label in labels
                if j.override is not None and not active:
                    continue
                if j.override is None and active:
                    continue
            assert j.graph is not None  # graphs_with_join
            out.append(j.graph)
        if any(j.graph is None for j in f.joins) and t.kind == "object":
            # field contributed by an @interfaceObject: resolved through the interface
            for iname in t.interfaces:
                it = self.types.get(iname)
                if it is None or field_name_of(f) not in it.fields:
                    continue
                for g in self._resolving(it, it.fields[f.name], labels):
                    if self.is_interface_object(iname, g) and g not in out:
                        out.append(g)
        return tuple(out)

    def join_field(self, type_name: str, field_name: str, graph: str) -> JoinField | None:
        f = self.types[type_name].fields.get(field_name)
        if f is None:
            return None
        for j in f.joins:
            if j.graph == graph and not j.external:
                return j
        return None

    def keys(self, type_name: str, graph: str, resolvable_only: bool = True) -> list[Key]:
        jt = self.types[type_name].graphs.get(graph)
        if jt is None:
            return []
        return [k for k in jt.keys if k.resolvable or not resolvable_only]

    def url(self, graph: str) -> str:
        for g in self.graphs.values():
            if g.name == graph:
                return g.url
        raise KeyError(graph)

    @cached_property
    def percent_labels(self) -> tuple[tuple[str, float], ...]:
        """Progressive-override labels of the form percent(N): active for N% of requests."""
        out = {}
        for t in self.types.values():
            for f in t.fields.values():
                for label in f.labels:
                    m = re.fullmatch(r"percent\((\d+(?:\.\d+)?)\)", label)
                    if m:
                        out[label] = float(m.group(1))
        return tuple(sorted(out.items()))

    @property
    def graph_names(self) -> list[str]:
        return [g.name for g in self.graphs.values()]


def _context_argument(c: dict[str, Any]) -> ContextArgument:
    try:
        text = c["selection"].strip()
        ss = parse(text if text.startswith("{") else "{" + text + "}", no_location=True)
        selection = cast(OperationDefinitionNode, ss.definitions[0]).selection_set
        return ContextArgument(c["name"], c["type"], c["context"], selection)
    except (KeyError, AttributeError, GraphQLError) as e:
        raise SupergraphError(f"invalid join__field contextArguments entry {c!r}: {e}") from None


def field_name_of(f: FieldInfo) -> str:
    return f.name


_BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}


def _name(value: str) -> NameNode:
    return NameNode(value=value)




def unwrap(t: TypeNode) -> Iterable[str]:
    """Yield 'nonnull'/'list' wrappers from outside in, for output shaping."""
    while not isinstance(t, NamedTypeNode):
        if isinstance(t, NonNullTypeNode):
            yield "nonnull"
        elif isinstance(t, ListTypeNode):
            yield "list"
        t = cast("ListTypeNode | NonNullTypeNode", t).type
