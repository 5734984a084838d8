"""Hostile operations sent straight to the orders subgraph: list fields under
many parents cost one database query, and nested list fan-out is refused before it runs,
while the service keeps answering everyone else."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import orjson

from subgraphs.orders.catalogue import SEED_PRODUCTS
from tests.support.shop import Account, GraphQL, Shop, codes, eventually

PRODUCT = next(p["id"] for p in SEED_PRODUCTS if p.get("available", True))
CREATE = "mutation($i: [OrderItemInput!]!) { createOrder(items: $i) { id } }"
USER_ORDERS = """
query($r: [_Any!]!, $first: Int!) {
  _entities(representations: $r) { ... on User { id orders(first: $first) { nodes { id } pageInfo { hasNextPage } } } }
}
"""


def nested(levels: int, first: int) -> str:
    """`order(id) { user { orders(first) { nodes { user { orders(first) ... } } } } }`."""
    inner = "id"
    for _ in range(levels):
        inner = f"user {{ orders(first: {first}) {{ nodes {{ id {inner} }} }} }}"
    return 'query($id: ID!) { order(id: $id) { id %s } }' % inner


async def place(gql: GraphQL, account: Account, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        body = await gql("orders", CREATE, {"i": [{"productId": PRODUCT, "quantity": 1}]}, token=account.token)
        assert "errors" not in body, body
        ids.append(body["data"]["createOrder"]["id"])
    return ids


async def access_line(shop: Shop, service: str, request_id: str) -> dict[str, Any]:
    """The access log line of one request (written as the response completes)."""

    async def find() -> dict[str, Any] | None:
        for line in shop.log_text(service).splitlines():
            if request_id in line and '"msg":"request"' in line:
                record: dict[str, Any] = orjson.loads(line)
                return record
        return None

    found = await eventually(find, timeout=10)
    assert found is not None, f"no access line for {request_id}"
    return found


async def post(shop: Shop, http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str) -> tuple[httpx.Response, str]:
    request_id = uuid.uuid4().hex
    response = await http.post(
        shop.url("orders"),
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}", "x-request-id": request_id},
    )
    return response, request_id


async def test_user_orders_of_many_users_cost_one_database_query(
    shop: Shop, http: httpx.AsyncClient, gql: GraphQL, new_account, admin_token: str  # type: ignore[no-untyped-def]
) -> None:
    accounts = [await new_account() for _ in range(4)]
    placed = {account.id: await place(gql, account, 3) for account in accounts}

    representations = [{"__typename": "User", "id": account.id} for account in accounts]
    response, request_id = await post(shop, http, USER_ORDERS, {"r": representations, "first": 2}, admin_token)

    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    for account, entity in zip(accounts, body["data"]["_entities"]):
        assert entity["id"] == account.id
        assert [node["id"] for node in entity["orders"]["nodes"]] == placed[account.id][::-1][:2]  # newest first
        assert entity["orders"]["pageInfo"]["hasNextPage"] is True
    assert (await access_line(shop, "orders", request_id))["db_queries"] == 1


async def test_pages_of_different_sizes_stay_separate(
    shop: Shop, http: httpx.AsyncClient, gql: GraphQL, new_account, admin_token: str  # type: ignore[no-untyped-def]
) -> None:
    account = await new_account()
    placed = await place(gql, account, 3)
    query = """query($r: [_Any!]!) { _entities(representations: $r) { ... on User {
      two: orders(first: 2) { nodes { id } } all: orders(first: 5) { nodes { id } pageInfo { hasNextPage } } } } }"""
    response, _ = await post(shop, http, query, {"r": [{"__typename": "User", "id": account.id}]}, admin_token)
    body = response.json()
    assert "errors" not in body, body
    entity = body["data"]["_entities"][0]
    assert [n["id"] for n in entity["two"]["nodes"]] == placed[::-1][:2]
    assert [n["id"] for n in entity["all"]["nodes"]] == placed[::-1]
    assert entity["all"]["pageInfo"]["hasNextPage"] is False


async def test_nested_orders_fan_out_is_refused_by_cost_and_orders_keeps_answering(
    shop: Shop, http: httpx.AsyncClient, gql: GraphQL, new_account  # type: ignore[no-untyped-def]
) -> None:
    account = await new_account()
    order_id = (await place(gql, account, 1))[0]

    attacks = [post(shop, http, nested(4, 30), {"id": order_id}, account.token) for _ in range(5)]
    normal = gql("orders", "query($id: ID!) { order(id: $id) { id } }", {"id": order_id}, token=account.token)
    *refused, answered = await asyncio.gather(*attacks, normal)

    for response, request_id in refused:
        body = response.json()
        assert response.status_code == 200, response.text
        assert body["data"] is None
        assert codes(body) == ["COST_ESTIMATED_TOO_EXPENSIVE"]
        assert body["errors"][0]["extensions"]["cost"] > body["errors"][0]["extensions"]["maxCost"]
        assert (await access_line(shop, "orders", request_id))["db_queries"] == 0  # refused before any work
    assert answered == {"data": {"order": {"id": order_id}}}


async def test_nested_orders_within_the_cost_are_answered(
    shop: Shop, http: httpx.AsyncClient, gql: GraphQL, new_account  # type: ignore[no-untyped-def]
) -> None:
    account = await new_account()
    order_id = (await place(gql, account, 2))[0]
    response, request_id = await post(shop, http, nested(3, 5), {"id": order_id}, account.token)
    body = response.json()
    assert "errors" not in body, body
    level = body["data"]["order"]["user"]["orders"]["nodes"]
    assert len(level) == 2 and len(level[0]["user"]["orders"]["nodes"]) == 2
    # one query for the order, one for the page: every level asks for the same user's page again
    assert (await access_line(shop, "orders", request_id))["db_queries"] == 2


async def test_a_very_deep_operation_is_refused_by_depth(
    shop: Shop, http: httpx.AsyncClient, gql: GraphQL, new_account  # type: ignore[no-untyped-def]
) -> None:
    account = await new_account()
    order_id = (await place(gql, account, 1))[0]
    response, _ = await post(shop, http, nested(20, 1), {"id": order_id}, account.token)
    body = response.json()
    assert body["data"] is None
    assert codes(body) == ["MAX_DEPTH_LIMIT"]
