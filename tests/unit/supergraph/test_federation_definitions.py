"""Definitions of federation's own directives and scalars that a subgraph SDL carries.

They may differ from the spec's only in ways that keep every use of the directive valid;
otherwise DIRECTIVE_DEFINITION_INVALID / TYPE_DEFINITION_INVALID, in Apollo's words. A
compatible definition is what the subgraph's own directive applications are checked against.
"""

from __future__ import annotations

import pytest

from supergraph.compose import SubgraphInput, compose
from supergraph.errors import CompositionFailed
from supergraph.subgraph import parse_subgraph

BODY = 'type Product @key(fields: "id") { id: ID! stock: Int }\ntype Query { p: Product }'
KEY = "directive @key(fields: federation__FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE"


def fed2(definitions: str, *imports: str, version: str = "2.3", body: str = BODY) -> str:
    names = ", ".join(f'"{i}"' for i in ("@key", *imports))
    return f'extend schema @link(url: "https://specs.apollo.dev/federation/v{version}", import: [{names}])\n{definitions}\n{body}'


def messages(sdl: str) -> list[str]:
    try:
        parse_subgraph("a", "http://a", sdl)
    except CompositionFailed as failed:
        return [e.message for e in failed.errors]
    return []


@pytest.mark.parametrize("definitions", [
    KEY + "\nscalar federation__FieldSet",
    "directive @key(fields: String!) on OBJECT | INTERFACE",  # a built-in type for FieldSet, fewer args, not repeatable
    "directive @key(fields: [String!]!, resolvable: Boolean! = true) on OBJECT",  # stricter resolvable, fewer locations
    "directive @external(reason: String!) on FIELD_DEFINITION",
])
def test_compatible_definitions_are_accepted(definitions: str) -> None:
    assert messages(fed2(definitions, "@external", body=BODY)) == []


def test_an_imported_scalar_name_is_the_expected_type() -> None:
    sdl = fed2("directive @key(fields: FieldSet!) repeatable on OBJECT | INTERFACE\nscalar FieldSet", "FieldSet")
    assert messages(sdl) == []


@pytest.mark.parametrize(("definitions", "expected"), [
    ("directive @key(fields: FieldSet!) on OBJECT\nscalar FieldSet",
     'argument "fields" should have type "federation__FieldSet!" but found type "FieldSet!"'),
    ("directive @key(fields: federation__FieldSet) on OBJECT",
     'argument "fields" should have type "federation__FieldSet!" but found type "federation__FieldSet"'),
    ("directive @key(fields: String!, resolvable: Boolean) on OBJECT",
     'argument "resolvable" should have default value true but found default value null'),
    ("directive @key(fields: String!, resolvable: String = \"yes\") on OBJECT",
     'argument "resolvable" should have type "Boolean" but found type "String"'),
    ("directive @key(resolvable: Boolean = true) on OBJECT", 'missing required argument "fields"'),
    ("directive @key(fields: String!, by: String) on OBJECT", 'unknown/unsupported argument "by"'),
    ("directive @key(fields: String!) on OBJECT | UNION",
     '"@key" should have locations OBJECT, INTERFACE, but found (non-subset) OBJECT, UNION'),
])
def test_incompatible_key_definitions_are_refused(definitions: str, expected: str) -> None:
    assert messages(fed2(definitions)) == [f'[a] Invalid definition for directive "@key": {expected}']


def test_a_repeatable_definition_of_a_non_repeatable_directive_is_refused() -> None:
    sdl = fed2("directive @external(reason: String) repeatable on FIELD_DEFINITION", "@external")
    assert messages(sdl) == ['[a] Invalid definition for directive "@external": "@external" should not be repeatable']


def test_a_prefixed_directive_is_checked_under_its_prefixed_name() -> None:
    sdl = fed2("directive @federation__requires(fields: String) on FIELD_DEFINITION")
    assert messages(sdl) == ['[a] Invalid definition for directive "@federation__requires": argument "fields" should have'
                             ' type "federation__FieldSet!" but found type "String"']


def test_a_definition_of_a_directive_not_linked_is_the_subgraphs_own() -> None:
    assert messages(fed2("directive @requires(fields: Int) on FIELD_DEFINITION")) == []


def test_federation_scalars_must_be_scalars() -> None:
    sdl = fed2("type FieldSet { a: Int }", "FieldSet")
    assert messages(sdl) == ["[a] Invalid definition for type FieldSet: FieldSet should be a ScalarType but is defined as a ObjectType"]


def test_federation_1_fields_may_be_nullable_but_other_arguments_may_not() -> None:
    assert messages('directive @key(fields: String) on OBJECT | INTERFACE\ntype Query { a: Int }') == []
    assert messages('directive @tag(name: String) repeatable on OBJECT\ntype Query { a: Int }') == [
        '[a] Invalid definition for directive "@tag": argument "name" should have type "String!" but found type "String"']
    assert messages('scalar FieldSet\ndirective @key(fields: FieldSet!) on OBJECT\ntype Query { a: Int }') == [
        '[a] Invalid definition for directive "@key": argument "fields" should have type "_FieldSet!" but found type "FieldSet!"']


def test_applications_are_checked_against_the_subgraphs_compatible_definition() -> None:
    body = 'type Product @key(fields: "id") @key(fields: "sku") { id: ID! sku: ID! }\ntype Query { p: Product }'
    sdl = fed2("directive @key(fields: federation__FieldSet!, resolvable: Boolean = true) on OBJECT", body=body)
    assert messages(sdl) == ["[a] The directive '@key' can only be used once at this location."]
    stricter = fed2("directive @external(reason: String!) on FIELD_DEFINITION", "@external",
                    body='type Product @key(fields: "id") { id: ID! w: Int @external }')
    assert messages(stricter) == ["[a] Argument '@external(reason:)' of type 'String!' is required, but it was not provided."]


def test_a_compatible_definition_composes_like_none() -> None:
    other = SubgraphInput("b", "http://b", fed2("", body='type Product @key(fields: "id") { id: ID! name: String }'))
    bare = compose([SubgraphInput("a", "http://a", fed2("")), other])
    declared = compose([SubgraphInput("a", "http://a", fed2("directive @key(fields: String!) repeatable on OBJECT")), other])
    assert bare.ok and declared.ok
    assert declared.supergraph_sdl == bare.supergraph_sdl


def test_an_incompatible_definition_is_reported_with_the_graphql_errors_and_replaced_by_the_spec() -> None:
    sdl = ('directive @key(fields: String!) on OBJECT | UNION\n'
           'type Product @key(fields: "id") @key(fields: "sku") { id: ID! sku: ID! stock: Int @override(from: "b") }')
    found = messages(sdl)
    assert found[0] == ('[a] Invalid definition for directive "@key": "@key" should have locations OBJECT, INTERFACE,'
                        " but found (non-subset) OBJECT, UNION")
    assert len(found) == 2 and found[1].startswith('[a] Unknown directive "@override".')  # repeated @key: the spec's is
