"""The router test harness, one for every router integration test.

From tests/conftest.py (shared with other packages): `subgraphs` (the router's Node test
subgraphs), `supergraph_file` (composed over them) and `make_router` (in-thread routers in front
of them). Here, on top:

- routers as separate processes (`make_router_process`) and a scriptable stub subgraph (`stub`);
- the security suite: its own Node subgraphs (`security_subgraph_port`, `security_supergraph_file`,
  `reset`), a signing key and a JWKS server (`rsa_key`, `jwks`), routers built from router.yaml
  text in front of them (`make_security_router`: `router_factory` bound to them, and
  `module_security_router`, one per module), and the real shop behind a router with the shop's
  own router.yaml (`shop_router`)."""

from pathlib import Path

import httpx
import pytest

from tests.support import harness as h
from tests.support.harness import RouterProcess, StubSubgraph
from tests.support.supergraphs import security_supergraph


@pytest.fixture
def stub():
    s = StubSubgraph()
    yield s
    s.stop()


@pytest.fixture
def make_router_process(supergraph_file, tmp_path):
    """`python -m router` processes in front of the router's test subgraphs."""
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


@pytest.fixture(scope="session")
def security_subgraph_port():
    if not h.node_available():
        pytest.fail("tests/node/node_modules missing: run `make node`")
    proc, port = h.start_subgraphs(h.SECURITY_FIXTURES)
    yield port
    h.stop(proc)


@pytest.fixture(scope="session")
def security_supergraph_file(security_subgraph_port, tmp_path_factory):
    p = tmp_path_factory.mktemp("sec") / "supergraph.graphql"
    p.write_text(security_supergraph(security_subgraph_port))
    return p


@pytest.fixture
def reset(security_subgraph_port):
    httpx.post(f"http://127.0.0.1:{security_subgraph_port}/reset", timeout=10)
    return lambda: httpx.get(f"http://127.0.0.1:{security_subgraph_port}/state", timeout=10).json()


@pytest.fixture(scope="session")
def rsa_key():
    return h.SigningKey("k1")


@pytest.fixture(scope="session")
def jwks(rsa_key):
    server = h.JwksServer([rsa_key])
    yield server
    server.close()


@pytest.fixture(scope="module")
def module_security_router(security_supergraph_file, tmp_path_factory):
    """One router per test module: `module_security_router(config)` (the config must not change)."""
    started = {}

    def make(config: str) -> h.RouterServer:
        if config not in started:
            started[config] = h.yaml_router(security_supergraph_file, config, tmp_path_factory.mktemp("router"))
        return started[config]

    yield make
    for r in started.values():
        r.stop()


@pytest.fixture
def make_security_router(security_supergraph_file, router_factory):
    """`router_factory` (tests/conftest.py) in front of the security subgraphs."""

    def make(config: str, env: dict | None = None, supergraph: Path | None = None):
        return router_factory(supergraph or security_supergraph_file, config, env)

    return make


@pytest.fixture(scope="module")
def shop_router(shop, tmp_path_factory):
    """The session's shop (tests/conftest.py) behind a router with the checked-in supergraph's
    composition of it and the shop's router.yaml, tokens verified against the users JWKS."""
    from tests.support.shop import supergraph_sdl

    root = tmp_path_factory.mktemp("shop-router")
    supergraph = root / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(shop))
    config = (h.ROOT / "router" / "router.yaml").read_text()
    r = h.yaml_router(supergraph, config, root, env={"USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json"})
    yield r
    r.stop()
