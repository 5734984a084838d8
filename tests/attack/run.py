"""`make attack`: the hostile set replayed against a fresh shop (store, subgraphs and
the router with the shop's router.yaml, each its own process on free ports), bounded in count
and time, then a table: attack, result, status counts, router RSS before/after.

Exit status 1 when an attack got through (a 5xx, an answer where a refusal was due, a slow
connection left open, a valid user refused on cold start)."""

from __future__ import annotations

import asyncio
import collections
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable

import httpx

from devstack.ports import free_port, wait_for_port
from subgraphs.orders.catalogue import SEED_PRODUCTS
from tests.support.shop import ROOT, Shop, start_shop, supergraph_sdl

NESTED = "query($id: ID!) { order(id: $id) { id %s } }"
REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { token } }"
CREATE = "mutation($i: [OrderItemInput!]!) { createOrder(items: $i) { id } }"


def nested(levels: int, first: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"user {{ orders(first: {first}) {{ nodes {{ id {inner} }} }} }}"
    return NESTED % inner


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Row:
    attack: str
    result: str
    statuses: str
    rss: str
    ok: bool


class Attack:
    def __init__(self, shop: Shop, root: Path) -> None:
        self.shop = shop
        self.root = root
        self.rows: list[Row] = []
        self.supergraph = root / "supergraph.graphql"
        self.supergraph.write_text(supergraph_sdl(shop))

    def start_router(self) -> tuple[subprocess.Popen[bytes], str]:
        port = free_port()
        log = open(self.root / f"router-{port}.log", "wb")
        env = {"USERS_JWKS_URL": f"{self.shop.base('users')}/.well-known/jwks.json", "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "router", "--supergraph", str(self.supergraph),
             "--config", str(ROOT / "router" / "router.yaml"), "--port", str(port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env})
        assert wait_for_port(port, 30), "router did not start"
        return process, f"http://127.0.0.1:{port}/graphql"

    async def run(self, name: str, pid: int, attack: Callable[[], Awaitable[tuple[str, collections.Counter[int], bool]]]) -> None:
        before = rss_mb(pid)
        try:
            result, statuses, ok = await asyncio.wait_for(attack(), 120)
        except Exception as error:  # noqa: BLE001 - a broken attack is a result too
            result, statuses, ok = f"error: {error!r}"[:60], collections.Counter(), False
        after = rss_mb(pid)
        counts = " ".join(f"{status}x{count}" for status, count in sorted(statuses.items()))
        self.rows.append(Row(name, result, counts, f"{before:.0f} -> {after:.0f} MB", ok))

    def table(self) -> str:
        head = Row("attack", "result", "statuses", "router RSS", True)
        rows = [head, *self.rows]
        widths = [max(len(getattr(r, f)) for r in rows) for f in ("attack", "result", "statuses", "rss")]
        lines = []
        for i, r in enumerate(rows):
            mark = "" if i == 0 else ("  ok" if r.ok else "  GOT THROUGH")
            lines.append("  ".join(v.ljust(w) for v, w in zip((r.attack, r.result, r.statuses, r.rss), widths)) + mark)
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


async def main_async(shop: Shop, root: Path) -> int:
    attack = Attack(shop, root)
    router, url = attack.start_router()
    pid = router.pid
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            suffix = uuid.uuid4().hex[:10]
            registered = (await http.post(shop.url("users"), json={"query": REGISTER, "variables": {"input": {
                "username": f"a_{suffix}", "email": f"a_{suffix}@example.com", "password": f"pw-{suffix}!"}}})).json()
            token = registered["data"]["register"]["token"]
            auth = {"authorization": f"Bearer {token}"}

            async def cold_start() -> tuple[str, collections.Counter[int], bool]:
                responses = await asyncio.gather(*(http.post(url, json={"query": "{ me { id } }"}, headers=auth)
                                                   for _ in range(10)))
                statuses = collections.Counter(r.status_code for r in responses)
                return "10 first requests of a fresh router", statuses, statuses == {200: 10}

            await attack.run("cold start, valid token", pid, cold_start)
            order = (await http.post(shop.url("orders"), headers=auth, json={
                "query": CREATE, "variables": {"i": [{"productId": SEED_PRODUCTS[0]["id"], "quantity": 1}]}})).json()
            order_id = (order.get("data") or {}).get("createOrder", {}).get("id", "0")

            async def nested_via_router() -> tuple[str, collections.Counter[int], bool]:
                responses = [await http.post(url, headers=auth, json={"query": nested(4, 30), "variables": {"id": order_id}})
                             for _ in range(20)]
                codes = {r.json()["errors"][0]["extensions"]["code"] for r in responses}
                statuses = collections.Counter(r.status_code for r in responses)
                return f"refused: {', '.join(sorted(codes))}", statuses, codes == {"COST_ESTIMATED_TOO_EXPENSIVE"}

            await attack.run("nested orders (4 x first: 30)", pid, nested_via_router)

            async def nested_direct() -> tuple[str, collections.Counter[int], bool]:
                started = time.monotonic()
                responses = [await http.post(shop.url("orders"), headers=auth,
                                             json={"query": nested(4, 30), "variables": {"id": order_id}})
                             for _ in range(20)]
                normal = await http.post(shop.url("orders"), json={"query": "{ products { id } }"})
                codes = {r.json()["errors"][0]["extensions"]["code"] for r in responses}
                statuses = collections.Counter(r.status_code for r in responses)
                took = time.monotonic() - started
                ok = codes == {"COST_ESTIMATED_TOO_EXPENSIVE"} and normal.status_code == 200
                return f"refused by orders in {took:.1f} s, orders still answers", statuses, ok

            await attack.run("nested orders, straight to orders", pid, nested_direct)

            async def padded() -> tuple[str, collections.Counter[int], bool]:
                statuses: collections.Counter[int] = collections.Counter()
                for i in range(400):
                    body = {"query": f"# {'x' * 1_900_000} {i}\n{{ products {{ id }} }}"}
                    statuses[(await http.post(url, json=body)).status_code] += 1
                return "400 distinct 1.9 MB documents", statuses, statuses == {400: 400}

            await attack.run("padded documents", pid, padded)

            async def bad_tokens() -> tuple[str, collections.Counter[int], bool]:
                statuses: collections.Counter[int] = collections.Counter()
                for _ in range(150):
                    response = await http.post(url, json={"query": "{ products { id } }"},
                                               headers={"authorization": "Bearer forged.token.x"})
                    statuses[response.status_code] += 1
                return "150 requests with a forged token", statuses, statuses.get(429, 0) > 0 and 500 not in statuses

            await attack.run("invalid tokens", pid, bad_tokens)

            async def big_headers() -> tuple[str, collections.Counter[int], bool]:
                statuses: collections.Counter[int] = collections.Counter()
                for headers in ({"x-big": "v" * 1_000_000}, {f"x-h{i}": "v" for i in range(5000)}):
                    try:
                        statuses[(await http.post(url, json={"query": "{ products { id } }"}, headers=headers)).status_code] += 1
                    except httpx.HTTPError:
                        statuses[0] += 1  # closed while sending: refused too
                return "1 MB header value, 5,000 headers", statuses, 200 not in statuses

            await attack.run("oversized headers", pid, big_headers)

        async def slow_connections() -> tuple[str, collections.Counter[int], bool]:
            port = int(url.split(":")[2].split("/")[0])
            streams = []
            for i in range(1000):  # from four loopback addresses: under the per-IP cap, so all are held
                local = f"127.0.0.{2 + i % 4}"
                reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))
                if i % 2:
                    writer.write(b"POST /graphql HTTP/1.1\r\nhost: x\r\n")
                streams.append((reader, writer))
            started = time.monotonic()

            async def closed(reader: asyncio.StreamReader) -> bool:
                try:
                    async with asyncio.timeout(30):
                        while await reader.read(65536):
                            pass
                    return True
                except ConnectionError:
                    return True
                except TimeoutError:
                    return False

            results = await asyncio.gather(*(closed(r) for r, _ in streams))
            for _, writer in streams:
                writer.close()
            took = time.monotonic() - started
            statuses = collections.Counter({"closed": sum(results)})  # type: ignore[dict-item]
            return f"1,000 connections closed in {took:.0f} s", statuses, all(results)  # type: ignore[return-value]

        await attack.run("slow connections", pid, slow_connections)
    finally:
        router.terminate()
        router.wait(15)
    print(attack.table())
    return 0 if all(r.ok for r in attack.rows) else 1


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="attack-") as tmp:
        root = Path(tmp)
        shop_run = start_shop(root)
        shop = next(shop_run)
        try:
            for name in ("users", "orders", "payments"):
                assert httpx.get(f"{shop.base(name)}/ready", timeout=10).status_code == 200
            return asyncio.run(main_async(shop, root))
        finally:
            shop_run.close()


if __name__ == "__main__":
    sys.exit(main())
