"""Satisfiability of `@requires` field sets that select through interfaces and unions.

A requirement is fetched like a query: a type condition may name an implementation, a
second interface or union sharing implementations with the position, or an abstract
type an object implements (which keeps the position); a field of an interface that the
subgraph cannot serve on the interface is served by casting to each implementation.
"""

from __future__ import annotations

import pytest

from supergraph.compose import SubgraphInput, compose
from supergraph.errors import Code

from .conftest import fed2, fixture_inputs

SHAPES = """
type Query { items: [Item] }
type Item @key(fields: "id") { id: ID! shape: Shape }
interface Shape { area: Float }
interface Polygon { sides: Int }
union Round = Circle
type Circle implements Shape { area: Float radius: Float }
type Square implements Shape & Polygon { area: Float sides: Int side: Float }
"""
PRICING_TYPES = """
interface Shape { area: Float }
interface Polygon { sides: Int }
union Round = Circle
type Circle implements Shape { area: Float @external radius: Float @external }
type Square implements Shape & Polygon { area: Float @external sides: Int @external side: Float @external }
"""


def compose_requiring(requires: str) -> list[str]:
    pricing = (
        'type Item @key(fields: "id") { id: ID! shape: Shape @external'
        f' price: Float @requires(fields: "{requires}") }}\n{PRICING_TYPES}'
    )
    result = compose([
        SubgraphInput("shapes", "http://shapes", fed2(SHAPES, "key")),
        SubgraphInput("pricing", "http://pricing", fed2(pricing, "key", "external", "requires")),
    ])
    return [e.code for e in result.errors]


@pytest.mark.parametrize("requires", [
    "shape { ... on Circle { radius } ... on Square { side } }",
    "shape { ... on Polygon { sides ... on Square { side } } ... on Circle { radius } }",
    "shape { ... on Shape { ... on Round { ... on Circle { radius } } } ... on Square { area side sides } }",
    "shape { ... on Square { ... on Polygon { sides } ... on Shape { area } side } ... on Circle { radius } }",
    "shape { area __typename ... on Circle { __typename radius } ... on Square { side sides } }",
])
def test_fragments_on_implementations_and_other_abstract_types_are_satisfiable(requires: str) -> None:
    assert compose_requiring(requires) == []


def test_an_interface_field_served_only_through_the_implementations_is_satisfiable() -> None:
    assert compose(fixture_inputs("ok_requires_interface_field_through_implementations")).ok


def test_a_fragment_on_a_type_the_providing_subgraph_lacks_is_still_unsatisfiable() -> None:
    result = compose(fixture_inputs("err_requires_fragment_type_unknown_to_provider"))
    assert [e.code for e in result.errors] == [Code.SATISFIABILITY_ERROR]
    assert 'cannot satisfy @require conditions on field "Item.price"' in result.errors[0].message


def test_a_requirement_no_subgraph_can_fetch_is_unsatisfiable() -> None:
    shapes = fed2(SHAPES.replace('@key(fields: "id")', '@key(fields: "id", resolvable: false)'), "key")
    pricing = (
        'type Item @key(fields: "id") { id: ID! shape: Shape @external'
        f' price: Float @requires(fields: "shape {{ ... on Polygon {{ sides }} ... on Circle {{ radius }} }}") }}\n{PRICING_TYPES}'
    ).replace("side: Float @external ", "")
    result = compose([
        SubgraphInput("shapes", "http://shapes", shapes),
        SubgraphInput("pricing", "http://pricing", fed2(pricing, "key", "external", "requires")),
    ])
    assert [e.code for e in result.errors] == [Code.SATISFIABILITY_ERROR]
    assert 'cannot satisfy @require conditions on field "Item.price"' in result.errors[0].message
