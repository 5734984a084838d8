"""Serving on several cores: N worker processes, each with its own listening socket bound
with SO_REUSEPORT, so the kernel spreads incoming connections across the workers. (With one
shared socket, as uvicorn's own `workers` does, whichever worker is awake accepts a burst of
keep-alive connections and the others stay idle.) The parent only supervises: it restarts a
worker that dies and stops them all on SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import time
from typing import Any

log = logging.getLogger("router.workers")

UVICORN_OPTIONS: dict[str, Any] = {
    "factory": True,
    "log_level": "warning",
    "access_log": False,
    "lifespan": "on",
    # X-Forwarded-For is judged by rate_limit.trusted_proxies, not by uvicorn.
    "proxy_headers": False,
}
APP = "router.app:create_app_from_env"


def reuseport_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(host: str, port: int) -> None:
    import uvicorn

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop (SIGTERM)
    from . import connections
    from .config import load_config

    options = connections.uvicorn_options(load_config(os.environ.get("ROUTER_CONFIG")))
    server = uvicorn.Server(uvicorn.Config(APP, **UVICORN_OPTIONS, **options))
    server.run(sockets=[reuseport_socket(host, port)])


def serve(host: str, port: int, workers: int) -> int:
    context = multiprocessing.get_context("spawn")
    processes: list[multiprocessing.process.BaseProcess] = []
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=_worker, args=(host, port), daemon=False)
        process.start()
        return process

    processes = [start() for _ in range(workers)]
    log.info("router: %d workers on %s:%d (SO_REUSEPORT)", workers, host, port)
    restarts: list[float] = []
    while not stopping:
        time.sleep(0.2)
        for index, process in enumerate(processes):
            if stopping or process.is_alive():
                continue
            now = time.monotonic()
            restarts = [t for t in restarts if now - t < 60] + [now]
            if len(restarts) > 5 * workers:
                log.error("router: workers keep dying (exit code %s); giving up", process.exitcode)
                stopping = True
                break
            log.warning("router: worker %d exited with %s; restarting it", process.pid, process.exitcode)
            processes[index] = start()
    for process in processes:
        if process.is_alive():
            process.terminate()  # SIGTERM: uvicorn finishes in-flight requests, then exits
    for process in processes:
        process.join(15)
        if process.is_alive():
            process.kill()
    return 0
