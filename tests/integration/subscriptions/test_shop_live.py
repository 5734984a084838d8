"""Live orders through the router in front of the real shop: `orderUpdated` from the orders
subgraph, every event completed with `user { username }` (users) and `payments`/`amountDue`
(payments) by the planner's ordinary entity fetches, over each client protocol with the real
client libraries."""

from __future__ import annotations

import uuid

from live import multipart, node_client, sse

from subgraphs.orders.catalogue import SEED_PRODUCTS
from tests.support.harness import gql, register

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


async def test_python_gql_websockets_transport_with_the_token_in_connection_init(shop_router):
    from gql import Client, GraphQLRequest
    from gql.transport.websockets import WebsocketsTransport

    alice = register(shop_router)
    order = _order(shop_router, alice["token"])
    transport = WebsocketsTransport(url=shop_router.url.replace("http", "ws", 1),
                                    subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
                                    init_payload={"Authorization": f"Bearer {alice['token']}"})
    async with Client(transport=transport) as session:
        events = session.subscribe(GraphQLRequest(LIVE, variable_values={"id": order["id"]}))
        first = await anext(events)
        assert first["orderUpdated"]["status"] == "PENDING"
        assert first["orderUpdated"]["user"] == {"username": alice["user"]["username"]}
        status, body = await _in_thread(gql, shop_router, CANCEL, alice["token"], {"id": order["id"]})
        assert body["data"]["cancelOrder"]["status"] == "CANCELLED", body
        second = await anext(events)
        assert second["orderUpdated"]["status"] == "CANCELLED"
        await events.aclose()


async def _in_thread(fn, *args):
    import asyncio

    return await asyncio.to_thread(fn, *args)


def test_graphql_sse_client_gets_every_order_of_its_owner_and_none_of_anyone_else(shop_router):
    alice, bob = register(shop_router), register(shop_router)
    with node_client("sse", shop_router.url, LIVE, {}, alice["token"]) as client:
        # no orderId: no first event to show the subscription is live; place orders until one shows
        seen = None
        for _ in range(20):
            _order(shop_router, bob["token"])  # never Alice's business
            mine = _order(shop_router, alice["token"])
            try:
                seen = client.lines.get(timeout=1.0)
            except Exception:  # noqa: BLE001 - queue.Empty: not subscribed yet, place another
                continue
            break
        assert seen is not None, "no event for any of Alice's orders"
        event = seen["next"]["data"]["orderUpdated"]
        assert event["user"] == {"username": alice["user"]["username"]} and event["status"] == "PENDING"
        assert event["amountDue"] == event["total"] and event["payments"] == []
        status, body = gql(shop_router, CANCEL, alice["token"], {"id": mine["id"]})
        assert body["data"]["cancelOrder"]["status"] == "CANCELLED", body
        while True:  # orders placed before the first event showed may come first
            got = client.line()["next"]["data"]["orderUpdated"]
            assert got["user"] == {"username": alice["user"]["username"]}
            if got["id"] == mine["id"] and got["status"] == "CANCELLED":
                break


def test_multipart_subscription_as_apollo_client_sends_it(shop_router):
    alice = register(shop_router)
    order = _order(shop_router, alice["token"])
    with multipart(shop_router.url, LIVE, {"id": order["id"]}, alice["token"]) as (response, parts):
        assert response.status_code == 200
        assert response.headers["content-type"] == 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0'
        first = parts.payload()
        assert first["payload"]["data"]["orderUpdated"]["status"] == "PENDING"
        gql(shop_router, CANCEL, alice["token"], {"id": order["id"]})
        assert parts.payload()["payload"]["data"]["orderUpdated"]["status"] == "CANCELLED"


def test_raw_sse_stream_and_a_query_over_sse(shop_router):
    alice = register(shop_router)
    order = _order(shop_router, alice["token"])
    with sse(shop_router.url, LIVE, {"id": order["id"]}, alice["token"]) as (response, events):
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        kind, data = events.event()
        assert kind == "next" and data["data"]["orderUpdated"]["id"] == order["id"]
    with sse(shop_router.url, "query($id: ID!) { order(id: $id) { status user { username } } }",
             {"id": order["id"]}, alice["token"]) as (response, events):
        assert events.event() == ("next", {"data": {"order": {
            "status": "PENDING", "user": {"username": alice["user"]["username"]}}}})
        assert events.event() == ("complete", None)


def test_someone_elses_order_is_not_found_and_anonymous_is_refused(shop_router):
    alice, bob = register(shop_router), register(shop_router)
    order = _order(shop_router, alice["token"])
    with node_client("ws", shop_router.url, LIVE, {"id": order["id"]}, bob["token"]) as client:
        got = client.line()
        assert got["next"]["data"] is None
        assert [e["extensions"]["code"] for e in got["next"]["errors"]] == ["NOT_FOUND"]
        assert got["next"]["errors"][0]["extensions"]["serviceName"] == "orders"
        assert client.line() == {"complete": True}
    with node_client("ws", shop_router.url, LIVE, {"id": order["id"]}) as client:  # no token at all
        got = client.line()
        assert "error" in got, got
        refused = got["error"]["errors"]
        assert refused == [{"message": "Unauthorized field or type", "path": ["orderUpdated"],
                            "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"}}]
    with sse(shop_router.url, LIVE, {"id": order["id"]}) as (response, _):
        assert response.status_code == 403
        response.read()
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"


def test_a_bad_token_closes_the_socket_with_4403_and_json_post_needs_a_stream(shop_router):
    with node_client("ws", shop_router.url, LIVE, {}, "not-a-jwt", token_in_init=True) as client:
        error = client.line()["error"]
        assert error["closeCode"] == 4403 and error["reason"].startswith("Forbidden: ")
    alice = register(shop_router)
    status, body = gql(shop_router, LIVE, alice["token"])
    assert status == 400 and body["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_TRANSPORT_REQUIRED"


def test_with_signing_the_subscription_upgrade_is_signed_and_a_direct_one_refused(shop, tmp_path):
    import dataclasses

    from live import RawWebSocket

    from devstack.ports import free_port, wait_for_port
    from tests.support.harness import ROOT, yaml_router
    from tests.support.shop import start_process, supergraph_sdl, wait_ready

    secret = uuid.uuid4().hex + uuid.uuid4().hex
    spec = shop.specs["orders"]
    port = free_port()
    spec = dataclasses.replace(spec, port=port, env={**spec.env, "PORT": str(port), "ROUTER_SIGNING_SECRET": secret})
    process = start_process(spec, tmp_path / "orders.log")
    try:
        assert wait_for_port(port, 30)
        wait_ready(spec.url)
        direct = RawWebSocket(f"{spec.url}/graphql")
        assert direct.status == 403
        supergraph = tmp_path / "supergraph.graphql"
        supergraph.write_text(supergraph_sdl(shop))
        config = (ROOT / "router" / "router.yaml").read_text() + f'subgraph_signing:\n  secret: "{secret}"\n'
        router = yaml_router(supergraph, config, tmp_path, env={
            "USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json", "ORDERS_URL": f"{spec.url}/graphql"})
        try:
            alice = register(router)
            order = _order(router, alice["token"])
            with node_client("ws", router.url, LIVE, {"id": order["id"]}, alice["token"]) as client:
                event = client.line()["next"]["data"]["orderUpdated"]
                assert event["id"] == order["id"] and event["user"] == {"username": alice["user"]["username"]}
        finally:
            router.stop()
    finally:
        process.terminate()
        process.wait(10)


def test_apollo_client_multipart_subscription_follows_an_order_until_paid(shop_router):
    alice = register(shop_router)
    order = _order(shop_router, alice["token"])
    amount = order["total"]["amount"]
    with node_client("apollo", shop_router.url, LIVE, {"id": order["id"]}, alice["token"]) as client:
        assert client.line() == {"next": {"data": {"orderUpdated": {
            "__typename": "Order", "id": order["id"], "status": "PENDING",
            "user": {"__typename": "User", "username": alice["user"]["username"]},
            "total": {"__typename": "Money", "amount": amount}, "amountDue": {"__typename": "Money", "amount": amount},
            "payments": []}}}}
        status, body = gql(shop_router, PAY, alice["token"], {"o": order["id"], "k": uuid.uuid4().hex})
        assert status == 200 and body["data"]["payOrder"]["status"] == "SUCCEEDED", body
        paid = client.line()["next"]["data"]["orderUpdated"]
        assert paid["status"] == "CONFIRMED" and paid["amountDue"]["amount"] == 0
        assert paid["payments"] == [{"__typename": "Payment", "status": "SUCCEEDED"}]


def test_apollo_client_gets_the_subgraphs_error_and_the_routers_refusal(shop_router):
    alice, bob = register(shop_router), register(shop_router)
    order = _order(shop_router, alice["token"])
    with node_client("apollo", shop_router.url, LIVE, {"id": order["id"]}, bob["token"]) as client:
        got = client.line()
        assert got["next"]["data"] is None, got
        assert [e["extensions"]["code"] for e in got["next"]["errors"]] == ["NOT_FOUND"]
    with node_client("apollo", shop_router.url, LIVE, {"id": order["id"]}) as client:  # anonymous
        got = client.line()
        refused = got["error"]
        assert refused["status"] == 403
        assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHORIZED_FIELD_OR_TYPE"]
