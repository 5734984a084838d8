from pathlib import Path

import pytest

from router.operation import DocumentCache, prepare_operation
from router.planner import QueryPlanner, build_plan, plan_shape
from router.supergraph import Supergraph

HERE = Path(__file__).resolve()
BENCH_DIR = HERE.parents[3] / "bench"


@pytest.fixture(scope="module")
def sg(router_test_sdl):
    return Supergraph(router_test_sdl)


def plan(sg, query, variables=None, labels=frozenset(), name=None):
    op = prepare_operation(sg.api_schema, DocumentCache(sg.api_schema).get(query), name, variables)
    return build_plan(sg, op, labels)


def services(p):
    return [f.service for f in p.fetches]


def op_text(p, service, index=0):
    return [f for f in p.fetches if f.service == service][index].operation.replace(" ", "")


def test_bench_query_plan():
    sg = Supergraph((BENCH_DIR / "supergraph.graphql").read_text())
    p = plan(sg, (BENCH_DIR / "operations" / "query.graphql").read_text())
    # accounts + products in parallel; reviews for both paths in one request (two _entities
    # calls); then products and accounts; inventory (inStock and the @requires) once, last
    assert p.depth == 4 and p.fetch_count == 6
    assert [(f.service, f.depth) for f in p.fetches] == [
        ("accounts", 1), ("products", 1), ("reviews", 2), ("products", 3), ("accounts", 3), ("inventory", 4)]
    reviews = p.fetches[2]
    assert len(reviews.calls) == 2 and "_e0:_entities" in reviews.operation and reviews.deps == (0, 1)
    # the inventory fetch waits only for what its representations need
    assert p.fetches[5].deps == (1, 2, 3)


def test_single_subgraph_query_is_one_fetch(sg):
    p = plan(sg, "{ users { id name address { city } } }")
    assert services(p) == ["users"] and p.depth == 1


def test_requires_waits_for_its_inputs(sg):
    p = plan(sg, '{ book(upc: "b1") { shippingEstimate } }')
    assert [(s, d, paths) for s, d, _, paths in plan_shape(p)] == [("products", 1, ()), ("inventory", 2, ("book",))]
    assert "dimensions{weight}" in op_text(p, "products")
    assert "... on Book { __typename upc dimensions { weight } }" in p.print()


def test_provides_avoids_a_jump(sg):
    assert plan(sg, "{ reviews { author { name } } }").fetch_count == 1
    # users -> reviews (one jump); the provided name comes with the reviews, no third fetch
    assert plan(sg, "{ users { reviews { author { name } } } }").fetch_count == 2


def test_shareable_field_stays_local(sg):
    assert services(plan(sg, "{ lowStock { name inStock } }")) == ["inventory"]


def test_multiple_keys_choose_the_one_the_parent_can_supply(sg):
    p = plan(sg, "{ lowStock { shippingClass } }")
    # inventory has no sku: products supplies it, then shipping answers by sku
    assert services(p) == ["inventory", "products", "shipping"] and p.depth == 3


def test_value_type_without_key_moves_the_jump_up(sg):
    p = plan(sg, "{ lowStock { warehouse { region { name } } } }")
    assert services(p) == ["inventory", "shipping"]
    assert "region{name}" in op_text(p, "shipping")


def test_only_used_variables_are_declared(sg):
    p = plan(sg, "query($id: ID!, $min: Int) { user(id: $id) { id } reviews(minRating: $min) { id } }", {"id": "u1"})
    ops = {f.service: f for f in p.fetches}
    assert ops["users"].variables == ("id",) and "$min" not in ops["users"].operation
    assert ops["reviews"].variables == ("min",)


def test_alias_collision_with_a_key_gets_a_private_alias(sg):
    p = plan(sg, "{ users { id: name reviews { id } } }")
    root = op_text(p, "users")
    assert "id:name" in root and "_id:id" in root


def test_mutations_run_in_order_one_step_each(sg):
    p = plan(sg, 'mutation { a: updateName(id: "u1", name: "x") { id } b: addReview(upc: "b1", body: "b", rating: 1) '
                 '{ id } c: updateName(id: "u1", name: "y") { id } }')
    assert services(p) == ["users", "reviews", "users"]
    assert [f.deps for f in p.fetches] == [(), (0,), (1,)]
    assert all(f.operation.startswith("mutation") for f in p.fetches)


def test_skip_include_variables_select_the_plan(sg):
    q = "query($s: Boolean!) { users { id reviews @skip(if: $s) { id } } }"
    assert plan(sg, q, {"s": True}).fetch_count == 1
    assert plan(sg, q, {"s": False}).fetch_count == 2


def test_override_label_switches_subgraph(sg):
    assert services(plan(sg, "{ users { loyaltyPoints } }")) == ["users"]
    p = plan(sg, "{ users { loyaltyPoints } }", labels=frozenset({"shipping-loyalty"}))
    assert services(p) == ["users", "shipping"]


def test_interface_object_then_concrete_type(sg):
    p = plan(sg, "{ reviews { product { __typename ... on Book { author } } } }")
    assert services(p) == ["reviews", "products"]
    assert "...onProduct{__typename" in op_text(p, "products")


def test_abstract_selection_is_filtered_to_the_subgraph_types(sg):
    p = plan(sg, "{ searchProducts(text: \"a\") { ... on Review { id } ... on Book { upc } } }")
    op = op_text(p, "products")
    assert "Review" not in op and "...onBook" in op


def test_plan_cache_hits_on_same_document_and_condition_values(sg):
    planner = QueryPlanner(sg)
    cache = DocumentCache(sg.api_schema)
    q = "query($s: Boolean!) { users { id name @include(if: $s) } }"
    for v in (True, True, False):
        planner.plan(prepare_operation(sg.api_schema, cache.get(q), None, {"s": v}))
    assert (planner.hits, planner.misses) == (1, 2)


def test_plan_cache_is_bounded(sg):
    planner = QueryPlanner(sg, max_entries=3)
    cache = DocumentCache(sg.api_schema)
    for i in range(10):
        planner.plan(prepare_operation(sg.api_schema, cache.get(f"{{ a{i}: users {{ id }} }}"), None, None))
    assert len(planner._cache) == 3


def test_plan_printing_is_a_readable_tree(sg):
    text = plan(sg, "{ users { reviews { body } } }").print()
    assert text.startswith("QueryPlan {") and "Sequence {" in text
    assert 'Fetch(service: "users", id: 0)' in text and 'Flatten(path: "users.@")' in text
    assert 'Fetch(service: "reviews", id: 1, after: [0])' in text


def test_guild_composition_output_plans_the_same():
    sg = Supergraph((BENCH_DIR / "supergraph.guild.graphql").read_text())
    p = plan(sg, (BENCH_DIR / "operations" / "query.graphql").read_text())
    assert (p.fetch_count, p.depth) == (6, 4)


def test_typename_only_selection_is_a_valid_subgraph_query(sg):
    p = plan(sg, "{ users { __typename } }")
    assert op_text(p, "users") == "query{users{__typename}}"
