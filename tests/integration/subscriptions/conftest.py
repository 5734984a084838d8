"""Routers in front of the real shop (the session's `shop`, tests/conftest.py) for the
subscription tests, and the clients of tests/fixtures/subscriptions."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import harness as h

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
sys.path.insert(0, str(FIXTURES / "subscriptions"))

import tick_subgraphs as ticks  # noqa: E402
from live import Served, serve_router  # noqa: E402
from tick_router import JWT  # noqa: E402


@pytest.fixture(scope="module")
def shop_routers(shop, tmp_path_factory) -> Iterator[Callable[[str], h.RouterServer]]:
    """Routers with the shop's router.yaml (plus `extra` YAML merged over it through
    `extends:`), in front of the session's shop, tokens verified against the users JWKS."""
    from tests.support.shop import supergraph_sdl

    root = tmp_path_factory.mktemp("shop-live")
    supergraph = root / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(shop))
    base = root / "router.yaml"
    base.write_text((h.ROOT / "router" / "router.yaml").read_text())
    started: list[h.RouterServer] = []

    def make(extra: str = "") -> h.RouterServer:
        r = h.yaml_router(supergraph, f"extends: {base}\n{extra}", root,
                     env={"USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json"})
        started.append(r)
        return r

    yield make
    for r in started:
        r.stop()


@pytest.fixture(scope="module")
def shop_router(shop_routers):
    return shop_routers("")


# The tick subgraphs (tests/fixtures/subscriptions/tick_subgraphs.py) and routers in front of them.
@pytest.fixture(scope="module")
def extra():
    s = Served(ticks.app(ticks.extra_schema))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def tick_server():
    s = Served(ticks.app(ticks.ticks_schema))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def routers(tick_server, extra, tmp_path_factory):
    made: list[Served] = []
    tmp = tmp_path_factory.mktemp("tick-routers")

    def make(config: str = JWT, ticks_url: str | None = None) -> Served:
        r = serve_router(ticks.supergraph(ticks_url or tick_server.url, extra.url), config, tmp)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


@pytest.fixture(scope="module")
def router(routers):
    return routers()
