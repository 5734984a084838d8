"""The real shop for integration tests: the embedded store and the three subgraphs as
separate processes on free ports, configured exactly as `make dev` configures them."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from devstack.keys import ensure_key_pair
from devstack.ports import free_port, wait_for_port
from devstack.stack import ServiceSpec, subgraph_specs
from devstack.store import EmbeddedStore
from tests.integration.subgraphs.helpers import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    DECLINE_ABOVE,
    REGISTER,
    TOKEN_TTL_SECONDS,
    Account,
    GraphQL,
    Shop,
)


def _start(spec: ServiceSpec, log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "wb")
    return subprocess.Popen(spec.argv, env=spec.environment(), stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base} never became ready")


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    root = tmp_path_factory.mktemp("shop")
    store = EmbeddedStore(root / "store", sync_on_commit=True, log=open(root / "store.log", "wb")).start()
    keys_dir = root / "keys"
    ensure_key_pair(keys_dir)
    ports = {name: free_port() for name in ("users", "orders", "payments")}
    specs = subgraph_specs(
        mongodb_uri=store.uri,
        keys_dir=keys_dir,
        ports=ports,
        database_prefix=f"t{uuid.uuid4().hex[:6]}_",
        events_secret=uuid.uuid4().hex,
        extra_env={
            "EVENTS_RELAY_INTERVAL_MS": "200",
            "BCRYPT_ROUNDS": "4",
            "JWT_TTL_SECONDS": str(TOKEN_TTL_SECONDS),
            "ORDERS_SEED_CATALOGUE": "true",
            "USERS_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
            "USERS_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "PAYMENTS_DECLINE_ABOVE": str(DECLINE_ABOVE),
        },
    )
    shop = Shop(store, keys_dir, {s.name: s for s in specs}, {s.name: root / f"{s.name}.log" for s in specs})
    try:
        for spec in specs:
            shop.processes[spec.name] = _start(spec, shop.logs[spec.name])
        for spec in specs:
            assert wait_for_port(spec.port, 30), f"{spec.name} did not start:\n{shop.log_text(spec.name)}"
            wait_ready(spec.url)
        yield shop
    finally:
        for process in shop.processes.values():
            process.terminate()
        for process in shop.processes.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        store.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def gql(shop: Shop, http: httpx.AsyncClient) -> GraphQL:
    return GraphQL(shop, http)


@pytest.fixture(scope="session")
def new_account(gql: GraphQL) -> Callable[[], Awaitable[Account]]:
    async def make() -> Account:
        suffix = uuid.uuid4().hex[:10]
        data = {"username": f"user_{suffix}", "email": f"user_{suffix}@example.com", "password": f"pw-{suffix}!"}
        body = await gql("users", REGISTER, {"input": data})
        assert "errors" not in body, body
        payload = body["data"]["register"]
        return Account(payload["user"]["id"], data["username"], data["email"], data["password"], payload["token"])

    return make


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def admin_token(gql: GraphQL) -> str:
    body = await gql(
        "users",
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
        {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD},
    )
    return body["data"]["login"]["token"]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def mongo(shop: Shop) -> AsyncIterator[AsyncMongoClient]:
    client: AsyncMongoClient = AsyncMongoClient(shop.store.uri, tz_aware=True)
    yield client
    await client.close()
