"""The root introspection fields (`__schema`, `__type`) of an operation, answered by the router
from the API schema: no subgraph is asked. Shared by the JSON path (pipeline.py) and `@defer`'s
multipart path (defer_http.py)."""

from __future__ import annotations

from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLFormattedError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    execute_sync,
)

from .operation import Operation
from .supergraph import Supergraph

__all__ = ["introspect"]


def introspect(sg: Supergraph, op: Operation) -> tuple[dict[str, Any], list[GraphQLFormattedError]]:
    """Answer the root introspection fields (__schema, __type) from the API schema."""
    frags = op.document.fragments
    picked: list[FieldNode] = []

    def walk(ss: SelectionSetNode) -> None:
        for s in ss.selections:
            if isinstance(s, FieldNode):
                if s.name.value in ("__schema", "__type"):
                    picked.append(s)
            elif isinstance(s, InlineFragmentNode):
                walk(s.selection_set)
            elif isinstance(s, FragmentSpreadNode) and s.name.value in frags:
                walk(frags[s.name.value].selection_set)

    walk(op.definition.selection_set)
    definition = OperationDefinitionNode(
        operation=op.definition.operation, name=None,
        variable_definitions=op.definition.variable_definitions,
        directives=(), selection_set=SelectionSetNode(selections=tuple(picked)))
    doc = DocumentNode(definitions=(definition, *frags.values()))
    res = execute_sync(sg.api_schema, doc, variable_values=op.variables)
    errs = [e.formatted for e in res.errors or ()]
    return res.data or {}, errs
