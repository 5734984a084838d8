"""Live orders with TWO orders replicas over a real RabbitMQ (the session's broker, a namespace of
its own): the router subscribes on replica A, every change is made through replica B (orders
placed and cancelled there, payments asking B for the order, `payment.succeeded` consumed by
whichever replica the shared queue hands it to), and the subscriber still sees each one, with
`user`, `payments` and `amountDue` resolved from the other subgraphs."""

from __future__ import annotations

import dataclasses
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import aio_pika
import httpx
import pytest
from live import node_client, sse

from devstack.ports import free_port, wait_for_port
from devstack.stack import DEV_PORTS, ServiceSpec, subgraph_specs
from subgraphs.orders.catalogue import SEED_PRODUCTS
from subgraphs.orders.live import exchange_name
from tests.support.harness import ROOT, RouterServer, register, yaml_router
from tests.support.shop import Shop, start_process, wait_ready

PRODUCT = next(p for p in SEED_PRODUCTS if p.get("available", True) and p["price"] < 100_000)
CREATE = "mutation($i: [OrderItemInput!]!) { createOrder(items: $i) { id total { amount currency } } }"
CANCEL = "mutation($id: ID!) { cancelOrder(id: $id) { id status } }"
PAY = "mutation($o: ID!, $k: String!) { payOrder(orderId: $o, method: CARD, idempotencyKey: $k) { status } }"
MY_ORDERS = """subscription { myOrders(first: 5) {
  id status user { username } total { amount } amountDue { amount } payments { status } } }"""
ORDER = "subscription($id: ID) { orderUpdated(orderId: $id) { id status amountDue { amount } } }"


@dataclasses.dataclass
class Replicas:
    router: RouterServer
    specs: dict[str, ServiceSpec]  # orders-a, orders-b, payments

    def call(self, name: str, query: str, token: str, variables: dict) -> dict:
        response = httpx.post(f"{self.specs[name].url}/graphql", json={"query": query, "variables": variables},
                              headers={"authorization": f"Bearer {token}"}, timeout=30)
        body = response.json()
        assert response.status_code == 200 and "errors" not in body, body
        return body["data"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def replicas(shop: Shop, amqp_port: int, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicas]:
    tmp = tmp_path_factory.mktemp("fanout")
    namespace = f"live-{uuid.uuid4().hex[:8]}"
    ports = {"users": shop.specs["users"].port, "orders": free_port(), "payments": free_port()}
    b_port = free_port()
    specs = {s.name: s for s in subgraph_specs(
        mongodb_uri=shop.store.uri, keys_dir=shop.keys_dir, ports=ports, database_prefix=f"f{uuid.uuid4().hex[:6]}_",
        extra_env={"AMQP_URL": f"amqp://guest:guest@127.0.0.1:{amqp_port}/", "EVENTS_NAMESPACE": namespace,
                   "EVENTS_RELAY_INTERVAL_MS": "200", "ORDERS_SEED_CATALOGUE": "true"})}
    a = specs["orders"]
    b = dataclasses.replace(a, name="orders-b", port=b_port, env={**a.env, "PORT": str(b_port)})
    payments = specs["payments"]  # payments asks replica B for the orders it charges
    payments = dataclasses.replace(payments, env={**payments.env, "ORDERS_URL": f"{b.url}/graphql"})
    started: list[subprocess.Popen[bytes]] = []
    chosen = {"orders-a": a, "orders-b": b, "payments": payments}
    router = None
    try:
        for name, spec in chosen.items():
            started.append(start_process(spec, tmp / f"{name}.log"))
        for name, spec in chosen.items():
            assert wait_for_port(spec.port, 30), (tmp / f"{name}.log").read_text()
            wait_ready(spec.url)
        sdl = (ROOT / "schema" / "supergraph.graphql").read_text()
        urls = {"users": shop.specs["users"].url, "orders": a.url, "payments": payments.url}
        for name, url in urls.items():
            sdl = sdl.replace(f"http://127.0.0.1:{DEV_PORTS[name]}/graphql", f"{url}/graphql")
        supergraph = tmp / "supergraph.graphql"
        supergraph.write_text(sdl)
        router = yaml_router(supergraph, (ROOT / "router" / "router.yaml").read_text(), tmp,
                        env={"USERS_JWKS_URL": f"{shop.base('users')}/.well-known/jwks.json"})
        yield Replicas(router, chosen)
    finally:
        if router is not None:
            router.stop()
        for process in started:
            process.terminate()
        for process in started:
            process.wait(15)
        _delete_exchange(amqp_port, exchange_name(namespace))


def _delete_exchange(port: int, name: str) -> None:
    import asyncio

    async def delete() -> None:
        connection = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{port}/", timeout=5)
        channel = await connection.channel()
        await channel.exchange_delete(name)
        await connection.close()

    asyncio.run(delete())


def _place(replicas: Replicas, token: str, on: str = "orders-b") -> dict:
    return replicas.call(on, CREATE, token, {"i": [{"productId": PRODUCT["id"], "quantity": 1}]})["createOrder"]


def test_my_orders_on_replica_a_sees_an_order_placed_and_paid_through_replica_b(replicas):
    alice = register(replicas.router)
    older = _place(replicas, alice["token"])
    with node_client("ws", replicas.router.url, MY_ORDERS, {}, alice["token"]) as client:
        first = client.line()["next"]["data"]["myOrders"]
        assert [o["id"] for o in first] == [older["id"]]
        assert first[0]["user"] == {"username": alice["user"]["username"]} and first[0]["status"] == "PENDING"

        placed = _place(replicas, alice["token"])  # through B: A hears of it only over the fanout
        listed = client.line()["next"]["data"]["myOrders"]
        assert [o["id"] for o in listed] == [placed["id"], older["id"]]
        amount = placed["total"]["amount"]
        assert listed[0] == {"id": placed["id"], "status": "PENDING", "user": {"username": alice["user"]["username"]},
                             "total": {"amount": amount}, "amountDue": {"amount": amount}, "payments": []}

        paid = replicas.call("payments", PAY, alice["token"], {"o": placed["id"], "k": uuid.uuid4().hex})
        assert paid["payOrder"]["status"] == "SUCCEEDED"
        confirmed = client.line()["next"]["data"]["myOrders"]  # payment.succeeded, consumed by A or B
        assert confirmed[0] == {"id": placed["id"], "status": "CONFIRMED",
                                "user": {"username": alice["user"]["username"]}, "total": {"amount": amount},
                                "amountDue": {"amount": 0}, "payments": [{"status": "SUCCEEDED"}]}
        assert confirmed[1]["id"] == older["id"] and confirmed[1]["status"] == "PENDING"


def test_someone_elses_orders_never_show_in_my_orders(replicas):
    alice, bob = register(replicas.router), register(replicas.router)
    with node_client("ws", replicas.router.url, MY_ORDERS, {}, alice["token"]) as client:
        assert client.line()["next"]["data"]["myOrders"] == []
        _place(replicas, bob["token"])
        mine = _place(replicas, alice["token"])
        listed = client.line()["next"]["data"]["myOrders"]  # Bob's order sent nothing
        assert [o["id"] for o in listed] == [mine["id"]]


def test_order_updated_over_sse_on_replica_a_follows_a_cancel_through_replica_b(replicas):
    alice = register(replicas.router)
    order = _place(replicas, alice["token"])
    with sse(replicas.router.url, ORDER, {"id": order["id"]}, alice["token"]) as (response, events):
        assert response.status_code == 200
        kind, data = events.event()
        assert kind == "next" and data["data"]["orderUpdated"]["status"] == "PENDING"
        replicas.call("orders-b", CANCEL, alice["token"], {"id": order["id"]})
        kind, data = events.event()
        assert (kind, data["data"]["orderUpdated"]) == ("next", {
            "id": order["id"], "status": "CANCELLED", "amountDue": {"amount": 0}})


def test_local_mode_keeps_notices_in_one_replica_and_amqp_needs_a_broker(tmp_path: Path):
    from subgraphs.common.config import ConfigError, Env
    from subgraphs.common.events.runtime import EventsSettings
    from subgraphs.orders.app import live_fanout

    def fanout(environ: dict[str, str]):  # type: ignore[no-untyped-def]
        env = Env(environ)
        return live_fanout(env, EventsSettings.from_env(env))

    assert fanout({}) is None
    assert fanout({"AMQP_URL": "amqp://guest:guest@127.0.0.1:1/", "ORDERS_LIVE_FANOUT": "local"}) is None
    assert fanout({"AMQP_URL": "amqp://guest:guest@127.0.0.1:1/"}) is not None
    with pytest.raises(ConfigError, match="ORDERS_LIVE_FANOUT=amqp needs AMQP_URL"):
        fanout({"ORDERS_LIVE_FANOUT": "amqp"})
    with pytest.raises(ConfigError, match="ORDERS_LIVE_FANOUT: must be one of amqp, local"):
        fanout({"ORDERS_LIVE_FANOUT": "kafka"})
