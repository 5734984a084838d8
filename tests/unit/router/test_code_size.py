"""The size of a plan's generated executor code grows as the code is made: nothing before the
first execution, the fast shape and gathering after it, the full shape once a response needed it."""

from pathlib import Path

from router.executor.code_size import plan_code_bytes
from router.executor.run import Execution
from router.operation import DocumentCache, prepare_operation
from router.planner import build_plan
from router.supergraph import Supergraph

SG = Supergraph((Path(__file__).resolve().parents[2] / "fixtures" / "router" / "supergraph.graphql").read_text())
QUERY = "{ reviews { body product { upc name } } }"


def plan_for(query: str):
    return build_plan(SG, prepare_operation(SG.api_schema, DocumentCache(SG.api_schema).get(query), None, None))


def answers(name_of_b1: object):
    async def send(service: str, body: bytes) -> dict:
        if service == "reviews":
            return {"data": {"reviews": [{"body": "x", "product": {"__typename": "Product", "upc": u}}
                                         for u in ("b1", "f1")]}}
        return {"data": {"_entities": [{"__typename": "Book", "name": name_of_b1},
                                       {"__typename": "Furniture", "name": "F1"}]}}
    return send


async def run(plan, send) -> dict:
    ex = Execution(plan, {}, send)
    await ex.run()
    return ex.response()


async def test_generated_code_is_counted_as_it_is_compiled():
    plan = plan_for(QUERY)
    assert plan_code_bytes(plan) == 0
    await run(plan, answers("B1"))
    fast = plan_code_bytes(plan)
    gather_only = sum(1 for f in plan.fetches for c in f.calls if c.gather is not None)
    assert gather_only == 1
    assert 2_000 < fast < 100_000
    plan.shape = None  # the gathering alone
    assert 0 < plan_code_bytes(plan) < fast
    await run(plan, answers("B1"))
    assert plan_code_bytes(plan) == fast
    # Product.name is non-null: a null gives way to the full functions, compiled now
    out = await run(plan, answers(None))
    assert out["data"]["reviews"][0]["product"] is None
    assert plan_code_bytes(plan) > fast
