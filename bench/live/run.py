"""`make bench-live`: N concurrent subscribers to one order's stream, over WebSocket and SSE,
through our router and through Hive Gateway, on the same subgraphs and the same events.

  python -m bench.live.run [--subscribers 1000,10000] [--transports ws,sse]
                           [--gateways router,router-dedupe,hive-gateway] [--events 5]

Per gateway, subscriber count and transport: every subscriber opens `orderUpdated(id)` (its first
event is the order's current state: then it is live), the gateway's RSS is read before and
after, then `--events` mutations `bump(id)` are sent through the gateway one after the other,
each once every subscriber received the previous one. Printed: mutation-to-delivery latency
over every (subscriber, event) pair (p50, p99, max), gateway RSS per open subscription, gateway
CPU per delivered event (its whole process group: workers included), and subscribers that
failed. Each event costs the gateway one entity fetch (`amountDue` from `payments`). The
subscribers run in this process on the same 2 cores as the gateway and the subgraphs: read
the two gateways side by side, not the absolute figures. File descriptors: the soft limit is
raised to the hard one for every process started (10,000 subscribers need ~20,000 in a gateway
that opens one subgraph socket per subscription, as ours does).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from devstack.ports import free_port, wait_for_port
from supergraph.compose import SubgraphInput, compose

from ..tools import procstat
from . import clients
from .subgraphs import orders_schema, payments_schema, sdl

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
ROOT = BENCH.parent

ROUTER_CONFIG = """\
subscriptions: {max_per_client: 1000000, queue_size: 64, keep_alive: 15s, upstream_timeout: 60s}
connections: {max_connections: 1000000, header_read_timeout: 120}
"""


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def group_usage(pgid: int) -> tuple[float, int]:
    """CPU seconds and RSS bytes summed over the processes of a process group."""
    ticks, rss, _ = procstat.sample(pgid)
    return ticks / procstat.TICK, rss


@dataclass
class Result:
    gateway: str
    transport: str
    subscribers: int
    live: int
    failed: int
    subscribe_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    delivered: int
    missing: int
    rss_base_mb: float
    rss_kb_per_sub: float
    cpu_us_per_event: float
    first_failure: str | None


def start(argv: list[str], cwd: Path, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    out = open(log, "wb")
    return subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=raise_fd_limit, env={**os.environ, **(env or {})})


def stop(p: subprocess.Popen[bytes]) -> None:
    if p.poll() is not None:
        return
    os.killpg(p.pid, signal.SIGTERM)
    try:
        p.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


def gateway_argv(name: str, supergraph: Path, port: int, tmp: Path) -> tuple[list[str], Path]:
    if name in ("router", "router-dedupe"):
        cfg = tmp / f"{name}.yaml"
        # router-dedupe: the subscribers share one subgraph subscription (its first event, the
        # order's state, replayed to each joiner: what a subscription of its own would send first)
        dedupe = "replay_last" if name == "router-dedupe" else "false"
        cfg.write_text(ROUTER_CONFIG.replace("upstream_timeout: 60s", f"upstream_timeout: 60s, dedupe: {dedupe}"))
        return [sys.executable, "-m", "router", "--supergraph", str(supergraph), "--config", str(cfg),
                "--port", str(port)], ROOT
    if name == "hive-gateway":
        hive = BENCH / "node_modules" / ".bin" / "hive-gateway"
        if not hive.exists():
            raise SystemExit("bench/node_modules missing: run `cd bench && npm ci` (make bench-live does)")
        return [str(hive), "supergraph", str(supergraph), "--host", "127.0.0.1", "--port", str(port), "--fork", "1",
                "--polling", "1h", "-c", str(HERE / "hive-gateway.config.mjs")], BENCH
    raise SystemExit(f"unknown gateway {name!r} (router, router-dedupe, hive-gateway)")


def ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            r = httpx.post(url, json={"query": "{ currency }"}, timeout=2)
            if r.status_code == 200 and r.json().get("data"):
                return
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer in {timeout:.0f}s")


async def measure(gateway: str, pgid: int, port: int, transport: str, n: int, events: int,
                  order_id: str) -> Result:
    subs = [clients.Subscriber() for _ in range(n)]
    connect = clients.websocket if transport == "ws" else clients.sse
    await asyncio.sleep(1.0)
    _, rss_base = group_usage(pgid)
    started = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for i in range(0, n, 100):  # in waves: the listen backlog is not the benchmark
        for sub in subs[i:i + 100]:
            tasks.append(asyncio.create_task(connect(sub, port, "/graphql", order_id)))
        # at most 500 opening at once: wait for the wave started four waves ago
        await asyncio.gather(*(s.ready.wait() for s in subs[max(0, i - 400):max(0, i - 300)]))
    try:
        await asyncio.wait_for(asyncio.gather(*(s.ready.wait() for s in subs)), 600)
    except TimeoutError:
        pass
    subscribe_s = time.perf_counter() - started
    live = [s for s in subs if s.failed is None and s.received]
    failed = [s for s in subs if s.failed is not None]
    await asyncio.sleep(1.0)
    _, rss_live = group_usage(pgid)
    latencies: list[float] = []
    missing = 0
    cpu0, _ = group_usage(pgid)
    async with httpx.AsyncClient(timeout=60) as http:
        for _ in range(events):
            sent = time.perf_counter()
            r = await http.post(f"http://127.0.0.1:{port}/graphql",
                                json={"query": "mutation($id: ID!) { bump(id: $id) { version } }",
                                      "variables": {"id": order_id}})
            version = r.json()["data"]["bump"]["version"]
            try:
                await asyncio.wait_for(asyncio.gather(*(s.wait_for(version) for s in live)), 120)
            except TimeoutError:
                pass
            for s in live:
                got = s.received.get(version)
                if got is None:
                    missing += 1
                else:
                    latencies.append(got - sent)
            await asyncio.sleep(0.2)
    cpu1, _ = group_usage(pgid)
    for s in subs:
        s.close()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(2.0)  # the gateway lets go of them before the next run
    latencies.sort()

    def pct(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")

    delivered = len(latencies)
    return Result(gateway, transport, n, len(live), len(failed), subscribe_s, pct(0.5), pct(0.99),
                  latencies[-1] * 1000 if latencies else float("nan"), delivered, missing,
                  rss_base / 2**20, (rss_live - rss_base) / 1024 / max(1, len(live)),
                  (cpu1 - cpu0) * 1e6 / max(1, delivered),
                  next((s.failed for s in failed), None))


def print_table(results: list[Result]) -> None:
    head = ("gateway", "transport", "subscribers", "live", "failed", "subscribe s", "p50 ms", "p99 ms", "max ms",
            "delivered", "missing", "RSS base MB", "RSS KB/sub", "CPU us/event")
    rows = [head] + [(r.gateway, r.transport, f"{r.subscribers:,}", f"{r.live:,}", str(r.failed), f"{r.subscribe_s:.1f}",
                      f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", f"{r.max_ms:.1f}", f"{r.delivered:,}", str(r.missing),
                      f"{r.rss_base_mb:.0f}", f"{r.rss_kb_per_sub:.1f}", f"{r.cpu_us_per_event:.0f}") for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for j, row in enumerate(rows):
        print("| " + " | ".join(c.rjust(w) if j else c.ljust(w) for c, w in zip(row, widths)) + " |")
        if j == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in results:
        if r.first_failure:
            print(f"  {r.gateway} {r.transport} {r.subscribers}: first failure: {r.first_failure}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="bench-live", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subscribers", default="1000,10000")
    ap.add_argument("--transports", default="ws,sse")
    ap.add_argument("--gateways", default="router,router-dedupe,hive-gateway")
    ap.add_argument("--events", type=int, default=5)
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: the gateways and subgraphs too
    raise_fd_limit()
    counts = [int(x) for x in args.subscribers.split(",")]
    transports = args.transports.split(",")
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-live-{os.getpid()}"
    tmp.mkdir(parents=True, exist_ok=True)
    sub_port = free_port()
    subgraphs = start([sys.executable, "-m", "bench.live.subgraphs", str(sub_port)], ROOT, tmp / "subgraphs.log")
    results: list[Result] = []
    try:
        if not wait_for_port(sub_port, 30):
            raise SystemExit(f"subgraphs did not start: {(tmp / 'subgraphs.log').read_text()}")
        base = f"http://127.0.0.1:{sub_port}"
        got = compose([SubgraphInput("orders", f"{base}/orders/graphql", sdl(orders_schema)),
                       SubgraphInput("payments", f"{base}/payments/graphql", sdl(payments_schema))])
        assert got.ok and got.supergraph_sdl is not None, got.errors
        supergraph = tmp / "supergraph.graphql"
        supergraph.write_text(got.supergraph_sdl)
        for gateway in args.gateways.split(","):
            port = free_port()
            argv_, cwd = gateway_argv(gateway, supergraph, port, tmp)
            proc = start(argv_, cwd, tmp / f"{gateway}.log", {"NODE_ENV": "production"})
            try:
                if not wait_for_port(port, 60):
                    raise SystemExit(f"{gateway} did not start: {(tmp / f'{gateway}.log').read_text()[-2000:]}")
                ready(f"http://127.0.0.1:{port}/graphql")
                for n in counts:
                    for transport in transports:
                        order_id = f"{gateway}-{transport}-{n}"
                        print(f"... {gateway} {transport} {n:,} subscribers", file=sys.stderr, flush=True)
                        results.append(asyncio.run(measure(gateway, proc.pid, port, transport, n, args.events, order_id)))
            finally:
                stop(proc)
    finally:
        stop(subgraphs)
    print_table(results)
    print(f"\nlogs: {tmp}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
