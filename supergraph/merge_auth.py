"""The merge of access control across the graph: requirements a @requires or @fromContext reads must
be carried by the field that reads them.

Part of the composer's `Merger` (merge.py), which calls it as `self.auth`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import fieldset as fs
from .context import (
    ContextSelectionError,
    context_types,
    selection_node,
    supergraph_context_name,
)
from .errors import Code
from .merge_model import (
    _AuthRequirements,
)
from .model import (
    named_type,
)

if TYPE_CHECKING:
    from .merge import Merger


class AuthMerger:
    def __init__(self, m: "Merger") -> None:
        self.m = m

    def validate_transitive_auth(self) -> None:
        """A field that @requires data must carry at least the auth requirements of that data."""
        by_graph = {v: k for k, v in self.m.out.graph_enum.items()}
        for (type_name, fname), joins in self.m.out.join_fields.items():
            parent = self.m.out.types.get(type_name)
            if parent is None or fname not in parent.fields:
                continue
            field = parent.fields[fname]
            own = _AuthRequirements.combined(_AuthRequirements.of(parent), _AuthRequirements.of(field))
            coord = f"{type_name}.{fname}"
            for j in joins:
                if not j.requires:
                    continue
                try:
                    selections = fs.bind(self.m.out, type_name, j.requires)
                except fs.FieldSetError:
                    continue
                problem = self._auth_problem(own, selections)
                if problem is not None:
                    subgraph = by_graph.get(self.m.out.graph_enum.get(j.graph or "", ""), j.graph)
                    self.m.error(Code.MISSING_TRANSITIVE_AUTH_REQUIREMENTS,
                               f'[{subgraph}] Field "{coord}" does not specify necessary @authenticated, @requiresScopes'
                               f" and/or @policy auth requirements to access the transitive {problem} from @requires"
                               " selection set.", [subgraph or ""], coord)

    def validate_transitive_auth_of_contexts(self) -> None:
        """A field reading a context must carry the auth requirements of the context's types and of the
        data its selection reads there."""
        locations = context_types(self.m.out)
        for (type_name, fname), joins in self.m.out.join_fields.items():
            if (type_name, fname) not in self.m.with_from_context:
                continue
            parent = self.m.out.types.get(type_name)
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
                        target = self.m.out.types[target_name]
                        problem: str | None = f"data in context {name}"
                        if own.satisfies(_AuthRequirements.of(target)):
                            try:
                                selections = fs.bind_node(self.m.out, target_name, selection_node(argument.selection),
                                                          check_fragments=False)
                            except (fs.FieldSetError, ContextSelectionError):
                                continue
                            problem = self._auth_problem(own, selections)
                        if problem is not None:
                            self.m.error(Code.MISSING_TRANSITIVE_AUTH_REQUIREMENTS,
                                       f'[{subgraph}] Field "{coord}" does not specify necessary @authenticated,'
                                       f" @requiresScopes and/or @policy auth requirements to access the transitive"
                                       f" {problem} from @fromContext selection set.", [subgraph], coord)

    def _auth_problem(self, own: _AuthRequirements, selections: tuple[fs.Selection, ...]) -> str | None:
        for s in selections:
            if s.field is None:
                cond = self.m.out.types.get(s.type_condition or "")
                if cond is not None and not own.satisfies(_AuthRequirements.of(cond)):
                    return f'data in inline fragment type condition "{s.type_condition}"'
            elif s.field != "__typename":
                f = self.m.out.field(s.parent, s.field)
                if f is not None:
                    ret = self.m.out.types.get(named_type(f.type))
                    if not own.satisfies(_AuthRequirements.of(f)) or not own.satisfies(_AuthRequirements.of(ret)):
                        return f'field "{s.parent}.{s.field}" data'
            problem = self._auth_problem(own, s.selections)
            if problem is not None:
                return problem
        return None
