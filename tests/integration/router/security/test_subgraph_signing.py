"""Router -> subgraph trust: a subgraph with ROUTER_SIGNING_SECRET answers
only requests the router signed; a direct caller gets 401, the router's requests pass."""

import dataclasses
import json
import time
import uuid

import httpx
import pytest

from devstack.ports import free_port, wait_for_port
from router.plugins.signing import signature
from tests.support.harness import ROOT, gql, yaml_router
from tests.support.shop import start_process, supergraph_sdl, wait_ready

SECRET = uuid.uuid4().hex + uuid.uuid4().hex
ME = "{ me { id username } }"


@pytest.fixture(scope="module")
def signed_users(shop, tmp_path_factory):
    """A second users service on the shop's store, requiring the router's signature."""
    spec = shop.specs["users"]
    port = free_port()
    spec = dataclasses.replace(spec, port=port, env={**spec.env, "PORT": str(port), "ROUTER_SIGNING_SECRET": SECRET})
    log = tmp_path_factory.mktemp("signed-users") / "users.log"
    process = start_process(spec, log)
    try:
        assert wait_for_port(port, 30), log.read_text()
        wait_ready(spec.url)
        yield spec.url
    finally:
        process.terminate()
        process.wait(10)


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{url}/graphql", content=body, headers={"content-type": "application/json", **headers}, timeout=30)


def test_direct_calls_without_the_routers_signature_are_refused(signed_users):
    body = json.dumps({"query": '{ _entities(representations: [{__typename: "User", id: "x"}]) { __typename } }'}).encode()
    now = int(time.time())
    for headers in ({}, {"x-router-signature": signature("wrong" * 8, body, now)},
                    {"x-router-signature": signature(SECRET, body, now - 3600)},  # replayed an hour later
                    {"x-router-signature": signature(SECRET, body + b" ", now)}):  # another body
        response = post(signed_users, body, headers)
        assert response.status_code == 401, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    signed = post(signed_users, body, {"x-router-signature": signature(SECRET, body, now)})
    assert signed.status_code == 200 and signed.json()["data"] == {"_entities": [None]}  # answered: no such user
    assert httpx.get(f"{signed_users}/health", timeout=10).status_code == 200  # probes need no signature


def test_the_router_signs_its_subgraph_requests(shop, signed_users, tmp_path):
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl(shop))
    config = (ROOT / "router" / "router.yaml").read_text() + f'subgraph_signing:\n  secret: "{SECRET}"\n'
    router = yaml_router(supergraph, config, tmp_path, env={
        "USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json", "USERS_URL": f"{signed_users}/graphql"})
    try:
        suffix = uuid.uuid4().hex[:10]
        status, body = gql(router, "mutation($input: RegisterInput!) { register(input: $input) { token } }",
                           variables={"input": {"username": f"u_{suffix}", "email": f"u_{suffix}@example.com",
                                                "password": f"pw-{suffix}!"}})
        assert status == 200 and "errors" not in body, body
        status, body = gql(router, ME, body["data"]["register"]["token"])
        assert status == 200 and body["data"]["me"]["username"] == f"u_{suffix}", body
    finally:
        router.stop()


def start_signed(shop, name: str, tmp, **env: str):
    spec = shop.specs[name]
    port = free_port()
    spec = dataclasses.replace(spec, port=port, env={**spec.env, "PORT": str(port), "ROUTER_SIGNING_SECRET": SECRET, **env})
    log = tmp / f"{name}-{port}.log"
    process = start_process(spec, log)
    assert wait_for_port(port, 30), log.read_text()
    wait_ready(spec.url)
    return process, spec.url


def test_payments_signs_its_calls_to_orders(shop, tmp_path):
    """payOrder asks orders for the order's total: with signing on, that call is signed too."""
    orders, orders_url = start_signed(shop, "orders", tmp_path)
    payments, payments_url = start_signed(shop, "payments", tmp_path, ORDERS_URL=f"{orders_url}/graphql")
    try:
        suffix = uuid.uuid4().hex[:10]
        registered = httpx.post(shop.url("users"), json={"query": "mutation($input: RegisterInput!) { register(input: $input) { token } }",
                                                          "variables": {"input": {"username": f"p_{suffix}", "email": f"p_{suffix}@example.com",
                                                                                  "password": f"pw-{suffix}!"}}}, timeout=30).json()
        auth = {"authorization": f"Bearer {registered['data']['register']['token']}"}

        def signed(url: str, query: str, variables: dict) -> dict:
            body = json.dumps({"query": query, "variables": variables}).encode()
            response = post(url, body, {**auth, "x-router-signature": signature(SECRET, body, int(time.time()))})
            assert response.status_code == 200, response.text
            return response.json()

        product = "kbd-mech-87"
        created = signed(orders_url, "mutation($i: [OrderItemInput!]!) { createOrder(items: $i) { id total { amount } } }",
                         {"i": [{"productId": product, "quantity": 1}]})
        order = created["data"]["createOrder"]
        paid = signed(payments_url, "mutation($o: ID!, $k: String!) { payOrder(orderId: $o, method: CARD, idempotencyKey: $k) "
                      "{ status amount { amount } } }", {"o": order["id"], "k": uuid.uuid4().hex})
        assert "errors" not in paid, paid
        assert paid["data"]["payOrder"] == {"status": "SUCCEEDED", "amount": {"amount": order["total"]["amount"]}}
    finally:
        for process in (payments, orders):
            process.terminate()
            process.wait(10)
