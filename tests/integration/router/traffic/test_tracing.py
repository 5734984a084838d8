"""The trace goes on from the router into a real shop subgraph (users over the embedded
store): the subgraph's server span, and so its JSON log lines, carry the router's trace id."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.harness import RouterServer, post
from tests.support.shop import supergraph_sdl
from tests.support.wait import wait_until


@pytest.fixture(scope="module")
def users(shop, tmp_path_factory):
    supergraph = tmp_path_factory.mktemp("tracing") / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(shop))
    return supergraph, shop.logs["users"], shop.url("users")


def subgraph_lines(log: Path, request_id: str) -> list[dict]:
    def found() -> list[dict]:
        lines = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
        return [x for x in lines if x.get("request_id") == request_id]

    lines = wait_until(found, 5, 0.05)
    if not lines:
        raise AssertionError(f"no log line of request {request_id} in {log.read_text()[-2000:]}")
    return lines


def test_subgraph_continues_the_routers_trace(users, tmp_path, capsys):
    supergraph, log, _ = users
    cfg = tmp_path / "router.yaml"
    cfg.write_text("telemetry:\n  tracing: { enabled: true, exporter: none }\n  access_log: { enabled: true }\n")
    r = RouterServer(str(supergraph), str(cfg))
    try:
        capsys.readouterr()
        resp = post(r.url, '{ user(id: "000000000000000000000000") { id username } }', headers={"x-request-id": "trace-1"})
        assert resp.status_code == 200 and resp.json()["data"] == {"user": None}
        access = wait_until(lambda: [json.loads(x) for x in capsys.readouterr().out.splitlines()
                                     if '"router.access"' in x], 5)
        assert access
        router_trace = access[0]["trace_id"]
        assert len(router_trace) == 32 and int(router_trace, 16) != 0
        at_subgraph = subgraph_lines(log, "trace-1")  # the router forwarded its request id
        assert {x["trace_id"] for x in at_subgraph} == {router_trace}

        # a client's own traceparent is continued end to end
        client_trace = uuid.uuid4().hex
        traceparent = f"00-{client_trace}-{uuid.uuid4().hex[:16]}-01"
        post(r.url, '{ user(id: "000000000000000000000000") { id } }',
             headers={"traceparent": traceparent, "x-request-id": "trace-2"})
        at_subgraph = subgraph_lines(log, "trace-2")
        assert {x["trace_id"] for x in at_subgraph} == {client_trace}
        assert all(x["span_id"] != traceparent.split("-")[2] for x in at_subgraph)  # a span of its own
    finally:
        r.stop()


def test_subgraph_starts_a_trace_without_traceparent(users):
    _, log, url = users
    httpx.post(url, json={"query": "{ __typename }"}, headers={"x-request-id": "trace-3"})
    (line, *_) = subgraph_lines(log, "trace-3")
    assert len(line["trace_id"]) == 32 and int(line["trace_id"], 16) != 0
