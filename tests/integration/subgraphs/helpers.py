"""Plain helpers for the subgraph integration tests (fixtures live in conftest.py)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from devstack.stack import ServiceSpec
from devstack.store import EmbeddedStore

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
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(interval)


async def events_settled(mongo, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    """Waits until every event in the outboxes was delivered (and so handled: a push returns
    after the receiver committed), so background work cannot disturb a measurement."""

    async def drained() -> bool:
        for service in ("orders", "payments"):
            if await mongo[shop.database(service)].outbox.count_documents({"published_at": None, "dead_at": None}):
                return False
        return True

    assert await eventually(drained), "events were not delivered"
