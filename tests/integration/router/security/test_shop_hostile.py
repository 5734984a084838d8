"""The shop behind the router with the shop's router.yaml, under hostile operations: the nested
orders fan-out passes the router's shape limits but the orders subgraph refuses it by cost before doing any work, and keeps answering others."""

import socket
import time

import httpx
import jwt
import pytest

from subgraphs.orders.catalogue import SEED_PRODUCTS
from subgraphs.users.tokens import TokenIssuer, load_private_key
from tests.support.harness import ROOT, gql, register, yaml_router
from tests.support.shop import supergraph_sdl

PRODUCT = next(p for p in SEED_PRODUCTS if p.get("available", True))
CREATE = "mutation($i: [OrderItemInput!]!) { createOrder(items: $i) { id } }"


def nested(levels: int, first: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"user {{ orders(first: {first}) {{ nodes {{ id {inner} }} }} }}"
    return "query($id: ID!) { order(id: $id) { id %s } }" % inner


@pytest.fixture(scope="module")
def router(shop_router):
    return shop_router


def test_nested_orders_through_the_router_are_refused_by_cost(router):
    token = register(router)["token"]
    status, body = gql(router, CREATE, token, {"i": [{"productId": PRODUCT["id"], "quantity": 1}]})
    assert status == 200 and "errors" not in body, body
    order_id = body["data"]["createOrder"]["id"]

    status, body = gql(router, nested(4, 30), token, {"id": order_id})
    assert status == 400, body  # refused by the router's demand control, before any fetch
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "COST_ESTIMATED_TOO_EXPENSIVE"
    assert error["extensions"]["cost"]["estimated"] > error["extensions"]["cost"]["max"] == 10000

    status, body = gql(router, "query($id: ID!) { order(id: $id) { id user { orders(first: 5) { nodes { id } } } } }",
                       token, {"id": order_id})
    assert status == 200 and body == {"data": {"order": {"id": order_id, "user": {"orders": {"nodes": [{"id": order_id}]}}}}}


def test_the_router_refuses_a_signed_token_without_the_claims_subgraphs_require(router, shop):
    issuer = TokenIssuer(load_private_key(str(shop.keys_dir / "jwt-private.pem")), issuer="shop-users",
                         audience="shop", ttl_seconds=300)
    now = int(time.time())
    good = {"sub": "u1", "iat": now, "exp": now + 300, "iss": "shop-users", "aud": "shop", "scope": "orders:read"}
    for missing in ("sub", "iat"):
        claims = {k: v for k, v in good.items() if k != missing}
        token = jwt.encode(claims, issuer.private_key, algorithm="RS256", headers={"kid": issuer.kid})
        status, body = gql(router, "{ products { id } }", token)
        assert status == 401, body
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert missing in body["errors"][0]["message"]
    token = jwt.encode(good, issuer.private_key, algorithm="RS256", headers={"kid": issuer.kid})
    status, body = gql(router, "{ products { id } }", token)
    assert status == 200 and body["data"]["products"], body


def test_a_black_holed_subgraph_costs_its_field_not_the_answer(router, shop, tmp_path):
    """payments accepts connections and never answers: the shop's subgraph timeout (well under
    its request timeout, retries included) leaves time to answer with everything else."""
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)  # never accepted: requests are taken in and never answered
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(shop))
    blackholed = yaml_router(supergraph, (ROOT / "router" / "router.yaml").read_text(), tmp_path, env={
        "USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json",
        "PAYMENTS_URL": f"http://127.0.0.1:{hole.getsockname()[1]}/graphql"})
    try:
        token = register(blackholed)["token"]
        status, body = gql(blackholed, CREATE, token, {"i": [{"productId": PRODUCT["id"], "quantity": 1}]})
        order_id = body["data"]["createOrder"]["id"]

        started = time.monotonic()
        status, body = gql(blackholed, '{ products { id } order(id: "%s") { id } payment(id: "p1") { id } }' % order_id,
                           token)
        took = time.monotonic() - started
        assert status == 200, body
        assert body["data"]["products"] and body["data"]["order"] == {"id": order_id}
        assert body["data"]["payment"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]  # retryable
        assert body["errors"][0]["path"] == ["payment"]  # what the client may retry
        assert "127.0.0.1" not in body["errors"][0]["message"]
        assert took < 30  # the request timeout: the answer came before it
    finally:
        blackholed.stop()
        hole.close()


def test_the_estimate_follows_list_sizes_and_is_reported_on_request(router):
    token = register(router)["token"]
    costs = {}
    for first in (1, 10, 100):
        response = httpx.post(router.url, json={"query": "{ me { orders(first: %d) { nodes { id payments { id } } } } }" % first},
                              headers={"authorization": f"Bearer {token}", "x-router-expose-cost": "true"}, timeout=30)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        costs[first] = body["extensions"]["cost"]["estimated"]
        assert body["extensions"]["cost"]["mode"] == "enforce"
        nodes = body["data"]["me"]["orders"]["nodes"]  # what the answer holds, by the same weights
        held = 1 + 1 + sum(1 + len(order["payments"]) for order in nodes)
        assert body["extensions"]["cost"]["actual"] == held
        assert body["extensions"]["cost"]["delta"] == costs[first] - held
    # me 1 + orders 1 + first x (order 1 + payments 5 x 1): `first` slices, `nodes` is sized by it
    assert costs == {1: 8, 10: 62, 100: 602}
    status, body = gql(router, "{ me { id } }", token)
    assert "extensions" not in body  # reported only when asked for
