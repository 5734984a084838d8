"""Orders: catalogue prices, totals, ownership, and the status machine under races."""

from __future__ import annotations

import asyncio
import uuid

from bson import ObjectId

from subgraphs.orders.catalogue import SEED_PRODUCTS
from tests.support.shop import Account, GraphQL, codes, eventually

PRICES = {p["id"]: p["price"] for p in SEED_PRODUCTS}
AVAILABLE = [p["id"] for p in SEED_PRODUCTS if p.get("available", True)]
UNAVAILABLE = [p["id"] for p in SEED_PRODUCTS if not p.get("available", True)]

CREATE = """
mutation Create($items: [OrderItemInput!]!) {
  createOrder(items: $items) {
    id status total { amount currency } user { id } createdAt updatedAt
    items { quantity unitPrice { amount currency } lineTotal { amount } product { id name price { amount } } }
  }
}
"""
ORDER = "query($id: ID!) { order(id: $id) { id status total { amount } } }"
UPDATE = "mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { id status } }"
CANCEL = "mutation($id: ID!) { cancelOrder(id: $id) { id status } }"


PAY = "mutation($o: ID!, $k: String!) { payOrder(orderId: $o, method: CARD, idempotencyKey: $k) { status } }"


async def place(gql: GraphQL, account: Account, items: list[dict[str, object]] | None = None) -> dict:
    body = await gql("orders", CREATE, {"items": items or [{"productId": AVAILABLE[0], "quantity": 1}]}, token=account.token)
    assert "errors" not in body, body
    return body["data"]["createOrder"]


async def place_paid(gql: GraphQL, account: Account) -> dict:
    """An order paid in full, once its payment has confirmed it (the payment.succeeded event)."""
    order = await place(gql, account)
    paid = await gql("payments", PAY, {"o": order["id"], "k": f"key-{uuid.uuid4().hex}"}, token=account.token)
    assert paid["data"]["payOrder"]["status"] == "SUCCEEDED", paid

    async def confirmed() -> bool:
        body = await gql("orders", ORDER, {"id": order["id"]}, token=account.token)
        return bool(body["data"]["order"]["status"] == "CONFIRMED")

    assert await eventually(confirmed)
    return order


async def test_order_is_priced_from_the_catalogue(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    items = [{"productId": AVAILABLE[0], "quantity": 2}, {"productId": AVAILABLE[1], "quantity": 3}]
    order = await place(gql, account, items)
    expected_total = 2 * PRICES[AVAILABLE[0]] + 3 * PRICES[AVAILABLE[1]]
    assert order["total"] == {"amount": expected_total, "currency": "USD"}
    assert order["status"] == "PENDING"
    assert order["user"] == {"id": account.id}
    assert order["createdAt"] == order["updatedAt"]
    lines = {line["product"]["id"]: line for line in order["items"]}
    for item in items:
        line = lines[item["productId"]]
        assert line["quantity"] == item["quantity"]
        assert line["unitPrice"]["amount"] == PRICES[item["productId"]]
        assert line["lineTotal"]["amount"] == PRICES[item["productId"]] * item["quantity"]
        assert line["product"]["price"]["amount"] == PRICES[item["productId"]]


async def test_client_cannot_send_a_price(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    body = await gql(
        "orders",
        'mutation { createOrder(items: [{productId: "%s", quantity: 1, unitPrice: 1}]) { id } }' % AVAILABLE[0],
        token=account.token,
    )
    assert body["data"] is None
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_same_product_twice_is_one_line(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = await place(gql, account, [{"productId": AVAILABLE[2], "quantity": 1}, {"productId": AVAILABLE[2], "quantity": 4}])
    assert [(line["product"]["id"], line["quantity"]) for line in order["items"]] == [(AVAILABLE[2], 5)]
    assert order["total"]["amount"] == 5 * PRICES[AVAILABLE[2]]


async def test_bad_items_are_refused_and_nothing_is_stored(gql: GraphQL, new_account, mongo, shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    bad = {
        "unknown product": [{"productId": "no-such-thing", "quantity": 1}],
        "unavailable product": [{"productId": UNAVAILABLE[0], "quantity": 1}],
        "zero quantity": [{"productId": AVAILABLE[0], "quantity": 0}],
        "negative quantity": [{"productId": AVAILABLE[0], "quantity": -3}],
        "huge quantity": [{"productId": AVAILABLE[0], "quantity": 10_000}],
        "no items": [],
    }
    for case, items in bad.items():
        body = await gql("orders", CREATE, {"items": items}, token=account.token)
        assert codes(body) == ["BAD_USER_INPUT"], (case, body)
        assert body["data"] is None
    assert await mongo[shop.database("orders")].orders.count_documents({"user_id": account.id}) == 0


async def test_creating_an_order_needs_a_signed_in_user(gql: GraphQL) -> None:
    body = await gql("orders", CREATE, {"items": [{"productId": AVAILABLE[0], "quantity": 1}]})
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_orders_are_listed_newest_first_with_cursors(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    placed = [await place(gql, account) for _ in range(3)]
    query = """query($after: String) { orders(first: 2, after: $after) {
        edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }"""
    first = (await gql("orders", query, {"after": None}, token=account.token))["data"]["orders"]
    assert [edge["node"]["id"] for edge in first["edges"]] == [placed[2]["id"], placed[1]["id"]]
    assert first["pageInfo"]["hasNextPage"] is True
    second = (await gql("orders", query, {"after": first["pageInfo"]["endCursor"]}, token=account.token))["data"]["orders"]
    assert [edge["node"]["id"] for edge in second["edges"]] == [placed[0]["id"]]
    assert second["pageInfo"] == {"hasNextPage": False, "endCursor": second["edges"][0]["cursor"]}

    garbage = await gql("orders", query, {"after": "%%%"}, token=account.token)
    assert codes(garbage) == ["BAD_USER_INPUT"]
    too_many = await gql("orders", "{ orders(first: 1000) { edges { cursor } } }", token=account.token)
    assert codes(too_many) == ["BAD_USER_INPUT"]


async def test_status_moves_only_along_the_allowed_path(gql: GraphQL, new_account, admin_token: str) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    pending = await place(gql, account)
    for illegal in ("SHIPPED", "DELIVERED", "PENDING"):
        body = await gql("orders", UPDATE, {"id": pending["id"], "s": illegal}, token=admin_token)
        assert codes(body) == ["INVALID_STATUS_TRANSITION"], (illegal, body)
        assert body["errors"][0]["extensions"]["currentStatus"] == "PENDING"
    order = await place_paid(gql, account)
    for step in ("SHIPPED", "DELIVERED"):
        body = await gql("orders", UPDATE, {"id": order["id"], "s": step}, token=admin_token)
        assert body["data"]["updateOrderStatus"]["status"] == step
    for illegal in ("CANCELLED", "SHIPPED", "CONFIRMED"):
        body = await gql("orders", UPDATE, {"id": order["id"], "s": illegal}, token=admin_token)
        assert codes(body) == ["INVALID_STATUS_TRANSITION"]
    final = await gql("orders", ORDER, {"id": order["id"]}, token=account.token)
    assert final["data"]["order"]["status"] == "DELIVERED"


async def test_an_unpaid_order_cannot_be_confirmed_or_shipped_by_an_admin(gql: GraphQL, new_account, admin_token: str) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = await place(gql, account)
    confirm = await gql("orders", UPDATE, {"id": order["id"], "s": "CONFIRMED"}, token=admin_token)
    assert codes(confirm) == ["ORDER_NOT_PAID"] and confirm["data"] is None
    assert confirm["errors"][0]["message"] == "An order is confirmed by its payment, not by hand"
    ship = await gql("orders", UPDATE, {"id": order["id"], "s": "SHIPPED"}, token=admin_token)
    assert codes(ship) == ["INVALID_STATUS_TRANSITION"]
    after = await gql("orders", ORDER, {"id": order["id"]}, token=account.token)
    assert after["data"]["order"]["status"] == "PENDING"


async def test_only_admins_change_status(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = await place(gql, account)
    body = await gql("orders", UPDATE, {"id": order["id"], "s": "CANCELLED"}, token=account.token)
    assert codes(body) == ["FORBIDDEN"]
    after = await gql("orders", ORDER, {"id": order["id"]}, token=account.token)
    assert after["data"]["order"]["status"] == "PENDING"


async def test_concurrent_transitions_exactly_one_wins(gql: GraphQL, new_account, admin_token: str, mongo, shop) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = await place_paid(gql, account)
    bodies = await asyncio.gather(
        *(gql("orders", UPDATE, {"id": order["id"], "s": "SHIPPED"}, token=admin_token) for _ in range(10))
    )
    winners = [body for body in bodies if "errors" not in body]
    assert len(winners) == 1
    assert sorted(c for body in bodies for c in codes(body)) == ["INVALID_STATUS_TRANSITION"] * 9

    stored = await mongo[shop.database("orders")].orders.find_one({"_id": ObjectId(order["id"])})
    assert [change["status"] for change in stored["history"]] == ["PENDING", "CONFIRMED", "SHIPPED"]

    # Owner cancels while an admin ships: one of them, never both.
    race = await place_paid(gql, account)
    cancel, ship = await asyncio.gather(
        gql("orders", CANCEL, {"id": race["id"]}, token=account.token),
        gql("orders", UPDATE, {"id": race["id"], "s": "SHIPPED"}, token=admin_token),
    )
    assert ("errors" in cancel) != ("errors" in ship)
    stored = await mongo[shop.database("orders")].orders.find_one({"_id": ObjectId(race["id"])})
    assert stored["status"] == ("CANCELLED" if "errors" not in cancel else "SHIPPED")
    assert [change["status"] for change in stored["history"]] == ["PENDING", "CONFIRMED", stored["status"]]


async def test_owner_cancels_until_shipped(gql: GraphQL, new_account, admin_token: str) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    pending = await place(gql, account)
    body = await gql("orders", CANCEL, {"id": pending["id"]}, token=account.token)
    assert body["data"]["cancelOrder"]["status"] == "CANCELLED"
    again = await gql("orders", CANCEL, {"id": pending["id"]}, token=account.token)
    assert codes(again) == ["INVALID_STATUS_TRANSITION"]
    assert again["errors"][0]["message"] == "Order is already CANCELLED"

    shipped = await place_paid(gql, account)
    await gql("orders", UPDATE, {"id": shipped["id"], "s": "SHIPPED"}, token=admin_token)
    late = await gql("orders", CANCEL, {"id": shipped["id"]}, token=account.token)
    assert codes(late) == ["INVALID_STATUS_TRANSITION"]
    assert late["errors"][0]["message"] == "Order cannot move from SHIPPED to CANCELLED"


async def test_users_see_only_their_own_orders(gql: GraphQL, new_account, admin_token: str) -> None:  # type: ignore[no-untyped-def]
    alice: Account = await new_account()
    bob: Account = await new_account()
    order = await place(gql, alice)

    as_bob = await gql("orders", ORDER, {"id": order["id"]}, token=bob.token)
    assert as_bob == {"data": {"order": None}}
    bobs_list = await gql("orders", "{ orders { edges { node { id } } } }", token=bob.token)
    assert bobs_list["data"]["orders"]["edges"] == []
    snooping = await gql("orders", "query($u: ID) { orders(userId: $u) { edges { node { id } } } }", {"u": alice.id}, token=bob.token)
    assert codes(snooping) == ["FORBIDDEN"]
    cancel = await gql("orders", CANCEL, {"id": order["id"]}, token=bob.token)
    assert codes(cancel) == ["NOT_FOUND"]

    as_admin = await gql("orders", ORDER, {"id": order["id"]}, token=admin_token)
    assert as_admin["data"]["order"]["id"] == order["id"]
    admin_list = await gql("orders", "query($u: ID) { orders(userId: $u) { edges { node { id } } } }", {"u": alice.id}, token=admin_token)
    assert [e["node"]["id"] for e in admin_list["data"]["orders"]["edges"]] == [order["id"]]
    admin_cancel = await gql("orders", CANCEL, {"id": order["id"]}, token=admin_token)
    assert codes(admin_cancel) == ["FORBIDDEN"]


async def test_user_orders_field_is_private(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    alice: Account = await new_account()
    bob: Account = await new_account()
    order = await place(gql, alice)
    query = """query($r: [_Any!]!) { _entities(representations: $r) { ... on User { orders { nodes { id total { amount } } } } } }"""
    reps = {"r": [{"__typename": "User", "id": alice.id}]}
    mine = await gql("orders", query, reps, token=alice.token)
    assert mine["data"]["_entities"][0]["orders"]["nodes"] == [
        {"id": order["id"], "total": {"amount": order["total"]["amount"]}}
    ]
    theirs = await gql("orders", query, reps, token=bob.token)
    assert codes(theirs) == ["FORBIDDEN"]
