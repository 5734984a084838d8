"""Subgraph client: one pooled, keep-alive HTTP client per subgraph with its own timeout."""

from __future__ import annotations

import httpx
import orjson

from .executor.run import SubgraphError

_HEADERS = {"content-type": "application/json", "accept": "application/graphql-response+json, application/json"}


class SubgraphClient:
    def __init__(self, name: str, url: str, timeout: float = 30.0, max_connections: int = 100) -> None:
        self.name = name
        self.url = url
        self.timeout = timeout
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers=_HEADERS,
        )

    async def post(self, body: bytes, headers: dict | None = None) -> dict:
        try:
            resp = await self.http.post(self.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise SubgraphError(self.name, f'Timeout while fetching from subgraph "{self.name}"',
                                "SUBGRAPH_TIMEOUT") from None
        except httpx.HTTPError as e:
            raise SubgraphError(self.name, f'HTTP fetch failed from "{self.name}": {e}') from None
        content = resp.content
        try:
            payload = orjson.loads(content)
        except orjson.JSONDecodeError:
            raise SubgraphError(
                self.name, f'HTTP fetch failed from "{self.name}": {resp.status_code} {resp.reason_phrase}: '
                           f"response is not JSON") from None
        if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
            raise SubgraphError(self.name, f'HTTP fetch failed from "{self.name}": {resp.status_code}: '
                                           "not a GraphQL response")
        return payload

    async def aclose(self) -> None:
        await self.http.aclose()


class SubgraphClients:
    def __init__(self, urls: dict[str, str], timeouts: dict[str, float] | None = None,
                 default_timeout: float = 30.0) -> None:
        timeouts = timeouts or {}
        self.clients = {n: SubgraphClient(n, u, timeouts.get(n, default_timeout)) for n, u in urls.items()}

    async def send(self, service: str, body: bytes) -> dict:
        c = self.clients.get(service)
        if c is None:
            raise SubgraphError(service, f'unknown subgraph "{service}"')
        return await c.post(body)

    async def aclose(self) -> None:
        for c in self.clients.values():
            await c.aclose()
