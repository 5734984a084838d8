"""The one router test harness: our router in a thread (with the plugins its config asks for)
or as its own process, the Node test subgraphs, a scriptable stub subgraph, a JWKS server
whose keys can be rotated and key/token helpers, all on free loopback ports. Every router,
security, subscription and differential test starts its servers through this module; the
supergraphs they route over are composed in tests/support/supergraphs.py."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.support.wait import wait_until

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
ROUTER_FIXTURES = FIXTURES / "router"
SECURITY_FIXTURES = FIXTURES / "router_security"
NODE_MODULES = ROOT / "tests" / "node" / "node_modules"


# ---------------------------------------------------------------------- processes and ports


# Sockets bound and never listening, kept for the session: a connection to one is refused at
# once, and no other server (of this run or another process) can take the port meanwhile, as it
# could once a released port went back to the pool.
_HELD: list[socket.socket] = []


def free_port() -> int:
    """A loopback port free now, for a server about to bind it (bound then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def closed_port() -> int:
    """A loopback port nothing listens on, for as long as the test session runs."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    _HELD.append(s)
    port: int = s.getsockname()[1]
    return port


def node_available() -> bool:
    return NODE_MODULES.is_dir() and os.path.isdir(NODE_MODULES / "@apollo" / "gateway")


def start_node(script: Path, *args: str, timeout: float = 60.0, env: dict | None = None) -> tuple[subprocess.Popen, int]:
    """Start a Node script that prints "PORT <n>" once listening; `env` adds to the environment."""
    proc = subprocess.Popen(["node", str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, env={**os.environ, **env} if env else None)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        if not line:
            break
        if line.startswith("PORT "):
            return proc, int(line.split()[1])
    proc.kill()
    raise RuntimeError(f"{script.name} did not start: {proc.stderr.read()}")  # type: ignore[union-attr]


def start_subgraphs(fixtures: Path) -> tuple[subprocess.Popen, int]:
    """The Node test subgraphs of `fixtures` (ROUTER_FIXTURES, SECURITY_FIXTURES) on a free port."""
    return start_node(FIXTURES / "subgraph_server.mjs", str(fixtures / "subgraphs.mjs"), "0")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


# ---------------------------------------------------------------------- routers


class AppServer:
    """An ASGI app served by uvicorn in a background thread on a pre-bound free loopback port:
    real sockets, no process to spawn (the routers of every harness run this way)."""

    def __init__(self, app) -> None:
        import uvicorn

        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit TCP_NODELAY (Linux): a response written in two parts (headers,
        # body) on a kept-alive connection otherwise waits for the client's delayed ACK, ~40 ms.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        # proxy_headers=False as in production (router/__main__.py): X-Forwarded-For is judged
        # by rate_limit.trusted_proxies, not by uvicorn.
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", proxy_headers=False))
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve(sockets=[self.sock])),
                                       daemon=True)
        self.thread.start()
        if not wait_until(lambda: self.server.started, 20):
            raise RuntimeError("server did not start")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class RouterServer(AppServer):
    """Our router in a thread, with the plugins its config asks for (built as `router serve`
    builds them)."""

    def __init__(self, supergraph_path: str | Path, config_path: str | Path | None = None,
                 env: dict | None = None) -> None:
        from router.config import load_config
        from router.http import create_app
        from router.pipeline import Router
        from router.plugins import build_plugins
        from router.supergraph import Supergraph

        cfg = load_config(str(config_path) if config_path else None, env=env or {})
        cfg.poll_interval = 0.2  # hot-reload tests need not wait a second
        self.router = Router(cfg, Supergraph(Path(supergraph_path).read_text()), build_plugins(cfg))
        super().__init__(create_app(self.router, str(supergraph_path)))

    @property
    def url(self) -> str:
        return self.base + "/graphql"

    def plugin(self, kind: type[T]) -> T:
        """The running router's plugin of that class (to inject a clock into it, say)."""
        return next(p for p in self.router.plugins if isinstance(p, kind))


def yaml_router(supergraph_path: Path, config: str, tmp: Path, env: dict | None = None) -> RouterServer:
    """A RouterServer configured from router.yaml text, written into `tmp`."""
    cfg_path = tmp / f"router-{uuid.uuid4().hex[:8]}.yaml"
    cfg_path.write_text(config)
    return RouterServer(supergraph_path, cfg_path, env)


class RouterProcess:
    """`python -m router` as its own process (what production runs), stdout to a file."""

    def __init__(self, supergraph_path: str, config_path: str, log_path: Path, env: dict | None = None) -> None:
        self.port = free_port()
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
        stop(self.proc)


# ---------------------------------------------------------------------- subgraphs


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


def reset(subgraph_port: int) -> None:
    """Put the Node test subgraphs' data back as it started."""
    httpx.post(f"http://127.0.0.1:{subgraph_port}/reset", timeout=10)


# ---------------------------------------------------------------------- keys and tokens


class SigningKey:
    """A private key with its public JWK (kid chosen by the test)."""

    def __init__(self, kid: str | None, kind: str = "RSA") -> None:
        self.kid = kid
        self.kind = kind
        if kind == "RSA":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.alg = "RS256"
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key()))
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.alg = "ES256"
            jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private.public_key()))
        if kid is not None:
            jwk["kid"] = kid
        jwk["use"] = "sig"
        self.jwk = jwk

    @property
    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, claims: dict, alg: str | None = None, headers: dict | None = None) -> str:
        h = dict(headers or {})
        if self.kid is not None:
            h.setdefault("kid", self.kid)
        return jwt.encode(claims, self.private, algorithm=alg or self.alg, headers=h)


def claims(sub: str = "u1", ttl: int = 300, **extra: Any) -> dict:
    now = int(time.time())
    out = {"sub": sub, "iat": now, "exp": now + ttl, "iss": "https://issuer.test", "aud": "shop"}
    out.update(extra)
    return out


class JwksServer:
    """Serves a JWKS document at /jwks.json and counts the fetches; `keys` can be swapped."""

    def __init__(self, keys: list[SigningKey]) -> None:
        self.keys = list(keys)
        self.fetches = 0
        self.delay = 0.0  # seconds before each answer (a slow issuer, in the server's thread)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                server.fetches += 1
                time.sleep(server.delay)
                body = json.dumps({"keys": [k.jwk for k in server.keys]}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/jwks.json"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# ---------------------------------------------------------------------- clients


def post(url: str, query: str, *, variables: dict | None = None, operation_name: str | None = None,
         headers: dict | None = None) -> httpx.Response:
    body: dict = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if operation_name:
        body["operationName"] = operation_name
    return httpx.post(url, json=body, headers=headers or {}, timeout=30)


def gql(router: RouterServer, query: str, token: str | None = None, variables: dict | None = None,
        headers: dict | None = None) -> tuple[int, dict]:
    """Status and JSON body of one request, with `token` as a bearer token."""
    hd = dict(headers or {})
    if token:
        hd["authorization"] = f"Bearer {token}"
    r = post(router.url, query, variables=variables or None, headers=hd)
    return r.status_code, r.json()


REGISTER = "mutation($input: RegisterInput!) { register(input: $input) { token user { id username } } }"


def register(router: RouterServer) -> dict:
    """A new shop account through the router: {"token", "user": {"id", "username"}}."""
    suffix = uuid.uuid4().hex[:10]
    status, body = gql(router, REGISTER, variables={"input": {
        "username": f"u_{suffix}", "email": f"u_{suffix}@example.com", "password": f"pw-{suffix}!"}})
    assert status == 200 and "errors" not in body, body
    return body["data"]["register"]
