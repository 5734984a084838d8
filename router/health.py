"""Liveness and readiness, in the one JSON shape the shop's subgraphs answer too:
`{"service", "version", "status", "timestamp", "checks": {name: "ok" | "down"}}`.

`/health`: the process answers (`status: ok`, no checks). `/ready`: a supergraph is loaded and
every subgraph passes its probe (`health.probe` in router.yaml):

- `graphql` (default): `POST {"query": "{ __typename }"}` to the subgraph's URL answers with
  GraphQL data in time. Any Federation subgraph does; a frozen one (accepting connections, never
  answering) fails, which a TCP connect alone would not notice.
- `ready`: `GET <subgraph origin><ready_path>` answers 2xx in time: also the subgraph's own
  dependencies (the shop's subgraphs answer 503 while their database does not).
- `tcp`: a TCP connection is accepted (the old, shallow check).

Probes run at most once per `health.cache` seconds, whoever asks, so a busy load balancer cannot
turn readiness checks into a flood of subgraph requests; the answer names subgraphs, never their
URLs or the reason a probe failed (that is logged)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import Field

from .config import Config, ConfigError
from .settings import Settings
from .settings import validate as validate_section

SECTION = "health"
PROBES = ("graphql", "ready", "tcp")
PROBE_BODY = b'{"query":"{ __typename }"}'

log = logging.getLogger("router.health")


@dataclass(frozen=True)
class HealthConfig:
    probe: str = "graphql"
    ready_path: str = "/ready"
    timeout: float = 1.0
    cache: float = 1.0


class HealthSettings(Settings):
    """`health:` in router.yaml."""

    probe: Literal["graphql", "ready", "tcp"] = "graphql"  # how /ready asks each subgraph
    ready_path: str = "/ready"
    timeout: float = Field(1.0, gt=0)
    cache: float = Field(1.0, ge=0)  # seconds an answer is reused


def parse(raw: Any) -> HealthConfig:
    """A raw section (a test, a tool) read as the router reads its validated one."""
    return config_of(validate_section(HealthSettings, SECTION, raw))


def config_of(s: HealthSettings) -> HealthConfig:
    ready_path = s.ready_path or "/ready"
    if not ready_path.startswith("/"):
        raise ConfigError(f"health.ready_path: expected a path starting with '/', got {ready_path!r}")
    return HealthConfig(probe=s.probe, ready_path=ready_path, timeout=s.timeout, cache=s.cache)


def version() -> str:
    try:
        return metadata.version("shop-federation")
    except metadata.PackageNotFoundError:
        return "unknown"


def body(status: str, checks: dict[str, str]) -> dict[str, Any]:
    return {"service": "router", "version": version(), "status": status,
            "timestamp": datetime.now(timezone.utc).isoformat(), "checks": checks}


def liveness() -> dict[str, Any]:
    return body("ok", {})


async def _tcp(url: str, timeout: float) -> bool:
    u = urlsplit(url)
    host = u.hostname or "127.0.0.1"
    port = u.port or (443 if u.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True


def ready_url(url: str, path: str) -> str:
    u = urlsplit(url)
    return urlunsplit((u.scheme, u.netloc, path, "", ""))


async def _probe(http: httpx.AsyncClient, cfg: HealthConfig, name: str, url: str) -> bool:
    if cfg.probe == "tcp":
        return await _tcp(url, cfg.timeout)
    try:
        if cfg.probe == "ready":
            response = await http.get(ready_url(url, cfg.ready_path))
            ok = 200 <= response.status_code < 300
        else:
            response = await http.post(url, content=PROBE_BODY,
                                       headers={"content-type": "application/json", "accept": "application/json"})
            ok = response.status_code == 200 and isinstance(response.json().get("data"), dict)
    except (httpx.HTTPError, ValueError, AttributeError) as error:
        log.warning("readiness probe of subgraph %s failed: %s", name, type(error).__name__)
        return False
    if not ok:
        log.warning("readiness probe of subgraph %s answered HTTP %s", name, response.status_code)
    return ok


class Readiness:
    def __init__(self, router: Any, cfg: HealthConfig | None = None) -> None:
        self.router = router
        self.cfg = cfg if cfg is not None else from_config(router.config)
        self._cached: tuple[float, Any, tuple[bool, dict[str, Any]]] | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> tuple[bool, dict[str, Any]]:
        async with self._lock:  # callers arriving during a probe share its answer
            state = self.router.state
            now = time.monotonic()
            if self._cached is not None and self._cached[1] is state and now - self._cached[0] < self.cfg.cache:
                return self._cached[2]
            clients = state.clients.clients if state is not None else {}
            names = sorted(clients)
            timeout = httpx.Timeout(self.cfg.timeout)
            async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as http:
                results = await asyncio.gather(*(_probe(http, self.cfg, n, clients[n].url) for n in names))
            checks = {"supergraph": "ok" if state is not None else "down"}
            checks.update({f"subgraph:{n}": "ok" if ok else "down" for n, ok in zip(names, results)})
            ok = state is not None and all(results)
            answer = (ok, body("ready" if ok else "unavailable", checks))
            self._cached = (time.monotonic(), state, answer)
            return answer


def validate(config: Config) -> None:
    """At start, with the other sections: a bad `health` key stops the router."""
    from_config(config)


def from_config(config: Config) -> HealthConfig:
    return config_of(config.section(SECTION, HealthSettings) or HealthSettings())
