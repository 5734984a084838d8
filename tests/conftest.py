"""Fixtures shared by every test package, each started once per session on first use: the
real shop (store + subgraphs), used by the subgraph, router and differential tests; and the
router's Node test subgraphs with routers built in front of them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import AsyncIterator, Awaitable, Callable, Iterator

import httpx
import pytest
import pytest_asyncio
from pymongo import AsyncMongoClient

from tests.support import harness
from tests.support.brokers import rabbitmq_server, redis_server
from tests.support.shop import ADMIN_EMAIL, ADMIN_PASSWORD, REGISTER, Account, GraphQL, Shop, start_shop
from tests.support.supergraphs import router_sdl, router_supergraph, security_sdl


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    yield from start_shop(tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="session")
def amqp_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """RabbitMQ on 127.0.0.1 (guest/guest): the machine's, or one started for the session."""
    server = rabbitmq_server(tmp_path_factory.mktemp("rabbitmq"))
    yield server.port
    server.stop()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Redis on 127.0.0.1: the machine's, or one started for the session."""
    server = redis_server(tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{server.port}/0"
    server.stop()


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


@pytest.fixture(scope="session")
def subgraphs() -> Iterator[int]:
    """The router's test subgraphs (Node, fixed data), one process for the session; its port."""
    if not harness.node_available():
        pytest.fail("tests/node/node_modules missing: run `make node`")
    process, port = harness.start_subgraphs(harness.ROUTER_FIXTURES)
    yield port
    harness.stop(process)


@pytest.fixture(scope="session")
def router_test_sdl() -> str:
    """The router test supergraph, composed by our composer from the Node subgraphs' SDLs
    (placeholder URLs): the supergraph the planner, executor and router tests run on."""
    return router_sdl()


@pytest.fixture(scope="session")
def security_test_sdl() -> str:
    """The security test supergraph, composed as `router_test_sdl` is."""
    return security_sdl()


@pytest.fixture(scope="session")
def router_test_supergraph(router_test_sdl: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`router_test_sdl` in a file, for the command line."""
    path = tmp_path_factory.mktemp("router-test-supergraph") / "supergraph.graphql"
    path.write_text(router_test_sdl)
    return path


@pytest.fixture
def supergraph_file(tmp_path: Path, subgraphs: int) -> Path:
    path = tmp_path / "supergraph.graphql"
    path.write_text(router_supergraph(subgraphs, harness.closed_port()))
    return path


@pytest.fixture
def router_factory(tmp_path: Path) -> Iterator[Callable[..., harness.RouterServer]]:
    """Routers in a thread, in front of the given supergraph, with the plugins of the given
    router.yaml text; stopped after the test. `make_router` and the router suites' own
    factories are this one bound to their supergraph."""
    started: list[harness.RouterServer] = []

    def make(supergraph: Path, config: str | None = None, env: dict | None = None) -> harness.RouterServer:
        path = None
        if config is not None:
            path = tmp_path / f"router{len(started)}.yaml"
            path.write_text(config)
        router = harness.RouterServer(str(supergraph), str(path) if path else None, env)
        started.append(router)
        return router

    yield make
    for router in started:
        router.stop()


@pytest.fixture
def make_router(supergraph_file: Path,
                router_factory: Callable[..., harness.RouterServer]) -> Callable[..., harness.RouterServer]:
    """Routers (with the plugins of the given router.yaml text) in front of the test subgraphs."""

    def make(config: str | None = None, env: dict | None = None) -> harness.RouterServer:
        return router_factory(supergraph_file, config, env)

    return make
