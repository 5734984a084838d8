"""The planner's side of @defer (planner/defer.py, planner/defer_parts.py): the primary part
planned first, each deferred fragment in fetches of its own where a null could otherwise reach
the initial payload; nothing changes without an active defer."""

from pathlib import Path

import pytest

from router.operation import DocumentCache, prepare_operation
from router.planner import QueryPlanner, build_plan, plan_shape
from router.supergraph import Supergraph

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "router" / "supergraph.graphql"


@pytest.fixture(scope="module")
def sg():
    return Supergraph(FIXTURE.read_text())


def op(sg, query, variables=None):
    return prepare_operation(sg.api_schema, DocumentCache(sg.api_schema).get(query), None, variables)


def plan(sg, query, variables=None):
    return build_plan(sg, op(sg, query, variables))


def by_service(p, ids):
    return sorted(p.fetches[i].service for i in ids)


def test_deferred_fields_of_another_subgraph_are_left_out_of_the_primary_part(sg):
    p = plan(sg, '{ products { upc ... @defer(label: "rev") { reviews { body } } } }')
    whole = plan(sg, "{ products { upc ... { reviews { body } } } }")
    assert plan_shape(p) == plan_shape(whole)  # the same fetches as without @defer
    d = p.defer
    assert by_service(p, d.primary_fetches) == ["products"]
    (deferred,) = d.deferred
    assert deferred.label == "rev" and [k for k, _ in deferred.steps] == ["products"]
    assert by_service(p, deferred.fetches) == ["products", "reviews"]  # its own fetch, after the primary's
    assert d.owner[next(f.id for f in p.fetches if f.service == "reviews")] == deferred.id


def test_a_nullable_deferred_field_of_the_parents_fetch_waits_for_nothing_more(sg):
    p = plan(sg, "{ reviews { id ... @defer { flaky } } }")
    (deferred,) = p.defer.deferred
    assert set(deferred.fetches) <= set(p.defer.primary_fetches) and len(p.fetches) == 1
    assert deferred.label is None and deferred.keys == frozenset({"flaky"})


def test_a_non_null_deferred_field_gets_an_entity_fetch_of_its_own(sg):
    """Fetched with `id`, a failing `strictFlaky: String!` would null the review in the
    subgraph's answer (and `reviews: [Review!]!` with it): the initial payload's data."""
    p = plan(sg, "{ reviews { id ... @defer { strictFlaky } } }")
    (deferred,) = p.defer.deferred
    (primary,) = p.defer.primary_fetches
    assert "strictFlaky" not in p.fetches[primary].operation
    own = [p.fetches[i] for i in deferred.fetches if i != primary]
    assert [(f.service, f.root, f.part) for f in own] == [("reviews", False, deferred.id)]
    assert "_entities" in own[0].operation and "strictFlaky" in own[0].operation
    assert p.defer.owner[own[0].id] == deferred.id


def test_deferred_fetches_are_never_merged_with_the_primary_parts(sg):
    p = plan(sg, "{ users { id reviews { id } ... @defer { reviews { strictFlaky } } } }")
    (deferred,) = p.defer.deferred
    primary_text = " ".join(p.fetches[i].operation for i in p.defer.primary_fetches)
    assert "strictFlaky" not in primary_text
    assert any("strictFlaky" in p.fetches[i].operation for i in deferred.fetches
               if i not in p.defer.primary_fetches)


def test_a_root_level_deferred_fragment_gets_root_fetches_of_its_own(sg):
    p = plan(sg, '{ me { id } ... @defer(label: "top") { reviews { id } } }')
    (deferred,) = p.defer.deferred
    own = [p.fetches[i] for i in deferred.fetches]
    assert [(f.service, f.root) for f in own] == [("reviews", True)]
    assert by_service(p, p.defer.primary_fetches) == ["users"]


def test_nested_and_spread_fragments(sg):
    p = plan(sg, 'query { users { id ...U @defer(label: "u") } } '
                 'fragment U on User { name ... @defer(label: "r") { reviews { id } } }')
    outer, inner = p.defer.deferred
    assert (outer.label, outer.parent, inner.label, inner.parent) == ("u", None, "r", outer.id)
    assert "reviews" in by_service(p, inner.fetches) and "reviews" not in by_service(p, p.defer.primary_fetches)


def test_no_active_defer_keeps_todays_plan(sg):
    assert plan(sg, "{ products { upc name } }").defer is None
    off = plan(sg, "{ products { upc ... @defer(if: false) { name } } }")
    assert off.defer is None and "Defer" not in off.print()
    q = "query($d: Boolean!) { products { upc ... @defer(if: $d) { reviews { body } } } }"
    assert plan(sg, q, {"d": False}).defer is None and plan(sg, q, {"d": True}).defer is not None
    planner = QueryPlanner(sg)  # the plan cache keys on the defer's variable
    assert planner.plan(op(sg, q, {"d": True})).defer is not None
    assert planner.plan(op(sg, q, {"d": False})).defer is None


def test_printed_like_apollos_defer_node(sg):
    text = plan(sg, '{ products { upc ... @defer(label: "rev") { reviews { body } } } }').print()
    assert text.startswith("QueryPlan {\n  Defer {\n    Primary {")
    assert 'Deferred(id: 0, depends: [0], path: "products", label: "rev") {' in text
    assert "{ reviews }:" in text
