"""Time to the first payload against time to the whole answer, for a deferred query whose
deferred fragment needs one slow subgraph: the router's test subgraphs (Node), the reviews
subgraph behind a proxy that adds `--delay` ms, our router in front (`make bench-defer`).

Prints the p50/p90 of each over `--requests` sequential requests, and the same query without
@defer (one JSON answer, which waits for the slow subgraph) for comparison."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.support import harness as h  # noqa: E402
from tests.support.supergraphs import router_supergraph  # noqa: E402

QUERY = '{ products(first: 3) { upc name ... @defer(label: "reviews") { reviews { body rating } } } }'
ACCEPT = "multipart/mixed;deferSpec=20220824,application/json"


def slow_proxy(target: str, delay: float) -> h.AppServer:
    client = httpx.AsyncClient()

    async def handle(request: Request) -> Response:
        body = await request.body()
        await asyncio.sleep(delay)
        resp = await client.post(target, content=body, headers={"content-type": "application/json"})
        return Response(resp.content, media_type="application/json")

    return h.AppServer(Starlette(routes=[Route("/graphql", handle, methods=["POST"])]))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--delay", type=float, default=200, help="ms the reviews subgraph adds")
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args()
    proc, port = h.start_subgraphs(h.ROUTER_FIXTURES)
    proxy = slow_proxy(f"http://127.0.0.1:{port}/reviews/graphql", args.delay / 1000)
    try:
        sdl = router_supergraph(port, h.closed_port()).replace(
            f"http://127.0.0.1:{port}/reviews/graphql", f"{proxy.base}/graphql")
        path = Path(tempfile.mkdtemp()) / "supergraph.graphql"
        path.write_text(sdl)
        router = h.RouterServer(path)
        first_ms: list[float] = []
        full_ms: list[float] = []
        plain_ms: list[float] = []
        with httpx.Client(timeout=30) as c:
            for i in range(args.requests + 3):  # the first three warm the caches and connections
                t0 = time.perf_counter()
                t_first = None
                with c.stream("POST", router.url, json={"query": QUERY}, headers={"accept": ACCEPT}) as resp:
                    for chunk in resp.iter_raw():
                        if t_first is None and b'"hasNext":true' in chunk:
                            t_first = time.perf_counter()
                t_full = time.perf_counter()
                t1 = time.perf_counter()
                c.post(router.url, json={"query": QUERY.replace('@defer(label: "reviews")', "")})
                t2 = time.perf_counter()
                if i >= 3 and t_first is not None:
                    first_ms.append((t_first - t0) * 1000)
                    full_ms.append((t_full - t0) * 1000)
                    plain_ms.append((t2 - t1) * 1000)
        router.stop()
    finally:
        proxy.stop()
        h.stop(proc)
    print(f"@defer, reviews subgraph +{args.delay:g} ms, {len(first_ms)} requests")
    for name, values in (("first payload (deferred)", first_ms), ("whole answer (deferred)", full_ms),
                         ("one answer (no @defer)", plain_ms)):
        print(f"  {name:26s} p50 {statistics.median(values):7.1f} ms   p90 {pct(values, 0.9):7.1f} ms")


if __name__ == "__main__":
    main()
