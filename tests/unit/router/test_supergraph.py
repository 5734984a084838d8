from pathlib import Path

import pytest
from graphql import print_schema

from router.supergraph import Supergraph, SupergraphError

BENCH = Path(__file__).resolve().parents[3] / "bench" / "supergraph.graphql"


@pytest.fixture(scope="module")
def sg(router_test_sdl):
    return Supergraph(router_test_sdl)


def test_api_schema_hides_federation_machinery_and_inaccessible_elements(sg):
    api = print_schema(sg.api_schema)
    for hidden in ("join__", "link__", "@inaccessible", "secret", "GUEST", "sku"):
        assert hidden not in api
    assert "type User" in api and "loyaltyPoints: Int" in api
    assert sg.api_schema.get_type("Role").values.keys() == {"ADMIN", "CUSTOMER"}


def test_field_owners_external_and_override(sg):
    assert sg.resolving_graphs("User", "name") == ("users",)  # reviews has it @external
    assert sg.resolving_graphs("User", "nickname") == ("shipping",)
    assert sg.resolving_graphs("User", "loyaltyPoints") == ("users",)
    assert sg.resolving_graphs("User", "loyaltyPoints", frozenset({"shipping-loyalty"})) == ("shipping",)
    assert sg.resolving_graphs("Book", "reviews") == ("reviews",)  # through @interfaceObject Product
    assert sg.join_field("Book", "shippingEstimate", "inventory").requires is not None


def test_abstract_types_per_subgraph(sg):
    assert sg.possible_types_in("SearchResult", "products") == {"Book", "Furniture"}
    assert sg.possible_types_in("SearchResult", "reviews") == {"Review", "User"}
    assert sg.possible_types_in("Product", "reviews") == frozenset()
    assert sg.is_interface_object("Product", "reviews")
    assert [k.fields for k in sg.keys("Book", "products")] == ["upc", "sku"]
    assert sg.keys("Warehouse", "inventory") == []  # resolvable: false
    assert [k.fields for k in sg.keys("Warehouse", "inventory", resolvable_only=False)] == ["id region { code }"]


def test_bench_supergraph_join_v03_loads():
    b = Supergraph(BENCH.read_text())
    assert b.graph_names == ["accounts", "inventory", "products", "reviews"]
    assert b.join_version == (0, 3)
    assert b.resolving_graphs("Review", "author") == ("reviews",)
    assert b.join_field("Review", "author", "reviews").provides is not None


def test_fed1_core_supergraph_with_owner():
    sdl = '''
    schema @core(feature: "https://specs.apollo.dev/core/v0.1") @core(feature: "https://specs.apollo.dev/join/v0.1")
    { query: Query }
    directive @core(feature: String!) repeatable on SCHEMA
    directive @join__owner(graph: join__Graph!) on OBJECT | INTERFACE
    directive @join__type(graph: join__Graph!, key: join__FieldSet) repeatable on OBJECT | INTERFACE
    directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet) on FIELD_DEFINITION
    directive @join__graph(name: String!, url: String!) on ENUM_VALUE
    scalar join__FieldSet
    enum join__Graph { A @join__graph(name: "a", url: "http://a") B @join__graph(name: "b", url: "http://b") }
    type Query { t: T @join__field(graph: A) }
    type T @join__owner(graph: A) @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
      id: ID! x: Int y: Int @join__field(graph: B)
    }
    '''
    s = Supergraph(sdl)
    assert s.resolving_graphs("T", "x") == ("a",)
    assert s.resolving_graphs("T", "y") == ("b",)
    assert "join__" not in print_schema(s.api_schema)


@pytest.mark.parametrize("sdl,msg", [
    ("type Query { a: Int", "does not parse"),
    ("type Query { a: Int }", "not a supergraph"),
])
def test_broken_supergraphs_are_rejected_with_a_reason(sdl, msg):
    with pytest.raises(SupergraphError, match=msg):
        Supergraph(sdl)
