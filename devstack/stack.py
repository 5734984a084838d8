"""The shop's processes and how they are configured, shared by `make dev` and the tests, so
that what the tests start is what a developer runs."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEV_PORTS = {"router": 3000, "users": 3001, "orders": 3002, "payments": 3003}


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    port: int
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        return {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}


def subgraph_specs(
    *,
    mongodb_uri: str,
    keys_dir: Path,
    ports: dict[str, int],
    extra_env: dict[str, str] | None = None,
    database_prefix: str = "",
    events_secret: str | None = None,
) -> list[ServiceSpec]:
    """users, orders and payments, wired to one store and to each other.

    With `events_secret`, orders and payments push events to each other over HTTP (the
    broker-less mode); an AMQP_URL in `extra_env` or the environment makes them use RabbitMQ.
    """
    extra = extra_env or {}
    jwks = f"http://127.0.0.1:{ports['users']}/.well-known/jwks.json"
    events: dict[str, str] = {}
    if events_secret:
        events = {
            "EVENTS_SECRET": events_secret,
            "EVENTS_PEERS": f"orders=http://127.0.0.1:{ports['orders']},payments=http://127.0.0.1:{ports['payments']}",
        }

    def spec(name: str, env: dict[str, str]) -> ServiceSpec:
        common = {
            "HOST": "127.0.0.1",
            "PORT": str(ports[name]),
            "MONGODB_URI": mongodb_uri,
            "MONGODB_DB": f"{database_prefix}{name}",
        }
        return ServiceSpec(name, ports[name], [sys.executable, "-m", f"subgraphs.{name}"], {**common, **env, **extra})

    return [
        spec("users", {"JWT_PRIVATE_KEY_FILE": str(keys_dir / "jwt-private.pem")}),
        spec("orders", {"JWT_JWKS_URL": jwks, **events}),
        spec("payments", {"JWT_JWKS_URL": jwks, "ORDERS_URL": f"http://127.0.0.1:{ports['orders']}/graphql", **events}),
    ]


def router_spec(*, port: int, supergraph: Path, config: Path, extra_env: dict[str, str] | None = None) -> ServiceSpec:
    """The router in front of the subgraphs (their URLs come from the supergraph)."""
    argv = [sys.executable, "-m", "router", "--supergraph", str(supergraph), "--config", str(config), "--port", str(port)]
    return ServiceSpec("router", port, argv, dict(extra_env or {}))
