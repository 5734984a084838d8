"""Events through RabbitMQ, with the faults that matter: the broker away when an order is
paid, a consumer killed before its ack, duplicate deliveries, poison messages, a service
restarted with events still in its outbox. The broker is the machine's real RabbitMQ; the
services reach it through a proxy the tests can cut."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import uuid
from typing import AsyncIterator

import aio_pika
import pytest
import pytest_asyncio

from devstack.ports import free_port, wait_for_port
from devstack.stack import ServiceSpec, subgraph_specs
from subgraphs.common.events.amqp import Topology
from subgraphs.common.events.envelope import PAYMENT_SUCCEEDED, Event
from tests.support.shop import Account, GraphQL, Shop, eventually, wait_ready
from tests.support.tcp_proxy import TcpProxy

MAX_DELIVERIES = 3
PLACE = 'mutation { createOrder(items: [{productId: "webcam-1080", quantity: 1}]) { id total { amount currency } } }'
PAY = "mutation($o: ID!, $k: String!) { payOrder(orderId: $o, method: CARD, idempotencyKey: $k) { id status } }"


@dataclasses.dataclass
class RabbitShop:
    shop: Shop
    proxy: TcpProxy
    topology: Topology
    specs: dict[str, ServiceSpec]
    processes: dict[str, subprocess.Popen[bytes]]
    log_dir: object
    amqp_port: int  # the broker itself, behind the proxy the services use

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    def url(self, service: str) -> str:
        return f"{self.specs[service].url}/graphql"

    def start(self, service: str, **env: str) -> subprocess.Popen[bytes]:
        spec = self.specs[service]
        spec = dataclasses.replace(spec, env={**spec.env, **env})
        log = open(f"{self.log_dir}/{service}-{uuid.uuid4().hex[:6]}.log", "wb")
        process = subprocess.Popen(spec.argv, env=spec.environment(), stdout=log, stderr=subprocess.STDOUT)
        self.processes[service] = process
        assert wait_for_port(spec.port, 30), f"{service} did not start"
        wait_ready(spec.url)
        return process

    def stop(self, service: str) -> None:
        process = self.processes.pop(service)
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def rabbit(shop: Shop, amqp_port: int, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RabbitShop]:
    try:
        probe = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{amqp_port}/", timeout=5)
    except Exception as error:  # noqa: BLE001
        pytest.fail(f"RabbitMQ on 127.0.0.1:{amqp_port} refuses guest/guest: {error}")
    await probe.close()
    proxy = await TcpProxy(amqp_port).start()
    topology = Topology(f"test-{uuid.uuid4().hex[:8]}", MAX_DELIVERIES)
    ports = {"users": shop.specs["users"].port, "orders": free_port(), "payments": free_port()}
    specs = subgraph_specs(
        mongodb_uri=shop.store.uri,
        keys_dir=shop.keys_dir,
        ports=ports,
        database_prefix=f"r{uuid.uuid4().hex[:6]}_",
        extra_env={
            "AMQP_URL": f"amqp://guest:guest@127.0.0.1:{proxy.port}/",
            "EVENTS_NAMESPACE": topology.namespace,
            "EVENTS_MAX_DELIVERIES": str(MAX_DELIVERIES),
            "EVENTS_RELAY_INTERVAL_MS": "300",
            "ORDERS_SEED_CATALOGUE": "true",
        },
    )
    stack = RabbitShop(
        shop, proxy, topology, {s.name: s for s in specs if s.name != "users"}, {}, tmp_path_factory.mktemp("rabbit"),
        amqp_port,
    )
    try:
        await asyncio.to_thread(stack.start, "orders")
        await asyncio.to_thread(stack.start, "payments")
        yield stack
    finally:
        for service in list(stack.processes):
            await asyncio.to_thread(stack.stop, service)
        await proxy.cut()
        connection = await aio_pika.connect(stack.amqp_url)
        channel = await connection.channel()
        for service in ("orders", "payments"):
            await channel.queue_delete(topology.queue(service))
            await channel.queue_delete(topology.dead_queue(service))
        await channel.exchange_delete(topology.exchange)
        await channel.exchange_delete(topology.dead_letter_exchange)
        await connection.close()


async def call(gql: GraphQL, rabbit: RabbitShop, service: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await gql.http.post(rabbit.url(service), json={"query": query, "variables": variables or {}}, headers=headers)
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def status_of(gql: GraphQL, rabbit: RabbitShop, account: Account, order_id: str) -> str:
    data = await call(gql, rabbit, "orders", "query($id: ID!) { order(id: $id) { status } }", {"id": order_id}, account.token)
    return data["order"]["status"]


async def confirmed(gql: GraphQL, rabbit: RabbitShop, account: Account, order_id: str, timeout: float = 40) -> bool:
    async def check() -> bool:
        return await status_of(gql, rabbit, account, order_id) == "CONFIRMED"

    return await eventually(check, timeout=timeout, interval=0.2)


async def place_and_pay(gql: GraphQL, rabbit: RabbitShop, account: Account) -> str:
    order = (await call(gql, rabbit, "orders", PLACE, token=account.token))["createOrder"]
    await call(gql, rabbit, "payments", PAY, {"o": order["id"], "k": f"k-{uuid.uuid4().hex}"}, account.token)
    return order["id"]


async def history(mongo, rabbit: RabbitShop, order_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    from bson import ObjectId

    order = await mongo[rabbit.specs["orders"].env["MONGODB_DB"]].orders.find_one({"_id": ObjectId(order_id)})
    return [change["status"] for change in order["history"]]


async def publish(rabbit: RabbitShop, body: bytes, routing_key: str) -> None:
    connection = await aio_pika.connect(rabbit.amqp_url)
    channel = await connection.channel()
    exchange = await channel.get_exchange(rabbit.topology.exchange)
    await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key=routing_key)
    await connection.close()


async def queue_depth(rabbit: RabbitShop, name: str) -> int:
    connection = await aio_pika.connect(rabbit.amqp_url)
    channel = await connection.channel()
    queue = await channel.declare_queue(name, passive=True)
    count = queue.declaration_result.message_count
    await connection.close()
    return int(count or 0)


async def test_payment_confirms_the_order_through_rabbitmq(gql: GraphQL, rabbit: RabbitShop, new_account, mongo) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order_id = await place_and_pay(gql, rabbit, account)
    assert await confirmed(gql, rabbit, account, order_id)
    assert await history(mongo, rabbit, order_id) == ["PENDING", "CONFIRMED"]


async def test_broker_down_when_paid_then_confirmed_once_back(gql: GraphQL, rabbit: RabbitShop, new_account, mongo) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    await rabbit.proxy.cut()
    try:
        order_id = await place_and_pay(gql, rabbit, account)
        outbox = mongo[rabbit.specs["payments"].env["MONGODB_DB"]].outbox
        stuck = await eventually(lambda: outbox.find_one({"data.orderId": order_id, "attempts": {"$gte": 1}}), timeout=20)
        assert stuck is not None and stuck["published_at"] is None
        assert await status_of(gql, rabbit, account, order_id) == "PENDING"
    finally:
        await rabbit.proxy.restore()
    assert await confirmed(gql, rabbit, account, order_id)
    assert await history(mongo, rabbit, order_id) == ["PENDING", "CONFIRMED"]


async def test_nothing_lost_when_a_service_restarts_with_events_unsent(gql: GraphQL, rabbit: RabbitShop, new_account, mongo) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    await rabbit.proxy.cut()
    try:
        order_id = await place_and_pay(gql, rabbit, account)
        await asyncio.to_thread(rabbit.stop, "payments")
        await asyncio.to_thread(rabbit.start, "payments")
    finally:
        await rabbit.proxy.restore()
    assert await confirmed(gql, rabbit, account, order_id)


async def test_consumer_killed_before_ack_applies_the_event_once(gql: GraphQL, rabbit: RabbitShop, new_account, mongo) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    await asyncio.to_thread(rabbit.stop, "orders")
    crashing = await asyncio.to_thread(rabbit.start, "orders", EVENTS_FAILPOINT="exit-before-ack")
    order_id = await place_and_pay(gql, rabbit, account)
    exit_code = await asyncio.to_thread(crashing.wait, 30)
    assert exit_code == 75  # it committed the confirmation, then died before acknowledging
    rabbit.processes.pop("orders")
    await asyncio.to_thread(rabbit.start, "orders")
    assert await status_of(gql, rabbit, account, order_id) == "CONFIRMED"

    async def drained() -> bool:
        return await queue_depth(rabbit, rabbit.topology.queue("orders")) == 0

    assert await eventually(drained, timeout=30)
    assert await history(mongo, rabbit, order_id) == ["PENDING", "CONFIRMED"]
    processed = mongo[rabbit.specs["orders"].env["MONGODB_DB"]].processed_events
    assert await processed.count_documents({"type": PAYMENT_SUCCEEDED}) >= 1


async def test_duplicate_deliveries_have_one_effect(gql: GraphQL, rabbit: RabbitShop, new_account, mongo) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    order = (await call(gql, rabbit, "orders", PLACE, token=account.token))["createOrder"]
    event = Event.new(
        PAYMENT_SUCCEEDED,
        {"paymentId": "dup", "orderId": order["id"], "userId": account.id, "amount": order["total"], "method": "CARD"},
    )
    for _ in range(3):
        await publish(rabbit, event.to_json(), PAYMENT_SUCCEEDED)
    assert await confirmed(gql, rabbit, account, order["id"])

    async def drained() -> bool:
        return await queue_depth(rabbit, rabbit.topology.queue("orders")) == 0

    assert await eventually(drained, timeout=30)
    assert await history(mongo, rabbit, order["id"]) == ["PENDING", "CONFIRMED"]


async def test_poison_messages_go_to_the_dead_letter_queue(gql: GraphQL, rabbit: RabbitShop) -> None:
    dead = rabbit.topology.dead_queue("orders")
    before = await queue_depth(rabbit, dead)
    await publish(rabbit, b"{not json", PAYMENT_SUCCEEDED)
    failing = Event.new(PAYMENT_SUCCEEDED, {"orderId": "0123456789abcdef01234567"})  # no amount: the handler fails
    await publish(rabbit, failing.to_json(), PAYMENT_SUCCEEDED)

    async def both_dead() -> bool:
        return await queue_depth(rabbit, dead) - before == 2

    assert await eventually(both_dead, timeout=30)
    assert await queue_depth(rabbit, rabbit.topology.queue("orders")) == 0
