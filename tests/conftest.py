"""Session fixtures shared by every test package: the real shop (store + subgraphs) is
started once, on first use, and reused by the subgraph, router and differential tests."""

from __future__ import annotations

import uuid
from typing import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from tests.support.shop import ADMIN_EMAIL, ADMIN_PASSWORD, REGISTER, Account, GraphQL, Shop, start_shop


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    yield from start_shop(tmp_path_factory.mktemp("shop"))


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
