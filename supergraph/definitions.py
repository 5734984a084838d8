"""Federation's own definitions, when a subgraph's SDL carries them, must match the spec.

Subgraph libraries print the definitions of the federation directives they use (and of
`FieldSet`, `federation__Scope`, ...) into the SDL they serve. We drop them and use the
spec's, but only after checking that they do not promise something else, as Apollo does:

- every argument is one of the spec's, no required argument of the spec is missing, and
  each has the spec's type or a compatible one: a non-null type where the spec's is
  nullable, and anything but another custom scalar where the spec has a custom scalar
  (`fields: String!` for `fields: FieldSet!`); Federation 1's `fields` may be nullable;
- an argument with a default in the spec has that default;
- the locations are some of the spec's, and only a repeatable directive is repeatable;
- federation's scalars are scalars.
"""

from __future__ import annotations

from graphql import parse, print_ast
from graphql.language import (
    DirectiveDefinitionNode,
    DocumentNode,
    ListTypeNode,
    NamedTypeNode,
    NonNullTypeNode,
    ScalarTypeDefinitionNode,
    TypeDefinitionNode,
    TypeNode,
)

from .errors import CompositionError, subgraph_error
from .specs import CONTEXT_FIELD_VALUE, FEDERATION_DIRECTIVES, FIELD_SET, POLICY, SCOPE

DIRECTIVE_DEFINITION_INVALID = "DIRECTIVE_DEFINITION_INVALID"
TYPE_DEFINITION_INVALID = "TYPE_DEFINITION_INVALID"

#: Federation's scalars by internal name, and the federation 2 minor that brought each.
FEDERATION_SCALARS = {FIELD_SET: 0, SCOPE: 5, POLICY: 6, CONTEXT_FIELD_VALUE: 8}
BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})

_KIND_NAMES = {
    "object_type_definition": "ObjectType",
    "interface_type_definition": "InterfaceType",
    "union_type_definition": "UnionType",
    "enum_type_definition": "EnumType",
    "input_object_type_definition": "InputObjectType",
}


def definition_errors(
    subgraph: str, doc: DocumentNode, directives: dict[str, str], scalars: dict[str, str], minor: int, fed1: bool
) -> list[CompositionError]:
    """Errors for the federation definitions `doc` carries (coordinate: `@name` or the type name).

    `directives`: canonical federation directive -> its name in the schema; `scalars`:
    internal scalar name (`federation__FieldSet`, ...) -> its name in the schema."""
    errors: list[CompositionError] = []
    custom_scalars = {d.name.value for d in doc.definitions if isinstance(d, ScalarTypeDefinitionNode)} - BUILTIN_SCALARS
    for d in doc.definitions:
        if isinstance(d, TypeDefinitionNode) and not isinstance(d, ScalarTypeDefinitionNode):
            name = d.name.value
            if any(scalars.get(s) == name and since <= minor for s, since in FEDERATION_SCALARS.items()):
                kind = _KIND_NAMES.get(d.kind, d.kind)
                errors.append(subgraph_error(
                    TYPE_DEFINITION_INVALID, subgraph,
                    f"Invalid definition for type {name}: {name} should be a ScalarType but is defined as a {kind}", name))
    by_name = {name: canonical for canonical, name in directives.items()}
    for d in doc.definitions:
        if isinstance(d, DirectiveDefinitionNode) and d.name.value in by_name:
            expected = _spec_definition(by_name[d.name.value], d.name.value, minor, scalars)
            for message in _differences(expected, d, custom_scalars, fed1):
                errors.append(subgraph_error(
                    DIRECTIVE_DEFINITION_INVALID, subgraph, f'Invalid definition for directive "@{d.name.value}": {message}',
                    f"@{d.name.value}"))
    return errors


def _spec_definition(canonical: str, name: str, minor: int, scalars: dict[str, str]) -> DirectiveDefinitionNode:
    text = FEDERATION_DIRECTIVES[canonical].definition(name, minor)
    for internal, in_schema in scalars.items():
        text = text.replace(internal, in_schema)
    node = parse(text, no_location=True).definitions[0]
    assert isinstance(node, DirectiveDefinitionNode)
    return node


def _differences(expected: DirectiveDefinitionNode, actual: DirectiveDefinitionNode, custom: set[str], fed1: bool) -> list[str]:
    out: list[str] = []
    spec_args = {a.name.value: a for a in expected.arguments or ()}
    given = {a.name.value: a for a in actual.arguments or ()}
    for name, spec_arg in spec_args.items():
        arg = given.get(name)
        if arg is None:
            if isinstance(spec_arg.type, NonNullTypeNode) and spec_arg.default_value is None:
                out.append(f'missing required argument "{name}"')
            continue
        lenient = fed1 and name == "fields"
        if not _compatible(spec_arg.type, arg.type, custom, lenient):
            out.append(f'argument "{name}" should have type "{print_ast(spec_arg.type)}" but found type "{print_ast(arg.type)}"')
        elif spec_arg.default_value is not None:
            wanted = print_ast(spec_arg.default_value)
            found = print_ast(arg.default_value) if arg.default_value is not None else "null"
            if found != wanted:
                out.append(f'argument "{name}" should have default value {wanted} but found default value {found}')
    for name in given:
        if name not in spec_args:
            out.append(f'unknown/unsupported argument "{name}"')
    if actual.repeatable and not expected.repeatable:
        out.append(f'"@{actual.name.value}" should not be repeatable')
    allowed = [loc.value for loc in expected.locations]
    found_locations = [loc.value for loc in actual.locations]
    if not set(found_locations) <= set(allowed):
        out.append(f'"@{actual.name.value}" should have locations {", ".join(allowed)}, but found (non-subset)'
                   f' {", ".join(found_locations)}')
    return out


def _compatible(expected: TypeNode, actual: TypeNode, custom: set[str], lenient_null: bool) -> bool:
    """Can a directive declared with argument type `actual` stand for the spec's `expected`?"""
    if isinstance(expected, NonNullTypeNode):
        if isinstance(actual, NonNullTypeNode):
            return _compatible(expected.type, actual.type, custom, lenient_null)
        return lenient_null and _compatible(expected.type, actual, custom, lenient_null)
    if isinstance(actual, NonNullTypeNode):  # stricter than the spec: still accepts what the spec allows
        return _compatible(expected, actual.type, custom, lenient_null)
    if isinstance(expected, ListTypeNode):
        return isinstance(actual, ListTypeNode) and _compatible(expected.type, actual.type, custom, lenient_null)
    assert isinstance(expected, NamedTypeNode)
    if isinstance(actual, NamedTypeNode) and actual.name.value == expected.name.value:
        return True
    if expected.name.value in BUILTIN_SCALARS:
        return False
    # The spec's custom scalar (FieldSet, Scope, ...) may be declared as a built-in type or a list.
    return not (isinstance(actual, NamedTypeNode) and actual.name.value in custom)
