"""The rules `@context` and `@fromContext` follow in one subgraph (Apollo's codes and words).

- A context name is alphanumeric, without underscore (CONTEXT_NAME_INVALID).
- `@fromContext` goes on an argument of an object type's field, not on a directive
  definition, an interface field or a field implementing one, and not on an argument
  with a default (CONTEXT_NOT_SET); its value names a context (`$name`) and a selection
  (NO_CONTEXT_IN_SELECTION) of a context the subgraph sets (CONTEXT_NOT_SET).
- The selection, checked against every type setting that context, is one field (of a
  type matching the argument's: lists alike, the argument nullable at every level) or
  inline fragments on object types, each used by some of those types; no alias, no
  directive, no @interfaceObject type on the way (CONTEXT_INVALID_SELECTION).
- The field's type has a resolvable key, so the router can come back to it with the
  value (CONTEXT_NO_RESOLVABLE_KEY).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode

from .context import (
    ContextSelectionError,
    context_types,
    from_context_value,
    name_problem,
    parse_reference,
    selection_node,
)
from .errors import Code, CompositionError, subgraph_error
from .model import INTERFACE, OBJECT, Field, InputValue, Schema, TypeDef, named_type
from .subgraph import Subgraph

_TYPENAME = Field("__typename", "String!")


@dataclass(frozen=True)
class _Bound:
    """One selection of a context selection bound to the subgraph: a field, or an inline fragment."""

    field: Field | None
    type_condition: TypeDef | None  # for a fragment; None when it has none (or names an unknown type)
    children: tuple["_Bound", ...]
    aliased: bool
    directed: bool

    def walk(self) -> list["_Bound"]:
        out = [self]
        for c in self.children:
            out.extend(c.walk())
        return out


def _bind(sub: Subgraph, parent: str, node: SelectionSetNode) -> tuple[_Bound, ...]:
    """Bind a context selection to `parent` as Apollo reads it: fields must exist and take valid
    arguments, composite fields need sub-selections; fragments are not checked for applicability."""
    out = []
    parent_type = sub.types.get(parent)
    for sel in node.selections:
        directed = bool(sel.directives)
        if isinstance(sel, FieldNode):
            name = sel.name.value
            field = _TYPENAME if name == "__typename" else (parent_type.fields.get(name) if parent_type else None)
            if field is None:
                raise ContextSelectionError(f'Cannot query field "{name}" on type "{parent}".')
            base = sub.types.get(named_type(field.type))
            composite = base is not None and base.is_composite
            given = [a.name.value for a in sel.arguments or ()]
            for arg_name in given:
                if arg_name not in field.args:
                    raise ContextSelectionError(f'Unknown argument "{arg_name}" of field "{parent}.{name}"')
            for definition in field.args.values():
                if definition.name not in given and definition.required:
                    raise ContextSelectionError(
                        f'Missing mandatory value for argument "{definition.name}" of field "{parent}.{name}"')
            if sel.selection_set is not None and not composite:
                raise ContextSelectionError(f'Field "{parent}.{name}" of type "{field.type}" has no sub-selection')
            if sel.selection_set is None and composite:
                raise ContextSelectionError(
                    f'Invalid empty selection set for field "{parent}.{name}" of non-leaf type {field.type}')
            children = _bind(sub, named_type(field.type), sel.selection_set) if sel.selection_set is not None else ()
            out.append(_Bound(field, None, children, sel.alias is not None, directed))
        elif isinstance(sel, InlineFragmentNode):
            condition = sub.types.get(sel.type_condition.name.value) if sel.type_condition is not None else None
            children = _bind(sub, condition.name if condition is not None else parent, sel.selection_set)
            out.append(_Bound(None, condition, children, False, directed))
        else:
            assert isinstance(sel, FragmentSpreadNode)
            raise ContextSelectionError(f'Cannot find fragment name "{sel.name.value}" (no fragments were provided)')
    return tuple(out)


# --- types -------------------------------------------------------------------------------


def _lists(ref: str) -> int:
    return ref.count("[")


def _wrapped(original: str, resolved: str) -> str:
    """`resolved` under as many lists as `original` has (non-null dropped, as Apollo compares)."""
    n = _lists(original)
    return "[" * n + resolved + "]" * n


def _nullable_list(ref: str) -> bool:
    return ref.startswith("[") and not ref.endswith("!")


def _wrapper(ref: str) -> bool:
    return ref.endswith("!") or ref.startswith("[")


def _implements(ref: str, expected: str) -> bool:
    """Apollo's field-implementation check between a selection's type and the argument's: the
    selection's type is never non-null, so the argument must be nullable at every level."""
    if ref.endswith("!"):
        return _implements(ref[:-1], expected[:-1] if expected.endswith("!") else expected)
    if _nullable_list(ref) and _nullable_list(expected):
        return _implements(ref[1:-1], expected[1:-1])
    return not _wrapper(ref) and not _wrapper(expected) and ref == expected


def _resolved_type(sub: Subgraph, current: str, selections: tuple[_Bound, ...], report: Callable[[str], None]) -> str | None:
    """The type a selection yields, when all its branches agree (None otherwise)."""
    if sub.is_interface_object(current):
        report(f'One of the types in the selection is an interfaceObject: "{current}"')
    types: list[str | None] = []
    for s in selections:
        if s.field is None:
            types.append(None)
        elif s.children:
            inner = _resolved_type(sub, named_type(s.field.type), s.children, report)
            types.append(_wrapped(s.field.type, inner) if inner is not None else None)
        else:
            types.append(_wrapped(s.field.type, named_type(s.field.type)))
    result = types[0]
    for t in types[1:]:
        result = t if result == t else None
    return result


# --- checks --------------------------------------------------------------------------------


class _Checker:
    def __init__(self, sub: Subgraph) -> None:
        self.sub = sub
        self.errors: list[CompositionError] = []
        self.locations = context_types(sub)

    def error(self, code: str, message: str, coordinate: str | None = None) -> None:
        self.errors.append(subgraph_error(code, self.sub.name, message, coordinate))

    def check_names(self) -> None:
        for t in self.sub.types.values():
            for d in t.fed("context"):
                problem = name_problem(d.str_arg("name") or "")
                if problem is not None:
                    self.error(Code.CONTEXT_NAME_INVALID, problem, t.name)

    def check_directive_definitions(self) -> None:
        for d in self.sub.directive_defs.values():
            for arg in d.args.values():
                if any(x.spec == "fromContext" for x in arg.directives):
                    self.error(Code.CONTEXT_NOT_SET,
                               f'@fromContext argument cannot be used on a directive definition "@{d.name}({arg.name}:)".')

    def check_arguments(self) -> None:
        for t in self.sub.types.values():
            if t.kind not in (OBJECT, INTERFACE):
                continue
            for f in t.fields.values():
                for arg in f.args.values():
                    if any(d.spec == "fromContext" for d in arg.directives):
                        self.check_argument(t, f, arg)

    def check_argument(self, t: TypeDef, f: Field, arg: InputValue) -> None:
        coordinate = f"{t.name}.{f.name}({arg.name}:)"
        if t.kind != OBJECT:
            self.error(Code.CONTEXT_NOT_SET,
                       f'@fromContext argument cannot be used on a field that exists on an abstract type "{coordinate}".',
                       coordinate)
            return
        for itf_name in t.interfaces:
            itf = self.sub.types.get(itf_name)
            if itf is not None and f.name in itf.fields:
                self.error(Code.CONTEXT_NOT_SET,
                           f'@fromContext argument cannot be used on a field implementing an interface field'
                           f' "{itf_name}.{f.name}".', coordinate)
        if arg.default is not None:
            self.error(Code.CONTEXT_NOT_SET, f'@fromContext arguments may not have a default value: "{coordinate}".',
                       coordinate)
        value = from_context_value(arg) or ""
        reference = parse_reference(value)
        if reference is None or not reference.selection:
            self.error(Code.NO_CONTEXT_IN_SELECTION, f'@fromContext argument does not reference a context "{value}".',
                       coordinate)
            return
        locations = self.locations.get(reference.context)
        if locations is None:
            self.error(Code.CONTEXT_NOT_SET,
                       f'Context "{reference.context}" is used at location "{coordinate}" but is never set.', coordinate)
        else:
            _SelectionCheck(self, reference.context, reference.selection, coordinate, arg.type).run(locations)
        if not any(d.bool_arg("resolvable", True) for d in t.fed("key")):
            self.error(Code.CONTEXT_NO_RESOLVABLE_KEY,
                       f'Object "{t.name}" has no resolvable key but has a field with a contextual argument.', t.name)


class _SelectionCheck:
    """One `@fromContext` selection against the types setting its context."""

    def __init__(self, checker: _Checker, context: str, selection: str, coordinate: str, expected: str) -> None:
        self.checker = checker
        self.sub = checker.sub
        self.context = context
        self.selection = selection
        self.coordinate = coordinate
        self.expected = expected

    def invalid(self, why: str) -> None:
        self.checker.error(Code.CONTEXT_INVALID_SELECTION,
                           f'Context "{self.context}" is used in "{self.coordinate}" but the selection is invalid{why}',
                           self.coordinate)

    def shape(self) -> tuple[str, list[str]] | None:
        """"field" or "fragments" (with their type conditions), after reporting a malformed selection."""
        try:
            node = selection_node(self.selection)
        except ContextSelectionError as e:
            self.invalid(f": {e}")
            return None
        selections = node.selections
        if isinstance(selections[0], FieldNode):
            if len(selections) != 1:
                self.invalid(": multiple selections are made")
                return None
            return "field", []
        if isinstance(selections[0], InlineFragmentNode):
            if not all(isinstance(s, InlineFragmentNode) for s in selections):
                self.invalid(": multiple fields could be selected")
                return None
            conditions: list[str] = []
            for s in selections:
                assert isinstance(s, InlineFragmentNode)
                if s.type_condition is not None and s.type_condition.name.value not in conditions:
                    conditions.append(s.type_condition.name.value)
            if len(conditions) != len(selections):
                self.invalid(": type conditions have same name")
                return None
            return "fragments", conditions
        self.invalid(": fragment spread is not allowed")
        return None

    def run(self, locations: list[str]) -> None:
        shape = self.shape()
        if shape is None:
            return
        kind, conditions = shape
        used: set[str] = set()
        for location in locations:
            try:
                bound = _bind(self.sub, location, selection_node(self.selection))
            except ContextSelectionError as e:
                self.invalid(f" for type {location}. Error: {e}")
                return
            walked = [b for top in bound for b in top.walk()]
            if any(b.directed for b in walked):
                self.invalid(": directives are not allowed in the selection")
            if any(b.aliased for b in walked):
                self.invalid(": aliases are not allowed in the selection")
            if kind == "field":
                if not self.check_field(location, bound):
                    return
            elif not self.check_fragments(location, bound, used):
                return
        for condition in conditions:
            if condition not in used:
                self.invalid(f': type condition "{condition}" is never used.')

    def report(self, why: str) -> None:
        self.checker.error(Code.CONTEXT_INVALID_SELECTION,
                           f'Context "is used in "{self.coordinate}" but the selection is invalid: {why}', self.coordinate)

    def check_field(self, location: str, bound: tuple[_Bound, ...]) -> bool:
        resolved = _resolved_type(self.sub, location, bound, self.report)
        if resolved is None or not _implements(resolved, self.expected):
            self.invalid(f': the type of the selection "{resolved}" does not match the expected type "{self.expected}"')
            return False
        return True

    def check_fragments(self, location: str, bound: tuple[_Bound, ...], used: set[str]) -> bool:
        possible = self.sub.possible_types(location)
        kept: list[_Bound] = []
        for b in bound:
            if b.field is not None:
                self.invalid(": selection should only contain a single field or at least one inline fragment}\"")
                continue
            if b.type_condition is None:
                self.invalid(': inline fragments must have type conditions"')
                continue
            if b.type_condition.kind == OBJECT:
                if b.type_condition.name in possible:
                    kept.append(b)
                    used.add(b.type_condition.name)
            else:
                self.invalid(': type conditions must be an object type"')
        if not kept:
            self.invalid(f': no type condition matches the location "{location}"')
            return False
        for b in kept:
            assert b.type_condition is not None
            resolved = _resolved_type(self.sub, b.type_condition.name, b.children, self.report)
            if resolved is None:
                self.invalid(f': the type of the selection does not match the expected type "{self.expected}"')
                return False
            if not _implements(resolved, self.expected):
                self.invalid(f': the type of the selection "{resolved}" does not match the expected type "{self.expected}"')
                return False
        return True


def validate_contexts(sub: Subgraph) -> list[CompositionError]:
    """Every misuse of `@context` / `@fromContext` in one subgraph."""
    if "context" not in sub.names and "fromContext" not in sub.names:
        return []
    checker = _Checker(sub)
    checker.check_names()
    checker.check_directive_definitions()
    checker.check_arguments()
    return checker.errors


_SUPERGRAPH_CONTEXT = re.compile(r"^(.*)__([A-Za-z]\w*)$", re.ASCII | re.DOTALL)


def extracted_context_types(sg: Schema, sub: Subgraph) -> dict[str, list[str]]:
    """The contexts `sub` sets as the supergraph records them: its `@context(name: "<sub>__<name>")`
    applications, on the types `sub` defines."""
    out: dict[str, list[str]] = {}
    for name, types in context_types(sg).items():
        m = _SUPERGRAPH_CONTEXT.match(name)
        if m is not None and m.group(1) == sub.name:
            out[m.group(2)] = [t for t in types if t in sub.types]
    return out


def extraction_errors(sg: Schema, subgraphs: list[Subgraph]) -> list[CompositionError]:
    """Apollo reads the subgraphs back from the supergraph it wrote before checking satisfiability. One
    context name set on one type by several subgraphs is a single application there, named after the
    first of them, so the others lose that context; when their `@fromContext` no longer holds without
    it, Apollo fails with INVALID_GRAPHQL (it calls the supergraph corrupted). We fail the same way."""
    errors: list[CompositionError] = []
    for sub in subgraphs:
        if "fromContext" not in sub.names:
            continue
        extracted = extracted_context_types(sg, sub)
        own = context_types(sub)
        if {k: set(v) for k, v in extracted.items()} == {k: set(v) for k, v in own.items()}:
            continue
        checker = _Checker(sub)
        checker.locations = extracted
        checker.check_arguments()
        if checker.errors:
            details = "\n".join(e.message for e in checker.errors)
            errors.append(CompositionError(
                Code.INVALID_GRAPHQL,
                f'Unexpected error extracting subgraph "{sub.name}" from the supergraph: this is either a bug, or the'
                f" supergraph has been corrupted.\n\nDetails:\n{details}",
                (sub.name,)))
    return errors
