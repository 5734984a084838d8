"""Subgraph clients: one pooled keep-alive client per subgraph, each with its own timeout.

The default transport is `transport.HTTPPool` (see there for why); `kind="httpx"` uses an
httpx.AsyncClient per subgraph instead."""

from __future__ import annotations

from typing import Any

import orjson

from .errors import SubgraphError
from .transport import MAX_CONNECTIONS, MAX_RESPONSE_BYTES, HTTPPool, ResponseTooLarge, TransportError, TransportTimeout


def _decode(name: str, status: int, content: bytes) -> dict[str, Any]:
    try:
        payload = orjson.loads(content)
    except orjson.JSONDecodeError:
        raise SubgraphError(name, f'HTTP fetch failed from "{name}": {status}: response is not JSON') from None
    if not isinstance(payload, dict) or ("data" not in payload and "errors" not in payload):
        raise SubgraphError(name, f'HTTP fetch failed from "{name}": {status}: not a GraphQL response')
    return payload


# Framing headers the transport writes itself: a second one would make the request ambiguous.
_FIXED = frozenset(("host", "content-length", "content-type", "accept", "transfer-encoding", "connection"))


def _encode_headers(headers: dict[str, str]) -> bytes:
    """Header lines for the raw transport. Names and values were checked by whoever set
    them (plugins.headers refuses CR/LF and non-latin-1); checked again here because a
    stray newline would let a value inject a header or a second request."""
    out = []
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name \
                or name.lower() in _FIXED:
            continue
        out.append(f"{name}: {value}\r\n")
    return "".join(out).encode("latin-1", "replace")


def _too_large(name: str, limit: int) -> SubgraphError:
    return SubgraphError(name, f'HTTP fetch failed from "{name}": response larger than {limit} bytes',
                         "SUBGRAPH_RESPONSE_TOO_LARGE")


class SubgraphClient:
    def __init__(self, name: str, url: str, timeout: float = 30.0, max_connections: int = MAX_CONNECTIONS,
                 max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.name = name
        self.url = url
        self.timeout = timeout
        self.max_response_bytes = max_response_bytes
        self.pool = HTTPPool(url, timeout, max_connections=max_connections, max_response_bytes=max_response_bytes)

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            status, content = await self.pool.post(body, _encode_headers(headers) if headers else b"")
        except TransportTimeout:
            raise SubgraphError(self.name, f'Timeout while fetching from subgraph "{self.name}"',
                                "SUBGRAPH_TIMEOUT") from None
        except ResponseTooLarge:
            raise _too_large(self.name, self.max_response_bytes) from None
        except TransportError as e:
            raise SubgraphError(self.name, f'HTTP fetch failed from "{self.name}": {e}') from None
        return _decode(self.name, status, content)

    async def aclose(self) -> None:
        self.pool.close()


class HttpxSubgraphClient:
    def __init__(self, name: str, url: str, timeout: float = 30.0, max_connections: int = 100,
                 max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        import httpx

        self.name = name
        self.url = url
        self.max_response_bytes = max_response_bytes
        self._httpx = httpx
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"content-type": "application/json",
                     "accept": "application/graphql-response+json, application/json"},
        )

    async def post(self, body: bytes, headers: dict[str, str] | None = None) -> dict[str, Any]:
        httpx = self._httpx
        limit = self.max_response_bytes
        try:
            async with self.http.stream("POST", self.url, content=body, headers=headers) as resp:
                chunks: list[bytes] = []
                size = 0
                async for chunk in resp.aiter_bytes():  # counted as it comes: a huge answer is never held
                    size += len(chunk)
                    if size > limit:
                        raise _too_large(self.name, limit)
                    chunks.append(chunk)
        except httpx.TimeoutException:
            raise SubgraphError(self.name, f'Timeout while fetching from subgraph "{self.name}"',
                                "SUBGRAPH_TIMEOUT") from None
        except httpx.HTTPError as e:
            raise SubgraphError(self.name, f'HTTP fetch failed from "{self.name}": {e}') from None
        return _decode(self.name, resp.status_code, b"".join(chunks))

    async def aclose(self) -> None:
        await self.http.aclose()


class SubgraphClients:
    def __init__(self, urls: dict[str, str], timeouts: dict[str, float] | None = None,
                 default_timeout: float = 30.0, kind: str = "pool", max_connections: int = MAX_CONNECTIONS,
                 max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
        """`max_connections`: per subgraph, open at once (more fetches wait for one to be free);
        `max_response_bytes`: a larger answer fails its fetch with SUBGRAPH_RESPONSE_TOO_LARGE."""
        timeouts = timeouts or {}
        cls = HttpxSubgraphClient if kind == "httpx" else SubgraphClient
        self.clients = {n: cls(n, u, timeouts.get(n, default_timeout), max_connections, max_response_bytes)
                        for n, u in urls.items()}

    async def send(self, service: str, body: bytes, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """`headers`: extra request headers for this call (propagated by plugins)."""
        c = self.clients.get(service)
        if c is None:
            raise SubgraphError(service, f'unknown subgraph "{service}"')
        return await c.post(body, headers)

    async def aclose(self) -> None:
        for c in self.clients.values():
            await c.aclose()
