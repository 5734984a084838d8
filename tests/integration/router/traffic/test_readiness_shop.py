"""Deep readiness end to end: the shop's router (health.probe: ready) in front of the real shop
says not ready while the store is down, because each subgraph's own /ready does; and all of
them answer health in one shape."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.support.harness import RouterServer
from tests.support.shop import Shop, supergraph_sdl
from tests.support.wait import wait_for

ROOT = Path(__file__).resolve().parents[4]
SHAPE = {"service", "version", "status", "timestamp", "checks"}


@pytest.fixture
def router(shop: Shop, tmp_path: Path):  # type: ignore[no-untyped-def]
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(shop))
    r = RouterServer(supergraph, ROOT / "router" / "router.yaml",
                     env={"USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json"})
    yield r
    r.stop()


async def answers(http: httpx.AsyncClient, url: str, status: int, timeout: float = 30.0) -> dict:
    last: list[object] = [None]

    async def answered() -> dict | None:
        response = await http.get(url, timeout=5)
        last[0] = response.status_code
        return dict(response.json()) if response.status_code == status else None

    body = await wait_for(answered, timeout, 0.2)
    assert body is not None, f"{url} answered {last[0]}, expected {status}"
    return body


async def test_router_and_subgraphs_answer_health_in_one_shape(http, shop: Shop, router) -> None:  # type: ignore[no-untyped-def]
    bases = {"router": router.base, **{name: shop.base(name) for name in ("users", "orders", "payments")}}
    for name, base in bases.items():
        for path in ("/health", "/ready"):
            body = (await http.get(base + path)).json()
            assert set(body) == SHAPE and body["service"] == name, (name, path, body)
            assert all(value == "ok" for value in body["checks"].values()), body
    ready = (await http.get(router.base + "/ready")).json()
    assert ready["checks"] == {"supergraph": "ok", "subgraph:orders": "ok", "subgraph:payments": "ok",
                               "subgraph:users": "ok"}


async def test_router_is_not_ready_while_the_subgraphs_database_is_down(http, shop: Shop, router) -> None:  # type: ignore[no-untyped-def]
    await answers(http, router.base + "/ready", 200)
    shop.store.kill()
    try:
        body = await answers(http, router.base + "/ready", 503)
        assert body["status"] == "unavailable"
        assert {body["checks"][f"subgraph:{name}"] for name in ("users", "orders", "payments")} == {"down"}
        assert "127.0.0.1" not in str(body)
    finally:
        await asyncio.to_thread(shop.store.start)
    await answers(http, router.base + "/ready", 200)
