"""The real shop behind the router with the shop's own router.yaml: tokens verified against
the users service's JWKS, Authorization forwarded (the subgraphs verify it again),
authorization enforced by the router from the checked-in supergraph.

users, orders and payments run as processes over the embedded store, exactly as
`make dev` runs them (the session's `shop` fixture, tests/conftest.py)."""

import uuid

import httpx
import pytest

from subgraphs.orders.catalogue import SEED_PRODUCTS
from tests.support.harness import SigningKey, claims, gql, register
from tests.support.wait import wait_until

PRODUCT = next(p for p in SEED_PRODUCTS if p.get("available", True) and p["price"] < 100_000)
CREATE = """mutation($i: [OrderItemInput!]!) {
  createOrder(items: $i) { id total { amount currency } user { id username } items { quantity product { name } } }
}"""
PAY = """mutation($o: ID!, $k: String!) {
  payOrder(orderId: $o, method: CARD, idempotencyKey: $k) {
    status amount { amount currency } order { id amountDue { amount } }
  }
}"""
MY_ORDERS = "{ me { id username orders { nodes { id total { amount } payments { status } amountDue { amount } } } } }"


@pytest.fixture(scope="module")
def router(shop_router):
    return shop_router




def test_signed_in_user_orders_and_pays_another_user_cannot_see_it(router):
    alice, bob = register(router), register(router)
    status, body = gql(router, CREATE, alice["token"], {"i": [{"productId": PRODUCT["id"], "quantity": 2}]})
    assert status == 200 and "errors" not in body, body
    order = body["data"]["createOrder"]
    assert order["user"] == alice["user"]  # Order.user resolved in the users subgraph
    assert order["total"] == {"amount": 2 * PRODUCT["price"], "currency": "USD"}
    assert order["items"] == [{"quantity": 2, "product": {"name": PRODUCT["name"]}}]

    status, body = gql(router, PAY, alice["token"], {"o": order["id"], "k": uuid.uuid4().hex})
    assert status == 200 and "errors" not in body, body
    paid = body["data"]["payOrder"]
    assert paid["status"] == "SUCCEEDED" and paid["amount"] == order["total"]
    assert paid["order"] == {"id": order["id"], "amountDue": {"amount": 0}}

    _, body = gql(router, MY_ORDERS, alice["token"])
    assert body["data"]["me"]["id"] == alice["user"]["id"]
    assert body["data"]["me"]["orders"]["nodes"] == [
        {"id": order["id"], "total": {"amount": 2 * PRODUCT["price"]}, "payments": [{"status": "SUCCEEDED"}],
         "amountDue": {"amount": 0}}]

    # Bob is signed in too, but it is not his order
    _, body = gql(router, "query($id: ID!) { order(id: $id) { id total { amount } } }", bob["token"],
                  {"id": order["id"]})
    assert body["data"]["order"] is None
    _, body = gql(router, MY_ORDERS, bob["token"])
    assert body["data"]["me"]["orders"]["nodes"] == []
    # nor can he pay it
    _, body = gql(router, PAY, bob["token"], {"o": order["id"], "k": uuid.uuid4().hex})
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] in ("NOT_FOUND", "FORBIDDEN")


def test_anonymous_me_is_refused_by_the_router(router):
    status, body = gql(router, "{ me { id username } }")
    assert status == 200 and body["data"] is None  # me: User! -> null propagates to data
    assert body["errors"] == [{"message": "Unauthorized field or type", "path": ["me"],
                               "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"}}]  # no serviceName: the router
    _, body = gql(router, CREATE, variables={"i": [{"productId": PRODUCT["id"], "quantity": 1}]})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    _, body = gql(router, "{ products { id name } }")  # public fields still work
    assert any(p["id"] == PRODUCT["id"] for p in body["data"]["products"])


def test_forged_or_foreign_tokens_get_401(router):
    alice = register(router)
    header, payload, _ = alice["token"].split(".")
    forged = SigningKey(None).sign(claims(iss="shop-users", aud="shop", sub=alice["user"]["id"],
                                          scope="orders:admin payments:admin"))
    for token in (forged, f"{header}.{payload}.", "garbage"):
        r = httpx.post(router.url, json={"query": MY_ORDERS}, headers={"authorization": f"Bearer {token}"},
                       timeout=30)
        assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_scopes_from_the_users_token_gate_admin_mutations(router):
    alice = register(router)
    _, body = gql(router, CREATE, alice["token"], {"i": [{"productId": PRODUCT["id"], "quantity": 1}]})
    order = body["data"]["createOrder"]
    _, body = gql(router, "mutation($id: ID!) { updateOrderStatus(id: $id, status: SHIPPED) { id status } }",
                  alice["token"], {"id": order["id"]})  # needs orders:admin, which users do not have
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"


def test_someone_elses_orders_are_null_but_the_user_shows(router):
    alice, bob = register(router), register(router)
    query = "query($id: ID!) { user(id: $id) { id username orders { nodes { id } } } }"
    _, body = gql(router, query, bob["token"], {"id": alice["user"]["id"]})
    assert body["data"] == {"user": {"id": alice["user"]["id"], "username": alice["user"]["username"], "orders": None}}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(["user", "orders"], "FORBIDDEN")]
    _, body = gql(router, query, alice["token"], {"id": alice["user"]["id"]})
    assert body == {"data": {"user": {"id": alice["user"]["id"], "username": alice["user"]["username"],
                                      "orders": {"nodes": []}}}}


def test_a_cancelled_paid_order_owes_nothing_through_the_router(router):
    alice = register(router)
    _, body = gql(router, CREATE, alice["token"], {"i": [{"productId": PRODUCT["id"], "quantity": 1}]})
    order = body["data"]["createOrder"]
    _, body = gql(router, PAY, alice["token"], {"o": order["id"], "k": uuid.uuid4().hex})
    assert body["data"]["payOrder"]["status"] == "SUCCEEDED", body
    _, body = gql(router, "mutation($id: ID!) { cancelOrder(id: $id) { status } }", alice["token"], {"id": order["id"]})
    assert body == {"data": {"cancelOrder": {"status": "CANCELLED"}}}
    view = "query($id: ID!) { order(id: $id) { status payments { status } amountDue { amount currency } } }"
    def refunded() -> dict:  # the cancellation's event refunds the payment
        nonlocal body
        _, body = gql(router, view, alice["token"], {"id": order["id"]})
        return body["data"]["order"]["payments"] == [{"status": "REFUNDED"}]

    wait_until(refunded, 30, 0.1)
    assert body == {"data": {"order": {"status": "CANCELLED", "payments": [{"status": "REFUNDED"}],
                                       "amountDue": {"amount": 0, "currency": "USD"}}}}

    _, body = gql(router, CREATE, alice["token"], {"i": [{"productId": PRODUCT["id"], "quantity": 1}]})
    unpaid = body["data"]["createOrder"]
    gql(router, "mutation($id: ID!) { cancelOrder(id: $id) { status } }", alice["token"], {"id": unpaid["id"]})
    _, body = gql(router, view, alice["token"], {"id": unpaid["id"]})
    assert body["data"]["order"] == {"status": "CANCELLED", "payments": [], "amountDue": {"amount": 0, "currency": "USD"}}
