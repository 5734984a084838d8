"""The real shop for tests: the embedded store and the three subgraphs as separate processes
on free ports, configured as `make dev` configures them (devstack), plus plain helpers.
The session fixtures built on it are in tests/conftest.py, shared by every test package."""

from __future__ import annotations

import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import httpx

from devstack.keys import ensure_key_pair
from devstack.ports import free_port, wait_for_port
from devstack.stack import DEV_PORTS, ServiceSpec, subgraph_specs
from devstack.store import EmbeddedStore
from tests.support.wait import wait_for, wait_until

ROOT = Path(__file__).resolve().parents[2]

ADMIN_EMAIL = "root@shop.test"
ADMIN_PASSWORD = "admin-password-for-tests"
DECLINE_ABOVE = 100_000
TOKEN_TTL_SECONDS = 900

REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { token user { id username email createdAt } }
}
"""


@dataclass
class Shop:
    store: EmbeddedStore
    keys_dir: Path
    specs: dict[str, ServiceSpec]
    logs: dict[str, Path]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return f"{self.specs[service].url}/graphql"

    def base(self, service: str) -> str:
        return self.specs[service].url

    def database(self, service: str) -> str:
        return self.specs[service].env["MONGODB_DB"]

    def log_text(self, service: str) -> str:
        return self.logs[service].read_text()


class GraphQL:
    """Posts operations to one subgraph, as a client would."""

    def __init__(self, shop: Shop, http: httpx.AsyncClient) -> None:
        self.shop = shop
        self.http = http

    async def __call__(
        self,
        service: str,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        all_headers = dict(headers or {})
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        response = await self.http.post(
            self.shop.url(service), json={"query": query, "variables": variables or {}}, headers=all_headers
        )
        assert response.status_code in (200, 400), response.text
        return response.json()


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    email: str
    password: str
    token: str


def codes(body: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in body.get("errors", [])]


async def eventually(check, timeout: float = 20.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """Polls an async check until it returns something truthy; events are asynchronous."""
    return await wait_for(check, timeout, interval)


async def events_settled(mongo, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    """Waits until every event in the outboxes was delivered (and so handled: a push returns
    after the receiver committed), so background work cannot disturb a measurement."""

    async def drained() -> bool:
        for service in ("orders", "payments"):
            if await mongo[shop.database(service)].outbox.count_documents({"published_at": None, "dead_at": None}):
                return False
        return True

    assert await eventually(drained), "events were not delivered"


def start_process(spec: ServiceSpec, log_path: Path) -> subprocess.Popen[bytes]:
    log = open(log_path, "wb")
    return subprocess.Popen(spec.argv, env=spec.environment(), stdout=log, stderr=subprocess.STDOUT)


def wait_ready(base: str, timeout: float = 30.0) -> None:
    def ready() -> bool:
        try:
            return httpx.get(f"{base}/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    if not wait_until(ready, timeout, 0.1):
        raise AssertionError(f"{base} never became ready")




def start_shop(root: Path) -> Iterator[Shop]:
    """Starts the store and the subgraphs under `root`; stops them when the generator closes."""
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
            shop.processes[spec.name] = start_process(spec, shop.logs[spec.name])
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


def supergraph_sdl(shop: Shop) -> str:
    """The checked-in shop supergraph, pointed at this test shop's subgraphs."""
    sdl = (ROOT / "schema" / "supergraph.graphql").read_text()
    for name, spec in shop.specs.items():
        sdl = sdl.replace(f"http://127.0.0.1:{DEV_PORTS[name]}/graphql", f"{spec.url}/graphql")
    return sdl
