"""The merge of object fields and their arguments: sharing, @override, @external, @join__field, type
references merged to the most general output / most specific input type, default values.

Part of the composer's `Merger` (merge.py), which calls it as `self.fields`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Mapping

from graphql.language import (
    ConstValueNode,
)

from .context import (
    contextual_arguments,
    is_contextual,
)
from .errors import Code, subgraph_names
from .merge_model import (
    _LABEL,
    _PERCENT,
    JoinField,
    Sources,
    _b,
    _context_arguments_value,
    _e,
    _FieldContext,
    _s,
)
from .model import (
    ENUM,
    INTERFACE,
    OBJECT,
    UNION,
    Applied,
    Field,
    InputValue,
    TypeDef,
    is_list,
    is_non_null,
    list_item,
    named_type,
    nullable,
    print_value,
    value_key,
)

if TYPE_CHECKING:
    from .merge import Merger


class FieldMerger:
    def __init__(self, m: "Merger") -> None:
        self.m = m

    def add_fields_shallow(self, sources: Sources[TypeDef], dest: TypeDef) -> dict[str, Sources[Field]]:
        extra: Sources[Field] = {}
        for idx, sub in enumerate(self.m.subs):
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
        is_root = dest.name in self.m.out.roots.values()
        value_type = not entity_sources and not is_root
        added = self.add_fields_shallow(sources, dest)
        if not added:
            self.m.removed[id(dest)] = dest
            del self.m.out.types[dest.name]
            for kind, name in list(self.m.out.roots.items()):
                if name == dest.name:
                    del self.m.out.roots[kind]
            return
        for fname, field_sources in added.items():
            if value_type:
                self.hint_on_inconsistent_value_field(sources, dest, fname)
            ctx = self.validate_override(field_sources, dest, dest.fields[fname])
            if dest.name == self.m.out.roots.get("subscription") and any(
                f is not None and f.has("shareable") for f in field_sources.values()
            ):
                self.m.error(Code.INVALID_FIELD_SHARING, "Fields on root level subscription object cannot be marked as shareable",
                           [self.m.names[i] for i, f in field_sources.items() if f is not None and f.has("shareable")],
                           f"{dest.name}.{fname}")
            self.merge_field(field_sources, dest, dest.fields[fname], ctx)
            self.validate_field_sharing(field_sources, dest, dest.fields[fname], ctx)

    def hint_on_inconsistent_value_field(self, sources: Sources[TypeDef], dest: TypeDef, fname: str) -> None:
        for idx, src in sources.items():
            if src is None or self.m.subs[idx].is_interface_object(src.name):
                continue
            if fname not in src.fields and not all(self.m.subs[idx].is_external(src.name, f) for f in src.fields):
                self.m.hint("INCONSISTENT_OBJECT_VALUE_TYPE_FIELD",
                          f'Field "{dest.name}.{fname}" of non-entity object type "{dest.name}" is defined in some but not'
                          f' all subgraphs that define "{dest.name}".')
                return

    def validate_override(self, sources: Sources[Field], parent: TypeDef, dest: Field) -> _FieldContext:
        ctx = _FieldContext()
        with_override = [
            (idx, f.fed("override")[0]) for idx, f in sources.items() if f is not None and f.has("override")
        ]
        if not with_override:
            return ctx
        coord = f"{parent.name}.{dest.name}"
        overriding_names = {self.m.names[idx] for idx, _ in with_override}
        for idx, d in with_override:
            name = self.m.names[idx]
            sub = self.m.subs[idx]
            src_type = sub.types[parent.name] if parent.name in sub.types else None
            if src_type is not None and src_type.kind == INTERFACE:
                self.m.error(Code.OVERRIDE_ON_INTERFACE,
                           f'@override cannot be used on field "{coord}" on subgraph "{name}": @override is not supported on'
                           " interface type fields.", [name], coord)
                continue
            if sub.is_interface_object(parent.name):
                self.m.error(Code.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE,
                           f'@override is not yet supported on fields of @interfaceObject types: cannot be used on field'
                           f' "{coord}" on subgraph "{name}".', [name], coord)
                continue
            source_name = d.str_arg("from") or ""
            if source_name not in self.m.names:
                ctx.unknown_target.add(idx)
                self.m.hint("FROM_SUBGRAPH_DOES_NOT_EXIST",
                          f'Source subgraph "{source_name}" for field "{coord}" on subgraph "{name}" does not exist.')
                continue
            if source_name == name:
                self.m.error(Code.OVERRIDE_FROM_SELF_ERROR,
                           f'Source and destination subgraphs "{source_name}" are the same for overridden field "{coord}"',
                           [name], coord)
                continue
            if source_name in overriding_names:
                self.m.error(Code.OVERRIDE_SOURCE_HAS_OVERRIDE,
                           f'Field "{coord}" on subgraph "{name}" is also marked with directive @override in subgraph'
                           f' "{source_name}". Only one @override directive is allowed per field.', [name, source_name], coord)
                continue
            from_idx = self.m.names.index(source_name)
            if from_idx not in sources:
                self.m.hint("OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                          f'Field "{coord}" on subgraph "{name}" no longer exists in the from subgraph. The @override'
                          " directive can be removed.")
                continue
            from_field = sources[from_idx]
            if from_field is None:
                abstracting = self.m.interfaces.fields_abstracted_by_interface_object(parent, dest.name, from_idx)
                if abstracting:
                    self.m.error(Code.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE,
                               f'Invalid @override on field "{coord}" of subgraph "{name}": source subgraph "{source_name}"'
                               f' does not have field "{coord}" but abstract it in type "{abstracting[0][0]}" and overriding'
                               " abstracted fields is not supported.", [name], coord)
                else:
                    self.m.hint("OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
                              f'Field "{coord}" on subgraph "{name}" no longer exists in the from subgraph. The @override'
                              " directive can be removed.")
                continue
            from_sub = self.m.subs[from_idx]
            conflict = None
            for spec in ("requires", "provides"):
                if from_field.has(spec):
                    conflict = (spec, source_name)
            if conflict is None and sub.is_external(parent.name, dest.name):
                conflict = ("external", name)
            if conflict is not None:
                self.m.error(Code.OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE,
                           f'@override cannot be used on field "{coord}" on subgraph "{name}" since "{coord}" on'
                           f' "{conflict[1]}" is marked with directive "@{conflict[0]}"', [name, source_name], coord)
                continue
            label = d.str_arg("label")
            if from_sub.is_external(parent.name, dest.name):
                self.m.hint("OVERRIDE_DIRECTIVE_CAN_BE_REMOVED",
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
                    self.m.error(Code.OVERRIDE_LABEL_INVALID,
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
                itf_fields = self.m.interfaces.fields_abstracted_by_interface_object(parent, dest.name, idx)
                every_external = every_external and all(self.m.subs[idx].is_external(i, f.name) for i, f in itf_fields)
            else:
                every_external = every_external and self.m.subs[idx].is_external(parent.name, src.name)
            if not every_external:
                break
        if every_external:
            defining = [self.m.names[i] for i, s in sources.items() if s is not None]
            self.m.error(Code.EXTERNAL_MISSING_ON_BASE,
                       f'Field "{coord}" is marked @external on all the subgraphs in which it is listed'
                       f" ({subgraph_names(defining)}).", defining, coord)
            return
        without_external: Sources[Field] = {}
        for idx, src in sources.items():
            if src is not None and self.m.subs[idx].is_external(parent.name, src.name):
                without_external[idx] = None
                for d in src.directives:
                    if self.m.directives.is_merged_application(idx, d):
                        self.m.error(Code.MERGED_DIRECTIVE_APPLICATION_ON_EXTERNAL,
                                   f'[{self.m.names[idx]}] Cannot apply merged directive {d.printed()} to external field'
                                   f' "{coord}"', [self.m.names[idx]], coord)
            else:
                without_external[idx] = src
        if any(s is not None for s in without_external.values()):
            self.m.merge_description(without_external, dest, coord)
            self.m.directives.record_field_directives(without_external, dest, parent.name)
            self.add_arguments_shallow(without_external, dest, coord)
            for arg in list(dest.args.values()):
                arg_sources: Sources[InputValue] = {
                    i: (f.args.get(arg.name) if f is not None else None) for i, f in without_external.items()
                }
                self.merge_argument(arg_sources, arg, f"{coord}({arg.name}:)")
        use = without_external if any(s is not None for s in without_external.values()) else sources
        all_equal = self.merge_type_reference(use, dest, coord, is_input=False, element="field")
        if any(s is not None and self.m.subs[i].is_external(parent.name, s.name) for i, s in sources.items()):
            self.validate_external_fields(sources, parent, dest, all_equal)
        self.add_join_field(sources, parent, dest, all_equal, ctx)

    def validate_field_sharing(self, sources: Sources[Field], parent: TypeDef, dest: Field, ctx: _FieldContext) -> None:
        shareable: list[str] = []
        non_shareable: list[tuple[str, int]] = []
        resolving: list[str] = []

        def categorize(idx: int, label: str, type_name: str, fname: str) -> None:
            sub = self.m.subs[idx]
            if sub.is_fully_external(type_name, fname):
                return
            resolving.append(label)
            if (type_name, fname) in sub.shareable:
                shareable.append(label)
            else:
                non_shareable.append((label, idx))

        for idx, src in sources.items():
            label = f'"{self.m.names[idx]}"'
            if src is None:
                for itf, f in self.m.interfaces.fields_abstracted_by_interface_object(parent, dest.name, idx):
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
            self.m.error(Code.INVALID_FIELD_SHARING,
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
            if src is None or not self.m.subs[idx].is_external(parent.name, src.name):
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
            self.m.mismatch(Code.EXTERNAL_TYPE_MISMATCH,
                          f'Type of field "{coord}" is incompatible across subgraphs (where marked @external): it has ',
                          f'type "{dest.type}"', ext, lambda f: f'type "{f.type}"')
        for name in missing_args:
            self.m.error(Code.EXTERNAL_ARGUMENT_MISSING,
                       f'Field "{coord}" is missing argument "{coord}({name}:)" in some subgraphs where it is marked'
                       " @external", [self.m.names[i] for i in sources], coord)
        for name in dict.fromkeys(arg_type_bad):
            self.m.error(Code.EXTERNAL_ARGUMENT_TYPE_MISMATCH,
                       f'Type of argument "{coord}({name}:)" is incompatible across subgraphs (where "{coord}" is marked'
                       " @external)", [self.m.names[i] for i in sources], coord)
        for name in dict.fromkeys(arg_default_bad):
            self.m.error(Code.EXTERNAL_ARGUMENT_DEFAULT_MISMATCH,
                       f'Argument "{coord}({name}:)" has incompatible defaults across subgraphs (where "{coord}" is marked'
                       " @external)", [self.m.names[i] for i in sources], coord)

    def needs_join_field(self, sources: Sources[Field], parent: str, field: str, all_equal: bool, ctx: _FieldContext) -> bool:
        if not all_equal or ctx.some_special() or (parent, field) in self.m.with_from_context:
            return True
        for idx, src in sources.items():
            sub = self.m.subs[idx]
            if src is not None and idx not in ctx.unused_overridden:
                if sub.is_external(parent, src.name) or src.has("provides") or src.has("requires"):
                    return True
            elif parent in sub.types:
                return True
        return False

    def add_join_field(self, sources: Sources[Field], parent: TypeDef, dest: Field, all_equal: bool, ctx: _FieldContext) -> None:
        if not self.needs_join_field(sources, parent.name, dest.name, all_equal, ctx):
            return
        joins = self.m.out.join_fields.setdefault((parent.name, dest.name), [])
        for idx, src in sources.items():
            label = ctx.labels.get(idx)
            if src is None or (idx in ctx.unused_overridden and label is None):
                continue
            sub = self.m.subs[idx]
            args: dict[str, ConstValueNode] = {"graph": _e(self.m.graph(idx))}
            jf = JoinField(self.m.names[idx])
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
        target = self.m.out.types.get(t)
        candidate = self.m.out.types.get(maybe_sub)
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
        base_def = self.m.out.types.get(base)
        if base_def is not None and base_def.kind == ENUM:
            position = "Input" if is_input else "Output"
            existing = self.m.enum_usage.get(base)
            examples = dict(existing[1]) if existing else {}
            if position not in examples:
                examples[position] = coord
            merged_position = position if existing is None or existing[0] == position else "Both"
            self.m.enum_usage[base] = (merged_position, examples)
        if incompatible:
            code = Code.FIELD_ARGUMENT_TYPE_MISMATCH if element == "argument" else Code.FIELD_TYPE_MISMATCH
            self.m.mismatch(code, f'Type of {element} "{coord}" is incompatible across subgraphs: it has ',
                          f'type "{dest_type}"', sources, lambda s: f'type "{s.type}"')
            return False
        if has_subtypes:
            self.m.hint("INCONSISTENT_BUT_COMPATIBLE_" + ("ARGUMENT" if element == "argument" else "FIELD") + "_TYPE",
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
                required = [self.m.names[i] for i, s in sources.items() if s is not None and name in s.args and s.args[name].required]
                missing = [self.m.names[i] for i, s in sources.items() if s is not None and name not in s.args]
                if required:
                    self.m.error(Code.REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH,
                               f'Argument "{coord}({name}:)" is required in some subgraphs but does not appear in all'
                               f" subgraphs: it is required in {subgraph_names(required)} but does not appear in"
                               f" {subgraph_names(missing)}", required + missing, f"{coord}({name}:)")
                else:
                    self.m.hint("INCONSISTENT_ARGUMENT_PRESENCE",
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
                self.m.error(Code.CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS,
                           f'Argument "{coord}({name}:)" is contextual in at least one subgraph but in "{coord}({name}:)"'
                           " it does not have @fromContext, is not nullable and has no default value.",
                           [self.m.names[idx]], f"{coord}({name}:)")
            else:
                self.m.hint("CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS",
                          f'Contextual argument "{coord}({name}:)" will not be included in the supergraph since it is'
                          " contextual in at least one subgraph")

    def merge_argument(self, sources: Sources[InputValue], dest: InputValue, coord: str) -> None:
        self.m.merge_description(sources, dest, coord)
        self.m.directives.record_directives(sources, dest)
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
            code = Code.FIELD_ARGUMENT_DEFAULT_MISMATCH if kind == "Argument" else Code.INPUT_FIELD_DEFAULT_MISMATCH
            self.m.mismatch(
                code, f'{kind} "{coord}" has incompatible default values across subgraphs: it has ',
                f"default value {print_value(dest_default)}" if dest_default is not None else "no default value",
                sources,
                lambda s: f"default value {print_value(s.default)}" if s.default is not None else "no default value",
            )
        elif inconsistent:
            self.m.hint("INCONSISTENT_DEFAULT_VALUE_PRESENCE", f'{kind} "{coord}" has a default value in only some subgraphs.')
