"""Composition as a library: outcomes, error wording, determinism."""

from __future__ import annotations

import random

from supergraph.compose import SubgraphInput, compose
from supergraph.errors import Code

from .conftest import fed2, fixture_inputs


def test_composes_the_shop_and_routes_each_graph_to_its_url(shop_inputs: list[SubgraphInput]) -> None:
    result = compose(shop_inputs)
    assert result.ok, result.errors
    sdl = result.supergraph_sdl
    assert sdl is not None
    assert '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)' in sdl
    for s in shop_inputs:
        assert f'{s.name.upper()} @join__graph(name: "{s.name}", url: "{s.url}")' in sdl
    assert 'orderSummary: String! @join__field(graph: ORDERS, requires: "name")' in sdl
    assert "passwordHash: String @inaccessible @join__field(graph: USERS)" in sdl


def test_output_does_not_depend_on_input_order(shop_inputs: list[SubgraphInput]) -> None:
    first = compose(shop_inputs).supergraph_sdl
    shuffled = list(shop_inputs)
    random.Random(7).shuffle(shuffled)
    assert compose(list(reversed(shop_inputs))).supergraph_sdl == first
    assert compose(shuffled).supergraph_sdl == first


def test_field_sharing_error_names_subgraphs_type_field_and_code() -> None:
    a = fed2('type Query { t: T }\ntype T @key(fields: "id") { id: ID!, name: String }', "key")
    b = fed2('type T @key(fields: "id") { id: ID!, name: String }', "key")
    result = compose([SubgraphInput("a", "http://a", a), SubgraphInput("b", "http://b", b)])
    assert not result.ok and result.supergraph_sdl is None
    [error] = result.errors
    assert error.code == Code.INVALID_FIELD_SHARING
    assert error.coordinate == "T.name"
    assert set(error.subgraphs) == {"a", "b"}
    assert 'Non-shareable field "T.name" is resolved from multiple subgraphs' in error.message
    assert 'subgraphs "a" and "b"' in error.message


def test_unsatisfiable_query_is_reported_with_an_example_query() -> None:
    result = compose(fixture_inputs("err_satisfiability_no_key"))
    [error] = result.errors
    assert error.code == Code.SATISFIABILITY_ERROR
    assert error.message.startswith("The following supergraph API query:\n{\n  t {\n    extra\n  }\n}\n")
    assert 'cannot move to subgraph "b", which has field "T.extra", because type "T" has no @key defined in subgraph "b"' in error.message


def test_subgraph_level_errors_are_prefixed_with_the_subgraph() -> None:
    result = compose(fixture_inputs("err_requires_fields_missing_external"))
    [error] = result.errors
    assert error.code == Code.REQUIRES_FIELDS_MISSING_EXTERNAL
    assert error.message.startswith('[a] On field "T.y", for @requires(fields: "x"):')
    assert error.subgraphs == ("a",)


def test_invalid_graphql_explains_a_missing_federation_import() -> None:
    sdl = fed2('type Query { t: T }\ntype T @key(fields: "id") @shareable { id: ID! }', "key")
    [error] = compose([SubgraphInput("a", "http://a", sdl)]).errors
    assert error.code == Code.INVALID_GRAPHQL
    assert 'add "@shareable" to the `import` argument' in error.message


def test_federation1_subgraphs_are_upgraded() -> None:
    result = compose(fixture_inputs("ok_fed1_extend_type"))
    assert result.ok, result.errors
    assert result.supergraph_sdl is not None
    assert 'name: String @join__field(graph: REVIEWS, external: true) @join__field(graph: USERS)' in result.supergraph_sdl


def test_duplicate_and_reserved_subgraph_names_are_rejected() -> None:
    sdl = fed2("type Query { a: Int }")
    dup = compose([SubgraphInput("a", "http://a", sdl), SubgraphInput("a", "http://b", sdl)])
    assert [e.code for e in dup.errors] == [Code.INVALID_SUBGRAPH_NAME]
    reserved = compose([SubgraphInput("_", "http://a", sdl)])
    assert [e.code for e in reserved.errors] == [Code.INVALID_SUBGRAPH_NAME]


def test_every_error_of_a_stage_is_reported_not_only_the_first() -> None:
    a = fed2("type Query { a(x: Int = 1): Int @shareable, b: Int @shareable }", "shareable")
    b = fed2("type Query { a(x: Int = 2): Int @shareable, b: String @shareable }", "shareable")
    result = compose([SubgraphInput("a", "http://a", a), SubgraphInput("b", "http://b", b)])
    assert {e.code for e in result.errors} == {Code.FIELD_ARGUMENT_DEFAULT_MISMATCH, Code.FIELD_TYPE_MISMATCH}


def test_progressive_override_links_join_v04() -> None:
    result = compose(fixture_inputs("ok_override_progressive"))
    assert result.ok and result.supergraph_sdl is not None
    assert "https://specs.apollo.dev/join/v0.4" in result.supergraph_sdl
    assert 'overrideLabel: "percent(25)"' in result.supergraph_sdl


def test_features_we_do_not_compose_are_refused_not_dropped() -> None:
    sdl = fed2(
        'type Query { t: T }\ntype T @key(fields: "id") @cacheTag(format: "t-{$key.id}") { id: ID! }',
        "key", "cacheTag", version="2.12",
    )
    result = compose([SubgraphInput("a", "http://a", sdl)])
    assert [e.code for e in result.errors] == [Code.UNSUPPORTED_FEATURE]
    assert "@cacheTag is not supported" in result.errors[0].message


def test_a_field_only_interface_objects_serve_must_be_shareable_between_them() -> None:
    result = compose(fixture_inputs("err_interface_object_field_not_shareable"))
    assert [(e.code, e.coordinate) for e in result.errors] == [
        (Code.INVALID_FIELD_SHARING, "Book.score"), (Code.INVALID_FIELD_SHARING, "Movie.score")]
    assert ('it is resolved from subgraphs "b" (through @interfaceObject field "Media.score") and "c" (through'
            ' @interfaceObject field "Media.score") and defined as non-shareable in all of them') in result.errors[0].message
    assert compose(fixture_inputs("ok_interface_object_two_subgraphs_shareable")).ok
