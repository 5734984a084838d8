"""The merge of directives: composed (@composeDirective) and merged spec directives, their
definitions and applications, the access-control specs.

Part of the composer's `Merger` (merge.py), which calls it as `self.directives`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql.language import (
    ConstListValueNode,
    IntValueNode,
)

from .context import (
    supergraph_context_name,
)
from .errors import Code, subgraph_names
from .link import Link
from .merge_model import (
    AnySources,
    ComposedLink,
    Sources,
    _iter_sources,
    _merge_list_size,
    _s,
    _string_matrix,
    _with_extra,
    dnf_conjunction,
)
from .model import (
    INTERFACE,
    OBJECT,
    Applied,
    DirectiveDef,
    Field,
    InputValue,
    TypeDef,
    same_application,
)
from .specs import (
    ACCESS_CONTROL_DIRECTIVES,
    EXECUTABLE_LOCATIONS,
    GRAPHQL_BUILTIN_DIRECTIVES,
    MERGED_DIRECTIVES,
    REPEATABLE_MERGED_DIRECTIVES,
)

if TYPE_CHECKING:
    from .merge import Merger


class DirectiveMerger:
    def __init__(self, m: "Merger") -> None:
        self.m = m

    def prepare_composed_directives(self) -> None:
        """Validate `@composeDirective` usages and decide which custom specs the supergraph links."""
        fed_names = {s.name: set(s.names.values()) for s in self.m.subs}
        items: list[tuple[int, Link, str, str]] = []  # (subgraph idx, link, name in feature, name in schema)
        for idx, sub in enumerate(self.m.subs):
            for d in sub.schema_directives:
                if d.spec != "composeDirective":
                    continue
                raw = d.str_arg("name")
                if not raw:
                    self.m.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                               f'Argument to @composeDirective in subgraph "{sub.name}" cannot be NULL or an empty String', [sub.name])
                    continue
                if not raw.startswith("@"):
                    self.m.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                               f'Argument to @composeDirective "{raw}" in subgraph "{sub.name}" must have a leading "@"', [sub.name])
                    continue
                name = raw[1:]
                if name in fed_names[sub.name]:
                    spec = sub.spec_name(name)
                    if spec in MERGED_DIRECTIVES:
                        self.m.hint("DIRECTIVE_COMPOSITION_INFO",
                                  f'Directive "@{name}" should not be explicitly manually composed since it is a federation'
                                  " directive composed by default")
                    else:
                        self.m.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                                   f'Composing federation directive "{raw}" in subgraph "{sub.name}" is not supported', [sub.name])
                    continue
                if name not in sub.directive_defs:
                    self.m.error(Code.DIRECTIVE_COMPOSITION_ERROR,
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
                    self.m.error(Code.DIRECTIVE_COMPOSITION_ERROR,
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
                self.m.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                           f'Core feature "{identity}" requested to be merged has major version mismatch across subgraphs',
                           [self.m.names[i[0]] for i in its])
                wont_merge.add(identity)
        by_name: dict[str, list[tuple[int, Link, str, str]]] = {}
        for item in items:
            by_name.setdefault(item[3], []).append(item)
        for name, its in by_name.items():
            if len({i[2] for i in its}) > 1:
                self.m.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                           f'Composed directive "@{name}" does not refer to the same directive in every subgraph')
                wont_merge.add(name)
            if len({i[1].identity for i in its}) > 1:
                self.m.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                           f'Composed directive "@{name}" is not linked by the same core feature in every subgraph')
                wont_merge.add(name)
        by_orig: dict[str, list[tuple[int, Link, str, str]]] = {}
        for item in items:
            by_orig.setdefault(item[2], []).append(item)
        for its in by_orig.values():
            if len({i[3] for i in its}) > 1:
                self.m.error(Code.DIRECTIVE_COMPOSITION_ERROR,
                           "Composed directive is not named consistently in all subgraphs but "
                           + " and ".join(f'"@{i[3]}" in subgraph "{self.m.names[i[0]]}"' for i in its))
                wont_merge |= {i[3] for i in its}
        for identity, its in by_identity.items():
            if identity in wont_merge:
                continue
            latest = max(its, key=lambda i: i[1].version)
            imports: list[tuple[str, str]] = []
            for idx, link, orig, name in its:
                if name in wont_merge:
                    continue
                self.m.composed.setdefault(idx, set()).add(name)
                if (orig, name) not in imports:
                    imports.append((orig, name))
                if name not in self.m.composed_defs or link.version >= latest[1].version:
                    self.m.composed_defs.setdefault(name, self.m.subs[latest[0]].directive_defs.get(name) or self.m.subs[idx].directive_defs[name])
            if imports:
                self.m.out.composed_links.append(ComposedLink(latest[1].url, imports))

    def is_merged_application(self, idx: int, d: Applied) -> bool:
        if d.name in self.m.composed.get(idx, ()):
            return True
        if d.spec is not None:
            return d.spec in self.m.out.merged_specs
        return d.name in GRAPHQL_BUILTIN_DIRECTIVES

    def supergraph_name(self, idx: int, d: Applied) -> str:
        if d.spec is not None:
            return self.m.out.merged_specs.get(d.spec, d.name)
        return d.name

    def add_directives_shallow(self) -> None:
        for idx, sub in enumerate(self.m.subs):
            for name, d in sub.directive_defs.items():
                if name in self.m.composed.get(idx, ()) or any(loc in EXECUTABLE_LOCATIONS for loc in d.locations):
                    if name not in self.m.out.directive_defs and name not in GRAPHQL_BUILTIN_DIRECTIVES:
                        self.m.out.directive_defs[name] = DirectiveDef(name, {}, [])

    def _merge_inaccessible_now(self, names: list[str], sources: AnySources, dest: object) -> list[str]:
        inaccessible = self.m.out.merged_specs.get("inaccessible")
        if inaccessible is not None and inaccessible in names:
            self.merge_applied_directive(inaccessible, sources, dest)
            names = [n for n in names if n != inaccessible]
        return names

    def record_directives(self, sources: AnySources, dest: object) -> None:
        names = self._merge_inaccessible_now(self.m.gather_names(sources), sources, dest)
        self.m.pending.append((names, sources, dest))

    def record_type_directives(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        names = self._merge_inaccessible_now(self.m.gather_names(sources), sources, dest)
        if dest.kind == INTERFACE:
            for spec in self.access_control_specs():
                name = self.m.out.merged_specs.get(spec)
                if name is None:
                    continue
                extra = self.access_control_sources().get((dest.name, None, spec), [])
                if name in names or extra:
                    self.m.pending.append(([name], _with_extra(sources, extra), dest))
                names = [n for n in names if n != name]
        self.m.pending.append((names, sources, dest))

    def record_field_directives(self, sources: Sources[Field], dest: Field, parent: str) -> None:
        names = self._merge_inaccessible_now(self.m.gather_names(sources), sources, dest)
        for spec in self.access_control_specs():
            name = self.m.out.merged_specs.get(spec)
            if name is None:
                continue
            extra = self.access_control_sources().get((parent, dest.name, spec), [])
            if name in names or extra:
                self.m.pending.append(([name], _with_extra(sources, extra), dest))
            names = [n for n in names if n != name]
        self.m.pending.append((names, sources, dest))

    def access_control_specs(self) -> list[str]:
        """Authorization specs in the order the supergraph links them (the order Apollo applies them)."""
        return [s for s in self.m.out.merged_specs if s in ACCESS_CONTROL_DIRECTIVES]

    def access_control_sources(self) -> dict[tuple[str, str | None, str], list[tuple[int, object]]]:
        """Auth requirements of implementations also guard the interfaces they implement."""
        if self.m._access_sources is not None:
            return self.m._access_sources
        out: dict[tuple[str, str | None, str], list[tuple[int, object]]] = {}
        itf_to_impls: dict[str, list[str]] = {}
        impl_to_itfs: dict[str, list[str]] = {}
        for t in self.m.out.types.values():
            if t.kind == INTERFACE:
                impls = self.m.out.possible_types(t.name)
                itf_to_impls[t.name] = impls
                for impl in impls:
                    impl_to_itfs.setdefault(impl, []).append(t.name)
        for idx, sub in enumerate(self.m.subs):
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
        self.m._access_sources = out
        return out

    def merge_all_applied_directives(self) -> None:
        for names, sources, dest in self.m.pending:
            if id(dest) in self.m.removed:
                continue
            for name in names:
                self.merge_applied_directive(name, sources, dest)
        self.m.pending = []

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
                    args["name"] = _s(supergraph_context_name(self.m.names[source_index[0]], first.str_arg("name") or ""))
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
        self.m.hint("INCONSISTENT_NON_REPEATABLE_DIRECTIVE_ARGUMENTS",
                  f"Non-repeatable directive @{name} is applied in multiple subgraphs but with incompatible arguments.")

    def is_repeatable(self, name: str) -> bool:
        for spec, n in self.m.out.merged_specs.items():
            if n == name:
                return spec in REPEATABLE_MERGED_DIRECTIVES
        if name in GRAPHQL_BUILTIN_DIRECTIVES:
            return False
        d = self.m.composed_defs.get(name)
        return bool(d and d.repeatable)

    def merge_directive_definition(self, name: str) -> None:
        dest = self.m.out.directive_defs[name]
        if name in self.m.composed_defs:
            d = self.m.composed_defs[name]
            dest.repeatable, dest.description, dest.locations = d.repeatable, d.description, list(d.locations)
            for arg in d.args.values():
                value = InputValue(arg.name, "")
                dest.args[arg.name] = value
                self.m.fields.merge_argument({0: arg}, value, f"@{name}({arg.name}:)")
            return
        sources: Sources[DirectiveDef] = {i: s.directive_defs.get(name) for i, s in enumerate(self.m.subs)}
        repeatable: bool | None = None
        locations: list[str] | None = None
        for src in sources.values():
            if src is None:
                del self.m.out.directive_defs[name]
                self.m.hint("INCONSISTENT_EXECUTABLE_DIRECTIVE_PRESENCE",
                          f'Executable directive "@{name}" will not be part of the supergraph as it does not appear in all'
                          " subgraphs.")
                return
            repeatable = src.repeatable if repeatable is None else (repeatable and src.repeatable)
            src_locations = sorted(loc for loc in src.locations if loc in EXECUTABLE_LOCATIONS)
            locations = src_locations if locations is None else [loc for loc in locations if loc in src_locations]
            if not locations:
                del self.m.out.directive_defs[name]
                self.m.hint("NO_EXECUTABLE_DIRECTIVE_LOCATIONS_INTERSECTION",
                          f'Executable directive "@{name}" has no location that is common to all subgraphs.')
                return
        assert locations is not None
        dest.repeatable = bool(repeatable)
        dest.locations = locations
        self.m.merge_description(sources, dest, f"@{name}")
        present: Sources[DirectiveDef] = {i: s for i, s in sources.items()}
        names: list[str] = []
        for src in sources.values():
            assert src is not None
            names.extend(a for a in src.args if a not in names)
        for arg_name in names:
            if any(s is not None and arg_name not in s.args for s in sources.values()):
                required = [self.m.names[i] for i, s in sources.items() if s is not None and arg_name in s.args and s.args[arg_name].required]
                if required:
                    missing = [self.m.names[i] for i, s in sources.items() if s is not None and arg_name not in s.args]
                    self.m.error(Code.REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH,
                               f'Argument "@{name}({arg_name}:)" is required in some subgraphs but does not appear in all'
                               f" subgraphs: it is required in {subgraph_names(required)} but does not appear in"
                               f" {subgraph_names(missing)}", required + missing)
                continue
            value = InputValue(arg_name, "")
            dest.args[arg_name] = value
            self.m.fields.merge_argument({i: s.args.get(arg_name) for i, s in present.items() if s is not None}, value, f"@{name}({arg_name}:)")

    def copy_non_join_directives(self, source: Field, dest: Field, type_name: str) -> None:
        access = {self.m.out.merged_specs[s] for s in ACCESS_CONTROL_DIRECTIVES if s in self.m.out.merged_specs}
        for spec in self.access_control_specs():
            name = self.m.out.merged_specs.get(spec)
            extra = self.access_control_sources().get((type_name, dest.name, spec), [])
            if name is not None and extra:
                self.merge_applied_directive(name, _with_extra({}, extra), dest)
        for d in source.directives:
            if d.name.startswith("join__") or d.name in access:
                continue
            dest.directives.append(Applied(d.name, dict(d.args), d.spec))
