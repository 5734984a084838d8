"""Merge validated subgraphs into one supergraph model, following Federation 2's merge rules.

Object and interface fields are the union across subgraphs (a field resolved
by several subgraphs must be @shareable everywhere); input types and arguments
are the intersection; enums go by usage (union for output-only, intersection
for input-only, identical when used both ways); field types merge to the most
general output type / most specific input type. The result records, with
`@join__*` directives, which subgraph resolves what, so a router can plan.

The order of operations mirrors Apollo's composer on purpose: it decides the
order of fields and directive applications in the printed supergraph, and we
want our output to diff cleanly against rover's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, TypeVar

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

from . import fieldset as fs
from .context import (
    ContextSelectionError,
    ContextualArgument,
    context_types,
    contextual_arguments,
    is_contextual,
    selection_node,
    supergraph_context_name,
)
from .errors import Code, CompositionError, Hint, subgraph_names
from .link import Link
from .model import (
    ENUM,
    INPUT_OBJECT,
    INTERFACE,
    OBJECT,
    SCALAR,
    UNION,
    Applied,
    DirectiveDef,
    EnumValue,
    Field,
    InputValue,
    Schema,
    TypeDef,
    is_list,
    is_non_null,
    list_item,
    named_type,
    nullable,
    same_application,
    value_key,
)
from .specs import (
    ACCESS_CONTROL_DIRECTIVES,
    EXECUTABLE_LOCATIONS,
    GRAPHQL_BUILTIN_DIRECTIVES,
    MERGED_DIRECTIVES,
    REPEATABLE_MERGED_DIRECTIVES,
    join_minor_for,
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


class Merger:
    def __init__(self, subgraphs: list[Subgraph]) -> None:
        self.subs = sorted(subgraphs, key=lambda s: s.name)
        self.names = [s.name for s in self.subs]
        self.errors: list[CompositionError] = []
        self.hints: list[Hint] = []
        self.out = SupergraphModel(subgraphs=self.subs)
        self.pending: list[tuple[list[str], AnySources, object]] = []
        self._access_sources: dict[tuple[str, str | None, str], list[tuple[int, object]]] | None = None
        # elements merged away, by id() (kept here, so no other object can get the same id
        # meanwhile): their pending directive merges are skipped
        self.removed: dict[int, object] = {}
        self.enum_usage: dict[str, tuple[str, dict[str, str]]] = {}
        self.composed: dict[int, set[str]] = {}  # subgraph index -> directive names it composes
        self.composed_defs: dict[str, DirectiveDef] = {}
        # (type, field) with a contextual argument in some subgraph: joined in every subgraph
        self.with_from_context: set[tuple[str, str]] = {
            (t.name, f.name) for s in self.subs for t in s.types.values() for f in t.fields.values()
            if any(is_contextual(a) for a in f.args.values())
        }

    # -- small helpers -----------------------------------------------------------------

    def graph(self, idx: int) -> str:
        return self.out.graph_enum[self.names[idx]]

    def error(self, code: str, message: str, subgraphs: Iterable[str] = (), coordinate: str | None = None) -> None:
        self.errors.append(CompositionError(code, message, tuple(subgraphs), coordinate))

    def hint(self, code: str, message: str) -> None:
        self.hints.append(Hint(code, message))

    def mismatch(
        self,
        code: str,
        message: str,
        dest_value: str,
        sources: Mapping[int, object],
        describe: Callable[[Any], str | None],
        is_error: bool = True,
    ) -> None:
        """Report an element that differs across subgraphs, grouped by value, as Apollo words it."""
        groups: dict[str, list[str]] = {}
        for idx, src in sources.items():
            if src is None:
                continue
            groups.setdefault(describe(src) or "", []).append(self.names[idx])
        parts = []
        if dest_value in groups:
            parts.append(f"{dest_value} in {subgraph_names(groups[dest_value])}")
        for value, names in groups.items():
            if value != dest_value:
                parts.append(f"{value} in {subgraph_names(names)}")
        text = message + _join_list(parts)
        involved = [n for names in groups.values() for n in names]
        if is_error:
            self.error(code, text, involved)
        else:
            self.hint(code, text)

    def sources_for_type(self, name: str, kind: str) -> Sources[TypeDef]:
        out: Sources[TypeDef] = {}
        for idx, sub in enumerate(self.subs):
            t = sub.types.get(name)
            if t is None:
                continue
            k = INTERFACE if sub.is_interface_object(name) else t.kind
            if k == kind:
                out[idx] = t
        return out

    # -- entry point -------------------------------------------------------------------

    def merge(self) -> SupergraphModel:
        self.prepare()
        if self.errors:
            return self.out
        kinds = self.add_types_shallow()
        self.add_directives_shallow()
        by_kind: dict[str, list[str]] = {}
        for name, kind in kinds.items():
            by_kind.setdefault(kind, []).append(name)
        for kind in (OBJECT, INTERFACE):
            for name in by_kind.get(kind, ()):
                self.merge_implements(self.sources_for_type(name, kind), self.out.types[name])
        for name in by_kind.get(UNION, ()):
            self.merge_type(self.sources_for_type(name, UNION), self.out.types[name])
        self.merge_schema_definition()
        for kind in (SCALAR, INPUT_OBJECT, INTERFACE, OBJECT):
            for name in by_kind.get(kind, ()):
                self.merge_type(self.sources_for_type(name, kind), self.out.types[name])
        for name in list(self.out.directive_defs):
            self.merge_directive_definition(name)
        for name in by_kind.get(ENUM, ()):
            self.merge_type(self.sources_for_type(name, ENUM), self.out.types[name])
        if "query" not in self.out.roots or "Query" not in self.out.types:
            self.error(Code.NO_QUERIES, "No queries found in any subgraph: a supergraph must have a query root type.")
        self.merge_all_applied_directives()
        self.add_missing_interface_object_fields()
        if not self.errors:
            self.post_merge_validations()
        return self.out

    # -- preparation -------------------------------------------------------------------

    def prepare(self) -> None:
        out = self.out
        used: dict[str, set[str]] = {}
        for sub in self.subs:
            used[sub.name] = _used_specs(sub)
        out.federation_minor = max((s.minor for s in self.subs), default=0)
        out.join_minor = join_minor_for(out.federation_minor)
        # Which merged federation specs the supergraph links, in the order Apollo discovers them.
        names_in: dict[str, dict[str, str]] = {}
        for sub in self.subs:
            for spec in MERGED_DIRECTIVES:
                if spec in used[sub.name]:
                    names_in.setdefault(spec, {})[sub.name] = sub.names.get(spec, spec)
        for spec, per_subgraph in names_in.items():
            first = next(iter(per_subgraph.values()))
            differing = [sub for sub, n in per_subgraph.items() if n != first]
            if differing:
                dest = f'"@{per_subgraph[differing[0]]}"'
                minor = max(s.minor for s in self.subs if s.name in per_subgraph)
                sources = {i: s for i, s in enumerate(self.subs) if s.name in per_subgraph}
                self.mismatch(
                    Code.LINK_IMPORT_NAME_MISMATCH,
                    f'The "@{spec}" directive (from https://specs.apollo.dev/federation/v2.{minor}) is imported with'
                    " mismatched name between subgraphs: it is imported as ",
                    dest, sources, lambda sub: f'"@{per_subgraph[sub.name]}"',  # noqa: B023 (called at once)
                )
                continue
            out.merged_specs[spec] = first
        self.prepare_composed_directives()
        sanitized: dict[str, list[str]] = {}
        for name in self.names:
            sanitized.setdefault(sanitize_graph_name(name), []).append(name)
        for value, names in sanitized.items():
            for i, name in enumerate(names):
                out.graph_enum[name] = value if len(names) == 1 else f"{value}_{i + 1}"

    def prepare_composed_directives(self) -> None:
        """Validate `@composeDirective` usages and decide which custom specs the supergraph links."""
        fed_names = {s.name: set(s.names.values()) for s in self.subs}
        items: list[tuple[int, Link, str, str]] = []  # (subgraph idx, link, name in feature, name in schema)
        for idx, sub in enumerate(self.subs):
            for d in sub.schema_directives:
                if d.spec != "composeDirective":
                    continue
                raw = d.str_arg("name")
                if not raw:
                    self.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                               f'Argument to @composeDirective in subgraph "{sub.name}" cannot be NULL or an empty String', [sub.name])
                    continue
                if not raw.startswith("@"):
                    self.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                               f'Argument to @composeDirective "{raw}" in subgraph "{sub.name}" must have a leading "@"', [sub.name])
                    continue
                name = raw[1:]
                if name in fed_names[sub.name]:
                    spec = sub.spec_name(name)
                    if spec in MERGED_DIRECTIVES:
                        self.hint("DIRECTIVE_COMPOSITION_INFO",
                                  f'Directive "@{name}" should not be explicitly manually composed since it is a federation'
                                  " directive composed by default")
                    else:
                        self.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                                   f'Composing federation directive "{raw}" in subgraph "{sub.name}" is not supported', [sub.name])
                    continue
                if name not in sub.directive_defs:
                    self.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                               f'Could not find matching directive definition for argument to @composeDirective "@{name}" in'
                               f' subgraph "{sub.name}".', [sub.name])
                    continue
                source = None
                for link in sub.links:
                    for element, alias in link.imports.items():
                        if element.startswith("@") and alias[1:] == name:
                            source = (link, element[1:])
                    if source is None and name.startswith(link.prefix + "__"):
                        source = (link, name[len(link.prefix) + 2:])
                    if source is None and name == link.prefix:
                        source = (link, link.name)
                    if source is not None:
                        break
                if source is None:
                    self.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                               f'Directive "@{name}" in subgraph "{sub.name}" cannot be composed because it is not a member of'
                               " a core feature", [sub.name])
                    continue
                items.append((idx, source[0], source[1], name))
        by_identity: dict[str, list[tuple[int, Link, str, str]]] = {}
        for item in items:
            by_identity.setdefault(item[1].identity, []).append(item)
        wont_merge: set[str] = set()
        for identity, its in by_identity.items():
            majors = {i[1].version[0] for i in its}
            if len(majors) > 1:
                self.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                           f'Core feature "{identity}" requested to be merged has major version mismatch across subgraphs',
                           [self.names[i[0]] for i in its])
                wont_merge.add(identity)
        by_name: dict[str, list[tuple[int, Link, str, str]]] = {}
        for item in items:
            by_name.setdefault(item[3], []).append(item)
        for name, its in by_name.items():
            if len({i[2] for i in its}) > 1:
                self.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                           f'Composed directive "@{name}" does not refer to the same directive in every subgraph')
                wont_merge.add(name)
            if len({i[1].identity for i in its}) > 1:
                self.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                           f'Composed directive "@{name}" is not linked by the same core feature in every subgraph')
                wont_merge.add(name)
        by_orig: dict[str, list[tuple[int, Link, str, str]]] = {}
        for item in items:
            by_orig.setdefault(item[2], []).append(item)
        for its in by_orig.values():
            if len({i[3] for i in its}) > 1:
                self.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                           "Composed directive is not named consistently in all subgraphs but "
                           + " and ".join(f'"@{i[3]}" in subgraph "{self.names[i[0]]}"' for i in its))
                wont_merge |= {i[3] for i in its}
        for identity, its in by_identity.items():
            if identity in wont_merge:
                continue
            latest = max(its, key=lambda i: i[1].version)
            imports: list[tuple[str, str]] = []
            for idx, link, orig, name in its:
                if name in wont_merge:
                    continue
                self.composed.setdefault(idx, set()).add(name)
                if (orig, name) not in imports:
                    imports.append((orig, name))
                if name not in self.composed_defs or link.version >= latest[1].version:
                    self.composed_defs.setdefault(name, self.subs[latest[0]].directive_defs.get(name) or self.subs[idx].directive_defs[name])
            if imports:
                self.out.composed_links.append(ComposedLink(latest[1].url, imports))

    # -- directives: which applications and definitions are merged ----------------------------

    def is_merged_application(self, idx: int, d: Applied) -> bool:
        if d.name in self.composed.get(idx, ()):
            return True
        if d.spec is not None:
            return d.spec in self.out.merged_specs
        return d.name in GRAPHQL_BUILTIN_DIRECTIVES

    def supergraph_name(self, idx: int, d: Applied) -> str:
        if d.spec is not None:
            return self.out.merged_specs.get(d.spec, d.name)
        return d.name

    def add_directives_shallow(self) -> None:
        for idx, sub in enumerate(self.subs):
            for name, d in sub.directive_defs.items():
                if name in self.composed.get(idx, ()) or any(loc in EXECUTABLE_LOCATIONS for loc in d.locations):
                    if name not in self.out.directive_defs and name not in GRAPHQL_BUILTIN_DIRECTIVES:
                        self.out.directive_defs[name] = DirectiveDef(name, {}, [])

    # -- types ---------------------------------------------------------------------------

    def add_types_shallow(self) -> dict[str, str]:
        kinds: dict[str, str] = {}
        mismatched: list[str] = []
        interface_objects: list[str] = []
        for sub in self.subs:
            for t in sub.types.values():
                kind = t.kind
                if sub.is_interface_object(t.name):
                    kind = INTERFACE
                    if t.name not in interface_objects:
                        interface_objects.append(t.name)
                if t.name not in kinds:
                    kinds[t.name] = kind
                elif kinds[t.name] != kind and t.name not in mismatched:
                    mismatched.append(t.name)
        for name in mismatched:
            def kind_of(t: object, _name: str = name) -> str:
                assert isinstance(t, TypeDef)
                for s in self.subs:
                    if s.types.get(_name) is t and s.is_interface_object(_name):
                        return "Interface Object Type (Object Type with @interfaceObject)"
                return _KIND_NAMES[t.kind]
            sources = {i: s.types[name] for i, s in enumerate(self.subs) if name in s.types}
            first = kind_of(sources[min(sources)])
            self.mismatch(Code.TYPE_KIND_MISMATCH, f'Type "{name}" has mismatched kind: it is defined as ', first, sources, kind_of)
        for name in interface_objects:
            if name in mismatched:
                continue
            if not any((itf := s.types.get(name)) is not None and itf.kind == INTERFACE for s in self.subs):
                defining = [s.name for s in self.subs if name in s.types]
                self.error(
                    Code.INTERFACE_OBJECT_USAGE_ERROR,
                    f'Type "{name}" is declared with @interfaceObject in all the subgraphs in which it is defined (it is'
                    f" defined in {subgraph_names(defining)} but should be defined as an interface in at least one subgraph)",
                    defining, name,
                )
        for name, kind in kinds.items():
            self.out.types[name] = TypeDef(name=name, kind=kind)
        return kinds

    def merge_implements(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        for idx, src in sources.items():
            if src is None:
                continue
            for itf in src.interfaces:
                dest.directives.append(Applied("join__implements", {"graph": _e(self.graph(idx)), "interface": _s(itf)}))
                if itf not in dest.interfaces:
                    dest.interfaces.append(itf)

    def merge_description(self, sources: AnySources, dest: object, coordinate: str = "") -> None:
        descriptions: list[str] = []
        counts: list[int] = []
        for src in sources.values():
            desc = getattr(src, "description", None) if src is not None else None
            if desc is None:
                continue
            if desc in descriptions:
                counts[descriptions.index(desc)] += 1
            else:
                descriptions.append(desc)
                counts.append(-(10**9) if desc == "" else 1)
        if not descriptions:
            return
        non_empty = [d for d in descriptions if d != ""]
        if len(descriptions) == 1:
            chosen = descriptions[0]
        elif len(non_empty) == 1:
            chosen = non_empty[0]
        else:
            chosen = descriptions[counts.index(max(counts))]
            self.hint("INCONSISTENT_DESCRIPTION", f'Element "{coordinate}" has inconsistent descriptions across subgraphs.')
        setattr(dest, "description", chosen)

    def merge_type(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        self.check_extension_with_no_base(sources, dest)
        self.merge_description(sources, dest, dest.name)
        self.add_join_type(sources, dest)
        self.record_type_directives(sources, dest)
        if dest.kind == OBJECT:
            self.merge_object(sources, dest)
        elif dest.kind == INTERFACE:
            self.merge_interface(sources, dest)
        elif dest.kind == UNION:
            self.merge_union(sources, dest)
        elif dest.kind == ENUM:
            self.merge_enum(sources, dest)
        elif dest.kind == INPUT_OBJECT:
            self.merge_input(sources, dest)

    def check_extension_with_no_base(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        if dest.kind == OBJECT and dest.name in self.out.roots.values():
            return
        present = {i: s for i, s in sources.items() if s is not None}
        if present and all(not s.has_definition for s in present.values()):
            for idx in present:
                self.error(
                    Code.EXTENSION_WITH_NO_BASE,
                    f'[{self.names[idx]}] Type "{dest.name}" is an extension type, but there is no type definition for'
                    f' "{dest.name}" in any subgraph.',
                    [self.names[idx]], dest.name,
                )

    def add_join_type(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        joins = self.out.join_types.setdefault(dest.name, [])
        for idx, src in sources.items():
            if src is None:
                continue
            sub = self.subs[idx]
            itf_object = sub.is_interface_object(src.name)
            keys = src.fed("key")
            graph = self.graph(idx)
            if not keys:
                args: dict[str, ConstValueNode] = {"graph": _e(graph)}
                if itf_object:
                    args["isInterfaceObject"] = _b(True)
                dest.directives.append(Applied("join__type", args))
                joins.append(JoinType(self.names[idx], interface_object=itf_object))
                continue
            for key in keys:
                extension = bool(key.in_extension) or src.has("extends")
                args = {"graph": _e(graph), "key": _s(key.str_arg("fields") or "")}
                if extension:
                    args["extension"] = _b(True)
                resolvable = key.arg("resolvable")
                if resolvable is not None:
                    args["resolvable"] = resolvable
                if itf_object:
                    args["isInterfaceObject"] = _b(True)
                dest.directives.append(Applied("join__type", args))
                joins.append(
                    JoinType(self.names[idx], key.str_arg("fields"), extension, key.bool_arg("resolvable", True), itf_object)
                )

    # -- applied directives -------------------------------------------------------------------

    def gather_names(self, sources: AnySources) -> list[str]:
        names: list[str] = []
        for idx, src in sources.items():
            if src is None:
                continue
            for d in getattr(src, "directives", ()):
                if self.is_merged_application(idx, d):
                    n = self.supergraph_name(idx, d)
                    if n not in names:
                        names.append(n)
        return names

    def _merge_inaccessible_now(self, names: list[str], sources: AnySources, dest: object) -> list[str]:
        inaccessible = self.out.merged_specs.get("inaccessible")
        if inaccessible is not None and inaccessible in names:
            self.merge_applied_directive(inaccessible, sources, dest)
            names = [n for n in names if n != inaccessible]
        return names

    def record_directives(self, sources: AnySources, dest: object) -> None:
        names = self._merge_inaccessible_now(self.gather_names(sources), sources, dest)
        self.pending.append((names, sources, dest))

    def record_type_directives(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        names = self._merge_inaccessible_now(self.gather_names(sources), sources, dest)
        if dest.kind == INTERFACE:
            for spec in self.access_control_specs():
                name = self.out.merged_specs.get(spec)
                if name is None:
                    continue
                extra = self.access_control_sources().get((dest.name, None, spec), [])
                if name in names or extra:
                    self.pending.append(([name], _with_extra(sources, extra), dest))
                names = [n for n in names if n != name]
        self.pending.append((names, sources, dest))

    def record_field_directives(self, sources: Sources[Field], dest: Field, parent: str) -> None:
        names = self._merge_inaccessible_now(self.gather_names(sources), sources, dest)
        for spec in self.access_control_specs():
            name = self.out.merged_specs.get(spec)
            if name is None:
                continue
            extra = self.access_control_sources().get((parent, dest.name, spec), [])
            if name in names or extra:
                self.pending.append(([name], _with_extra(sources, extra), dest))
            names = [n for n in names if n != name]
        self.pending.append((names, sources, dest))

    def access_control_specs(self) -> list[str]:
        """Authorization specs in the order the supergraph links them (the order Apollo applies them)."""
        return [s for s in self.out.merged_specs if s in ACCESS_CONTROL_DIRECTIVES]

    def access_control_sources(self) -> dict[tuple[str, str | None, str], list[tuple[int, object]]]:
        """Auth requirements of implementations also guard the interfaces they implement."""
        if self._access_sources is not None:
            return self._access_sources
        out: dict[tuple[str, str | None, str], list[tuple[int, object]]] = {}
        itf_to_impls: dict[str, list[str]] = {}
        impl_to_itfs: dict[str, list[str]] = {}
        for t in self.out.types.values():
            if t.kind == INTERFACE:
                impls = self.out.possible_types(t.name)
                itf_to_impls[t.name] = impls
                for impl in impls:
                    impl_to_itfs.setdefault(impl, []).append(t.name)
        for idx, sub in enumerate(self.subs):
            for spec in self.access_control_specs():
                for t in sub.types.values():
                    if t.kind == OBJECT and t.has(spec):
                        for itf in impl_to_itfs.get(t.name, ()):
                            out.setdefault((itf, None, spec), []).append((idx, t))
                    if t.kind != OBJECT:
                        continue
                    for f in t.fields.values():
                        if not f.has(spec) or sub.is_external(t.name, f.name):
                            continue
                        if sub.is_interface_object(t.name):
                            others: list[str] = []
                            for impl in itf_to_impls.get(t.name, ()):
                                out.setdefault((impl, f.name, spec), []).append((idx, f))
                                others.extend(i for i in impl_to_itfs.get(impl, ()) if i != t.name and i not in others)
                            for itf in others:
                                out.setdefault((itf, f.name, spec), []).append((idx, f))
                        else:
                            for itf in impl_to_itfs.get(t.name, ()):
                                out.setdefault((itf, f.name, spec), []).append((idx, f))
        self._access_sources = out
        return out

    def merge_all_applied_directives(self) -> None:
        for names, sources, dest in self.pending:
            if id(dest) in self.removed:
                continue
            for name in names:
                self.merge_applied_directive(name, sources, dest)
        self.pending = []

    def merge_applied_directive(self, name: str, sources: AnySources, dest: object) -> None:
        per_source: list[list[Applied]] = []
        source_index: list[int] = []
        for idx, src in _iter_sources(sources):
            apps = [
                d for d in getattr(src, "directives", ())
                if self.is_merged_application(idx, d) and self.supergraph_name(idx, d) == name
            ]
            if apps:
                per_source.append([Applied(name, dict(d.args), d.spec) for d in apps])
                source_index.append(idx)
        if not per_source:
            return
        target: list[Applied] = getattr(dest, "directives")
        if self.is_repeatable(name):
            # Distinct applications in subgraph order; the same arguments in several subgraphs are
            # one application, named (for @context) after the first subgraph applying it.
            while per_source:
                first = per_source[0][0]
                args = dict(first.args)
                if first.spec == "context":
                    args["name"] = _s(supergraph_context_name(self.names[source_index[0]], first.str_arg("name") or ""))
                target.append(Applied(name, args, first.spec))
                remaining = [([d for d in ds if not same_application(first, d)], i) for ds, i in zip(per_source, source_index)]
                per_source = [ds for ds, _ in remaining if ds]
                source_index = [i for ds, i in remaining if ds]
            return
        distinct: list[Applied] = []
        counts: list[int] = []
        for ds in per_source:
            app = ds[0]
            for i, existing in enumerate(distinct):
                if same_application(existing, app):
                    counts[i] += 1
                    break
            else:
                distinct.append(app)
                counts.append(1)
        if len(distinct) == 1:
            target.append(distinct[0])
            return
        spec = distinct[0].spec
        if spec == "cost":
            weights = [int(getattr(d.args.get("weight"), "value", 0)) for d in distinct]
            target.append(Applied(name, {"weight": IntValueNode(value=str(max(weights)))}, spec))
            return
        if spec == "listSize":
            target.append(Applied(name, _merge_list_size(distinct), spec))
            return
        if spec in ("requiresScopes", "policy"):
            arg = "scopes" if spec == "requiresScopes" else "policies"
            merged = dnf_conjunction([_string_matrix(d.args.get(arg)) for d in distinct])
            matrix = ConstListValueNode(values=tuple(ConstListValueNode(values=tuple(_s(v) for v in inner)) for inner in merged))
            target.append(Applied(name, {arg: matrix}, spec))
            return
        target.append(distinct[counts.index(max(counts))])
        self.hint("INCONSISTENT_NON_REPEATABLE_DIRECTIVE_ARGUMENTS",
                  f"Non-repeatable directive @{name} is applied in multiple subgraphs but with incompatible arguments.")

    def is_repeatable(self, name: str) -> bool:
        for spec, n in self.out.merged_specs.items():
            if n == name:
                return spec in REPEATABLE_MERGED_DIRECTIVES
        if name in GRAPHQL_BUILTIN_DIRECTIVES:
            return False
        d = self.composed_defs.get(name)
        return bool(d and d.repeatable)

    # -- objects and interfaces ----------------------------------------------------------------

    def add_fields_shallow(self, sources: Sources[TypeDef], dest: TypeDef) -> dict[str, Sources[Field]]:
        extra: Sources[Field] = {}
        for idx, sub in enumerate(self.subs):
            if dest.kind in (OBJECT, INTERFACE):
                for itf in dest.interfaces:
                    if sub.is_interface_object(itf):
                        extra[idx] = None
            if dest.name in sub.types:
                extra[idx] = None
        added: dict[str, Sources[Field]] = {}
        for idx in sorted(sources):
            src = sources[idx]
            if src is None:
                continue
            for f in src.fields.values():
                if f.name not in dest.fields:
                    dest.fields[f.name] = Field(f.name, f.type)
                per = added.get(f.name)
                if per is None:
                    per = dict(extra)
                    added[f.name] = per
                per[idx] = f
        return added

    def merge_object(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        entity_sources = [s for s in sources.values() if s is not None and s.has("key")]
        is_root = dest.name in self.out.roots.values()
        value_type = not entity_sources and not is_root
        added = self.add_fields_shallow(sources, dest)
        if not added:
            self.removed[id(dest)] = dest
            del self.out.types[dest.name]
            for kind, name in list(self.out.roots.items()):
                if name == dest.name:
                    del self.out.roots[kind]
            return
        for fname, field_sources in added.items():
            if value_type:
                self.hint_on_inconsistent_value_field(sources, dest, fname)
            ctx = self.validate_override(field_sources, dest, dest.fields[fname])
            if dest.name == self.out.roots.get("subscription") and any(
                f is not None and f.has("shareable") for f in field_sources.values()
            ):
                self.error(Code.INVALID_FIELD_SHARING, "Fields on root level subscription object cannot be marked as shareable",
                           [self.names[i] for i, f in field_sources.items() if f is not None and f.has("shareable")],
                           f"{dest.name}.{fname}")
            self.merge_field(field_sources, dest, dest.fields[fname], ctx)
            self.validate_field_sharing(field_sources, dest, dest.fields[fname], ctx)

    def hint_on_inconsistent_value_field(self, sources: Sources[TypeDef], dest: TypeDef, fname: str) -> None:
        for idx, src in sources.items():
            if src is None or self.subs[idx].is_interface_object(src.name):
                continue
            if fname not in src.fields and not all(self.subs[idx].is_external(src.name, f) for f in src.fields):
                self.hint("INCONSISTENT_OBJECT_VALUE_TYPE_FIELD",
                          f'Field "{dest.name}.{fname}" of non-entity object type "{dest.name}" is defined in some but not'
                          f' all subgraphs that define "{dest.name}".')
                return

    def fields_abstracted_by_interface_object(self, parent: TypeDef, fname: str, idx: int) -> list[tuple[str, Field]]:
        sub = self.subs[idx]
        if parent.kind != OBJECT or parent.name in sub.types:
            return []
        out = []
        for itf in parent.interfaces:
            itf_def = self.out.types.get(itf)
            if itf_def is None or fname not in itf_def.fields:
                continue
            t = sub.types.get(itf)
            if t is not None and t.kind == OBJECT and fname in t.fields:
                out.append((itf, t.fields[fname]))
        return out

    def validate_override(self, sources: Sources[Field], parent: TypeDef, dest: Field) -> _FieldContext:
        ctx = _FieldContext()
        with_override = [
            (idx, f.fed("override")[0]) for idx, f in sources.items() if f is not None and f.has("override")
        ]
        if not with_override:
            return ctx
        coord = f"{parent.name}.{dest.name}"
        overriding_names = {self.names[idx] for idx, _ in with_override}
        for idx, d in with_override:
            name = self.names[idx]
            sub = self.subs[idx]
            src_type = sub.types[parent.name] if parent.name in sub.types else None
            if src_type is not None and src_type.kind == INTERFACE:
                self.error(Code.OVERRIDE_ON_INTERFACE,
                           f'@override cannot be used on field "{coord}" on subgraph "{name}": @override is not supported on'
                           " interface type fields.", [name], coord)
                continue
            if sub.is_interface_object(parent.name):
                self.error(Code.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE,
                           f'@override is not yet supported on fields of @interfaceObject types: cannot be used on field'
                           f' "{coord}" on subgraph "{name}".', [name], coord)
                continue
            source_name = d.str_arg("from") or ""
            if source_name not in self.names:
                ctx.unknown_target.add(idx)
                self.hint("FROM_SUBGRAPH_DOES_NOT_EXIST",
                          f'Source subgraph "{source_name}" for field "{coord}" on subgraph "{name}" does not exist.')
                continue
            if source_name == name:
                self.error(Code.OVERRIDE_FROM_SELF_ERROR,
                           f'Source and destination subgraphs "{source_name}" are the same for overridden field "{coord}"',
                           [name], coord)
                continue
            if source_name in overriding_names:
                self.error(Code.OVERRIDE_SOURCE_HAS_OVERRIDE,
                           f'Field "{coord}" on subgraph "{name}" is also marked with directive @override in subgraph'
                           f' "{source_name}". Only one @override directive is allowed per field.', [name, source_name], coord)
                continue
            from_idx = self.names.index(source_name)
            if from_idx not in sources:
                self.hint("OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                          f'Field "{coord}" on subgraph "{name}" no longer exists in the from subgraph. The @override'
                          " directive can be removed.")
                continue
            from_field = sources[from_idx]
            if from_field is None:
                abstracting = self.fields_abstracted_by_interface_object(parent, dest.name, from_idx)
                if abstracting:
                    self.error(Code.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE,
                               f'Invalid @override on field "{coord}" of subgraph "{name}": source subgraph "{source_name}"'
                               f' does not have field "{coord}" but abstract it in type "{abstracting[0][0]}" and overriding'
                               " abstracted fields is not supported.", [name], coord)
                else:
                    self.hint("OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                              f'Field "{coord}" on subgraph "{name}" no longer exists in the from subgraph. The @override'
                              " directive can be removed.")
                continue
            from_sub = self.subs[from_idx]
            conflict = None
            for spec in ("requires", "provides"):
                if from_field.has(spec):
                    conflict = (spec, source_name)
            if conflict is None and sub.is_external(parent.name, dest.name):
                conflict = ("external", name)
            if conflict is not None:
                self.error(Code.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE,
                           f'@override cannot be used on field "{coord}" on subgraph "{name}" since "{coord}" on'
                           f' "{conflict[1]}" is marked with directive "@{conflict[0]}"', [name, source_name], coord)
                continue
            label = d.str_arg("label")
            if from_sub.is_external(parent.name, dest.name):
                self.hint("OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                          f'Field "{coord}" on subgraph "{name}" is not resolved anymore by the from subgraph (it is marked'
                          f' "@external" in "{source_name}"). The @override directive can be removed.')
            elif (parent.name, dest.name) in from_sub.used:
                ctx.used_overridden.add(from_idx)
            else:
                ctx.unused_overridden.add(from_idx)
            if label is not None:
                valid = bool(_LABEL.match(label))
                m = _PERCENT.match(label)
                if m and 0 <= float(m.group(1)) <= 100:
                    valid = True
                if valid:
                    ctx.labels[idx] = label
                    ctx.labels[from_idx] = label
                else:
                    self.error(Code.OVERRIDE_LABEL_INVALID,
                               f'Invalid @override label "{label}" on field "{coord}" on subgraph "{name}": labels must start'
                               " with a letter and after that may contain alphanumerics, underscores, minuses, colons,"
                               ' periods, or slashes. Alternatively, labels may be of the form "percent(x)" where x is a'
                               " float between 0-100 inclusive.", [name], coord)
        return ctx

    def merge_field(self, sources: Sources[Field], parent: TypeDef, dest: Field, ctx: _FieldContext) -> None:
        coord = f"{parent.name}.{dest.name}"
        every_external = True
        for idx, src in sources.items():
            if src is None:
                itf_fields = self.fields_abstracted_by_interface_object(parent, dest.name, idx)
                every_external = every_external and all(self.subs[idx].is_external(i, f.name) for i, f in itf_fields)
            else:
                every_external = every_external and self.subs[idx].is_external(parent.name, src.name)
            if not every_external:
                break
        if every_external:
            defining = [self.names[i] for i, s in sources.items() if s is not None]
            self.error(Code.EXTERNAL_MISSING_ON_BASE,
                       f'Field "{coord}" is marked @external on all the subgraphs in which it is listed'
                       f" ({subgraph_names(defining)}).", defining, coord)
            return
        without_external: Sources[Field] = {}
        for idx, src in sources.items():
            if src is not None and self.subs[idx].is_external(parent.name, src.name):
                without_external[idx] = None
                for d in src.directives:
                    if self.is_merged_application(idx, d):
                        self.error(Code.MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL,
                                   f'[{self.names[idx]}] Cannot apply merged directive {d.printed()} to external field'
                                   f' "{coord}"', [self.names[idx]], coord)
            else:
                without_external[idx] = src
        if any(s is not None for s in without_external.values()):
            self.merge_description(without_external, dest, coord)
            self.record_field_directives(without_external, dest, parent.name)
            self.add_arguments_shallow(without_external, dest, coord)
            for arg in list(dest.args.values()):
                arg_sources: Sources[InputValue] = {
                    i: (f.args.get(arg.name) if f is not None else None) for i, f in without_external.items()
                }
                self.merge_argument(arg_sources, arg, f"{coord}({arg.name}:)")
        use = without_external if any(s is not None for s in without_external.values()) else sources
        all_equal = self.merge_type_reference(use, dest, coord, is_input=False, element="field")
        if any(s is not None and self.subs[i].is_external(parent.name, s.name) for i, s in sources.items()):
            self.validate_external_fields(sources, parent, dest, all_equal)
        self.add_join_field(sources, parent, dest, all_equal, ctx)

    def validate_field_sharing(self, sources: Sources[Field], parent: TypeDef, dest: Field, ctx: _FieldContext) -> None:
        shareable: list[str] = []
        non_shareable: list[tuple[str, int]] = []
        resolving: list[str] = []

        def categorize(idx: int, label: str, type_name: str, fname: str) -> None:
            sub = self.subs[idx]
            if sub.is_fully_external(type_name, fname):
                return
            resolving.append(label)
            if (type_name, fname) in sub.shareable:
                shareable.append(label)
            else:
                non_shareable.append((label, idx))

        for idx, src in sources.items():
            label = f'"{self.names[idx]}"'
            if src is None:
                for itf, f in self.fields_abstracted_by_interface_object(parent, dest.name, idx):
                    categorize(idx, label + f' (through @interfaceObject field "{itf}.{f.name}")', itf, f.name)
                continue
            if idx in ctx.used_overridden or idx in ctx.unused_overridden:
                continue
            categorize(idx, label, parent.name, src.name)
        if non_shareable and (shareable or len(non_shareable) > 1):
            def listing(labels: list[str]) -> str:
                if len(labels) == 1:
                    return f"subgraph {labels[0]}"
                return f"subgraphs {', '.join(labels[:-1])} and {labels[-1]}"

            coord = f"{parent.name}.{dest.name}"
            non = listing([n for n, _ in non_shareable]) if shareable else "all of them"
            extra = ""
            targetless = [n for n, i in non_shareable if i in ctx.unknown_target]
            if targetless:
                extra = (f' (please note that "{coord}" has an @override directive in {targetless[0]} that targets an'
                         " unknown subgraph so this could be due to misspelling the @override(from:) argument)")
            self.error(Code.INVALID_FIELD_SHARING,
                       f'Non-shareable field "{coord}" is resolved from multiple subgraphs: it is resolved from'
                       f" {listing(resolving)} and defined as non-shareable in {non}{extra}",
                       [n.strip('"').split('"')[0] for n in resolving], coord)

    def validate_external_fields(self, sources: Sources[Field], parent: TypeDef, dest: Field, all_equal: bool) -> None:
        coord = f"{parent.name}.{dest.name}"
        invalid_type = False
        missing_args: list[str] = []
        arg_type_bad: list[str] = []
        arg_default_bad: list[str] = []
        for idx, src in sources.items():
            if src is None or not self.subs[idx].is_external(parent.name, src.name):
                continue
            if not (src.type == dest.type or (not all_equal and self.is_strict_subtype(dest.type, src.type))):
                invalid_type = True
            for arg in dest.args.values():
                other = src.args.get(arg.name)
                if other is None:
                    if arg.name not in missing_args:
                        missing_args.append(arg.name)
                    continue
                if other.type != arg.type and not self.is_strict_subtype(other.type, arg.type):
                    arg_type_bad.append(arg.name)
                if value_key(arg.default) != value_key(other.default):
                    arg_default_bad.append(arg.name)
        if invalid_type:
            ext = {i: s for i, s in sources.items()}
            self.mismatch(Code.EXTERNAL_TYPE_MISMATCH,
                          f'Type of field "{coord}" is incompatible across subgraphs (where marked @external): it has ',
                          f'type "{dest.type}"', ext, lambda f: f'type "{f.type}"')
        for name in missing_args:
            self.error(Code.EXTERNAL_ARGUMENT_MISSING,
                       f'Field "{coord}" is missing argument "{coord}({name}:)" in some subgraphs where it is marked'
                       " @external", [self.names[i] for i in sources], coord)
        for name in dict.fromkeys(arg_type_bad):
            self.error(Code.EXTERNAL_ARGUMENT_TYPE_MISMATCH,
                       f'Type of argument "{coord}({name}:)" is incompatible across subgraphs (where "{coord}" is marked'
                       " @external)", [self.names[i] for i in sources], coord)
        for name in dict.fromkeys(arg_default_bad):
            self.error(Code.EXTERNAL_ARGUMENT_DEFAULT_MISMATCH,
                       f'Argument "{coord}({name}:)" has incompatible defaults across subgraphs (where "{coord}" is marked'
                       " @external)", [self.names[i] for i in sources], coord)

    def needs_join_field(self, sources: Sources[Field], parent: str, field: str, all_equal: bool, ctx: _FieldContext) -> bool:
        if not all_equal or ctx.some_special() or (parent, field) in self.with_from_context:
            return True
        for idx, src in sources.items():
            sub = self.subs[idx]
            if src is not None and idx not in ctx.unused_overridden:
                if sub.is_external(parent, src.name) or src.has("provides") or src.has("requires"):
                    return True
            elif parent in sub.types:
                return True
        return False

    def add_join_field(self, sources: Sources[Field], parent: TypeDef, dest: Field, all_equal: bool, ctx: _FieldContext) -> None:
        if not self.needs_join_field(sources, parent.name, dest.name, all_equal, ctx):
            return
        joins = self.out.join_fields.setdefault((parent.name, dest.name), [])
        for idx, src in sources.items():
            label = ctx.labels.get(idx)
            if src is None or (idx in ctx.unused_overridden and label is None):
                continue
            sub = self.subs[idx]
            args: dict[str, ConstValueNode] = {"graph": _e(self.graph(idx))}
            jf = JoinField(self.names[idx])
            for spec in ("requires", "provides"):
                ds = src.fed(spec)
                if ds:
                    args[spec] = _s(ds[0].str_arg("fields") or "")
                    setattr(jf, spec, ds[0].str_arg("fields"))
            overrides = src.fed("override")
            if overrides:
                args["override"] = _s(overrides[-1].str_arg("from") or "")
                jf.override = overrides[-1].str_arg("from")
            if not all_equal:
                args["type"] = _s(src.type)
                jf.type = src.type
            if sub.is_external(parent.name, src.name):
                args["external"] = _b(True)
                jf.external = True
            if idx in ctx.used_overridden:
                args["usedOverridden"] = _b(True)
                jf.used_overridden = True
            if label is not None:
                args["overrideLabel"] = _s(label)
                jf.override_label = label
            contextual = contextual_arguments(src) if "fromContext" in sub.names else []
            if contextual:
                args["contextArguments"] = _context_arguments_value(sub.name, contextual)
                jf.context_arguments = tuple(contextual)
            dest.directives.append(Applied("join__field", args))
            joins.append(jf)

    def is_strict_subtype(self, t: str, maybe_sub: str) -> bool:
        """Apollo's default subtyping: direct (interface/union membership), non-null, and list propagation."""
        if is_non_null(maybe_sub):
            if is_non_null(t):
                return self.is_subtype(nullable(t), nullable(maybe_sub))
            return self.is_subtype(t, nullable(maybe_sub))
        if is_list(maybe_sub):
            return is_list(t) and not is_non_null(t) and self.is_subtype(list_item(t), list_item(maybe_sub))
        if is_list(t) or is_non_null(t):
            return False
        target = self.out.types.get(t)
        candidate = self.out.types.get(maybe_sub)
        if target is None or candidate is None or candidate.kind not in (OBJECT, INTERFACE):
            return False
        if target.kind == UNION:
            return candidate.kind == OBJECT and maybe_sub in target.members
        if target.kind == INTERFACE:
            return t in candidate.interfaces
        return False

    def is_subtype(self, t: str, maybe_sub: str) -> bool:
        return t == maybe_sub or self.is_strict_subtype(t, maybe_sub)

    def merge_type_reference(self, sources: Mapping[int, Field | InputValue | None], dest: object, coord: str, is_input: bool, element: str) -> bool:
        dest_type: str | None = None
        has_subtypes = incompatible = False
        for src in sources.values():
            if src is None:
                continue
            st = src.type
            if dest_type is None or dest_type == st:
                dest_type = st
            elif self.is_strict_subtype(dest_type, st):
                has_subtypes = True
                if is_input:
                    dest_type = st
            elif self.is_strict_subtype(st, dest_type):
                has_subtypes = True
                if not is_input:
                    dest_type = st
            else:
                incompatible = True
        assert dest_type is not None
        setattr(dest, "type", dest_type)
        base = named_type(dest_type)
        base_def = self.out.types.get(base)
        if base_def is not None and base_def.kind == ENUM:
            position = "Input" if is_input else "Output"
            existing = self.enum_usage.get(base)
            examples = dict(existing[1]) if existing else {}
            if position not in examples:
                examples[position] = coord
            merged_position = position if existing is None or existing[0] == position else "Both"
            self.enum_usage[base] = (merged_position, examples)
        if incompatible:
            code = Code.FIELD_ARGUMENT_TYPE_MISMATCH if element == "argument" else Code.FIELD_TYPE_MISMATCH
            self.mismatch(code, f'Type of {element} "{coord}" is incompatible across subgraphs: it has ',
                          f'type "{dest_type}"', sources, lambda s: f'type "{s.type}"')
            return False
        if has_subtypes:
            self.hint("INCONSISTENT_BUT_COMPATIBLE_" + ("ARGUMENT" if element == "argument" else "FIELD") + "_TYPE",
                      f'Type of {element} "{coord}" is inconsistent but compatible across subgraphs.')
            return False
        return True

    def add_arguments_shallow(self, sources: Sources[Field], dest: Field, coord: str) -> None:
        names: list[str] = []
        for src in sources.values():
            if src is not None:
                names.extend(a for a in src.args if a not in names)
        for name in names:
            if any(s is not None and name in s.args and is_contextual(s.args[name]) for s in sources.values()):
                self.drop_contextual_argument(sources, coord, name)
                continue
            if any(s is not None and name not in s.args for s in sources.values()):
                required = [self.names[i] for i, s in sources.items() if s is not None and name in s.args and s.args[name].required]
                missing = [self.names[i] for i, s in sources.items() if s is not None and name not in s.args]
                if required:
                    self.error(Code.REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH,
                               f'Argument "{coord}({name}:)" is required in some subgraphs but does not appear in all'
                               f" subgraphs: it is required in {subgraph_names(required)} but does not appear in"
                               f" {subgraph_names(missing)}", required + missing, f"{coord}({name}:)")
                else:
                    self.hint("INCONSISTENT_ARGUMENT_PRESENCE",
                              f'Optional argument "{coord}({name}:)" will not be included in the supergraph as it does not'
                              " appear in all subgraphs.")
                continue
            dest.args[name] = InputValue(name, "")

    def drop_contextual_argument(self, sources: Sources[Field], coord: str, name: str) -> None:
        """An argument contextual in some subgraph is filled by the router, never by clients: it is not in
        the supergraph, so where it is not contextual it must be optional."""
        for idx, src in sources.items():
            arg = src.args.get(name) if src is not None else None
            if arg is None or is_contextual(arg):
                continue
            if is_non_null(arg.type) and arg.default is None:
                self.error(Code.CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS,
                           f'Argument "{coord}({name}:)" is contextual in at least one subgraph but in "{coord}({name}:)"'
                           " it does not have @fromContext, is not nullable and has no default value.",
                           [self.names[idx]], f"{coord}({name}:)")
            else:
                self.hint("CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS",
                          f'Contextual argument "{coord}({name}:)" will not be included in the supergraph since it is'
                          " contextual in at least one subgraph")

    def merge_argument(self, sources: Sources[InputValue], dest: InputValue, coord: str) -> None:
        self.merge_description(sources, dest, coord)
        self.record_directives(sources, dest)
        self.merge_type_reference(sources, dest, coord, is_input=True, element="argument")
        self.merge_default_value(sources, dest, coord, "Argument")

    def merge_default_value(self, sources: Sources[InputValue], dest: InputValue, coord: str, kind: str) -> None:
        dest_default: ConstValueNode | None = None
        seen = inconsistent = incompatible = False
        for src in sources.values():
            if src is None:
                continue
            if dest_default is None:
                dest_default = src.default
                if seen and src.default is not None:
                    inconsistent = True
            elif value_key(dest_default) != value_key(src.default):
                inconsistent = True
                if src.default is not None:
                    incompatible = True
            seen = True
        if not inconsistent or incompatible:
            dest.default = dest_default
        if incompatible:
            from .model import print_value

            code = Code.FIELD_ARGUMENT_DEFAULT_MISMATCH if kind == "Argument" else Code.INPUT_FIELD_DEFAULT_MISMATCH
            self.mismatch(
                code, f'{kind} "{coord}" has incompatible default values across subgraphs: it has ',
                f"default value {print_value(dest_default)}" if dest_default is not None else "no default value",
                sources,
                lambda s: f"default value {print_value(s.default)}" if s.default is not None else "no default value",
            )
        elif inconsistent:
            self.hint("INCONSISTENT_DEFAULT_VALUE_PRESENCE", f'{kind} "{coord}" has a default value in only some subgraphs.')

    def merge_interface(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        has_key = self.validate_interface_keys(sources, dest)
        self.validate_interface_objects(sources, dest)
        added = self.add_fields_shallow(sources, dest)
        for fname, field_sources in added.items():
            if not has_key:
                pass  # Apollo only hints here
            ctx = self.validate_override(field_sources, dest, dest.fields[fname])
            self.merge_field(field_sources, dest, dest.fields[fname], ctx)

    def validate_interface_keys(self, sources: Sources[TypeDef], dest: TypeDef) -> bool:
        implementations = self.out.possible_types(dest.name)
        has_key = False
        for idx, src in sources.items():
            if src is None or src.kind != INTERFACE:
                continue
            keys = src.fed("key")
            has_key = has_key or bool(keys)
            resolvable = [k for k in keys if k.bool_arg("resolvable", True)]
            if not resolvable:
                continue
            local = self.subs[idx].possible_types(src.name)
            missing = [i for i in implementations if i not in local]
            if missing:
                name = self.names[idx]
                types = (f'type "{missing[0]}"' if len(missing) == 1 else
                         "types " + ", ".join(f'"{m}"' for m in missing[:-1]) + f' and "{missing[-1]}"')
                self.error(Code.INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE,
                           f'[{name}] Interface type "{dest.name}" has a resolvable key ({resolvable[0].printed()}) in'
                           f' subgraph "{name}" but that subgraph is missing some of the supergraph implementation types of'
                           f' "{dest.name}". Subgraph "{name}" should define {types} (and have'
                           f' {"them" if len(missing) > 1 else "it"} implement "{dest.name}").', [name], dest.name)
        return has_key

    def validate_interface_objects(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        implementations = self.out.possible_types(dest.name)
        for idx, src in sources.items():
            sub = self.subs[idx]
            if src is None or not sub.is_interface_object(src.name):
                continue
            defined = [i for i in implementations if i in sub.types]
            if defined:
                types = (f'type "{defined[0]}"' if len(defined) == 1 else
                         "types " + ", ".join(f'"{d}"' for d in defined[:-1]) + f' and "{defined[-1]}"')
                self.error(Code.INTERFACE_OBJECT_USAGE_ERROR,
                           f'[{sub.name}] Interface type "{dest.name}" is defined as an @interfaceObject in subgraph'
                           f' "{sub.name}" so that subgraph should not define any of the implementation types of'
                           f' "{dest.name}", but it defines {types}', [sub.name], dest.name)

    # -- unions, enums, inputs --------------------------------------------------------------------

    def merge_union(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        for src in sources.values():
            if src is None:
                continue
            for m in src.members:
                if m not in dest.members:
                    dest.members.append(m)
        for m in dest.members:
            for idx, src in sources.items():
                if src is not None and m in src.members:
                    dest.directives.append(Applied("join__unionMember", {"graph": _e(self.graph(idx)), "member": _s(m)}))
            if any(src is not None and m not in src.members for src in sources.values()):
                self.hint("INCONSISTENT_UNION_MEMBER",
                          f'Union type "{dest.name}" includes member type "{m}" in some but not all defining subgraphs.')

    def merge_enum(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        usage = self.enum_usage.get(dest.name)
        if usage is None:
            usage = ("Output", {})
            self.hint("UNUSED_ENUM_TYPE",
                      f'Enum type "{dest.name}" is defined but unused. It will be included in the supergraph with all the'
                      ' values appearing in any subgraph ("as if" it was only used as an output type).')
        for src in sources.values():
            if src is None:
                continue
            for v in src.values:
                if v not in dest.values:
                    dest.values[v] = EnumValue(v)
        position, examples = usage
        for vname in list(dest.values):
            value = dest.values[vname]
            value_sources: Sources[EnumValue] = {
                i: (s.values.get(vname) if s is not None else None) for i, s in sources.items()
            }
            self.merge_description(value_sources, value, f"{dest.name}.{vname}")
            self.record_directives(value_sources, value)
            for idx, vs in value_sources.items():
                if vs is not None:
                    value.directives.append(Applied("join__enumValue", {"graph": _e(self.graph(idx))}))
            inaccessible = self.out.merged_specs.get("inaccessible")
            is_inaccessible = inaccessible is not None and any(d.name == inaccessible for d in value.directives)
            missing_somewhere = any(s is not None and vname not in s.values for s in sources.values())
            if not is_inaccessible and position != "Output" and missing_somewhere:
                if position == "Both":
                    defined = [self.names[i] for i, s in sources.items() if s is not None and vname in s.values]
                    missing = [self.names[i] for i, s in sources.items() if s is not None and vname not in s.values]
                    self.error(Code.ENUM_VALUE_MISMATCH,
                               f'Enum type "{dest.name}" is used as both input type (for example, as type of'
                               f' "{examples.get("Input")}") and output type (for example, as type of'
                               f' "{examples.get("Output")}"), but value "{vname}" is not defined in all the subgraphs'
                               f' defining "{dest.name}": "{vname}" is defined in {subgraph_names(defined)} but not in'
                               f" {subgraph_names(missing)}", defined + missing, dest.name)
                else:
                    self.hint("INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM",
                              f'Value "{vname}" of enum type "{dest.name}" will not be part of the supergraph as it is not'
                              f' defined in all the subgraphs defining "{dest.name}".')
                    self.removed[id(value)] = value
                    del dest.values[vname]
            elif position == "Output" and missing_somewhere:
                self.hint("INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM",
                          f'Value "{vname}" of enum type "{dest.name}" has been added to the supergraph but is only defined'
                          f' in a subset of the subgraphs defining "{dest.name}".')
        if not dest.values:
            self.error(Code.EMPTY_MERGED_ENUM_TYPE,
                       f'None of the values of enum type "{dest.name}" are defined consistently in all the subgraphs defining'
                       " that type. As only values common to all subgraphs are merged, this would result in an empty type.",
                       [self.names[i] for i in sources], dest.name)

    def merge_input(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        names: list[str] = []
        for src in sources.values():
            if src is not None:
                names.extend(n for n in src.input_fields if n not in names)
        for name in names:
            field_sources: Sources[InputValue] = {
                i: (s.input_fields.get(name) if s is not None else None) for i, s in sources.items()
            }
            value = InputValue(name, "")
            dest.input_fields[name] = value
            coord = f"{dest.name}.{name}"
            self.merge_description(field_sources, value, coord)
            self.record_directives(field_sources, value)
            all_equal = self.merge_type_reference(field_sources, value, coord, is_input=True, element="field")
            if not all_equal:
                for idx, field_source in field_sources.items():
                    if field_source is not None:
                        value.directives.append(
                            Applied("join__field", {"graph": _e(self.graph(idx)), "type": _s(field_source.type)})
                        )
            self.merge_default_value(field_sources, value, coord, "Input field")
            inaccessible = self.out.merged_specs.get("inaccessible")
            is_inaccessible = inaccessible is not None and any(d.name == inaccessible for d in value.directives)
            if not is_inaccessible and any(s is None for s in field_sources.values()):
                required = [self.names[i] for i, s in field_sources.items() if s is not None and s.required]
                missing = [self.names[i] for i, s in field_sources.items() if s is None]
                if required:
                    self.error(Code.REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH,
                               f'Input object field "{coord}" is required in some subgraphs but does not appear in all'
                               f" subgraphs: it is required in {subgraph_names(required)} but does not appear in"
                               f" {subgraph_names(missing)}", required + missing, coord)
                else:
                    self.hint("INCONSISTENT_INPUT_OBJECT_FIELD",
                              f'Input object field "{name}" will not be added to "{dest.name}" in the supergraph as it does'
                              " not appear in all subgraphs.")
                self.removed[id(value)] = value
                del dest.input_fields[name]
        if not dest.input_fields:
            self.error(Code.EMPTY_MERGED_INPUT_TYPE,
                       f'None of the fields of input object type "{dest.name}" are consistently defined in all the subgraphs'
                       " defining that type. As only fields common to all subgraphs are merged, this would result in an"
                       " empty type.", [self.names[i] for i in sources], dest.name)

    # -- schema definition and directive definitions ---------------------------------------

    def merge_schema_definition(self) -> None:
        sources: Sources[Schema] = {i: s for i, s in enumerate(self.subs)}

        class _SchemaSource:
            def __init__(self, sub: Schema) -> None:
                self.description = sub.description
                self.directives = sub.schema_directives

        wrapped = {i: _SchemaSource(s) for i, s in sources.items() if s is not None}
        self.merge_description(wrapped, self.out, "schema")

        class _SchemaDest:
            def __init__(self, out: SupergraphModel) -> None:
                self.directives = out.schema_directives

        self.record_directives(wrapped, _SchemaDest(self.out))
        for kind in ("query", "mutation", "subscription"):
            for sub in self.subs:
                root = sub.roots.get(kind)
                if root is not None and sub.types[root].fields:
                    self.out.roots[kind] = root
                    break

    def merge_directive_definition(self, name: str) -> None:
        dest = self.out.directive_defs[name]
        if name in self.composed_defs:
            d = self.composed_defs[name]
            dest.repeatable, dest.description, dest.locations = d.repeatable, d.description, list(d.locations)
            for arg in d.args.values():
                value = InputValue(arg.name, "")
                dest.args[arg.name] = value
                self.merge_argument({0: arg}, value, f"@{name}({arg.name}:)")
            return
        sources: Sources[DirectiveDef] = {i: s.directive_defs.get(name) for i, s in enumerate(self.subs)}
        repeatable: bool | None = None
        locations: list[str] | None = None
        for src in sources.values():
            if src is None:
                del self.out.directive_defs[name]
                self.hint("INCONSISTENT_EXECUTABLE_DIRECTIVE_PRESENCE",
                          f'Executable directive "@{name}" will not be part of the supergraph as it does not appear in all'
                          " subgraphs.")
                return
            repeatable = src.repeatable if repeatable is None else (repeatable and src.repeatable)
            src_locations = sorted(loc for loc in src.locations if loc in EXECUTABLE_LOCATIONS)
            locations = src_locations if locations is None else [loc for loc in locations if loc in src_locations]
            if not locations:
                del self.out.directive_defs[name]
                self.hint("NO_EXECUTABLE_DIRECTIVE_LOCATIONS_INTERSECTION",
                          f'Executable directive "@{name}" has no location that is common to all subgraphs.')
                return
        assert locations is not None
        dest.repeatable = bool(repeatable)
        dest.locations = locations
        self.merge_description(sources, dest, f"@{name}")
        present: Sources[DirectiveDef] = {i: s for i, s in sources.items()}
        names: list[str] = []
        for src in sources.values():
            assert src is not None
            names.extend(a for a in src.args if a not in names)
        for arg_name in names:
            if any(s is not None and arg_name not in s.args for s in sources.values()):
                required = [self.names[i] for i, s in sources.items() if s is not None and arg_name in s.args and s.args[arg_name].required]
                if required:
                    missing = [self.names[i] for i, s in sources.items() if s is not None and arg_name not in s.args]
                    self.error(Code.REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH,
                               f'Argument "@{name}({arg_name}:)" is required in some subgraphs but does not appear in all'
                               f" subgraphs: it is required in {subgraph_names(required)} but does not appear in"
                               f" {subgraph_names(missing)}", required + missing)
                continue
            value = InputValue(arg_name, "")
            dest.args[arg_name] = value
            self.merge_argument({i: s.args.get(arg_name) for i, s in present.items() if s is not None}, value, f"@{name}({arg_name}:)")

    # -- @interfaceObject fields on implementations --------------------------------------------

    def add_missing_interface_object_fields(self) -> None:
        for t in list(self.out.types.values()):
            if t.kind != OBJECT:
                continue
            for itf_name in t.interfaces:
                itf = self.out.types.get(itf_name)
                if itf is None:
                    continue
                for itf_field in itf.fields.values():
                    if not self.provided_by_interface_object(itf_field.name, itf_name):
                        continue
                    existing = t.fields.get(itf_field.name)
                    if existing is not None:
                        joins = self.out.join_fields.get((t.name, existing.name))
                        if joins and all(j.external for j in joins):
                            self.copy_non_join_directives(itf_field, existing, t.name)
                        continue
                    f = Field(itf_field.name, itf_field.type, description=itf_field.description)
                    self.copy_non_join_directives(itf_field, f, t.name)
                    for arg in itf_field.args.values():
                        f.args[arg.name] = InputValue(arg.name, arg.type, arg.default, arg.description,
                                                      [d for d in arg.directives if not d.name.startswith("join__")])
                    f.directives.append(Applied("join__field", {}))
                    t.fields[f.name] = f
                    self.out.join_fields[(t.name, f.name)] = [JoinField(None)]
                    # Served by nothing but @interfaceObject types: those must agree to share it.
                    abstracting: Sources[Field] = {
                        idx: None for idx in range(len(self.subs))
                        if self.fields_abstracted_by_interface_object(t, f.name, idx)
                    }
                    self.validate_field_sharing(abstracting, t, f, _FieldContext())

    def validate_transitive_auth(self) -> None:
        """A field that @requires data must carry at least the auth requirements of that data."""
        by_graph = {v: k for k, v in self.out.graph_enum.items()}
        for (type_name, fname), joins in self.out.join_fields.items():
            parent = self.out.types.get(type_name)
            if parent is None or fname not in parent.fields:
                continue
            field = parent.fields[fname]
            own = _AuthRequirements.combined(_AuthRequirements.of(parent), _AuthRequirements.of(field))
            coord = f"{type_name}.{fname}"
            for j in joins:
                if not j.requires:
                    continue
                try:
                    selections = fs.bind(self.out, type_name, j.requires)
                except fs.FieldSetError:
                    continue
                problem = self._auth_problem(own, selections)
                if problem is not None:
                    subgraph = by_graph.get(self.out.graph_enum.get(j.graph or "", ""), j.graph)
                    self.error(Code.MISSING_TRANSITIVE_AUTH_REQUIREMENTS,
                               f'[{subgraph}] Field "{coord}" does not specify necessary @authenticated, @requiresScopes'
                               f" and/or @policy auth requirements to access the transitive {problem} from @requires"
                               " selection set.", [subgraph or ""], coord)

    def validate_transitive_auth_of_contexts(self) -> None:
        """A field reading a context must carry the auth requirements of the context's types and of the
        data its selection reads there."""
        locations = context_types(self.out)
        for (type_name, fname), joins in self.out.join_fields.items():
            if (type_name, fname) not in self.with_from_context:
                continue
            parent = self.out.types.get(type_name)
            if parent is None or fname not in parent.fields:
                continue
            field = parent.fields[fname]
            own = _AuthRequirements.combined(_AuthRequirements.of(parent), _AuthRequirements.of(field))
            coord = f"{type_name}.{fname}"
            for j in joins:
                subgraph = j.graph or ""
                for argument in j.context_arguments:
                    name = supergraph_context_name(subgraph, argument.context)
                    for target_name in locations.get(name, ()):
                        target = self.out.types[target_name]
                        problem: str | None = f"data in context {name}"
                        if own.satisfies(_AuthRequirements.of(target)):
                            try:
                                selections = fs.bind_node(self.out, target_name, selection_node(argument.selection),
                                                          check_fragments=False)
                            except (fs.FieldSetError, ContextSelectionError):
                                continue
                            problem = self._auth_problem(own, selections)
                        if problem is not None:
                            self.error(Code.MISSING_TRANSITIVE_AUTH_REQUIREMENTS,
                                       f'[{subgraph}] Field "{coord}" does not specify necessary @authenticated,'
                                       f" @requiresScopes and/or @policy auth requirements to access the transitive"
                                       f" {problem} from @fromContext selection set.", [subgraph], coord)

    def _auth_problem(self, own: _AuthRequirements, selections: tuple[fs.Selection, ...]) -> str | None:
        for s in selections:
            if s.field is None:
                cond = self.out.types.get(s.type_condition or "")
                if cond is not None and not own.satisfies(_AuthRequirements.of(cond)):
                    return f'data in inline fragment type condition "{s.type_condition}"'
            elif s.field != "__typename":
                f = self.out.field(s.parent, s.field)
                if f is not None:
                    ret = self.out.types.get(named_type(f.type))
                    if not own.satisfies(_AuthRequirements.of(f)) or not own.satisfies(_AuthRequirements.of(ret)):
                        return f'field "{s.parent}.{s.field}" data'
            problem = self._auth_problem(own, s.selections)
            if problem is not None:
                return problem
        return None

    def provided_by_interface_object(self, fname: str, itf: str) -> bool:
        for sub in self.subs:
            t = sub.types.get(itf)
            if t is not None and sub.is_interface_object(itf) and fname in t.fields and not sub.is_external(itf, fname):
                return True
        return False

    def copy_non_join_directives(self, source: Field, dest: Field, type_name: str) -> None:
        access = {self.out.merged_specs[s] for s in ACCESS_CONTROL_DIRECTIVES if s in self.out.merged_specs}
        for spec in self.access_control_specs():
            name = self.out.merged_specs.get(spec)
            extra = self.access_control_sources().get((type_name, dest.name, spec), [])
            if name is not None and extra:
                self.merge_applied_directive(name, _with_extra({}, extra), dest)
        for d in source.directives:
            if d.name.startswith("join__") or d.name in access:
                continue
            dest.directives.append(Applied(d.name, dict(d.args), d.spec))

    # -- checks on the merged result -------------------------------------------------------------

    def post_merge_validations(self) -> None:
        for t in self.out.types.values():
            if t.kind not in (OBJECT, INTERFACE):
                continue
            for itf_name in t.interfaces:
                itf = self.out.types.get(itf_name)
                if itf is None:
                    continue
                for fname in itf.fields:
                    if fname in t.fields:
                        continue
                    with_field = [s.name for s in self.subs if (x := s.types.get(itf_name)) is not None and x.kind == INTERFACE and fname in x.fields]
                    implementing = [s.name for s in self.subs if (x := s.types.get(t.name)) is not None and itf_name in x.interfaces]
                    self.error(Code.INTERFACE_FIELD_NO_IMPLEM,
                               f'Interface field "{itf_name}.{fname}" is declared in {subgraph_names(with_field)} but type'
                               f' "{t.name}", which implements "{itf_name}" only in {subgraph_names(implementing)} does not'
                               f' have field "{fname}".', with_field + implementing, f"{t.name}.{fname}")
        if self.access_control_specs():
            self.validate_transitive_auth()
            self.validate_transitive_auth_of_contexts()
        for sub in self.subs:
            for t in sub.types.values():
                for f in t.fields.values():
                    for d in f.fed("requires"):
                        if t.name not in self.out.types:
                            continue
                        try:
                            fs.bind(self.out, t.name, d.str_arg("fields") or "")
                        except fs.FieldSetError as e:
                            self.error(Code.REQUIRES_INVALID_FIELDS,
                                       f'[{sub.name}] On field "{t.name}.{f.name}", for @requires(fields: "{d.str_arg("fields")}"):'
                                       f" {e}", [sub.name], f"{t.name}.{f.name}")


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


def merge_subgraphs(subgraphs: list[Subgraph]) -> tuple[SupergraphModel, list[CompositionError], list[Hint]]:
    merger = Merger(subgraphs)
    out = merger.merge()
    return out, merger.errors, merger.hints
