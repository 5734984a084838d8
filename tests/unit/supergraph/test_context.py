"""`@context` / `@fromContext`: reading the reference, the subgraph rules, the merged supergraph,
and satisfiability (a contextual field needs an ancestor setting its context on every path)."""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType

from router.supergraph import Supergraph as RouterSupergraph
from supergraph.api import api_schema
from supergraph.compose import SubgraphInput, compose
from supergraph.context import ContextReference, name_problem, parse_reference
from supergraph.context_rules import _implements
from supergraph.errors import Code

from .conftest import fed2, fixture_inputs

IMPORTS = ("key", "context", "fromContext", "external", "shareable", "requires")


def sub(body: str, *extra: str, name: str = "a") -> SubgraphInput:
    return SubgraphInput(name, f"http://{name}", fed2(body, *IMPORTS, *extra, version="2.8"))


def codes(*inputs: SubgraphInput) -> list[str]:
    return sorted({e.code for e in compose(list(inputs)).errors})


BASE = """
type Query { t: T! }
type T @key(fields: "id") @context(name: "ctx") { id: ID! u: U! prop: String }
"""


def field(args: str, extra: str = "") -> SubgraphInput:
    return sub(BASE + f'type U @key(fields: "id") {{ id: ID! field({args}): Int! {extra}}}')


# --- the reference ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("$ctx { prop }", ContextReference("ctx", " { prop }")),
        ("$ctx{prop}", ContextReference("ctx", "{prop}")),
        (" ,# a comment\n $ ctx ... on A { x }", ContextReference("ctx", " ... on A { x }")),
        ("$_c1 { x }", ContextReference("_c1", " { x }")),
        ("$ctx", ContextReference("ctx", "")),
    ],
)
def test_a_reference_names_a_context_and_keeps_the_selection_verbatim(value: str, expected: ContextReference) -> None:
    assert parse_reference(value) == expected


@pytest.mark.parametrize("value", ["ctx { prop }", "{ prop }", "$ { prop }", "$1ctx { prop }", ""])
def test_a_value_without_dollar_and_name_names_no_context(value: str) -> None:
    assert parse_reference(value) is None


def test_context_names_are_alphanumeric_without_underscore() -> None:
    assert name_problem("ctx2") is None
    assert "underscore" in (name_problem("my_ctx") or "")
    assert "alphanumeric" in (name_problem("1ctx") or "")
    assert "alphanumeric" in (name_problem("c-x") or "")


@pytest.mark.parametrize(
    ("selected", "argument", "ok"),
    [
        ("String", "String", True),
        ("String", "String!", False),  # a selection's type is never non-null
        ("[String]", "[String]", True),
        ("[String]", "[String!]", False),
        ("[String]", "String", False),
        ("String", "Int", False),
        ("[[ID]]", "[[ID]]", True),
    ],
)
def test_the_argument_must_match_the_selected_type_nullable_at_every_level(selected: str, argument: str, ok: bool) -> None:
    assert _implements(selected, argument) is ok


# --- the supergraph ----------------------------------------------------------------------


def test_the_supergraph_links_context_names_it_per_subgraph_and_records_the_argument() -> None:
    result = compose(fixture_inputs("ok_context_basic"))
    assert result.ok and result.supergraph_sdl is not None
    sdl = result.supergraph_sdl
    assert '@link(url: "https://specs.apollo.dev/context/v0.1", for: SECURITY)' in sdl
    assert '@link(url: "https://specs.apollo.dev/join/v0.5", for: EXECUTION)' in sdl
    assert "directive @context(name: String!) repeatable on INTERFACE | OBJECT | UNION" in sdl
    assert "directive @context__fromContext(field: context__ContextFieldValue) on ARGUMENT_DEFINITION" in sdl
    assert "scalar context__ContextFieldValue" in sdl and "input join__ContextArgument {" in sdl
    assert '@context(name: "a__ctx")' in sdl
    assert ('field: Int! @join__field(graph: A, contextArguments: [{context: "a__ctx", name: "a", type: "String",'
            ' selection: " { prop }"}])') in sdl


def test_contextual_arguments_are_not_part_of_the_api_and_the_router_loads_the_supergraph() -> None:
    result = compose([field('a: String @fromContext(field: "$ctx { prop }"), limit: Int')])
    assert result.ok and result.supergraph_sdl is not None
    for schema in (api_schema(result.supergraph_sdl), RouterSupergraph(result.supergraph_sdl).api_schema):
        u = schema.get_type("U")
        assert isinstance(u, GraphQLObjectType)
        assert list(u.fields["field"].args) == ["limit"]


def test_a_renamed_context_directive_keeps_its_name_in_the_supergraph() -> None:
    result = compose(fixture_inputs("ok_context_renamed_imports"))
    assert result.ok and result.supergraph_sdl is not None
    assert 'import: [{name: "@context", as: "@ctx"}]' in result.supergraph_sdl
    assert '@ctx(name: "a__ctx")' in result.supergraph_sdl


def test_each_subgraph_names_its_own_contexts() -> None:
    result = compose(fixture_inputs("ok_context_two_subgraphs_own_contexts"))
    assert result.ok and result.supergraph_sdl is not None
    assert '@context(name: "a__actx")\n  @context(name: "b__bctx")' in result.supergraph_sdl


def test_an_argument_contextual_in_one_subgraph_only_is_dropped_or_must_be_optional_elsewhere() -> None:
    a = sub(BASE + 'type U @key(fields: "id") { id: ID! field(a: String @fromContext(field: "$ctx { prop }")): Int! @shareable }')
    optional = sub('type U @key(fields: "id") { id: ID! field(a: String): Int! @shareable }', name="b")
    required = sub('type U @key(fields: "id") { id: ID! field(a: String!): Int! @shareable }', name="b")
    result = compose([a, optional])
    assert result.ok and "CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS" in {h.code for h in result.hints}
    assert codes(a, required) == [Code.CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS]


def test_one_context_name_set_on_one_type_by_two_subgraphs_is_lost_for_the_second_as_apollo_loses_it() -> None:
    assert codes(*fixture_inputs("err_context_same_name_on_one_type")) == [Code.INVALID_GRAPHQL]


# --- subgraph rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ('a: String @fromContext(field: "$nope { prop }")', Code.CONTEXT_NOT_SET),
        ('a: String = "x" @fromContext(field: "$ctx { prop }")', Code.CONTEXT_NOT_SET),
        ('a: String @fromContext(field: "ctx { prop }")', Code.NO_CONTEXT_IN_SELECTION),
        ('a: String @fromContext(field: "$ctx")', Code.NO_CONTEXT_IN_SELECTION),
        ('a: String! @fromContext(field: "$ctx { prop }")', Code.CONTEXT_INVALID_SELECTION),
        ('a: Int @fromContext(field: "$ctx { prop }")', Code.CONTEXT_INVALID_SELECTION),
        ('a: String @fromContext(field: "$ctx { nope }")', Code.CONTEXT_INVALID_SELECTION),
        ('a: String @fromContext(field: "$ctx { p: prop }")', Code.CONTEXT_INVALID_SELECTION),
        ('a: String @fromContext(field: "$ctx { prop @skip(if: true) }")', Code.CONTEXT_INVALID_SELECTION),
        ('a: String @fromContext(field: "$ctx { prop id }")', Code.CONTEXT_INVALID_SELECTION),
        ('a: String @fromContext(field: "$ctx ... on T { prop } id")', Code.CONTEXT_INVALID_SELECTION),
        ('a: String @fromContext(field: "$ctx ... on T { prop } ... on U { id }")', Code.CONTEXT_INVALID_SELECTION),
        ('a: String @fromContext(field: "$ctx { { prop }")', Code.CONTEXT_INVALID_SELECTION),
    ],
)
def test_a_fromcontext_argument_must_name_a_set_context_and_a_matching_selection(args: str, code: str) -> None:
    assert codes(field(args)) == [code]


def test_valid_selections_compose() -> None:
    assert codes(field('a: String @fromContext(field: "$ctx { prop }")')) == []
    assert codes(field('a: String @fromContext(field: "$ctx ... on T { prop }")')) == []
    assert codes(field('a: String @fromContext(field: "$ctx { __typename }")')) == []


def test_fromcontext_belongs_on_object_fields_of_entities() -> None:
    on_interface = BASE + """
    interface I { id: ID! field(a: String @fromContext(field: "$ctx { prop }")): Int! }
    type U implements I @key(fields: "id") { id: ID! field(a: String): Int! }"""
    implementing = BASE + """
    interface I { field(a: String): Int! }
    type U implements I @key(fields: "id") { id: ID! field(a: String @fromContext(field: "$ctx { prop }")): Int! }"""
    unresolvable = BASE + 'type U @key(fields: "id", resolvable: false) { id: ID! field(a: String @fromContext(field: "$ctx { prop }")): Int! }'
    assert codes(sub(on_interface)) == [Code.CONTEXT_NOT_SET]
    assert codes(sub(implementing)) == [Code.CONTEXT_NOT_SET]
    assert codes(sub(unresolvable)) == [Code.CONTEXT_NO_RESOLVABLE_KEY]


def test_an_external_field_read_by_a_context_is_used() -> None:
    a = sub("""
    type T @key(fields: "id") @context(name: "ctx") { id: ID! u: U! prop: String @external }
    type U @key(fields: "id") { id: ID! field(a: String @fromContext(field: "$ctx { prop }")): Int! }""")
    b = sub('type Query { t: T! }\ntype T @key(fields: "id") { id: ID! prop: String }', name="b")
    assert codes(a, b) == []


# --- satisfiability ----------------------------------------------------------------------


def test_a_path_to_the_field_without_the_context_above_is_unsatisfiable() -> None:
    unsatisfiable = sub(BASE.replace("type Query { t: T! }", "type Query { t: T! u: U }")
                        + 'type U @key(fields: "id") { id: ID! field(a: String @fromContext(field: "$ctx { prop }")): Int! }')
    result = compose([unsatisfiable])
    assert [e.code for e in result.errors] == [Code.SATISFIABILITY_ERROR]
    assert 'could not find a match for required context for field "U.field"' in result.errors[0].message
    assert "u {\n    field\n  }" in result.errors[0].message


def test_the_context_can_be_set_by_an_interface_or_a_union_above() -> None:
    assert codes(*fixture_inputs("ok_context_on_interface")) == []
    assert codes(*fixture_inputs("ok_context_on_union_type_conditions")) == []
    assert codes(*fixture_inputs("err_context_satisfiability_union_no_ancestor")) == [Code.SATISFIABILITY_ERROR]


def test_the_nearest_ancestor_provides_the_value_even_when_a_farther_one_could() -> None:
    assert codes(*fixture_inputs("err_context_satisfiability_nearest_ancestor_unsatisfiable")) == [Code.SATISFIABILITY_ERROR]
    assert codes(*fixture_inputs("ok_context_nearest_ancestor_recursive")) == []


def test_the_value_may_come_from_another_subgraph_but_must_be_reachable() -> None:
    assert codes(*fixture_inputs("ok_context_value_from_other_subgraph")) == []
    assert codes(*fixture_inputs("err_context_satisfiability_value_unreachable")) == [Code.SATISFIABILITY_ERROR]


def test_the_field_needs_a_key_its_subgraph_resolves_to_come_back_with_the_value() -> None:
    assert codes(*fixture_inputs("err_context_satisfiability_no_local_key")) == [Code.SATISFIABILITY_ERROR]
