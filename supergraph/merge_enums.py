"""The merge of enums: a union of values for output-only enums, an intersection for input-only ones,
identical values when an enum is used both ways.

Part of the composer's `Merger` (merge.py), which calls it as `self.enums`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import Code, subgraph_names
from .merge_model import (
    Sources,
    _e,
)
from .model import (
    Applied,
    EnumValue,
    TypeDef,
)

if TYPE_CHECKING:
    from .merge import Merger


class EnumMerger:
    def __init__(self, m: "Merger") -> None:
        self.m = m

    def merge_enum(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        usage = self.m.enum_usage.get(dest.name)
        if usage is None:
            usage = ("Output", {})
            self.m.hint("UNUSED_ENUM_TYPE",
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
            self.m.merge_description(value_sources, value, f"{dest.name}.{vname}")
            self.m.directives.record_directives(value_sources, value)
            for idx, vs in value_sources.items():
                if vs is not None:
                    value.directives.append(Applied("join__enumValue", {"graph": _e(self.m.graph(idx))}))
            inaccessible = self.m.out.merged_specs.get("inaccessible")
            is_inaccessible = inaccessible is not None and any(d.name == inaccessible for d in value.directives)
            missing_somewhere = any(s is not None and vname not in s.values for s in sources.values())
            if not is_inaccessible and position != "Output" and missing_somewhere:
                if position == "Both":
                    defined = [self.m.names[i] for i, s in sources.items() if s is not None and vname in s.values]
                    missing = [self.m.names[i] for i, s in sources.items() if s is not None and vname not in s.values]
                    self.m.error(Code.ENUM_VALUE_MISMATCH,
                               f'Enum type "{dest.name}" is used as both input type (for example, as type of'
                               f' "{examples.get("Input")}") and output type (for example, as type of'
                               f' "{examples.get("Output")}"), but value "{vname}" is not defined in all the subgraphs'
                               f' defining "{dest.name}": "{vname}" is defined in {subgraph_names(defined)} but not in'
                               f" {subgraph_names(missing)}", defined + missing, dest.name)
                else:
                    self.m.hint("INCONSISTENT_ENUM_VALUE_FOR_INPUT_ENUM",
                              f'Value "{vname}" of enum type "{dest.name}" will not be part of the supergraph as it is not'
                              f' defined in all the subgraphs defining "{dest.name}".')
                    self.m.removed[id(value)] = value
                    del dest.values[vname]
            elif position == "Output" and missing_somewhere:
                self.m.hint("INCONSISTENT_ENUM_VALUE_FOR_OUTPUT_ENUM",
                          f'Value "{vname}" of enum type "{dest.name}" has been added to the supergraph but is only defined'
                          f' in a subset of the subgraphs defining "{dest.name}".')
        if not dest.values:
            self.m.error(Code.EMPTY_MERGED_ENUM_TYPE,
                       f'None of the values of enum type "{dest.name}" are defined consistently in all the subgraphs defining'
                       " that type. As only values common to all subgraphs are merged, this would result in an empty type.",
                       [self.m.names[i] for i in sources], dest.name)
