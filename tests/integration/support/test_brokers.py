"""On a machine where nothing listens on RabbitMQ's and Redis's standard ports, the tests start
private servers themselves (here forced by "standard" ports nothing listens on) and stop them."""

from __future__ import annotations

from pathlib import Path

import aio_pika
import redis

from devstack.ports import free_port
from tests.support.brokers import rabbitmq_server, redis_server


def test_redis_is_started_when_none_is_running(tmp_path: Path) -> None:
    server = redis_server(tmp_path, standard_port=free_port())
    try:
        assert server.process is not None
        client = redis.Redis(host="127.0.0.1", port=server.port)
        assert client.ping() and client.set("k", "v") and client.get("k") == b"v"
    finally:
        server.stop()
    assert server.process.poll() is not None


async def test_rabbitmq_is_started_when_none_is_running(tmp_path: Path) -> None:
    server = rabbitmq_server(tmp_path, standard_port=free_port())
    try:
        assert server.process is not None
        connection = await aio_pika.connect(f"amqp://guest:guest@127.0.0.1:{server.port}/", timeout=10)
        channel = await connection.channel()
        queue = await channel.declare_queue("probe", durable=True, arguments={"x-queue-type": "quorum"})
        await channel.default_exchange.publish(aio_pika.Message(b"hello"), routing_key="probe")
        message = await queue.get(timeout=10)
        assert message is not None and message.body == b"hello"
        await message.ack()
        await connection.close()
    finally:
        server.stop()
    assert server.process.poll() is not None
