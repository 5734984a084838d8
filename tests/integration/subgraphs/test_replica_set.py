"""A service refuses to start on a standalone MongoDB (its outbox needs transactions) and says
what to do, instead of starting and failing on the first order."""

from __future__ import annotations

import dataclasses
import subprocess

from devstack.store import free_port, store_executable, wait_for_port
from subgraphs.common import replica_set
from tests.support.shop import Shop


def test_a_standalone_mongodb_stops_the_service_at_start_with_advice(shop: Shop) -> None:
    port = free_port()
    standalone = subprocess.Popen(
        [store_executable(), "--host", "127.0.0.1", "--port", str(port), "--storage-path", ":memory:",
         "--log-level", "ERROR", "--standalone"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for_port(port, 30.0)
        orders = shop.specs["orders"]
        spec = dataclasses.replace(orders, port=free_port(), env={
            **orders.env, "MONGODB_URI": f"mongodb://127.0.0.1:{port}/?directConnection=true", "PORT": ""})
        spec.env["PORT"] = str(spec.port)
        service = subprocess.run(spec.argv, env=spec.environment(), capture_output=True, timeout=60)
    finally:
        standalone.terminate()
        standalone.wait(timeout=30)
    assert service.returncode != 0
    stderr = service.stderr.decode()
    assert "configuration error: MONGODB_URI points at a standalone MongoDB" in stderr
    assert "--replSet" in stderr and "Traceback" not in stderr


def test_replica_set_members_and_mongos_are_accepted() -> None:
    assert replica_set.problem({"setName": "rs0", "isWritablePrimary": True}) is None
    assert replica_set.problem({"msg": "isdbgrid"}) is None
    assert replica_set.problem({"isWritablePrimary": True}) == replica_set.ADVICE
    assert replica_set.check("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=200") is None  # unreachable: not decided here
