"""The merge of input objects: the intersection of fields across subgraphs, required fields required
everywhere.

Part of the composer's `Merger` (merge.py), which calls it as `self.inputs`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import Code, subgraph_names
from .merge_model import (
    Sources,
    _e,
    _s,
)
from .model import (
    Applied,
    InputValue,
    TypeDef,
)

if TYPE_CHECKING:
    from .merge import Merger


class InputMerger:
    def __init__(self, m: "Merger") -> None:
        self.m = m

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
            self.m.merge_description(field_sources, value, coord)
            self.m.directives.record_directives(field_sources, value)
            all_equal = self.m.fields.merge_type_reference(field_sources, value, coord, is_input=True, element="field")
            if not all_equal:
                for idx, field_source in field_sources.items():
                    if field_source is not None:
                        value.directives.append(
                            Applied("join__field", {"graph": _e(self.m.graph(idx)), "type": _s(field_source.type)})
                        )
            self.m.fields.merge_default_value(field_sources, value, coord, "Input field")
            inaccessible = self.m.out.merged_specs.get("inaccessible")
            is_inaccessible = inaccessible is not None and any(d.name == inaccessible for d in value.directives)
            if not is_inaccessible and any(s is None for s in field_sources.values()):
                required = [self.m.names[i] for i, s in field_sources.items() if s is not None and s.required]
                missing = [self.m.names[i] for i, s in field_sources.items() if s is None]
                if required:
                    self.m.error(Code.REQUIRED_INPUT_FIELD_MISSING_IN_SOME_SUBGRAPH,
                               f'Input object field "{coord}" is required in some subgraphs but does not appear in all'
                               f" subgraphs: it is required in {subgraph_names(required)} but does not appear in"
                               f" {subgraph_names(missing)}", required + missing, coord)
                else:
                    self.m.hint("INCONSISTENT_INPUT_OBJECT_FIELD",
                              f'Input object field "{name}" will not be added to "{dest.name}" in the supergraph as it does'
                              " not appear in all subgraphs.")
                self.m.removed[id(value)] = value
                del dest.input_fields[name]
        if not dest.input_fields:
            self.m.error(Code.EMPTY_MERGED_INPUT_TYPE,
                       f'None of the fields of input object type "{dest.name}" are consistently defined in all the subgraphs'
                       " defining that type. As only fields common to all subgraphs are merged, this would result in an"
                       " empty type.", [self.m.names[i] for i in sources], dest.name)
