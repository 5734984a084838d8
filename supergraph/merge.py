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

The `Merger` here runs the steps; each kind of element has its own part, which it calls:
merge_fields (objects' fields and arguments), merge_interfaces, merge_unions, merge_enums,
merge_inputs, merge_directives, merge_auth; merge_model holds what they share.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from graphql.language import (
    ConstValueNode,
)

from . import fieldset as fs
from .context import (
    is_contextual,
)
from .errors import Code, CompositionError, Hint, subgraph_names
from .merge_auth import AuthMerger
from .merge_directives import DirectiveMerger
from .merge_enums import EnumMerger
from .merge_fields import FieldMerger
from .merge_inputs import InputMerger
from .merge_interfaces import InterfaceMerger
from .merge_model import (
    _KIND_NAMES,
    AnySources,
    ComposedLink,
    JoinField,
    JoinType,
    Sources,
    SupergraphModel,
    _b,
    _e,
    _join_list,
    _s,
    _used_specs,
    dnf_conjunction,
    sanitize_graph_name,
)
from .merge_unions import UnionMerger
from .model import (
    ENUM,
    INPUT_OBJECT,
    INTERFACE,
    OBJECT,
    SCALAR,
    UNION,
    Applied,
    DirectiveDef,
    Schema,
    TypeDef,
)
from .specs import (
    MERGED_DIRECTIVES,
    join_minor_for,
)
from .subgraph import Subgraph


class Merger:
    def __init__(self, subgraphs: list[Subgraph]) -> None:
        self.subs = sorted(subgraphs, key=lambda s: s.name)
        self.names = [s.name for s in self.subs]
        self.errors: list[CompositionError] = []
        self.hints: list[Hint] = []
        self.out = SupergraphModel(subgraphs=self.subs)
        self.enums = EnumMerger(self)
        self.unions = UnionMerger(self)
        self.inputs = InputMerger(self)
        self.interfaces = InterfaceMerger(self)
        self.fields = FieldMerger(self)
        self.directives = DirectiveMerger(self)
        self.auth = AuthMerger(self)
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
        self.directives.add_directives_shallow()
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
            self.directives.merge_directive_definition(name)
        for name in by_kind.get(ENUM, ()):
            self.merge_type(self.sources_for_type(name, ENUM), self.out.types[name])
        if "query" not in self.out.roots or "Query" not in self.out.types:
            self.error(Code.NO_QUERIES, "No queries found in any subgraph: a supergraph must have a query root type.")
        self.directives.merge_all_applied_directives()
        self.interfaces.add_missing_interface_object_fields()
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
        self.directives.prepare_composed_directives()
        sanitized: dict[str, list[str]] = {}
        for name in self.names:
            sanitized.setdefault(sanitize_graph_name(name), []).append(name)
        for value, names in sanitized.items():
            for i, name in enumerate(names):
                out.graph_enum[name] = value if len(names) == 1 else f"{value}_{i + 1}"

    # -- directives: which applications and definitions are merged ----------------------------

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
        self.directives.record_type_directives(sources, dest)
        if dest.kind == OBJECT:
            self.fields.merge_object(sources, dest)
        elif dest.kind == INTERFACE:
            self.interfaces.merge_interface(sources, dest)
        elif dest.kind == UNION:
            self.unions.merge_union(sources, dest)
        elif dest.kind == ENUM:
            self.enums.merge_enum(sources, dest)
        elif dest.kind == INPUT_OBJECT:
            self.inputs.merge_input(sources, dest)

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
                if self.directives.is_merged_application(idx, d):
                    n = self.directives.supergraph_name(idx, d)
                    if n not in names:
                        names.append(n)
        return names

    # -- objects and interfaces ----------------------------------------------------------------

    # -- unions, enums, inputs --------------------------------------------------------------------

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

        self.directives.record_directives(wrapped, _SchemaDest(self.out))
        for kind in ("query", "mutation", "subscription"):
            for sub in self.subs:
                root = sub.roots.get(kind)
                if root is not None and sub.types[root].fields:
                    self.out.roots[kind] = root
                    break

    # -- @interfaceObject fields on implementations --------------------------------------------

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
        if self.directives.access_control_specs():
            self.auth.validate_transitive_auth()
            self.auth.validate_transitive_auth_of_contexts()
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



def merge_subgraphs(subgraphs: list[Subgraph]) -> tuple[SupergraphModel, list[CompositionError], list[Hint]]:
    merger = Merger(subgraphs)
    out = merger.merge()
    return out, merger.errors, merger.hints


__all__ = ["Merger", "merge_subgraphs", "SupergraphModel", "JoinType", "JoinField", "ComposedLink", "dnf_conjunction", "sanitize_graph_name"]
