"""Fixtures: the Node test subgraphs, routers built with their plugins, a stub subgraph."""

from __future__ import annotations

import pytest

from tests.integration.router_traffic.harness import Router, RouterProcess, StubSubgraph, h

@pytest.fixture(scope="session")
def subgraphs():
    if not h.node_available():
        pytest.fail("tests/node/node_modules missing: run `make node`")
    proc, port = h.start_node(h.HERE / "server.mjs", "0")
    yield port
    h.stop(proc)


@pytest.fixture
def supergraph_file(tmp_path, subgraphs):
    p = tmp_path / "supergraph.graphql"
    p.write_text(h.supergraph_for(subgraphs, h.closed_port()))
    return p


@pytest.fixture
def stub():
    s = StubSubgraph()
    yield s
    s.stop()


@pytest.fixture
def make_router(supergraph_file, tmp_path):
    started = []

    def make(config: str | None = None, env: dict | None = None) -> Router:
        path = None
        if config is not None:
            path = tmp_path / f"router{len(started)}.yaml"
            path.write_text(config)
        r = Router(str(supergraph_file), str(path) if path else None, env)
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()


@pytest.fixture
def make_router_process(supergraph_file, tmp_path):
    started = []

    def make(config: str, env: dict | None = None) -> RouterProcess:
        path = tmp_path / f"router-process{len(started)}.yaml"
        path.write_text(config)
        r = RouterProcess(str(supergraph_file), str(path), tmp_path / f"router-process{len(started)}.log", env)
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()


