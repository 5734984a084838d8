"""Liveness and readiness.

`/health`: the process answers. `/ready`: a supergraph is loaded and every subgraph accepts a
TCP connection (any Federation subgraph does, whatever health routes it has or not). Probes
are cached for a moment so that a busy load balancer cannot turn readiness checks into a
connection flood; the answer names subgraphs, never their URLs."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import urlsplit

CACHE_SECONDS = 1.0
CONNECT_TIMEOUT = 1.0


async def _reachable(url: str) -> bool:
    u = urlsplit(url)
    host = u.hostname or "127.0.0.1"
    port = u.port or (443 if u.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return True


class Readiness:
    def __init__(self, router: Any) -> None:
        self.router = router
        self._cached: tuple[float, Any, tuple[bool, dict]] | None = None
        self._lock = asyncio.Lock()

    async def check(self) -> tuple[bool, dict]:
        async with self._lock:
            state = self.router.state
            now = time.monotonic()
            if self._cached is not None and self._cached[1] is state and now - self._cached[0] < CACHE_SECONDS:
                return self._cached[2]
            clients = state.clients.clients if state is not None else {}
            names = sorted(clients)
            results = await asyncio.gather(*(_reachable(clients[n].url) for n in names))
            subgraphs = {n: "up" if ok else "down" for n, ok in zip(names, results)}
            ok = state is not None and all(results)
            body = {"status": "ready" if ok else "unavailable", "supergraph": "loaded" if state else "missing",
                    "subgraphs": subgraphs}
            self._cached = (now, state, (ok, body))
            return ok, body
