"""Executor behaviour with a scripted subgraph `send` (no network): batching, de-duplicated
representations, merging, error re-pathing."""


import orjson

from router.executor.run import Execution, SubgraphError
from router.operation import DocumentCache, prepare_operation
from router.planner import build_plan
from router.supergraph import Supergraph
from tests.support.supergraphs import router_sdl

SG = Supergraph(router_sdl())  # composed once per run (tests/support/supergraphs.py)


def plan_for(query):
    return build_plan(SG, prepare_operation(SG.api_schema, DocumentCache(SG.api_schema).get(query), None, None))


async def test_duplicate_representations_are_sent_once_and_merged_everywhere():
    sent = []

    async def send(service, body):
        req = orjson.loads(body)
        sent.append((service, req))
        if service == "reviews":
            return {"data": {"reviews": [{"product": {"__typename": "Product", "upc": u}} for u in ("b1", "b1", "f1")]}}
        reps = req["variables"]["representations"]
        return {"data": {"_entities": [{"__typename": "Book" if r["upc"] == "b1" else "Furniture",
                                        "name": r["upc"].upper()} for r in reps]}}

    ex = Execution(plan_for("{ reviews { product { name } } }"), {}, send)
    await ex.run()
    assert [s for s, _ in sent] == ["reviews", "products"]
    assert sent[1][1]["variables"]["representations"] == [{"__typename": "Product", "upc": "b1"},
                                                          {"__typename": "Product", "upc": "f1"}]
    assert ex.response() == {"data": {"reviews": [{"product": {"name": "B1"}}, {"product": {"name": "B1"}},
                                                  {"product": {"name": "F1"}}]}}


async def test_entity_errors_are_repathed_to_every_affected_position():
    async def send(service, body):
        if service == "users":
            return {"data": {"users": [{"__typename": "User", "id": "u1"}, {"__typename": "User", "id": "u1"}]}}
        return {"data": {"_entities": [None]},
                "errors": [{"message": "nope", "path": ["_entities", 0, "reviewCount"]}]}

    ex = Execution(plan_for("{ users { id reviewCount } }"), {}, send)
    await ex.run()
    r = ex.response()
    assert sorted(e["path"] for e in r["errors"]) == [["users", 0, "reviewCount"], ["users", 1, "reviewCount"]]
    assert all(e["extensions"]["serviceName"] == "reviews" for e in r["errors"])
    assert r["data"] is None  # reviewCount is Int!, users is [User!]!


async def test_failed_subgraph_gives_partial_data():
    async def send(service, body):
        if service == "users":
            return {"data": {"me": {"id": "u1"}}}
        raise SubgraphError(service, "down")

    ex = Execution(plan_for("{ me { id } legacyStatus }"), {}, send)
    await ex.run()
    r = ex.response()
    assert r["data"] == {"me": {"id": "u1"}, "legacyStatus": None}
    assert r["errors"][0]["extensions"] == {"code": "SUBGRAPH_REQUEST_FAILED", "serviceName": "legacy"}
    assert r["errors"][0]["path"] == ["legacyStatus"]


async def test_a_failed_entity_fetch_points_at_the_first_field_it_would_fill():
    async def send(service, body):
        if service == "reviews":
            return {"data": {"reviews": [{"body": "ok", "product": {"__typename": t, "upc": u}}
                                         for t, u in (("Book", "b1"), ("Furniture", "f1"))]}}
        raise SubgraphError(service, "circuit open", "SUBGRAPH_CIRCUIT_OPEN")

    ex = Execution(plan_for("{ reviews { body product { name } } }"), {}, send)
    await ex.run()
    r = ex.response()
    assert [e["extensions"]["code"] for e in r["errors"]] == ["SUBGRAPH_CIRCUIT_OPEN"]
    assert r["errors"][0]["path"] == ["reviews", 0, "product", "name"]
    assert r["data"]["reviews"][1]["body"] == "ok"


async def test_a_finished_parallel_execution_leaves_no_cyclic_garbage():
    """A response held in a reference cycle is only freed by a full collection: under load that
    is megabytes kept per second and long pauses. Reference counting alone must free it."""
    import gc

    async def send(service, body):
        if service == "users":
            return {"data": {"me": {"id": "u1"}}}
        return {"data": {"reviews": [{"body": "b%d" % i} for i in range(50)]}}

    plan = plan_for("{ me { id } reviews { body } }")
    assert not plan.chain  # two fetches in parallel: the task scheduler runs
    ex = Execution(plan, {}, send)
    await ex.run()
    ex.response()  # the first response compiles the shape: those objects live with the plan
    gc.collect()
    gc.disable()
    try:
        ex = Execution(plan, {}, send)
        await ex.run()
        assert len(ex.response()["data"]["reviews"]) == 50
        del ex
        assert gc.collect() == 0
    finally:
        gc.enable()
