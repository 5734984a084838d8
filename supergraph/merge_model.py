"""What the composer's merge builds and shares among its parts: the supergraph model (`SupergraphModel`,
join metadata), the `Sources` of an element across subgraphs, and small value helpers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping, TypeVar

from graphql.language import (
    BooleanValueNode,
    ConstListValueNode,
    ConstObjectFieldNode,
    ConstObjectValueNode,
    ConstValueNode,
    EnumValueNode,
    IntValueNode,
    ListValueNode,
    NameNode,
    StringValueNode,
)

from .context import (
    ContextualArgument,
    supergraph_context_name,
)
from .model import (
    ENUM,
    INPUT_OBJECT,
    INTERFACE,
    OBJECT,
    SCALAR,
    UNION,
    Applied,
    Schema,
)
from .subgraph import Subgraph

T = TypeVar("T")
Sources = dict[int, T | None]  # subgraph index -> element; a None entry: the subgraph has the parent, not the element
# Sources of any one kind of element, read only: what the kind-independent merge steps take
AnySources = Mapping[int, object | None]

_LABEL = re.compile(r"^[a-zA-Z][a-zA-Z0-9_\-:./]*$")
_PERCENT = re.compile(r"^percent\((\d{1,2}(\.\d{1,8})?|100)\)$")
_KIND_NAMES = {
    OBJECT: "Object Type",
    INTERFACE: "Interface Type",
    UNION: "Union Type",
    ENUM: "Enum Type",
    INPUT_OBJECT: "Input Object Type",
    SCALAR: "Scalar Type",
}


@dataclass
class JoinType:
    graph: str
    key: str | None = None
    extension: bool = False
    resolvable: bool = True
    interface_object: bool = False


@dataclass
class JoinField:
    graph: str | None
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    override_label: str | None = None
    used_overridden: bool = False
    context_arguments: tuple[ContextualArgument, ...] = ()  # context named as in the subgraph


@dataclass
class ComposedLink:
    """A custom spec carried into the supergraph by `@composeDirective`."""

    url: str
    imports: list[tuple[str, str]]  # (name in feature, name in supergraph)


@dataclass
class SupergraphModel(Schema):
    """The merged schema plus what routers need: graphs, join metadata, linked specs."""

    subgraphs: list[Subgraph] = field(default_factory=list)
    graph_enum: dict[str, str] = field(default_factory=dict)  # subgraph name -> join__Graph value
    federation_minor: int = 0
    join_minor: int = 3
    merged_specs: dict[str, str] = field(default_factory=dict)  # spec ("tag") -> directive name in supergraph
    composed_links: list[ComposedLink] = field(default_factory=list)
    join_types: dict[str, list[JoinType]] = field(default_factory=dict)
    join_fields: dict[tuple[str, str], list[JoinField]] = field(default_factory=dict)

    def subgraph(self, name: str) -> Subgraph:
        for s in self.subgraphs:
            if s.name == name:
                return s
        raise KeyError(name)


def sanitize_graph_name(name: str) -> str:
    """Subgraph name -> join__Graph enum value, as Apollo derives it."""
    out = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if re.match(r"^\d", out):
        out = "_" + out
    if re.search(r"_\d+$", out):
        out += "_"
    return out.upper()


def _s(value: str) -> StringValueNode:
    return StringValueNode(value=value, block=False)


def _e(value: str) -> EnumValueNode:
    return EnumValueNode(value=value)


def _b(value: bool) -> BooleanValueNode:
    return BooleanValueNode(value=value)


def _join_list(items: list[str]) -> str:
    """Apollo's joinStrings(distribution, ' and ', ' but '): "x but y and z"."""
    if len(items) <= 1:
        return "".join(items)
    return items[0] + " but " + " and ".join(items[1:])


class _FieldContext:
    """What @override decided for one field: per subgraph, used/unused overridden and labels."""

    def __init__(self) -> None:
        self.used_overridden: set[int] = set()
        self.unused_overridden: set[int] = set()
        self.unknown_target: set[int] = set()
        self.labels: dict[int, str] = {}

    def some_special(self) -> bool:
        return bool(self.used_overridden or self.labels)




@dataclass
class _AuthRequirements:
    """What it takes to read an element: authentication, scopes and policies (OR of ANDs)."""

    authenticated: bool = False
    scopes: list[list[str]] | None = None
    policies: list[list[str]] | None = None

    @classmethod
    def of(cls, element: object) -> "_AuthRequirements | None":
        req = cls()
        for d in getattr(element, "directives", ()):
            if d.spec == "authenticated":
                req.authenticated = True
            elif d.spec == "requiresScopes" and req.scopes is None:
                req.scopes = _string_matrix(d.args.get("scopes"))
            elif d.spec == "policy" and req.policies is None:
                req.policies = _string_matrix(d.args.get("policies"))
        return req if (req.authenticated or req.scopes is not None or req.policies is not None) else None

    @classmethod
    def combined(cls, *parts: "_AuthRequirements | None") -> "_AuthRequirements":
        out = cls()
        scopes = [p.scopes for p in parts if p is not None and p.scopes is not None]
        policies = [p.policies for p in parts if p is not None and p.policies is not None]
        out.authenticated = any(p is not None and p.authenticated for p in parts)
        out.scopes = dnf_conjunction(scopes) if scopes else None
        out.policies = dnf_conjunction(policies) if policies else None
        return out

    def satisfies(self, other: "_AuthRequirements | None") -> bool:
        if other is None:
            return True

        def implies(first: list[list[str]] | None, second: list[list[str]] | None) -> bool:
            a = (first or [[]]) or [[]]
            b = (second or [[]]) or [[]]
            return all(any(len(set(x)) >= len(set(y)) and all(e in x for e in y) for y in b) for x in a)

        return (self.authenticated or not other.authenticated) and implies(self.scopes, other.scopes) and implies(
            self.policies, other.policies
        )


def _context_arguments_value(subgraph: str, arguments: list[ContextualArgument]) -> ConstListValueNode:
    """`[{context: "a__ctx", name: "a", type: "String", selection: " { prop }"}]`."""

    def entry(a: ContextualArgument) -> ConstObjectValueNode:
        values = (("context", supergraph_context_name(subgraph, a.context)), ("name", a.name), ("type", a.type),
                  ("selection", a.selection))
        return ConstObjectValueNode(fields=tuple(ConstObjectFieldNode(name=NameNode(value=k), value=_s(v)) for k, v in values))

    return ConstListValueNode(values=tuple(entry(a) for a in arguments))


def _iter_sources(sources: AnySources) -> Iterable[tuple[int, object]]:
    if isinstance(sources, _ExtraSources):
        yield from sources.items_with_extra()
        return
    for idx, src in sources.items():
        if src is not None:
            yield idx, src


class _ExtraSources(dict[int, object | None]):
    """Sources plus extra elements (auth requirements inherited from implementations)."""

    extra: list[tuple[int, object]]

    def items_with_extra(self) -> Iterable[tuple[int, object]]:
        for idx, src in self.items():
            if src is not None:
                yield idx, src
        yield from self.extra


def _with_extra(sources: AnySources, extra: list[tuple[int, object]]) -> AnySources:
    out = _ExtraSources(sources)
    out.extra = extra
    return out


def _used_specs(sub: Subgraph) -> set[str]:
    """Federation directives that have at least one application in the subgraph."""
    used: set[str] = set()

    def scan(directives: list[Applied]) -> None:
        for d in directives:
            if d.spec is not None:
                used.add(d.spec)

    scan(sub.schema_directives)
    for t in sub.types.values():
        scan(t.directives)
        for f in t.fields.values():
            scan(f.directives)
            for a in f.args.values():
                scan(a.directives)
        for a in t.input_fields.values():
            scan(a.directives)
        for v in t.values.values():
            scan(v.directives)
    return used


def _merge_list_size(applications: list[Applied]) -> dict[str, ConstValueNode]:
    """@listSize from several subgraphs: the largest assumed size, all slicing arguments and sized fields."""
    sizes = [int(v.value) for a in applications if isinstance(v := a.args.get("assumedSize"), IntValueNode)]
    out: dict[str, ConstValueNode] = {}
    if sizes:
        out["assumedSize"] = IntValueNode(value=str(max(sizes)))
    for arg in ("slicingArguments", "sizedFields"):
        lists = [v for a in applications if isinstance(v := a.args.get(arg), ListValueNode)]
        if lists:
            names: list[str] = []
            for value in lists:
                names.extend(n for n in (getattr(v, "value", "") for v in value.values) if n not in names)
            out[arg] = ConstListValueNode(values=tuple(_s(n) for n in names))
    flags = [a.bool_arg("requireOneSlicingArgument", True) for a in applications]
    out["requireOneSlicingArgument"] = _b(all(flags))
    return out


def _string_matrix(value: ConstValueNode | None) -> list[list[str]]:
    if not isinstance(value, ListValueNode):
        return []
    out = []
    for inner in value.values:
        if isinstance(inner, ListValueNode):
            out.append([getattr(v, "value", "") for v in inner.values])
        else:
            out.append([getattr(inner, "value", "")])
    return out


def dnf_conjunction(values: list[list[list[str]]]) -> list[list[str]]:
    """AND of several OR-of-ANDs requirements (how Apollo merges @requiresScopes and @policy)."""
    if not values:
        return []

    def key(v: object) -> str:
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)

    filtered: list[list[list[str]]] = []
    seen: set[str] = set()
    for v in values:
        v = [list(i) for i in v] or [[]]
        v = sorted((sorted(i) for i in v), key=key)
        k = key(v)
        if k not in seen:
            seen.add(k)
            filtered.append(v)
    result = filtered[0]
    for current in filtered[1:]:
        acc: list[list[str]] = []
        seen_acc: set[str] = set()
        for a in result:
            for c in current:
                candidate = sorted(a + [e for e in c if e not in a])
                k = key(candidate)
                if k not in seen_acc:
                    seen_acc.add(k)
                    acc.append(candidate)
        acc.sort(key=len)
        deduped: list[list[str]] = []
        for cand in acc:
            entry = set(cand)
            if not any(all(e in entry for e in r) for r in deduped):
                deduped.append(cand)
        result = deduped
    return result


