"""`make dev`: the whole shop on this machine, from a fresh clone.

Starts the embedded store (unless MONGODB_URI points at a real MongoDB), the three subgraphs
on 3001-3003 and the router on 3000 in front of them, prints the URLs, turns the services'
JSON log lines into readable ones, restarts a child that dies (the store included) with a
backoff and says so, and on Ctrl-C stops every child cleanly, the store last.
Data lives in `.data/` across restarts.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import sys
from datetime import datetime
from pathlib import Path
from typing import Awaitable, Callable

import orjson

from .keys import ensure_key_pair
from .ports import wait_for_port
from .stack import DEV_PORTS, ServiceSpec, router_spec, subgraph_specs
from .store import EmbeddedStore
from .supervise import Supervised

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / ".data"
STORE_PORT = int(os.environ.get("DEV_STORE_PORT", "27018"))
ADMIN_EMAIL = "admin@shop.local"
COLOURS = {"store": 90, "users": 36, "orders": 33, "payments": 35, "router": 32, "dev": 1}
# the subgraphs' request lines (subgraphs/common/logging.py) and the router's (telemetry plugin)
ACCESS_LOGGERS = ("access", "router.access")
USE_COLOUR = sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def paint(name: str, text: str) -> str:
    return f"\x1b[{COLOURS.get(name, 0)}m{text}\x1b[0m" if USE_COLOUR else text


def say(name: str, message: str) -> None:
    print(f"{datetime.now():%H:%M:%S} {paint(name, f'{name:<8}')} {message}", flush=True)


def readable(line: str) -> str:
    """One JSON log line as a short human line; anything else is passed through."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError:
        return line
    if not isinstance(record, dict):
        return line
    level = str(record.get("level", "")).upper()
    if record.get("logger") in ACCESS_LOGGERS:
        text = f"{record.get('method')} {record.get('path')} {record.get('status')} {record.get('duration_ms')}ms"
        if record.get("operation"):
            text += f" {record['operation']}"
        if record.get("errors"):
            text += f" [{', '.join(map(str, record['errors']))}]"
    else:
        text = str(record.get("msg", ""))
        if record.get("code"):
            text += f" [{record['code']}]"
        if record.get("exception"):
            text += "\n" + str(record["exception"])
    request_id = record.get("request_id")
    suffix = f"  ({str(request_id)[:8]})" if request_id else ""
    return f"{level:<5} {text}{suffix}" if level and level != "INFO" else f"{text}{suffix}"


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def dev_secret(name: str, length: int) -> str:
    """A secret generated once into .data/ and kept across restarts."""
    path = DATA / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(length))
        path.chmod(0o600)
    return path.read_text().strip()


async def pump(name: str, stream: asyncio.StreamReader) -> None:
    while line := await stream.readline():
        say(name, readable(line.decode(errors="replace").rstrip()))


class ServiceChild:
    """A service process whose output is turned into readable lines."""

    def __init__(self, spec: ServiceSpec, process: asyncio.subprocess.Process) -> None:
        self.spec = spec
        self.process = process

    async def wait(self) -> int | None:
        return await self.process.wait()

    async def stop(self) -> None:
        await stop(self.spec.name, self.process)


class StoreChild:
    """The embedded store (a blocking `subprocess.Popen`, waited on in a thread)."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store

    async def wait(self) -> int | None:
        process = self.store.process
        return None if process is None else await asyncio.to_thread(process.wait)

    async def stop(self) -> None:
        await asyncio.to_thread(self.store.stop)
        say("store", "stopped")


async def start(spec: ServiceSpec) -> ServiceChild:
    process = await asyncio.create_subprocess_exec(
        *spec.argv,
        env=spec.environment(),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches only us; we stop the children in order
    )
    assert process.stdout is not None
    asyncio.get_running_loop().create_task(pump(spec.name, process.stdout))
    return ServiceChild(spec, process)


async def start_store(store: EmbeddedStore) -> StoreChild:
    await asyncio.to_thread(store.start)
    return StoreChild(store)


async def stop(name: str, process: asyncio.subprocess.Process, timeout: float = 10.0) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), timeout)
    except asyncio.TimeoutError:
        say("dev", f"{name} did not stop in {timeout:.0f}s; killing it")
        process.kill()
        await process.wait()


def service_starter(spec: ServiceSpec) -> Callable[[], Awaitable[ServiceChild]]:
    async def start_service() -> ServiceChild:
        return await start(spec)

    return start_service


async def run() -> int:
    DATA.mkdir(exist_ok=True)
    busy = [f"{name} ({port})" for name, port in DEV_PORTS.items() if port_in_use(port)]
    if busy:
        say("dev", f"port(s) already in use: {', '.join(busy)}. Is another `make dev` running?")
        return 1
    keys_dir = DATA / "keys"
    ensure_key_pair(keys_dir)

    children: list[Supervised] = []  # in start order; stopped in reverse, the store last
    mongodb_uri = os.environ.get("MONGODB_URI")
    if mongodb_uri:
        say("dev", "MONGODB_URI is set: using that server, not starting the embedded store")
    else:
        if port_in_use(STORE_PORT):
            say("dev", f"store port {STORE_PORT} is in use (set DEV_STORE_PORT to choose another)")
            return 1
        say("store", f"starting SecantusDB on 127.0.0.1:{STORE_PORT}, data in .data/store (fsync on commit)")
        store = EmbeddedStore(DATA / "store", port=STORE_PORT, sync_on_commit=True, log=open(DATA / "store.log", "ab"))
        store_child = Supervised("store", lambda: start_store(store), lambda m: say("dev", m))
        await store_child.first_start()
        children.append(store_child)
        mongodb_uri = store.uri

    password = dev_secret("dev-admin-password", 12)
    signing = dev_secret("router-signing-secret", 32)  # the subgraphs answer only the router's requests
    specs = subgraph_specs(
        mongodb_uri=mongodb_uri,
        keys_dir=keys_dir,
        ports=DEV_PORTS,
        events_secret=dev_secret("events-secret", 24),
        extra_env={
            "ORDERS_SEED_CATALOGUE": os.environ.get("ORDERS_SEED_CATALOGUE", "true"),
            "USERS_BOOTSTRAP_ADMIN_EMAIL": ADMIN_EMAIL,
            "USERS_BOOTSTRAP_ADMIN_PASSWORD": password,
            "BCRYPT_ROUNDS": os.environ.get("BCRYPT_ROUNDS", "10"),
            "ROUTER_SIGNING_SECRET": signing,
        },
    )
    specs.append(
        router_spec(
            port=DEV_PORTS["router"],
            supergraph=ROOT / "schema" / "supergraph.graphql",
            config=ROOT / "router" / "router.dev.yaml",  # router.yaml, rate limit and CORS relaxed
            extra_env={"ROUTER_SIGNING_SECRET": signing},
        )
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)

    try:
        for spec in specs:
            child = Supervised(spec.name, service_starter(spec), lambda m: say("dev", m))
            await child.first_start()
            children.append(child)
            if not await asyncio.to_thread(wait_for_port, spec.port, 30.0):
                say("dev", f"{spec.name} did not start on port {spec.port}")
                return 1
        print(flush=True)
        for spec in specs:
            say("dev", f"{spec.name:<9} {spec.url}/graphql   (health {spec.url}/health)")
        say("dev", f"GraphiQL  {specs[-1].url}/graphql in a browser")
        say("dev", f"admin     {ADMIN_EMAIL} / {password}   (.data/dev-admin-password)")
        say("dev", f"events    {'RabbitMQ at AMQP_URL' if os.environ.get('AMQP_URL') else 'pushed between services over HTTP (set AMQP_URL for RabbitMQ)'}")
        say("dev", "a child that dies is restarted (with a backoff); Ctrl-C stops everything")
        print(flush=True)
        watchers = [asyncio.ensure_future(child.watch(stopping)) for child in children]
        await stopping.wait()
        await asyncio.gather(*watchers)
    finally:
        say("dev", "stopping")
        stopping.set()
        for child in reversed(children):
            await child.stop()
    return 0


def main() -> None:
    sys.exit(asyncio.run(run()))


if __name__ == "__main__":
    main()
