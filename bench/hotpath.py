"""CPU per request of the router's hot path, in-process and deterministic enough to decide on.

    python -m bench.hotpath [--operation bench|one-fetch|sequential|catalog] [--requests N]
                            [--concurrency C] [--record] [--check] [--sockets]

Runs the router's ASGI app (the same `create_app` as `router` serves, no plugins, as in
`make bench`) without a socket: each request is an ASGI call, and each subgraph POST is
answered by replaying the bytes the bench subgraphs gave for that exact body (recorded once
with `--record` while `bench/subgraphs/server.mjs` listens on 127.0.0.1:4200, kept in
`bench/results/hotpath-*.json`). What is left is the router's own work: HTTP parsing by
Starlette, the pipeline, plan execution, decoding, merging, shaping and encoding. It prints
CPU ms per request (`time.process_time`), which does not depend on what else the machine
runs the way wall-clock RPS does. `--check` compares one answer with the expected JSON.
`--sockets` keeps the subgraph transport in the measure: each pool's connections go to a
loopback replay server in the same process (one per pool, ephemeral port) that answers the
recorded bytes with a Content-Length, so the requests' writing and the answers' parsing count.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import sys
import time
from typing import Any

import orjson

HERE = os.path.dirname(os.path.abspath(__file__))
OPS = {"bench": ("body.json", "expected.json")}
for _n in ("one-fetch", "sequential", "catalog"):
    OPS[_n] = (f"{_n}.body.json", f"{_n}.expected.json")


def _recording_path(op: str) -> str:
    return os.path.join(HERE, "results", f"hotpath-{op}.json")


async def _call(app: Any, body: bytes) -> tuple[int, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
             "root_path": "", "server": ("127.0.0.1", 4000), "client": ("127.0.0.1", 50000),
             "headers": [(b"host", b"127.0.0.1:4000"), (b"content-type", b"application/json"),
                         (b"accept", b"application/json"), (b"content-length", str(len(body)).encode())]}
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(msg: dict[str, Any]) -> None:
        nonlocal status
        if msg["type"] == "http.response.start":
            status = msg["status"]
        elif msg["type"] == "http.response.body":
            chunks.append(msg.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


def _app() -> tuple[Any, Any]:
    from router.config import load_config
    from router.http import create_app
    from router.pipeline import Router
    from router.supergraph import Supergraph

    os.environ.setdefault("ROUTER_SUPERGRAPH", os.path.join(HERE, "supergraph.graphql"))
    cfg = load_config(None)
    with open(os.path.join(HERE, "supergraph.graphql"), encoding="utf-8") as f:
        sg = Supergraph(f.read())
    router = Router(cfg, sg, [])
    return create_app(router), router


class _Replay(asyncio.Protocol):
    """The server side of `--sockets`: answers each request with the recorded bytes for its body."""

    def __init__(self, key: str, answers: dict[str, bytes]) -> None:
        self.key = key
        self.answers = answers
        self.buf = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end + 2].lower()
            at = head.index(b"content-length:") + 15
            length = int(head[at:head.index(b"\r\n", at)])
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4:end + 4 + length]
            self.buf = self.buf[end + 4 + length:]
            data = self.answers[self.key + body.decode()]
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                                 % (len(data), data))


async def _replay_servers(router: Any, answers: dict[str, bytes]) -> list[asyncio.Server]:
    loop = asyncio.get_running_loop()
    servers = []
    for client in router.state.clients.clients.values():
        pool = client.pool
        key = f"{pool.port}{pool.prefix[:40]!r}"
        server = await loop.create_server(lambda key=key: _Replay(key, answers), "127.0.0.1", 0)
        pool.port = server.sockets[0].getsockname()[1]
        servers.append(server)
    return servers


def _patch_transport(answers: dict[str, bytes] | None, record: dict[str, str]) -> None:
    from router import transport

    real = transport.HTTPPool.post

    async def post(self: transport.HTTPPool, body: bytes, headers: bytes = b"") -> tuple[int, bytes]:
        key = f"{self.port}{self.prefix[:40]!r}{body.decode()}"
        if answers is None:
            status, data = await real(self, body, headers)
            record[key] = base64.b64encode(data).decode()
            return status, data
        await asyncio.sleep(0)  # a real fetch suspends the request at least once
        return 200, answers[key]

    transport.HTTPPool.post = post  # type: ignore[method-assign]


def _write(path: str, text: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def _body(op: str, n: int) -> bytes:
    payload = orjson.loads(_read(os.path.join(HERE, "operations", OPS[op][0])))
    payload["variables"] = {"benchNonce": f"1-{n}"}  # as wrk's UNIQUE=1 sends it
    return orjson.dumps(payload)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


async def _main(args: argparse.Namespace) -> int:
    from router import heap

    record: dict[str, str] = {}
    path = _recording_path(args.operation)
    answers = None
    if not args.record:
        answers = {k: base64.b64decode(v) for k, v in json.loads(_read(path)).items()}
    if not args.sockets or answers is None:
        _patch_transport(answers, record)
    app, router = _app()
    if args.sockets and answers is not None:
        await _replay_servers(router, answers)
    heap.tune()
    heap.settle()
    status, out = await _call(app, _body(args.operation, 0))
    if status != 200:
        print(f"status {status}: {out[:300]!r}", file=sys.stderr)
        return 1
    if args.check or args.record:
        expected = orjson.loads(_read(os.path.join(HERE, "operations", OPS[args.operation][1])))
        if orjson.loads(out) != expected:
            print("answer differs from the expected one", file=sys.stderr)
            return 1
    if args.record:
        _write(path, json.dumps(record))
        print(f"recorded {len(record)} subgraph answers in {path}")
        return 0
    for i in range(50):  # warm-up: caches, code paths
        await _call(app, _body(args.operation, i + 1))
    bodies = [_body(args.operation, i + 100) for i in range(args.requests)]
    c = args.concurrency
    t0 = time.process_time()
    w0 = time.perf_counter()
    for start in range(0, len(bodies), c):
        await asyncio.gather(*(_call(app, b) for b in bodies[start:start + c]))
    cpu = time.process_time() - t0
    wall = time.perf_counter() - w0
    print(f"{args.operation}: {cpu / len(bodies) * 1000:.3f} ms CPU/request "
          f"({len(bodies)} requests, concurrency {c}, {len(bodies) / wall:.0f} req/s in-process, {len(out)} B)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--operation", default="bench", choices=sorted(OPS))
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--record", action="store_true")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--sockets", action="store_true", help="keep the subgraph transport, over loopback sockets")
    args = ap.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(_main(args))


if __name__ == "__main__":
    raise SystemExit(main())
