"""Planner semantics on small federations written here from the Federation spec's examples,
composed by our composer: which subgraph answers what, in which order, with which inputs.
(The corpus differential in tests/differential/federations checks the answers themselves.)"""

import pytest

from router.operation import DocumentCache, prepare_operation
from router.planner import PlanningError, build_plan
from router.supergraph import Supergraph
from supergraph.compose import SubgraphInput, compose

LINK = ('extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", '
        '"@external", "@requires", "@provides", "@interfaceObject", "@override", "@inaccessible"])\n')


def supergraph(**subgraphs: str) -> Supergraph:
    result = compose([SubgraphInput(n, f"http://{n}.invalid", LINK + sdl) for n, sdl in subgraphs.items()])
    assert result.ok, result.errors
    return Supergraph(result.supergraph_sdl)


def plan(sg, query, labels=frozenset()):
    op = prepare_operation(sg.api_schema, DocumentCache(sg.api_schema).get(query), None, None)
    return build_plan(sg, op, labels)


def shape(p):
    return [(f.service, f.depth, f.deps) for f in p.fetches]


def ops(p):
    return [f.operation.replace(" ", "") for f in p.fetches]


def test_parent_entity_call_for_a_value_type_field_only_another_subgraph_has():
    sg = supergraph(
        s1='type Query { a: A } type A @key(fields: "id") { id: ID! b: B @shareable } type B @shareable { d: String }',
        s2='type A @key(fields: "id") { id: ID! b: B @shareable } type B @shareable { c: String }')
    p = plan(sg, "{ a { b { c d } } }")
    assert shape(p) == [("s1", 1, ()), ("s2", 2, (0,))]
    assert "b{d}" in ops(p)[0] and "...onA{b{c}}" in ops(p)[1]


def test_key_only_reachable_through_an_intermediate_subgraph():
    sg = supergraph(
        s1='type Query { t: T } type T @key(fields: "id") { id: ID! }',
        s2='type T @key(fields: "id") @key(fields: "sku") { id: ID! sku: String! }',
        s3='type T @key(fields: "sku") { sku: String! x: Int }')
    p = plan(sg, "{ t { x } }")
    assert shape(p) == [("s1", 1, ()), ("s2", 2, (0,)), ("s3", 3, (0, 1))]
    assert "... on T { __typename sku }" in p.print()


def test_requires_chain_and_round_trip():
    # a.f requires g from b; b.g requires base from a: a -> b -> a
    sg = supergraph(
        a='type Query { t: T } type T @key(fields: "id") { id: ID! base: Int f: Int @requires(fields: "g") '
          'g: Int @external }',
        b='type T @key(fields: "id") { id: ID! g: Int @requires(fields: "base") base: Int @external }')
    p = plan(sg, "{ t { f } }")
    assert shape(p) == [("a", 1, ()), ("b", 2, (0,)), ("a", 3, (0, 1))]
    text = p.print()
    assert "... on T { __typename id base }" in text and "... on T { __typename id g }" in text


def test_requires_with_arguments_and_fragments_and_a_conflicting_client_field():
    shapes = ("interface Shape { area: Int } type Circle implements Shape @shareable { area: Int radius: Int } "
              "type Square implements Shape @shareable { area: Int side: Int }")
    sg = supergraph(
        a='type Query { t: T } type T @key(fields: "id") { id: ID! price(currency: String!): Int shape: Shape } '
          + shapes,
        b='type T @key(fields: "id") { id: ID! price(currency: String!): Int @external shape: Shape @external '
          'label: String @requires(fields: "price(currency: \\"USD\\") shape { ... on Circle { radius } '
          '... on Square { side } }") } ' + shapes)
    p = plan(sg, '{ t { label price(currency: "EUR") } }')
    root = ops(p)[0]
    # the client's price(EUR) keeps its key; the required price(USD) gets one of its own
    assert 'price(currency:"EUR")' in root and ':price(currency:"USD")' in root
    assert "shape{__typename...onCircle{radius}...onSquare{side}}" in root
    assert "price: _price_" in p.print()


def test_interface_object_fields_and_type_resolution():
    sg = supergraph(
        media='type Query { media: [Media] } interface Media @key(fields: "id") { id: ID! title: String } '
              'type Book implements Media @key(fields: "id") { id: ID! title: String pages: Int } '
              'type Movie implements Media @key(fields: "id") { id: ID! title: String length: Int }',
        reviews='type Query { top: [Media] } type Media @key(fields: "id") @interfaceObject { id: ID! rating: Int }')
    # from the implementations to the interface object: representations as the interface
    p = plan(sg, "{ media { id rating } }")
    assert [f.service for f in p.fetches] == ["media", "reviews"]
    assert "... on Media { __typename id }" in p.print()
    # from the interface object: __typename and type-specific fields come from `media`
    p = plan(sg, "{ top { rating ... on Book { pages } } }")
    assert [f.service for f in p.fetches] == ["reviews", "media"]
    assert "__typename" not in ops(p)[0]  # an interface object's __typename is the interface's name
    assert "...onMedia{__typename...onBook{pages}}" in ops(p)[1]
    # nothing type-specific: no second fetch
    assert plan(sg, "{ top { id rating } }").fetch_count == 1


def test_same_key_with_different_types_across_union_members_is_aliased():
    sg = supergraph(
        a='type Query { search: [R] @shareable } union R = A | B '
          'type A @key(fields: "id") { id: ID! v: String! @shareable } type B @key(fields: "id") { id: ID! v: String }',
        b='type Query { search: [R] @shareable } union R = A | B '
          'type A @key(fields: "id") { id: ID! v: String @shareable } type B @key(fields: "id") { id: ID! }')
    p = plan(sg, "{ search { ... on A { v } ... on B { v } } }")
    assert p.fetch_count == 1
    text = ops(p)[0]
    if p.fetches[0].service == "a":  # String! beside String in one selection: one is aliased
        assert "...onA{v}" in text and "...onB{v__1:v}" in text
        assert p.fetches[0].renames[0].alias == "v__1"


def test_fragments_on_types_the_subgraph_does_not_have_are_dropped():
    sg = supergraph(
        a='type Query { search: [R] } union R = A | B type A { id: ID! } type B { id: ID! }',
        b='union R = C type C @key(fields: "id") { id: ID! } type Query { c: C }')
    assert "C" not in ops(plan(sg, "{ search { ... on A { id } ... on C { id } } }"))[0].replace("Query", "")


def test_shareable_root_field_with_a_value_type_split_over_subgraphs():
    sg = supergraph(
        s1='type Query { config: Config @shareable } type Config @shareable { a: Int }',
        s2='type Query { config: Config @shareable } type Config @shareable { b: Int }')
    p = plan(sg, "{ config { a b } }")
    assert sorted(shape(p)) == [("s1", 1, ()), ("s2", 1, ())]


def test_provides_avoids_an_entity_call_only_on_its_path():
    sg = supergraph(
        reviews='type Query { reviews: [Review] } type Review { id: ID! author: User @provides(fields: "name") } '
                'type User @key(fields: "id") { id: ID! name: String @external }',
        users='type Query { users: [User] } type User @key(fields: "id") { id: ID! name: String @shareable }')
    assert plan(sg, "{ reviews { author { name } } }").fetch_count == 1


def test_progressive_override_follows_the_label():
    sg = supergraph(
        old='type Query { t: T } type T @key(fields: "id") { id: ID! v: Int }',
        new='type T @key(fields: "id") { id: ID! v: Int @override(from: "old", label: "v-new") }')
    assert [f.service for f in plan(sg, "{ t { v } }").fetches] == ["old"]
    assert [f.service for f in plan(sg, "{ t { v } }", frozenset({"v-new"})).fetches] == ["old", "new"]


def test_resolvable_false_keys_are_never_jump_targets():
    sg = supergraph(
        a='type Query { t: T } type T @key(fields: "id") { id: ID! x: Int }',
        b='type Query { u: T } type T @key(fields: "id", resolvable: false) { id: ID! }')
    p = plan(sg, "{ u { x } }")
    assert [f.service for f in p.fetches] == ["b", "a"]


def test_the_search_bound_is_a_planning_error_not_a_crash(monkeypatch):
    sg = supergraph(
        s1='type Query { t: T } type T @key(fields: "id") { id: ID! a: Int }',
        s2='type T @key(fields: "id") { id: ID! b: Int }')
    monkeypatch.setattr("router.planner.paths.MAX_EVALUATIONS", 1)
    with pytest.raises(PlanningError, match="gave up after 1 evaluated options"):
        plan(sg, "{ t { a b } }")
