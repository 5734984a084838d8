
from router.executor.merge import collect, merge, read_representation
from router.executor.run import Execution
from router.operation import DocumentCache, prepare_operation
from router.planner import build_plan
from router.supergraph import Supergraph
from tests.support.supergraphs import router_sdl

SG = Supergraph(router_sdl())  # composed once per run (tests/support/supergraphs.py)


def respond(query, data, errors=()):
    op = prepare_operation(SG.api_schema, DocumentCache(SG.api_schema).get(query), None, None)
    ex = Execution(build_plan(SG, op), {}, None)
    ex.data = data
    ex.errors = list(errors)
    return ex.response()


def test_keys_in_query_order_and_planner_fields_dropped():
    r = respond("{ users { name id } }", {"users": [{"__typename": "User", "id": "u1", "name": "A", "_p_x": 1}]})
    assert list(r["data"]["users"][0]) == ["name", "id"]


def test_null_in_non_null_field_bubbles_to_nearest_nullable():
    # Review.strictFlaky is String!, reviews is [Review!]! -> the whole data is null
    r = respond("{ reviews { id strictFlaky } }", {"reviews": [{"id": "r1", "strictFlaky": None}]})
    assert r["data"] is None
    assert r["errors"][0]["path"] == ["reviews", 0, "strictFlaky"]


def test_null_stops_at_nullable_parent():
    r = respond('{ review(id: "r1") { id strictFlaky } me { id } }',
                {"review": {"id": "r1", "strictFlaky": None}, "me": {"id": "u1"}})
    assert r["data"] == {"review": None, "me": {"id": "u1"}}


def test_subgraph_errors_suppress_duplicate_null_errors():
    err = {"message": "boom", "path": ["reviews", 0, "strictFlaky"], "extensions": {"serviceName": "reviews"}}
    r = respond("{ reviews { strictFlaky } }", {"reviews": [{"strictFlaky": None}]}, [err])
    assert r["errors"] == [err] and r["data"] is None


def test_typename_is_filled_in_for_abstract_positions():
    r = respond("{ products { __typename upc } }", {"products": [{"__typename": "Book", "upc": "b1"}]})
    assert r["data"] == {"products": [{"__typename": "Book", "upc": "b1"}]}


def test_merge_is_deep_and_collect_follows_paths():
    a = {"u": [{"id": 1, "x": {"a": 1}}, None, {"id": 2, "x": {"a": 2}}]}
    merge(a["u"][0], {"x": {"b": 3}, "y": 4})
    assert a["u"][0] == {"id": 1, "x": {"a": 1, "b": 3}, "y": 4}
    assert [o["a"] for o in collect(a, ("u", "@", "x"))] == [1, 2]
    assert collect(a, ("u", "@", frozenset({"Nope"}))) == []


def test_representation_reader_skips_objects_missing_key_fields():
    reader = (("id", "id", None), ("dims", "dims", (("w", "w", None),)))
    assert read_representation({"id": 1, "dims": {"w": 2, "z": 0}}, reader) == {"id": 1, "dims": {"w": 2}}
    assert read_representation({"dims": {"w": 2}}, reader) is None
