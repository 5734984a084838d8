"""Static cost as the IBM/Apollo cost specification defines it, from @cost and @listSize."""

from __future__ import annotations

import pytest
from graphql import build_schema, parse

from router.config import ConfigError
from router.plugins.demand_control import actual, estimate, parse_config, read_directives

SDL = """
directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT | SCALAR | ENUM | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
type Query {
  products: [Product!]! @listSize(assumedSize: 50)
  orders(first: Int = 10, last: Int): OrderConnection! @listSize(slicingArguments: ["first", "last"], sizedFields: ["nodes"])
  tags: [String!]!
  report: Report
  search(term: String @cost(weight: 5), filter: Filter, status: Status): [Product!]! @listSize(assumedSize: 3)
  big: Big
  node: Node
}
input Filter { tags: [String!] @cost(weight: 2), near: Geo, within: [Geo!] }
input Geo { lat: Float @cost(weight: 4), lng: Float }
enum Status @cost(weight: 6) { OPEN SHUT }
scalar Big @cost(weight: 9)
interface Node { id: ID! }
type Mutation { place: Order }
type OrderConnection { nodes: [Order!]! total: Int }
type Order { id: ID! items: [Item!]! }
type Item { sku: String! weight: Int @cost(weight: 3) }
type Product implements Node { id: ID! related: [Product!]! }
type Report @cost(weight: 20) { id: ID! }
"""
SCHEMA = build_schema(SDL)
DIRECTIVES = read_directives(SDL)


def cost(query: str, variables: dict | None = None, list_size: int = 10) -> int:
    document = parse(query)
    operation = next(d for d in document.definitions if d.kind == "operation_definition")
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    return estimate(SCHEMA, DIRECTIVES, operation, fragments, variables or {}, list_size)


def test_objects_weigh_one_leaves_nothing_and_lists_multiply() -> None:
    assert cost("{ products { id } }") == 50  # assumedSize x 1
    assert cost("{ tags }") == 0  # a list of scalars
    assert cost("{ report { id } }") == 20  # @cost on the type


def test_slicing_arguments_size_the_sized_fields() -> None:
    # orders 1 + nodes 5 x (order 1 + items 10 x (item 1 + weight 3))
    assert cost("{ orders(first: 5) { nodes { id items { sku weight } } } }") == 1 + 5 * (1 + 10 * 4)
    assert cost("query($n: Int) { orders(first: $n) { nodes { id } } }", {"n": 30}) == 1 + 30
    assert cost("{ orders { nodes { id } } }") == 1 + 10  # the argument's default
    assert cost("{ orders(first: 2, last: 7) { nodes { id } } }") == 1 + 7  # the largest slice
    assert cost("{ orders(first: 5) { total } }") == 1


def test_fragments_and_mutations() -> None:
    assert cost("{ ...Q } fragment Q on Query { products { ...P } } fragment P on Product { id }") == 50
    assert cost("mutation { place { id } }") == 10 + 1  # a mutation starts at 10
    assert cost("{ __typename products { __typename id } }") == 50


def test_arguments_and_input_fields_with_cost_add_their_weight_once_per_field() -> None:
    assert cost("{ search { id } }") == 3  # no argument given
    assert cost('{ search(term: "x") { id } }') == 3 + 5  # once, not per item
    assert cost('{ search(filter: {tags: ["a"]}) { id } }') == 3 + 2
    assert cost("{ search(filter: {near: {lat: 1, lng: 2}}) { id } }") == 3 + 4  # nested input objects
    assert cost("{ search(filter: {within: [{lat: 1}, {lat: 2}, {lng: 3}]}) { id } }") == 3 + 2 * 4  # per element
    variables = {"f": {"tags": ["a"], "near": {"lat": 1.5}}}
    assert cost("query($f: Filter) { search(filter: $f) { id } }", variables) == 3 + 2 + 4  # from variables too
    assert cost("{ big }") == 9 and cost("{ search(status: OPEN) { id } }") == 3  # scalar/enum types


def actual_cost(query: str, data: dict, variables: dict | None = None) -> int:
    document = parse(query)
    operation = next(d for d in document.definitions if d.kind == "operation_definition")
    fragments = {d.name.value: d for d in document.definitions if d.kind == "fragment_definition"}
    return actual(SCHEMA, DIRECTIVES, operation, fragments, variables or {}, data)


def test_the_actual_cost_counts_what_the_response_holds() -> None:
    query = "{ orders(first: 50) { nodes { id items { sku weight } } } }"
    assert cost(query) == 1 + 50 * (1 + 10 * 4)
    data = {"orders": {"nodes": [{"id": "1", "items": [{"sku": "a", "weight": 1}] * 3}, {"id": "2", "items": []}]}}
    assert actual_cost(query, data) == 1 + 2 + 3 * 4  # orders + 2 orders + 3 items x (1 + weight 3)
    assert actual_cost(query, {"orders": None}) == 0  # a null costs nothing below it
    assert actual_cost("mutation { place { id } }", {"place": {"id": "o"}}) == 10 + 1
    # a key asked twice through a fragment counts once; fragments on other types match nothing
    data = {"node": {"__typename": "Product", "id": "p", "related": [{"id": "q"}, {"id": "r"}]}}
    assert actual_cost("{ node { id ... on Product { related { id } } ...F } } fragment F on Product { related { id } }",
                       data) == 1 + 2
    assert actual_cost('{ search(term: "x") { id } }', {"search": [{"id": "1"}]}) == 1 + 5


def test_enforce_needs_a_max_cost() -> None:
    with pytest.raises(ConfigError, match="demand_control.max_cost"):
        parse_config({"mode": "enforce"})
    with pytest.raises(ConfigError, match="demand_control.mode"):
        parse_config({"mode": "sometimes", "max_cost": 1})
    assert parse_config({"mode": "enforce", "max_cost": 100}).max_cost == 100
