"""Static cost as the IBM/Apollo cost specification defines it, from @cost and @listSize."""

from __future__ import annotations

import pytest
from graphql import build_schema, parse

from router.config import ConfigError
from router.plugins.demand_control import estimate, parse_config, read_directives

SDL = """
directive @cost(weight: Int!) on FIELD_DEFINITION | OBJECT | SCALAR | ENUM | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
directive @listSize(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION
type Query {
  products: [Product!]! @listSize(assumedSize: 50)
  orders(first: Int = 10, last: Int): OrderConnection! @listSize(slicingArguments: ["first", "last"], sizedFields: ["nodes"])
  tags: [String!]!
  report: Report
}
type Mutation { place: Order }
type OrderConnection { nodes: [Order!]! total: Int }
type Order { id: ID! items: [Item!]! }
type Item { sku: String! weight: Int @cost(weight: 3) }
type Product { id: ID! }
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
    assert cost("mutation { place { id } }") == 10  # a root mutation field weighs 10
    assert cost("{ __typename products { __typename id } }") == 50


def test_enforce_needs_a_max_cost() -> None:
    with pytest.raises(ConfigError, match="demand_control.max_cost"):
        parse_config({"mode": "enforce"})
    with pytest.raises(ConfigError, match="demand_control.mode"):
        parse_config({"mode": "sometimes", "max_cost": 1})
    assert parse_config({"mode": "enforce", "max_cost": 100}).max_cost == 100
