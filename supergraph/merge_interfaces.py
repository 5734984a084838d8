"""The merge of interfaces and @interfaceObject: keys on interfaces, interface objects' fields, what
an interface object provides.

Part of the composer's `Merger` (merge.py), which calls it as `self.interfaces`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import Code
from .merge_model import (
    JoinField,
    Sources,
    _FieldContext,
)
from .model import (
    INTERFACE,
    OBJECT,
    Applied,
    Field,
    InputValue,
    TypeDef,
)

if TYPE_CHECKING:
    from .merge import Merger


class InterfaceMerger:
    def __init__(self, m: "Merger") -> None:
        self.m = m

    def fields_abstracted_by_interface_object(self, parent: TypeDef, fname: str, idx: int) -> list[tuple[str, Field]]:
        sub = self.m.subs[idx]
        if parent.kind != OBJECT or parent.name in sub.types:
            return []
        out = []
        for itf in parent.interfaces:
            itf_def = self.m.out.types.get(itf)
            if itf_def is None or fname not in itf_def.fields:
                continue
            t = sub.types.get(itf)
            if t is not None and t.kind == OBJECT and fname in t.fields:
                out.append((itf, t.fields[fname]))
        return out

    def merge_interface(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        has_key = self.validate_interface_keys(sources, dest)
        self.validate_interface_objects(sources, dest)
        added = self.m.fields.add_fields_shallow(sources, dest)
        for fname, field_sources in added.items():
            if not has_key:
                pass  # Apollo only hints here
            ctx = self.m.fields.validate_override(field_sources, dest, dest.fields[fname])
            self.m.fields.merge_field(field_sources, dest, dest.fields[fname], ctx)

    def validate_interface_keys(self, sources: Sources[TypeDef], dest: TypeDef) -> bool:
        implementations = self.m.out.possible_types(dest.name)
        has_key = False
        for idx, src in sources.items():
            if src is None or src.kind != INTERFACE:
                continue
            keys = src.fed("key")
            has_key = has_key or bool(keys)
            resolvable = [k for k in keys if k.bool_arg("resolvable", True)]
            if not resolvable:
                continue
            local = self.m.subs[idx].possible_types(src.name)
            missing = [i for i in implementations if i not in local]
            if missing:
                name = self.m.names[idx]
                types = (f'type "{missing[0]}"' if len(missing) == 1 else
                         "types " + ", ".join(f'"{m}"' for m in missing[:-1]) + f' and "{missing[-1]}"')
                self.m.error(Code.INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE,
                           f'[{name}] Interface type "{dest.name}" has a resolvable key ({resolvable[0].printed()}) in'
                           f' subgraph "{name}" but that subgraph is missing some of the supergraph implementation types of'
                           f' "{dest.name}". Subgraph "{name}" should define {types} (and have'
                           f' {"them" if len(missing) > 1 else "it"} implement "{dest.name}").', [name], dest.name)
        return has_key

    def validate_interface_objects(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        implementations = self.m.out.possible_types(dest.name)
        for idx, src in sources.items():
            sub = self.m.subs[idx]
            if src is None or not sub.is_interface_object(src.name):
                continue
            defined = [i for i in implementations if i in sub.types]
            if defined:
                types = (f'type "{defined[0]}"' if len(defined) == 1 else
                         "types " + ", ".join(f'"{d}"' for d in defined[:-1]) + f' and "{defined[-1]}"')
                self.m.error(Code.INTERFACE_OBJECT_USAGE_ERROR,
                           f'[{sub.name}] Interface type "{dest.name}" is defined as an @interfaceObject in subgraph'
                           f' "{sub.name}" so that subgraph should not define any of the implementation types of'
                           f' "{dest.name}", but it defines {types}', [sub.name], dest.name)

    def add_missing_interface_object_fields(self) -> None:
        for t in list(self.m.out.types.values()):
            if t.kind != OBJECT:
                continue
            for itf_name in t.interfaces:
                itf = self.m.out.types.get(itf_name)
                if itf is None:
                    continue
                for itf_field in itf.fields.values():
                    if not self.provided_by_interface_object(itf_field.name, itf_name):
                        continue
                    existing = t.fields.get(itf_field.name)
                    if existing is not None:
                        joins = self.m.out.join_fields.get((t.name, existing.name))
                        if joins and all(j.external for j in joins):
                            self.m.directives.copy_non_join_directives(itf_field, existing, t.name)
                        continue
                    f = Field(itf_field.name, itf_field.type, description=itf_field.description)
                    self.m.directives.copy_non_join_directives(itf_field, f, t.name)
                    for arg in itf_field.args.values():
                        f.args[arg.name] = InputValue(arg.name, arg.type, arg.default, arg.description,
                                                      [d for d in arg.directives if not d.name.startswith("join__")])
                    f.directives.append(Applied("join__field", {}))
                    t.fields[f.name] = f
                    self.m.out.join_fields[(t.name, f.name)] = [JoinField(None)]
                    # Served by nothing but @interfaceObject types: those must agree to share it.
                    abstracting: Sources[Field] = {
                        idx: None for idx in range(len(self.m.subs))
                        if self.fields_abstracted_by_interface_object(t, f.name, idx)
                    }
                    self.m.fields.validate_field_sharing(abstracting, t, f, _FieldContext())

    def provided_by_interface_object(self, fname: str, itf: str) -> bool:
        for sub in self.m.subs:
            t = sub.types.get(itf)
            if t is not None and sub.is_interface_object(itf) and fname in t.fields and not sub.is_external(itf, fname):
                return True
        return False
