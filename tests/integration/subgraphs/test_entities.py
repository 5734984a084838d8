"""Federation entry points: `_entities` for every entity type, batched loading, @requires input."""

from __future__ import annotations

from typing import Any

from subgraphs.orders.catalogue import SEED_PRODUCTS
from tests.support.shop import Account, GraphQL, codes, events_settled

ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { __typename %s } }"


async def queries_served(mongo) -> int:  # type: ignore[no-untyped-def]
    status = await mongo.admin.command("serverStatus")
    return status["opcounters"]["query"]


async def entities(gql: GraphQL, service: str, selection: str, reps: list[dict[str, Any]], token: str | None = None) -> list:
    body = await gql(service, ENTITIES % selection, {"r": reps}, token=token)
    assert "errors" not in body, body
    return body["data"]["_entities"]


async def place(gql: GraphQL, account: Account) -> dict:
    body = await gql(
        "orders",
        'mutation { createOrder(items: [{productId: "mouse-wl-2", quantity: 2}]) { id total { amount currency } } }',
        token=account.token,
    )
    return body["data"]["createOrder"]


async def test_users_resolves_user_references_in_one_query(gql: GraphQL, new_account, mongo) -> None:  # type: ignore[no-untyped-def]
    accounts = [await new_account() for _ in range(12)]
    reps = [{"__typename": "User", "id": a.id} for a in reversed(accounts)]
    reps.insert(3, {"__typename": "User", "id": "000000000000000000000000"})
    before = await queries_served(mongo)
    resolved = await entities(gql, "users", "... on User { id username }", reps)
    assert await queries_served(mongo) - before == 1
    expected = [{"__typename": "User", "id": a.id, "username": a.username} for a in reversed(accounts)]
    expected.insert(3, None)
    assert resolved == expected


async def test_orders_resolves_order_product_and_user_references(gql: GraphQL, new_account, mongo) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    orders = [await place(gql, account) for _ in range(5)]
    reps = [{"__typename": "Order", "id": o["id"]} for o in orders]
    before = await queries_served(mongo)
    resolved = await entities(gql, "orders", "... on Order { id total { amount } user { id } }", reps, account.token)
    assert await queries_served(mongo) - before == 1
    assert [r["id"] for r in resolved] == [o["id"] for o in orders]
    assert all(r["user"] == {"id": account.id} for r in resolved)

    products = [p for p in SEED_PRODUCTS][:6]
    before = await queries_served(mongo)
    resolved = await entities(
        gql, "orders", "... on Product { id name price { amount } }", [{"__typename": "Product", "id": p["id"]} for p in products]
    )
    assert await queries_served(mongo) - before == 1
    assert [(r["id"], r["price"]["amount"]) for r in resolved] == [(p["id"], p["price"]) for p in products]

    user = await entities(gql, "orders", "... on User { id orders { nodes { id } } }", [{"__typename": "User", "id": account.id}], account.token)
    assert [n["id"] for n in user[0]["orders"]["nodes"]] == [o["id"] for o in reversed(orders)]


async def test_order_items_load_their_products_in_one_query(gql: GraphQL, new_account, mongo) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    available = [p["id"] for p in SEED_PRODUCTS if p.get("available", True)]
    body = await gql(
        "orders",
        "mutation($i: [OrderItemInput!]!) { createOrder(items: $i) { id } }",
        {"i": [{"productId": pid, "quantity": 1} for pid in available]},
        token=account.token,
    )
    order_id = body["data"]["createOrder"]["id"]
    before = await queries_served(mongo)
    view = await gql("orders", "query($id: ID!) { order(id: $id) { items { product { id name } } } }", {"id": order_id}, token=account.token)
    # One query for the order, one for all of its products.
    assert await queries_served(mongo) - before == 2
    assert [i["product"]["id"] for i in view["data"]["order"]["items"]] == available


async def test_payments_resolves_order_and_payment_references(gql: GraphQL, new_account, mongo) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    orders = [await place(gql, account) for _ in range(4)]
    payment_ids = []
    for index, order in enumerate(orders[:3]):
        paid = await gql(
            "payments",
            "mutation($o: ID!, $k: String!) { payOrder(orderId: $o, method: PAYPAL, idempotencyKey: $k) { id } }",
            {"o": order["id"], "k": f"entity-test-{order['id']}-{index}"},
            token=account.token,
        )
        payment_ids.append(paid["data"]["payOrder"]["id"])
    await events_settled(mongo, gql.shop)

    reps = [{"__typename": "Order", "id": o["id"], "total": o["total"]} for o in orders]
    before = await queries_served(mongo)
    resolved = await entities(
        gql, "payments", "... on Order { id payments { id method } amountDue { amount } }", reps, account.token
    )
    assert await queries_served(mongo) - before == 1
    assert [r["payments"] for r in resolved] == [[{"id": pid, "method": "PAYPAL"}] for pid in payment_ids] + [[]]
    assert [r["amountDue"]["amount"] for r in resolved] == [0, 0, 0, orders[3]["total"]["amount"]]

    payments = await entities(
        gql, "payments", "... on Payment { id status order { id } }", [{"__typename": "Payment", "id": p} for p in payment_ids], account.token
    )
    assert [(p["id"], p["order"]["id"]) for p in payments] == list(zip(payment_ids, [o["id"] for o in orders[:3]]))


async def test_amount_due_uses_the_total_it_is_given(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    """@requires: the router sends the order's total from the orders subgraph in the representation."""
    account: Account = await new_account()
    rep = {"__typename": "Order", "id": "0123456789abcdef01234567", "total": {"amount": 4321, "currency": "EUR"}}
    (resolved,) = await entities(gql, "payments", "... on Order { amountDue { amount currency } }", [rep], account.token)
    assert resolved["amountDue"] == {"amount": 4321, "currency": "EUR"}


async def test_malformed_representation_is_an_error_not_a_crash(gql: GraphQL) -> None:
    body = await gql("users", ENTITIES % "... on User { id }", {"r": [{"__typename": "User", "uid": "x"}]})
    assert body["data"] == {"_entities": [None]}
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "User" in body["errors"][0]["message"]
    unknown_type = await gql("users", ENTITIES % "... on User { id }", {"r": [{"__typename": "Nope", "id": "x"}]})
    assert unknown_type["data"] is None or unknown_type["data"] == {"_entities": [None]}
    assert unknown_type["errors"] and "Traceback" not in str(unknown_type)
