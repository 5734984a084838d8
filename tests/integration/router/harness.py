"""Harness: our router (with its plugins) in a thread or as a process, and a scriptable stub
subgraph, on free loopback ports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from tests.support.wait import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "router"))
import router_harness as h  # noqa: E402

ROOT = Path(__file__).resolve().parents[3]


# Our router in a thread, with the plugins of its config (the shared harness).
Router = h.RouterServer


class RouterProcess:
    """`python -m router` as its own process (what production runs), stdout to a file."""

    def __init__(self, supergraph_path: str, config_path: str, log_path: Path, env: dict | None = None) -> None:
        self.port = h.closed_port()
        self.log_path = log_path
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "router", "--supergraph", supergraph_path, "--config", config_path,
             "--port", str(self.port)],
            cwd=ROOT, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        if not wait_until(self._healthy, 30, 0.1):
            raise AssertionError(f"router did not start: {log_path.read_text()}")

    def _healthy(self) -> bool:
        assert self.proc.poll() is None, self.log_path.read_text()
        try:
            return httpx.get(self.base + "/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base + "/graphql"

    def stop(self) -> None:
        h.stop(self.proc)


class StubSubgraph:
    """A subgraph whose answers the test scripts: `ok` answers `{"data": data}`, `fail` answers
    503 with a non-GraphQL body (a failed fetch for the router), `slow` waits first. Counts
    the requests it receives and keeps their headers; `connections` holds the client address
    of every connection a request came on, `most_in_flight` the most requests it held at once."""

    def __init__(self, data: dict | None = None) -> None:
        self.data = data or {"legacyStatus": "ok"}
        self.mode = "ok"
        self.fail_next = 0  # fail this many requests, then answer as `mode` says
        self.delay = 0.0
        self.requests: list[dict] = []
        self.connections: set[tuple[str, int]] = set()
        self.in_flight = 0
        self.most_in_flight = 0
        lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                stub.requests.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": json.loads(body or b"{}")})
                with lock:
                    stub.connections.add(self.client_address)
                    stub.in_flight += 1
                    stub.most_in_flight = max(stub.most_in_flight, stub.in_flight)
                try:
                    self.answer()
                finally:
                    with lock:
                        stub.in_flight -= 1

            def answer(self) -> None:
                if stub.delay:
                    time.sleep(stub.delay)  # a slow subgraph (the server's own thread, not the test)
                failing = stub.mode == "fail" or stub.fail_next > 0
                stub.fail_next = max(0, stub.fail_next - 1)
                if failing:
                    out, status, ctype = b"upstream unavailable", 503, "text/plain"
                else:
                    out, status, ctype = json.dumps({"data": stub.data}).encode(), 200, "application/json"
                self.send_response(status)
                self.send_header("content-type", ctype)
                self.send_header("content-length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def post(url: str, query: str, headers: dict | None = None, operation_name: str | None = None,
         variables: dict | None = None) -> httpx.Response:
    body: dict = {"query": query}
    if operation_name:
        body["operationName"] = operation_name
    if variables is not None:
        body["variables"] = variables
    return httpx.post(url, json=body, headers=headers or {}, timeout=30)
