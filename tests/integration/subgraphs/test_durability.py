"""Acknowledged writes survive a crash of the store, and the services recover by themselves."""

from __future__ import annotations

import asyncio

from tests.support.shop import Account, GraphQL, Shop
from tests.support.wait import wait_for

ORDER = "query($id: ID!) { order(id: $id) { id status total { amount } } }"


async def answers(http, url: str, status: int, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    last: list[object] = [None]

    async def answered() -> bool:
        try:
            last[0] = (await http.get(url, timeout=5)).status_code
        except Exception as error:  # noqa: BLE001 - any failure is "not yet"
            last[0] = repr(error)
        return last[0] == status

    assert await wait_for(answered, timeout, 0.2), f"{url} answered {last[0]}, expected {status}"


async def test_data_survives_a_store_crash(gql: GraphQL, http, shop: Shop, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    created = await gql(
        "orders",
        'mutation { createOrder(items: [{productId: "webcam-1080", quantity: 2}]) { id total { amount } } }',
        token=account.token,
    )
    order = created["data"]["createOrder"]
    paid = await gql(
        "payments",
        "mutation($o: ID!) { payOrder(orderId: $o, method: CARD, idempotencyKey: \"durable-key-1\") { id status } }",
        {"o": order["id"]},
        token=account.token,
    )
    payment = paid["data"]["payOrder"]

    shop.store.kill()  # SIGKILL: no clean shutdown, no final flush
    for service in ("users", "orders", "payments"):
        await answers(http, f"{shop.base(service)}/ready", 503)

    await asyncio.to_thread(shop.store.start)
    for service in ("users", "orders", "payments"):
        await answers(http, f"{shop.base(service)}/ready", 200)

    login = await gql(
        "users",
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { user { id } } }",
        {"e": account.email, "p": account.password},
    )
    assert login["data"]["login"]["user"]["id"] == account.id
    # The payment's event confirms the order, before or after the crash, but it does.
    async def confirmed() -> dict | None:
        after = await gql("orders", ORDER, {"id": order["id"]}, token=account.token)
        return after if after["data"]["order"]["status"] == "CONFIRMED" else None

    after = await wait_for(confirmed, 30, 0.2) or await gql("orders", ORDER, {"id": order["id"]}, token=account.token)
    assert after["data"]["order"] == {"id": order["id"], "status": "CONFIRMED", "total": order["total"]}
    replay = await gql(
        "payments",
        "mutation($o: ID!) { payOrder(orderId: $o, method: CARD, idempotencyKey: \"durable-key-1\") { id status } }",
        {"o": order["id"]},
        token=account.token,
    )
    assert replay["data"]["payOrder"] == payment
