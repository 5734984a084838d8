"""Subgraph SDLs exactly as `_service { sdl }` serves them: federation's plumbing included.

Many subgraph libraries print `_entities`/`_service` on the query root and the federation
definitions (`_Any`, `_Entity`, `_Service`, `FieldSet`, `link__Import`, directive
definitions) into the SDL they serve. They are federation's, so they are dropped; a query
root left with no field of its own stays the (empty) query root.
"""

from __future__ import annotations

import pytest

from supergraph.compose import SubgraphInput, compose
from supergraph.errors import CompositionFailed
from supergraph.subgraph import parse_subgraph

from .conftest import fed2

PLUMBING = """
scalar _Any
type _Service { sdl: String }
union _Entity = Product
directive @key(fields: federation__FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
scalar federation__FieldSet
scalar link__Import
"""
ENTITIES = "_entities(representations: [_Any!]!): [_Entity]!\n  _service: _Service!"
PRODUCT = 'type Product @key(fields: "id") { id: ID! stock: Int }'
LINKS = (
    'schema @link(url: "https://specs.apollo.dev/link/v1.0")'
    ' @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@tag"])'
)
PRODUCTS = fed2('type Product @key(fields: "id") { id: ID! name: String }\ntype Query { products: [Product] }', "key")


def served(roots: str, query_type: str, extra: str = "") -> str:
    return f"{LINKS} {{ {roots} }}\n{PLUMBING}\n{PRODUCT}\n{query_type} {{\n  {ENTITIES}\n}}\n{extra}"


def test_a_query_root_of_only_entities_and_service_is_kept_empty() -> None:
    sub = parse_subgraph("inventory", "http://inventory", served("query: Query", "type Query"))
    assert sub.roots["query"] == "Query"
    assert sub.types["Query"].fields == {}
    assert not {"_Any", "_Entity", "_Service", "federation__FieldSet", "link__Import"} & set(sub.types)


def test_a_renamed_query_root_of_only_plumbing_becomes_the_empty_query() -> None:
    sub = parse_subgraph("inventory", "http://inventory", served("query: RootQuery", "type RootQuery"))
    assert sub.roots["query"] == "Query"
    assert "RootQuery" not in sub.types and sub.types["Query"].fields == {}


def test_other_roots_stay_when_the_query_root_empties() -> None:
    sdl = served("query: Query, mutation: Mutation", "type Query", "type Mutation { restock(id: ID!): Product }")
    sub = parse_subgraph("inventory", "http://inventory", sdl)
    assert sub.roots == {"query": "Query", "mutation": "Mutation"}
    assert list(sub.types["Mutation"].fields) == ["restock"]


def test_directives_on_an_emptied_query_root_are_kept() -> None:
    sub = parse_subgraph("inventory", "http://inventory", served("query: Query", 'type Query @tag(name: "plumbing")'))
    assert [d.name for d in sub.types["Query"].directives] == ["tag"]
    assert sub.types["Query"].fields == {}


def test_only_plumbing_fields_are_dropped_from_the_query_root() -> None:
    sdl = served("query: Query", "type Query", "extend type Query { stockOf(id: ID!): Int }")
    sub = parse_subgraph("inventory", "http://inventory", sdl)
    assert list(sub.types["Query"].fields) == ["stockOf"]


def test_a_schema_naming_a_query_type_that_does_not_exist_is_still_an_error() -> None:
    sdl = f"{LINKS} {{ query: Missing }}\n{PRODUCT}\ntype Query {{ a: Int }}"
    with pytest.raises(CompositionFailed, match="Unknown type 'Missing'"):
        parse_subgraph("inventory", "http://inventory", sdl)


@pytest.mark.parametrize("roots", ["query: Query", "query: RootQuery"])
def test_served_sdl_composes_into_the_same_supergraph_as_the_bare_sdl(roots: str) -> None:
    query_type = "type " + roots.split(": ")[1]
    bare = compose([SubgraphInput("inventory", "http://inventory", fed2(PRODUCT, "key")), SubgraphInput("products", "http://products", PRODUCTS)])
    full = compose([SubgraphInput("inventory", "http://inventory", served(roots, query_type)), SubgraphInput("products", "http://products", PRODUCTS)])
    assert bare.ok and full.ok, full.errors
    assert full.supergraph_sdl == bare.supergraph_sdl
