"""Serving on several cores: N worker processes, each with its own listening socket bound
with SO_REUSEPORT, so the kernel spreads incoming connections across the workers. (With one
shared socket, as uvicorn's own `workers` does, whichever worker is awake accepts a burst of
keep-alive connections and the others stay idle.) The parent only supervises: it restarts a
worker that dies and stops them all on SIGINT/SIGTERM."""

from __future__ import annotations

import functools
import logging
import multiprocessing
import signal
import socket
import time
from typing import Any, Callable

import uvicorn

from .config import Config

log = logging.getLogger("router.workers")

UVICORN_OPTIONS: dict[str, Any] = {
    "factory": True,
    "log_level": "warning",
    "access_log": False,
    "lifespan": "on",
    # X-Forwarded-For is judged by rate_limit.trusted_proxies, not by uvicorn.
    "proxy_headers": False,
    # uvicorn's own log setup would give its lines a second format: ours (router/logs.py) it is
    "log_config": None,
}


def _app(cfg: Config) -> Callable[[], Any]:
    """The app factory for uvicorn, bound to this configuration (passed, not read from the
    environment: each worker gets the parent's resolved configuration as an argument)."""
    from .app import create_app_from_config

    return functools.partial(create_app_from_config, cfg)


class Server(uvicorn.Server):
    """uvicorn's server that says when it listens (after the sockets are bound, not before) and
    when it has stopped (inside uvicorn: it re-raises SIGTERM after shutting down, so code after
    `run()` would never run)."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], None] | None = None,
                 on_stopped: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.on_started = on_started
        self.on_stopped = on_stopped

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_started is not None:
            self.on_started()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        from .subscriptions.stream import shutdown_all

        await shutdown_all()  # streams never finish by themselves: ended before uvicorn waits for them
        await super().shutdown(sockets)
        if self.on_stopped is not None:
            self.on_stopped()


def serve_one(cfg: Config, on_started: Callable[[], None], on_stopped: Callable[[], None]) -> None:
    """One process serving on the configured host:port until SIGINT/SIGTERM (in-flight
    requests finish), with the connection limits of router/connections.py."""
    from . import connections

    config = uvicorn.Config(_app(cfg), host=cfg.host, port=cfg.port, **UVICORN_OPTIONS,
                            **connections.uvicorn_options(cfg))
    Server(config, on_started, on_stopped).run()


def reuseport_socket(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(cfg: Config, level: str) -> None:
    from .logs import configure_logging

    configure_logging(level)  # a spawned process starts with no logging set up
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop (SIGTERM)
    from . import connections

    server = Server(uvicorn.Config(_app(cfg), **UVICORN_OPTIONS, **connections.uvicorn_options(cfg)))
    server.run(sockets=[reuseport_socket(cfg.host, cfg.port)])


def serve(cfg: Config, level: str, on_started: Callable[[], None] | None = None) -> int:
    host, port, workers = cfg.host, cfg.port, cfg.workers
    context = multiprocessing.get_context("spawn")
    processes: list[multiprocessing.process.BaseProcess] = []
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    def start() -> multiprocessing.process.BaseProcess:
        process = context.Process(target=_worker, args=(cfg, level), daemon=False)
        process.start()
        return process

    processes = [start() for _ in range(workers)]
    log.info("router: %d workers on %s:%d (SO_REUSEPORT)", workers, host, port)
    if on_started is not None:
        on_started()
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
