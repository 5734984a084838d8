"""Field sets: the selection strings of `@key`, `@requires` and `@provides`.

We parse them with graphql-core (as the selection set of an anonymous query)
and bind each field to its definition in a schema, reporting what graphql
validation would: unknown fields, missing or superfluous sub-selections.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from graphql import GraphQLSyntaxError, parse, print_ast
from graphql.language import FieldNode, InlineFragmentNode, OperationDefinitionNode, SelectionSetNode

from .model import Field, Schema, named_type


class FieldSetError(ValueError):
    """An invalid field set; `code_suffix` picks the error code (INVALID_FIELDS, FIELDS_HAS_ARGS, ...)."""

    def __init__(self, message: str, code_suffix: str = "INVALID_FIELDS") -> None:
        super().__init__(message)
        self.code_suffix = code_suffix


@dataclass(frozen=True)
class Selection:
    """One bound selection: a field of `parent`, or an inline fragment (`field is None`)."""

    parent: str
    field: str | None
    type_condition: str | None
    selections: tuple["Selection", ...]
    has_arguments: bool = False
    has_directives: bool = False
    alias: str | None = None

    def walk(self) -> "list[Selection]":
        out = [self]
        for s in self.selections:
            out.extend(s.walk())
        return out


@lru_cache(maxsize=4096)
def parse_fieldset(text: str) -> SelectionSetNode:
    """Parse `"id org { id }"`; cached because the same key strings recur across subgraphs."""
    try:
        doc = parse("{" + text + "}", no_location=True)
    except GraphQLSyntaxError as e:
        raise FieldSetError(f"Syntax Error: {e.message}") from None
    op = doc.definitions[0]
    assert isinstance(op, OperationDefinitionNode)
    return op.selection_set


FieldCheck = Callable[[str, Field], None]


def bind(schema: Schema, parent: str, text: str, on_field: FieldCheck | None = None) -> tuple[Selection, ...]:
    """Bind field set `text` to type `parent` of `schema`; raise FieldSetError when invalid.

    `on_field` sees each field as soon as it is resolved, before its sub-selection is checked.
    """
    return _bind_set(schema, parent, parse_fieldset(text), on_field)


def bind_node(schema: Schema, parent: str, node: SelectionSetNode, check_fragments: bool = True) -> tuple[Selection, ...]:
    """Bind an already parsed selection set; `check_fragments=False` lets through inline fragments on
    types the parent can never be (a context selection names the types of several locations)."""
    return _bind_set(schema, parent, node, None, check_fragments)


def _bind_set(
    schema: Schema, parent: str, node: SelectionSetNode, on_field: FieldCheck | None = None, check_fragments: bool = True
) -> tuple[Selection, ...]:
    out: list[Selection] = []
    parent_type = schema.type(parent)
    for sel in node.selections:
        if isinstance(sel, FieldNode):
            name = sel.name.value
            if name == "__typename":
                if sel.selection_set is not None:
                    raise FieldSetError('Field "__typename" must not have a selection since type "String!" has no subfields.')
                out.append(Selection(parent, name, None, (), bool(sel.arguments), bool(sel.directives)))
                continue
            field = schema.field(parent, name) if parent_type is not None and parent_type.kind in ("OBJECT", "INTERFACE") else None
            if field is None:
                raise FieldSetError(f'Cannot query field "{name}" on type "{parent}".')
            if on_field is not None:
                on_field(parent, field)
            base = named_type(field.type)
            base_type = schema.type(base)
            composite = base_type is not None and base_type.is_composite
            if composite and sel.selection_set is None:
                raise FieldSetError(
                    f'Field "{name}" of type "{field.type}" must have a selection of subfields. '
                    f'Did you mean "{name} {{ ... }}"?'
                )
            if not composite and sel.selection_set is not None:
                raise FieldSetError(f'Field "{name}" must not have a selection since type "{field.type}" has no subfields.')
            for arg in sel.arguments or ():
                if arg.name.value not in field.args:
                    raise FieldSetError(f'Unknown argument "{arg.name.value}" found in value: "{parent}.{name}" has no argument "{arg.name.value}".')
            children = _bind_set(schema, base, sel.selection_set, on_field, check_fragments) if sel.selection_set is not None else ()
            out.append(
                Selection(
                    parent, name, None, children, bool(sel.arguments), bool(sel.directives),
                    sel.alias.value if sel.alias else None,
                )
            )
        elif isinstance(sel, InlineFragmentNode):
            cond = sel.type_condition.name.value if sel.type_condition else parent
            if schema.type(cond) is None:
                raise FieldSetError(f'Unknown type "{cond}".')
            if check_fragments and cond != parent and not (set(schema.possible_types(cond)) & set(schema.possible_types(parent))):
                raise FieldSetError(f'Fragment cannot be spread here as objects of type "{parent}" can never be of type "{cond}".')
            children = _bind_set(schema, cond, sel.selection_set, on_field, check_fragments)
            out.append(Selection(parent, None, cond, children, False, bool(sel.directives)))
        else:
            raise FieldSetError("Fragment spreads are not allowed in a field set.")
    return tuple(out)


def first_alias(text: str) -> tuple[str, str] | None:
    """The first aliased field of a field set, in reading order: (alias, `alias: field(args)`).

    Federation field sets may not alias (a router could not match the answer back)."""
    try:
        node = parse_fieldset(text)
    except FieldSetError:
        return None

    def walk(selection_set: SelectionSetNode) -> tuple[str, str] | None:
        for sel in selection_set.selections:
            if isinstance(sel, FieldNode) and sel.alias is not None:
                args = ", ".join(print_ast(a) for a in sel.arguments or ())
                return sel.alias.value, f"{sel.alias.value}: {sel.name.value}" + (f"({args})" if args else "")
            inner = getattr(sel, "selection_set", None)
            if inner is not None:
                found = walk(inner)
                if found is not None:
                    return found
        return None

    return walk(node)


def lenient_targets(schema: Schema, parent: str, text: str, with_implementations: bool = True) -> set[tuple[str, str]]:
    """Fields a field set names, even when it is invalid (Apollo counts those as used, too)."""
    try:
        node = parse_fieldset(text)
    except FieldSetError:
        return set()
    return lenient_targets_of(schema, parent, node, with_implementations)


def lenient_targets_of(
    schema: Schema, parent: str, node: SelectionSetNode, with_implementations: bool = True
) -> set[tuple[str, str]]:
    """`lenient_targets` of an already parsed selection set."""
    out: set[tuple[str, str]] = set()

    def walk(type_name: str, sel_set: SelectionSetNode) -> None:
        for sel in sel_set.selections:
            if isinstance(sel, FieldNode):
                field = schema.field(type_name, sel.name.value)
                if field is None:
                    continue
                out.add((type_name, field.name))
                t = schema.type(type_name)
                if with_implementations and t is not None and t.kind == "INTERFACE":
                    for impl in schema.implementations(type_name):
                        if field.name in impl.fields:
                            out.add((impl.name, field.name))
                if sel.selection_set is not None:
                    walk(named_type(field.type), sel.selection_set)
            elif isinstance(sel, InlineFragmentNode) and sel.selection_set is not None:
                walk(sel.type_condition.name.value if sel.type_condition else type_name, sel.selection_set)

    walk(parent, node)
    return out


def targets(schema: Schema, selections: tuple[Selection, ...], with_implementations: bool = True) -> set[tuple[str, str]]:
    """Coordinates (type, field) a field set selects; on interfaces, also the implementations' fields."""
    out: set[tuple[str, str]] = set()
    for top in selections:
        for s in top.walk():
            if s.field is None or s.field == "__typename":
                continue
            out.add((s.parent, s.field))
            if with_implementations:
                parent = schema.type(s.parent)
                if parent is not None and parent.kind == "INTERFACE":
                    for impl in schema.implementations(s.parent):
                        if s.field in impl.fields:
                            out.add((impl.name, s.field))
    return out


def print_selections(selections: tuple[Selection, ...]) -> str:
    """Compact one-line form (`id org { id }`), used in messages and as a stable key."""
    parts: list[str] = []
    for s in selections:
        if s.field is None:
            parts.append(f"... on {s.type_condition} {{ {print_selections(s.selections)} }}")
        elif s.selections:
            parts.append(f"{s.field} {{ {print_selections(s.selections)} }}")
        else:
            parts.append(s.field)
    return " ".join(parts)
