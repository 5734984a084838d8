"""Fixtures: routers as separate processes, a stub subgraph (the Node test subgraphs and
in-thread routers come from tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.integration.router_traffic.harness import RouterProcess, StubSubgraph


@pytest.fixture
def stub():
    s = StubSubgraph()
    yield s
    s.stop()


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


