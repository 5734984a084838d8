"""Events without a broker (the `make dev` default): orders and payments push their outbox to
each other over HTTP, signed, and react exactly once."""

from __future__ import annotations

import uuid

import orjson

from subgraphs.common.events.envelope import PAYMENT_SUCCEEDED, Event
from subgraphs.common.events.webhook import PATH, SIGNATURE_HEADER, sign
from tests.support.shop import Account, GraphQL, Shop, eventually

PLACE = 'mutation { createOrder(items: [{productId: "desk-mat-xl", quantity: 2}]) { id total { amount currency } } }'
PAY = "mutation($o: ID!, $k: String!) { payOrder(orderId: $o, method: CARD, idempotencyKey: $k) { id status } }"
STATUS = "query($id: ID!) { order(id: $id) { status } }"
PAYMENT = "query($id: ID!) { payment(id: $id) { status } }"


async def order_status(gql: GraphQL, account: Account, order_id: str) -> str:
    return (await gql("orders", STATUS, {"id": order_id}, token=account.token))["data"]["order"]["status"]


async def test_full_payment_confirms_the_order(gql: GraphQL, new_account, mongo, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = (await gql("orders", PLACE, token=account.token))["data"]["createOrder"]
    created = await mongo[shop.database("orders")].outbox.find_one({"type": "order.created", "data.orderId": order["id"]})
    assert created["data"]["total"] == order["total"] and created["data"]["userId"] == account.id

    await gql("payments", PAY, {"o": order["id"], "k": f"k-{uuid.uuid4().hex}"}, token=account.token)

    async def confirmed() -> bool:
        return await order_status(gql, account, order["id"]) == "CONFIRMED"

    assert await eventually(confirmed)
    outbox = mongo[shop.database("payments")].outbox
    sent = await eventually(lambda: outbox.find_one({"data.orderId": order["id"], "published_at": {"$ne": None}}))
    assert sent["type"] == "payment.succeeded"
    assert sent["data"]["amount"] == order["total"]
    history = (await mongo[shop.database("orders")].orders.find_one({"user_id": account.id}))["history"]
    assert [(h["status"], h["by"]) for h in history] == [("PENDING", account.id), ("CONFIRMED", "payments")]


async def test_cancelling_a_paid_order_refunds_it(gql: GraphQL, new_account, mongo, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = (await gql("orders", PLACE, token=account.token))["data"]["createOrder"]
    payment = (await gql("payments", PAY, {"o": order["id"], "k": f"k-{uuid.uuid4().hex}"}, token=account.token))["data"]["payOrder"]
    cancelled = await gql("orders", "mutation($id: ID!) { cancelOrder(id: $id) { status } }", {"id": order["id"]}, token=account.token)
    assert cancelled["data"]["cancelOrder"]["status"] == "CANCELLED"

    async def refunded() -> bool:
        body = await gql("payments", PAYMENT, {"id": payment["id"]}, token=account.token)
        return body["data"]["payment"]["status"] == "REFUNDED"

    assert await eventually(refunded)
    event = await eventually(
        lambda: mongo[shop.database("payments")].outbox.find_one({"type": "payment.refunded", "data.orderId": order["id"]})
    )
    assert event["data"]["reason"] == "order.cancelled"


async def test_a_duplicate_delivery_has_one_effect(http, gql: GraphQL, new_account, mongo, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = (await gql("orders", PLACE, token=account.token))["data"]["createOrder"]
    secret = shop.specs["orders"].env["EVENTS_SECRET"].encode()
    event = Event.new(PAYMENT_SUCCEEDED, {"paymentId": "p1", "orderId": order["id"], "userId": account.id, "amount": order["total"], "method": "CARD"})
    body = event.to_json()
    answers = []
    for _ in range(3):
        response = await http.post(f"{shop.base('orders')}{PATH}", content=body, headers={SIGNATURE_HEADER: sign(secret, body)})
        answers.append(response.json()["status"])
    assert answers == ["applied", "duplicate", "duplicate"]
    stored = await mongo[shop.database("orders")].orders.find_one({"user_id": account.id})
    assert [h["status"] for h in stored["history"]] == ["PENDING", "CONFIRMED"]


async def test_a_partial_payment_does_not_confirm(http, gql: GraphQL, new_account, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = (await gql("orders", PLACE, token=account.token))["data"]["createOrder"]
    secret = shop.specs["orders"].env["EVENTS_SECRET"].encode()
    short = {"amount": order["total"]["amount"] - 1, "currency": order["total"]["currency"]}
    event = Event.new(PAYMENT_SUCCEEDED, {"paymentId": "p2", "orderId": order["id"], "userId": account.id, "amount": short, "method": "CARD"})
    response = await http.post(f"{shop.base('orders')}{PATH}", content=event.to_json(), headers={SIGNATURE_HEADER: sign(secret, event.to_json())})
    assert response.json() == {"status": "applied"}
    assert await order_status(gql, account, order["id"]) == "PENDING"


async def test_unsigned_or_forged_events_are_refused(http, gql: GraphQL, new_account, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = (await gql("orders", PLACE, token=account.token))["data"]["createOrder"]
    event = Event.new(PAYMENT_SUCCEEDED, {"paymentId": "p3", "orderId": order["id"], "userId": account.id, "amount": order["total"], "method": "CARD"})
    body = event.to_json()
    url = f"{shop.base('orders')}{PATH}"
    assert (await http.post(url, content=body)).status_code == 401
    assert (await http.post(url, content=body, headers={SIGNATURE_HEADER: sign(b"guessed-secret-000", body)})).status_code == 401
    secret = shop.specs["orders"].env["EVENTS_SECRET"].encode()
    garbage = orjson.dumps({"type": "payment.succeeded"})
    assert (await http.post(url, content=garbage, headers={SIGNATURE_HEADER: sign(secret, garbage)})).status_code == 400
    assert await order_status(gql, account, order["id"]) == "PENDING"


async def test_a_payment_landing_on_a_cancelled_order_is_refunded(http, gql: GraphQL, new_account, mongo, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    """The race: the order is cancelled after payments checked it but before the charge settled."""
    account: Account = await new_account()
    order = (await gql("orders", PLACE, token=account.token))["data"]["createOrder"]
    payment = (await gql("payments", PAY, {"o": order["id"], "k": f"k-{uuid.uuid4().hex}"}, token=account.token))["data"]["payOrder"]
    # Simulate the lost race: cancel straight in the orders database, bypassing the event.
    from bson import ObjectId

    await mongo[shop.database("orders")].orders.update_one({"_id": ObjectId(order["id"])}, {"$set": {"status": "CANCELLED"}})
    secret = shop.specs["orders"].env["EVENTS_SECRET"].encode()
    late = Event.new(PAYMENT_SUCCEEDED, {"paymentId": payment["id"], "orderId": order["id"], "userId": account.id, "amount": order["total"], "method": "CARD"})
    response = await http.post(f"{shop.base('orders')}{PATH}", content=late.to_json(), headers={SIGNATURE_HEADER: sign(secret, late.to_json())})
    assert response.status_code == 200

    async def refunded() -> bool:
        body = await gql("payments", PAYMENT, {"id": payment["id"]}, token=account.token)
        return body["data"]["payment"]["status"] == "REFUNDED"

    assert await eventually(refunded)


async def test_an_admin_refund_cancels_a_confirmed_order_so_it_cannot_ship(gql: GraphQL, new_account, admin_token: str, mongo, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = (await gql("orders", PLACE, token=account.token))["data"]["createOrder"]
    payment = (await gql("payments", PAY, {"o": order["id"], "k": f"k-{uuid.uuid4().hex}"}, token=account.token))["data"]["payOrder"]

    async def status_is(expected: str) -> bool:
        return await order_status(gql, account, order["id"]) == expected

    assert await eventually(lambda: status_is("CONFIRMED"))
    refunded = await gql("payments", "mutation($id: ID!) { refundPayment(id: $id) { status } }", {"id": payment["id"]}, token=admin_token)
    assert refunded["data"]["refundPayment"]["status"] == "REFUNDED"
    assert await eventually(lambda: status_is("CANCELLED"))
    ship = await gql("orders", "mutation($id: ID!) { updateOrderStatus(id: $id, status: SHIPPED) { status } }", {"id": order["id"]}, token=admin_token)
    assert ship["errors"][0]["extensions"]["code"] == "INVALID_STATUS_TRANSITION"
    stored = await mongo[shop.database("orders")].orders.find_one({"user_id": account.id})
    assert [(h["status"], h["by"]) for h in stored["history"]] == [
        ("PENDING", account.id), ("CONFIRMED", "payments"), ("CANCELLED", "payments")]
    announced = await eventually(lambda: mongo[shop.database("orders")].outbox.find_one(
        {"type": "order.cancelled", "data.orderId": order["id"]}))
    assert announced["data"]["reason"] == "payment refunded"
