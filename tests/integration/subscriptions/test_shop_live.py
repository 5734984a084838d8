"""Live orders through the router in front of the real shop: `orderUpdated` from the orders
subgraph, every event completed with `user { username }` (users) and `payments`/`amountDue`
(payments) by the planner's ordinary entity fetches, over each client protocol with the real
client libraries."""

from __future__ import annotations

import uuid

from harness import gql, register
from live import multipart, node_client, sse

from subgraphs.orders.catalogue import SEED_PRODUCTS

PRODUCT = next(p for p in SEED_PRODUCTS if p.get("available", True) and p["price"] < 100_000)
CREATE = "mutation($i: [OrderItemInput!]!) { createOrder(items: $i) { id total { amount currency } } }"
PAY = """mutation($o: ID!, $k: String!) { payOrder(orderId: $o, method: CARD, idempotencyKey: $k) { status } }"""
CANCEL = "mutation($id: ID!) { cancelOrder(id: $id) { id status } }"
LIVE = """subscription Live($id: ID) {
  orderUpdated(orderId: $id) { id status user { username } total { amount } amountDue { amount } payments { status } }
}"""


def _order(router, token: str, quantity: int = 1) -> dict:
    status, body = gql(router, CREATE, token, {"i": [{"productId": PRODUCT["id"], "quantity": quantity}]})
    assert status == 200 and "errors" not in body, body
    return body["data"]["createOrder"]


def test_graphql_ws_follows_an_order_from_placed_to_paid_to_cancelled(shop_router):
    alice = register(shop_router)
    order = _order(shop_router, alice["token"], 2)
    amount = order["total"]["amount"]
    with node_client("ws", shop_router.url, LIVE, {"id": order["id"]}, alice["token"]) as client:
        first = client.line()
        assert first == {"next": {"data": {"orderUpdated": {
            "id": order["id"], "status": "PENDING", "user": {"username": alice["user"]["username"]},
            "total": {"amount": amount}, "amountDue": {"amount": amount}, "payments": []}}}}

        status, body = gql(shop_router, PAY, alice["token"], {"o": order["id"], "k": uuid.uuid4().hex})
        assert status == 200 and body["data"]["payOrder"]["status"] == "SUCCEEDED", body
        paid = client.line()  # the payment.succeeded event confirmed it, in the orders service
        assert paid == {"next": {"data": {"orderUpdated": {
            "id": order["id"], "status": "CONFIRMED", "user": {"username": alice["user"]["username"]},
            "total": {"amount": amount}, "amountDue": {"amount": 0}, "payments": [{"status": "SUCCEEDED"}]}}}}

        status, body = gql(shop_router, CANCEL, alice["token"], {"id": order["id"]})
        assert status == 200 and body["data"]["cancelOrder"]["status"] == "CANCELLED", body
        cancelled = client.line()["next"]["data"]["orderUpdated"]
        assert cancelled["status"] == "CANCELLED" and cancelled["amountDue"] == {"amount": 0}
