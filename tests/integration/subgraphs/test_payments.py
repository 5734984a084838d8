"""Payments: the real amount, idempotency under concurrent retries, refusals, refunds."""

from __future__ import annotations

import asyncio
import uuid

from subgraphs.orders.catalogue import SEED_PRODUCTS
from tests.support.shop import DECLINE_ABOVE, Account, GraphQL, codes, eventually

CHEAP = next(p for p in SEED_PRODUCTS if p.get("available", True) and p["price"] < DECLINE_ABOVE)
PAY = """
mutation Pay($order: ID!, $key: String!, $method: PaymentMethod! = CARD) {
  payOrder(orderId: $order, method: $method, idempotencyKey: $key) {
    id status method amount { amount currency } order { id } failureReason
  }
}
"""
REFUND = "mutation($id: ID!) { refundPayment(id: $id) { id status } }"
ORDER_PAYMENTS = """
query($r: [_Any!]!) {
  _entities(representations: $r) { ... on Order { id payments { id status } amountDue { amount currency } } }
}
"""


def key() -> str:
    return f"key-{uuid.uuid4().hex}"


async def place(gql: GraphQL, account: Account, quantity: int = 1) -> dict:
    body = await gql(
        "orders",
        "mutation($i: [OrderItemInput!]!) { createOrder(items: $i) { id total { amount currency } } }",
        {"i": [{"productId": CHEAP["id"], "quantity": quantity}]},
        token=account.token,
    )
    assert "errors" not in body, body
    return body["data"]["createOrder"]


async def order_view(gql: GraphQL, account_token: str, order: dict, status: str = "PENDING") -> dict:
    representation = {"__typename": "Order", "id": order["id"], "total": order["total"], "status": status}
    body = await gql("payments", ORDER_PAYMENTS, {"r": [representation]}, token=account_token)
    assert "errors" not in body, body
    return body["data"]["_entities"][0]


async def test_pays_the_orders_real_total(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = await place(gql, account, quantity=3)
    before = await order_view(gql, account.token, order)
    assert before["amountDue"] == order["total"] and before["payments"] == []

    body = await gql("payments", PAY, {"order": order["id"], "key": key()}, token=account.token)
    payment = body["data"]["payOrder"]
    assert payment["status"] == "SUCCEEDED"
    assert payment["amount"] == order["total"] == {"amount": 3 * CHEAP["price"], "currency": "USD"}
    assert payment["order"] == {"id": order["id"]}

    after = await order_view(gql, account.token, order)
    assert after["payments"] == [{"id": payment["id"], "status": "SUCCEEDED"}]
    assert after["amountDue"] == {"amount": 0, "currency": "USD"}


async def test_ten_concurrent_retries_store_one_payment(gql: GraphQL, new_account, mongo, shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = await place(gql, account)
    idempotency_key = key()
    bodies = await asyncio.gather(
        *(gql("payments", PAY, {"order": order["id"], "key": idempotency_key}, token=account.token) for _ in range(10))
    )
    assert all("errors" not in body for body in bodies), bodies
    assert len({body["data"]["payOrder"]["id"] for body in bodies}) == 1
    assert {body["data"]["payOrder"]["status"] for body in bodies} == {"SUCCEEDED"}
    payments = mongo[shop.database("payments")].payments
    assert await payments.count_documents({"order_id": order["id"]}) == 1

    later = await gql("payments", PAY, {"order": order["id"], "key": idempotency_key}, token=account.token)
    assert later["data"]["payOrder"]["id"] == bodies[0]["data"]["payOrder"]["id"]


async def test_racing_payments_with_different_keys_charge_once(gql: GraphQL, new_account, mongo, shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = await place(gql, account)
    bodies = await asyncio.gather(
        *(gql("payments", PAY, {"order": order["id"], "key": key()}, token=account.token) for _ in range(5))
    )
    assert sum("errors" not in body for body in bodies) == 1
    assert sorted(c for body in bodies for c in codes(body)) == ["ORDER_ALREADY_PAID"] * 4
    stored = mongo[shop.database("payments")].payments
    assert await stored.count_documents({"order_id": order["id"], "status": "SUCCEEDED"}) == 1


async def test_refusals(gql: GraphQL, new_account, mongo, shop) -> None:  # type: ignore[no-untyped-def]
    alice: Account = await new_account()
    bob: Account = await new_account()
    order = await place(gql, alice)
    first_key = key()
    await gql("payments", PAY, {"order": order["id"], "key": first_key}, token=alice.token)

    already_paid = await gql("payments", PAY, {"order": order["id"], "key": key()}, token=alice.token)
    assert codes(already_paid) == ["ORDER_ALREADY_PAID"]

    other_order = await place(gql, alice)
    reused = await gql("payments", PAY, {"order": other_order["id"], "key": first_key}, token=alice.token)
    assert codes(reused) == ["IDEMPOTENCY_KEY_REUSED"]

    cancelled = await place(gql, alice)
    await gql("orders", "mutation($id: ID!) { cancelOrder(id: $id) { id } }", {"id": cancelled["id"]}, token=alice.token)
    not_payable = await gql("payments", PAY, {"order": cancelled["id"], "key": key()}, token=alice.token)
    assert codes(not_payable) == ["ORDER_NOT_PAYABLE"]

    bobs_attempt = await gql("payments", PAY, {"order": other_order["id"], "key": key()}, token=bob.token)
    assert codes(bobs_attempt) == ["NOT_FOUND"]
    missing = await gql("payments", PAY, {"order": "000000000000000000000000", "key": key()}, token=alice.token)
    assert codes(missing) == ["NOT_FOUND"]
    bad_key = await gql("payments", PAY, {"order": other_order["id"], "key": "x"}, token=alice.token)
    assert codes(bad_key) == ["BAD_USER_INPUT"]
    anonymous = await gql("payments", PAY, {"order": other_order["id"], "key": key()})
    assert codes(anonymous) == ["UNAUTHENTICATED"]

    stored = mongo[shop.database("payments")].payments
    assert await stored.count_documents({"order_id": {"$in": [other_order["id"], cancelled["id"]]}}) == 0


async def test_declined_payment_leaves_the_order_payable(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    quantity = DECLINE_ABOVE // CHEAP["price"] + 1
    order = await place(gql, account, quantity=quantity)
    assert order["total"]["amount"] > DECLINE_ABOVE
    declined = (await gql("payments", PAY, {"order": order["id"], "key": key()}, token=account.token))["data"]["payOrder"]
    assert declined["status"] == "FAILED" and declined["failureReason"]
    view = await order_view(gql, account.token, order)
    assert view["amountDue"] == order["total"]
    retry = await gql("payments", PAY, {"order": order["id"], "key": key()}, token=account.token)
    assert "errors" not in retry and retry["data"]["payOrder"]["id"] != declined["id"]


async def test_refunds_are_for_admins_and_happen_once(gql: GraphQL, new_account, admin_token: str) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = await place(gql, account)
    payment = (await gql("payments", PAY, {"order": order["id"], "key": key()}, token=account.token))["data"]["payOrder"]

    by_owner = await gql("payments", REFUND, {"id": payment["id"]}, token=account.token)
    assert codes(by_owner) == ["FORBIDDEN"]
    refunded = await gql("payments", REFUND, {"id": payment["id"]}, token=admin_token)
    assert refunded["data"]["refundPayment"] == {"id": payment["id"], "status": "REFUNDED"}
    twice = await gql("payments", REFUND, {"id": payment["id"]}, token=admin_token)
    assert codes(twice) == ["NOT_REFUNDABLE"]
    view = await order_view(gql, account.token, order)
    assert view["amountDue"] == order["total"]


async def test_payments_are_private(gql: GraphQL, new_account, admin_token: str) -> None:  # type: ignore[no-untyped-def]
    alice: Account = await new_account()
    bob: Account = await new_account()
    order = await place(gql, alice)
    payment = (await gql("payments", PAY, {"order": order["id"], "key": key()}, token=alice.token))["data"]["payOrder"]
    query = "query($id: ID!) { payment(id: $id) { id amount { amount } } }"
    assert (await gql("payments", query, {"id": payment["id"]}, token=bob.token))["data"]["payment"] is None
    assert (await gql("payments", query, {"id": payment["id"]}, token=alice.token))["data"]["payment"]["id"] == payment["id"]
    assert (await gql("payments", query, {"id": payment["id"]}, token=admin_token))["data"]["payment"]["id"] == payment["id"]
    # Asking the payments subgraph directly about Alice's order as Bob reveals nothing.
    bobs_view = await order_view(gql, bob.token, order)
    assert bobs_view["payments"] == []
    assert bobs_view["amountDue"] == order["total"]


async def test_same_key_with_another_method_is_refused(gql: GraphQL, new_account, mongo, shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = await place(gql, account)
    same_key = key()
    first = await gql("payments", PAY, {"order": order["id"], "key": same_key, "method": "CARD"}, token=account.token)
    assert first["data"]["payOrder"]["method"] == "CARD"
    retry = await gql("payments", PAY, {"order": order["id"], "key": same_key, "method": "CARD"}, token=account.token)
    assert retry["data"]["payOrder"]["id"] == first["data"]["payOrder"]["id"]
    other_method = await gql("payments", PAY, {"order": order["id"], "key": same_key, "method": "PAYPAL"}, token=account.token)
    assert codes(other_method) == ["IDEMPOTENCY_KEY_REUSED"] and other_method["data"] is None
    assert "CARD" in other_method["errors"][0]["message"]
    assert await mongo[shop.database("payments")].payments.count_documents({"order_id": order["id"]}) == 1


async def test_a_cancelled_order_owes_nothing(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    unpaid = await place(gql, account)
    paid = await place(gql, account)
    payment = (await gql("payments", PAY, {"order": paid["id"], "key": key()}, token=account.token))["data"]["payOrder"]
    for order in (unpaid, paid):
        body = await gql("orders", "mutation($id: ID!) { cancelOrder(id: $id) { status } }", {"id": order["id"]}, token=account.token)
        assert body["data"]["cancelOrder"]["status"] == "CANCELLED"

    async def refunded() -> bool:
        view = await order_view(gql, account.token, paid, status="CANCELLED")
        return bool(view["payments"] == [{"id": payment["id"], "status": "REFUNDED"}])

    assert await eventually(refunded)
    for order in (unpaid, paid):
        view = await order_view(gql, account.token, order, status="CANCELLED")
        assert view["amountDue"] == {"amount": 0, "currency": "USD"}
