"""The plan cache's byte estimate against what a cached plan really holds, and cached entries
freed by reference counting when evicted (not left for a full collection)."""

from __future__ import annotations

import gc
import json
import tracemalloc
import weakref
from pathlib import Path
from typing import Any

import pytest

from router.config import ConfigError, load_config
from router.executor.footprint import compile_plan
from router.operation import DocumentCache, Operation, prepare_operation
from router.planner import QueryPlanner
from router.supergraph import Supergraph

ROOT = Path(__file__).resolve().parents[3]
BENCH = ROOT / "bench"
CORPUS = ROOT / "tests" / "fixtures" / "federations" / "compound_key_1"
BUYER_ROUND_TRIP = "query BuyerRoundTrip { orders { number buyer { name orderCount orders { number buyer { name } } } } }"


def _bench(name: str) -> tuple[Supergraph, str, str | None]:
    body = json.loads((BENCH / "operations" / name).read_text())
    return Supergraph((BENCH / "supergraph.graphql").read_text()), body["query"], body.get("operationName")


def _cases() -> list[tuple[str, Supergraph, str, str | None]]:
    cases = [(label, *_bench(f)) for label, f in
             (("bench", "body.json"), ("one-fetch", "one-fetch.body.json"), ("catalog", "catalog.body.json"))]
    cases.append(("corpus compound_key_1", Supergraph((CORPUS / "supergraph.graphql").read_text()),
                  BUYER_ROUND_TRIP, "BuyerRoundTrip"))
    return cases


def _operation(sg: Supergraph, query: str, name: str | None) -> Operation:
    return prepare_operation(sg.api_schema, DocumentCache(sg.api_schema).get(query), name, {})


def _measured(planner: QueryPlanner, op: Operation) -> tuple[int, Any]:
    """Bytes tracemalloc sees allocated and kept by planning (and compiling) `op` once more."""
    planner.plan(op)  # first time: the planner's and the compilers' own one-time allocations
    planner._cache.clear()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        plan = planner.plan(op)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before, plan
    finally:
        tracemalloc.stop()


def test_the_estimate_is_within_a_factor_of_two_of_the_measured_memory() -> None:
    compared = 0
    for label, sg, query, name in _cases():
        op = _operation(sg, query, name)
        planner = QueryPlanner(sg, 10, 1 << 40, compile_plan)
        measured, plan = _measured(planner, op)
        assert plan.shape is not None  # compiled before it was cached, so it is in the weight
        estimate = planner._cache.weight
        assert 0.5 <= estimate / measured <= 2.0, (label, estimate, measured)
        compared += 1
    assert compared == 4


def test_compiled_code_is_most_of_a_large_plan() -> None:
    """BenchQuery: without its compiled code the estimate would be about half the plan."""
    sg, query, name = _bench("body.json")
    op = _operation(sg, query, name)
    bare, with_code = QueryPlanner(sg, 10), QueryPlanner(sg, 10, prepare=compile_plan)
    bare.plan(op)
    with_code.plan(op)
    assert with_code._cache.weight > 1.8 * bare._cache.weight


def test_the_byte_bound_limits_the_plans_kept() -> None:
    sg, query, name = _bench("body.json")
    ops = [_operation(sg, query.replace("query BenchQuery", f"query BenchQuery{i}"), f"BenchQuery{i}")
           for i in range(6)]
    probe = QueryPlanner(sg, 10, prepare=compile_plan)
    probe.plan(ops[0])
    one = probe._cache.weight
    planner = QueryPlanner(sg, 100, int(2.5 * one), compile_plan)
    for op in ops:
        planner.plan(op)
    assert len(planner._cache) == 2 and planner._cache.weight <= 2.5 * one


def test_an_evicted_plan_and_its_code_are_freed_without_a_collection() -> None:
    sg, query, name = _bench("body.json")
    first, second = (_operation(sg, query.replace("query BenchQuery", f"query B{i}"), f"B{i}") for i in range(2))
    planner = QueryPlanner(sg, 1, prepare=compile_plan)
    gc.disable()
    try:
        plan = planner.plan(first)
        gather = next(c.gather for f in plan.fetches for c in f.calls)
        refs = [weakref.ref(plan), weakref.ref(plan.shape), weakref.ref(gather)]
        del plan, gather
        planner.plan(second)  # evicts the first
        assert [r() for r in refs] == [None, None, None]
    finally:
        gc.enable()


def test_a_plan_in_use_keeps_its_code_after_eviction() -> None:
    sg, query, name = _bench("one-fetch.body.json")
    planner = QueryPlanner(sg, 1, prepare=compile_plan)
    plan = planner.plan(_operation(sg, query, name))
    planner.plan(_operation(sg, "query Other { me { id } }", "Other"))  # evicts it; a request still holds it
    gc.collect()
    data = {"me": {"id": "1", "name": "Ada", "username": "ada"}}
    assert plan.shape(data, None, []) is not None  # the namespaces are only emptied once the plan is freed


def test_an_evicted_document_is_freed_without_a_collection() -> None:
    sg, query, _ = _bench("body.json")
    docs = DocumentCache(sg.api_schema, 4)
    gc.disable()
    try:
        docs.get(query)
        gc.collect()  # what parsing and validation left (their own cycles), not the cached document
        docs._docs.clear()  # evicts it without parsing anything new
        assert gc.collect() == 0  # nothing of it was left for the collector: no token cycles
    finally:
        gc.enable()


def test_plan_cache_bytes_setting(tmp_path: Path) -> None:
    assert load_config(None, env={}).plan_cache_bytes == 64 * 1024 * 1024
    path = tmp_path / "router.yaml"
    path.write_text("plan:\n  cache_bytes: 1048576\n")
    assert load_config(str(path), env={}).plan_cache_bytes == 1 << 20
    path.write_text("plan:\n  cache_bytes: -1\n")
    with pytest.raises(ConfigError):
        load_config(str(path), env={})


def test_the_soak_operations_are_distinct_and_valid() -> None:
    from bench.soak import distinct_operations

    sg = Supergraph((BENCH / "supergraph.graphql").read_text())
    bodies = [json.loads(b) for b in distinct_operations(300)]
    assert len({b["query"] for b in bodies}) == 300
    planner = QueryPlanner(sg, 1000, prepare=compile_plan)
    docs = DocumentCache(sg.api_schema, 1000)
    fetches = set()
    for b in bodies:  # OperationError or PlanningError would fail the test
        plan = planner.plan(prepare_operation(sg.api_schema, docs.get(b["query"]), b["operationName"], {}))
        fetches.add(len(plan.fetches))
    assert len(planner._cache) == 300 and len(fetches) >= 3  # plans of different sizes, not one shape
