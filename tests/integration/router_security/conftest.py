"""Fixtures: the Node security test subgraphs (one process for the session), the supergraph
pointed at them, a JWKS server, routers built from router.yaml text, and the real shop behind a
router with the shop's own router.yaml."""

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "router_security"))
import harness as h  # noqa: E402


@pytest.fixture(scope="session")
def subgraph_port():
    if not h.node_available():
        pytest.fail("tests/node/node_modules missing: run `make node`")
    proc, port = h.start_node(h.HERE / "server.mjs", "0")
    yield port
    h.stop(proc)


@pytest.fixture(scope="session")
def supergraph_file(subgraph_port, tmp_path_factory):
    p = tmp_path_factory.mktemp("sec") / "supergraph.graphql"
    p.write_text(h.supergraph_for(subgraph_port))
    return p


@pytest.fixture
def reset(subgraph_port):
    httpx.post(f"http://127.0.0.1:{subgraph_port}/reset", timeout=10)
    return lambda: httpx.get(f"http://127.0.0.1:{subgraph_port}/state", timeout=10).json()


@pytest.fixture(scope="session")
def rsa_key():
    return h.SigningKey("k1")


@pytest.fixture(scope="session")
def jwks(rsa_key):
    server = h.JwksServer([rsa_key])
    yield server
    server.close()


@pytest.fixture(scope="module")
def module_router(supergraph_file, tmp_path_factory):
    """One router per test module: `module_router(config)` (the config must not change)."""
    started = {}

    def make(config: str) -> h.Router:
        if config not in started:
            started[config] = h.Router(supergraph_file, config, tmp_path_factory.mktemp("router"))
        return started[config]

    yield make
    for r in started.values():
        r.stop()


@pytest.fixture
def make_router(supergraph_file, tmp_path):
    started = []

    def make(config: str, env: dict | None = None, supergraph: Path | None = None) -> h.Router:
        r = h.Router(supergraph or supergraph_file, config, tmp_path, env)
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()


@pytest.fixture(scope="module")
def shop_router(shop, tmp_path_factory):
    """The session's shop (tests/conftest.py) behind a router with the checked-in supergraph's
    composition of it and the shop's router.yaml, tokens verified against the users JWKS."""
    from tests.support.shop import supergraph_sdl

    root = tmp_path_factory.mktemp("shop-router")
    supergraph = root / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(shop))
    config = (h.ROOT / "router" / "router.yaml").read_text()
    r = h.Router(supergraph, config, root, env={"USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json"})
    yield r
    r.stop()
