"""`@context` and `@fromContext` (Federation 2.8): values a field takes from an ancestor.

A type sets a named context (`type T @context(name: "ctx")`); an argument of a field
somewhere below it reads a value from the nearest ancestor that set it
(`field(a: String @fromContext(field: "$ctx { prop }"))`). The argument is not part of
the supergraph API: the router fills it in from the data of the ancestor. The supergraph
records the context under `<subgraph>__<name>` and the argument in
`@join__field(contextArguments:)`.

This module holds what the composer stages share: reading `"$ctx { prop }"`, which
contexts a subgraph sets, which arguments are contextual, and parsing a context
selection.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graphql import GraphQLSyntaxError, parse
from graphql.language import OperationDefinitionNode, SelectionSetNode

from .model import Field, InputValue, Schema

# Ignored tokens of GraphQL (white space, commas, comments) before `$` and between `$` and the name.
_IGNORED = r"(?:[\n\r\t ,]|#[^\n\r]*)"
_REFERENCE = re.compile(rf"^{_IGNORED}*\${_IGNORED}*([A-Za-z_]\w*)(.*)$", re.ASCII | re.DOTALL)
_NAME = re.compile(r"^[A-Za-z]\w*$", re.ASCII)


@dataclass(frozen=True)
class ContextReference:
    """`$ctx { prop }` read: the context's name and the selection, verbatim (leading space included)."""

    context: str
    selection: str


def parse_reference(value: str) -> ContextReference | None:
    """The context an `@fromContext(field:)` value names, or None when it names none."""
    m = _REFERENCE.match(value)
    if m is None:
        return None
    return ContextReference(m.group(1), m.group(2))


def name_problem(name: str) -> str | None:
    """Why a context name is invalid (Apollo's words), or None when it is fine."""
    if "_" in name:
        return f'Context name "{name}" may not contain an underscore.'
    if not _NAME.match(name):
        return f'Context name "{name}" is invalid. It should have only alphanumeric characters.'
    return None


def supergraph_context_name(subgraph: str, context: str) -> str:
    """Contexts are per subgraph: the supergraph names them after the subgraph that sets them."""
    return f"{subgraph}__{context}"


def is_contextual(arg: InputValue) -> bool:
    return any(d.spec == "fromContext" for d in arg.directives)


def from_context_value(arg: InputValue) -> str | None:
    for d in arg.directives:
        if d.spec == "fromContext":
            return d.str_arg("field")
    return None


@dataclass(frozen=True)
class ContextualArgument:
    """One argument a field takes from a context, as `@join__field(contextArguments:)` records it."""

    name: str
    type: str
    context: str  # the context's name in its subgraph
    selection: str


def contextual_arguments(field: Field) -> list[ContextualArgument]:
    """The field's contextual arguments, in declaration order (those naming no context are skipped)."""
    out = []
    for arg in field.args.values():
        value = from_context_value(arg)
        reference = parse_reference(value) if value is not None else None
        if reference is not None and reference.selection:
            out.append(ContextualArgument(arg.name, arg.type, reference.context, reference.selection))
    return out


def context_types(schema: Schema) -> dict[str, list[str]]:
    """Context name -> the types setting it in `schema`, in the order they are declared (in a
    supergraph, the names are `<subgraph>__<name>`)."""
    out: dict[str, list[str]] = {}
    for t in schema.types.values():
        for d in t.directives:
            if d.spec != "context":
                continue
            name = d.str_arg("name")
            if name is not None and t.name not in out.setdefault(name, []):
                out[name].append(t.name)
    return out


class ContextSelectionError(ValueError):
    """A context selection that does not parse or bind."""


def selection_node(selection: str) -> SelectionSetNode:
    """Parse a context selection: `{ prop }`, or ` prop` and `... on A { x }` without braces."""
    text = selection if selection.strip().startswith("{") else "{" + selection + "}"
    try:
        doc = parse(text, no_location=True)
    except GraphQLSyntaxError as e:
        raise ContextSelectionError(e.message) from None
    if len(doc.definitions) != 1:
        raise ContextSelectionError(f"Selections should contain a single definitions, found {len(doc.definitions)}")
    definition = doc.definitions[0]
    if not isinstance(definition, OperationDefinitionNode):
        raise ContextSelectionError(f"Expected an operation definition but got a {definition.kind}")
    return definition.selection_set


def context_uses(schema: Schema) -> list[tuple[str, SelectionSetNode]]:
    """Each `@fromContext` selection with each type setting its context (the selections that parse)."""
    locations = context_types(schema)
    out: list[tuple[str, SelectionSetNode]] = []
    for t in schema.types.values():
        for f in t.fields.values():
            for arg in f.args.values():
                value = from_context_value(arg)
                reference = parse_reference(value) if value is not None else None
                if reference is None or reference.context not in locations:
                    continue
                try:
                    node = selection_node(reference.selection)
                except ContextSelectionError:
                    continue
                out.extend((location, node) for location in locations[reference.context])
    return out
