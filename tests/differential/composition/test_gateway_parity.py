"""`@apollo/gateway` runs our supergraph exactly as it runs Apollo's.

Real subgraph servers (Node @apollo/subgraph, in-memory data) listen on free
ports; we compose their SDLs with our composer and with `@apollo/composition`,
start one @apollo/gateway on each supergraph, and send the same operations to
both over HTTP. Answers must be equal, complete and error-free: the join
metadata we emit (keys, @requires, @provides, @interfaceObject) plans the
same fetches.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import httpx
import pytest

from supergraph.compose import SubgraphInput, compose

from .oracle import FIXTURES, HERE, Case, apollo_compose, load_case

QUERIES: dict[str, list[str]] = {
    "ok_reviews_products_accounts": [
        "{ topProducts { upc name price weight inStock shippingEstimate reviews { body rating author { username name } } } }",
        "{ me { id name username birthYear reviews { rating product { name shippingEstimate inStock } } } }",
        "{ users { name reviews { id author { name reviews { product { upc name } } } } } }",
        '{ product(upc: "p2") { name shippingEstimate reviews { author { username } } } }',
        "query Two($first: Int) { topProducts(first: $first) { name } }",
    ],
    "ok_interface_object": [
        "{ allMedia { __typename id title rating reviews { score text } ... on Book { author } ... on Movie { director } } }",
        "{ topRated { __typename id title rating ... on Movie { director } } }",
    ],
}


def _start(args: list[str]) -> tuple[subprocess.Popen[str], dict]:
    proc = subprocess.Popen(
        ["node", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "APOLLO_TELEMETRY_DISABLED": "1"},
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("READY "):
            return proc, json.loads(line[len("READY "):])
    proc.wait(timeout=10)
    raise RuntimeError(f"{args[0]} did not start: {proc.stderr.read() if proc.stderr else ''}")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def gateways(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, str]]]:
    """{case: {"ours": gateway url, "apollo": gateway url}} over the same running subgraphs."""
    subgraphs, urls = _start([str(HERE / "gateway" / "subgraphs.mjs"), *QUERIES])
    try:
        tmp = tmp_path_factory.mktemp("supergraphs")
        cases = []
        for name in QUERIES:
            fixture = load_case(FIXTURES / name)
            cases.append(Case(name, tuple((s, urls[name][s], sdl) for s, _, sdl in fixture.subgraphs)))
        theirs = apollo_compose(cases)
        args = []
        for case in cases:
            ours = compose([SubgraphInput(*s) for s in case.subgraphs])
            assert ours.ok, ours.errors
            assert theirs[case.name]["ok"], theirs[case.name]["errors"]
            (tmp / f"{case.name}.ours.graphql").write_text(ours.supergraph_sdl or "")
            (tmp / f"{case.name}.apollo.graphql").write_text(theirs[case.name]["supergraph"])
            args += [f"{case.name}.ours={tmp / f'{case.name}.ours.graphql'}",
                     f"{case.name}.apollo={tmp / f'{case.name}.apollo.graphql'}"]
        gateway_proc, gateway_urls = _start([str(HERE / "gateway" / "gateways.mjs"), *args])
        try:
            yield {name: {"ours": gateway_urls[f"{name}.ours"], "apollo": gateway_urls[f"{name}.apollo"]} for name in QUERIES}
        finally:
            _stop(gateway_proc)
    finally:
        _stop(subgraphs)


PARAMS = [(case, i) for case, queries in QUERIES.items() for i in range(len(queries))]


@pytest.mark.parametrize(("case", "index"), PARAMS, ids=[f"{c}-{i}" for c, i in PARAMS])
def test_same_answers_through_apollo_gateway(case: str, index: int, gateways: dict[str, dict[str, str]]) -> None:
    query = QUERIES[case][index]
    body = {"query": query, "variables": {"first": 2}}
    answers = {}
    with httpx.Client(timeout=30) as client:
        for who, url in gateways[case].items():
            response = client.post(url, json=body, headers={"apollo-require-preflight": "true"})
            assert response.status_code == 200, response.text
            answers[who] = response.json()
    assert "errors" not in answers["apollo"], answers["apollo"]
    assert answers["ours"] == answers["apollo"]
    data = answers["ours"]["data"]
    assert data and all(v not in (None, []) for v in data.values())


def test_both_gateways_answer_every_operation() -> None:
    """How many operations the parametrized comparison above sends to both gateways."""
    assert len(PARAMS) == 7 and {case for case, _ in PARAMS} == set(QUERIES)
