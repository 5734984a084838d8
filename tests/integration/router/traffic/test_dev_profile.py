"""`make dev`'s router profile (router/router.dev.yaml) in front of the real shop: a browser app
on http://localhost:5173 gets its CORS preflight answered, exploring is not cut off after 100
requests; the production router.yaml answers no other origin and keeps its 100 / 15 min."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.harness import RouterServer
from tests.support.shop import supergraph_sdl

ROOT = Path(__file__).resolve().parents[4]
PREFLIGHT = {"access-control-request-method": "POST", "access-control-request-headers": "content-type, authorization"}


@pytest.fixture(scope="module")
def routers(shop, tmp_path_factory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("dev-profile")
    supergraph = root / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(shop))
    env = {"USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json"}
    started = {name: RouterServer(supergraph, ROOT / "router" / f"{name}.yaml", env=env)
               for name in ("router.dev", "router")}
    yield started
    for r in started.values():
        r.stop()


def test_dev_profile_answers_a_localhost_app_and_no_other_origin(routers) -> None:  # type: ignore[no-untyped-def]
    dev = routers["router.dev"]
    ok = httpx.options(dev.url, headers={"origin": "http://localhost:5173", **PREFLIGHT})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "POST" in ok.headers["access-control-allow-methods"]
    assert "authorization" in ok.headers["access-control-allow-headers"].lower()
    answer = httpx.post(dev.url, json={"query": "{ products { id } }"}, headers={"origin": "http://localhost:5173"})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert answer.json()["data"]["products"]

    for origin in ("https://evil.example", "http://localhost.evil.example"):
        refused = httpx.options(dev.url, headers={"origin": origin, **PREFLIGHT})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers

    prod = routers["router"]
    strict = httpx.options(prod.url, headers={"origin": "http://localhost:5173", **PREFLIGHT})
    assert "access-control-allow-origin" not in strict.headers


def test_dev_profile_does_not_cut_off_exploring_after_100_requests(routers) -> None:  # type: ignore[no-untyped-def]
    with httpx.Client(timeout=30) as client:
        dev = [client.post(routers["router.dev"].url, json={"query": "{ __typename }"}).status_code
               for _ in range(120)]
        prod = [client.post(routers["router"].url, json={"query": "{ __typename }"}).status_code
                for _ in range(101)]
    assert dev == [200] * 120
    assert prod == [200] * 100 + [429]
