import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "router"))
import router_harness as h  # noqa: E402


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
def make_router(supergraph_file, tmp_path):
    started = []

    def make(config: str | None = None, env: dict | None = None):
        cfg = None
        if config is not None:
            cfg = tmp_path / "router.yaml"
            cfg.write_text(config)
        r = h.RouterServer(str(supergraph_file), str(cfg) if cfg else None, env)
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()
