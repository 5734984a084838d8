"""RabbitMQ and Redis for the tests, found or started like the store: the machine's own when
one listens on its standard port (127.0.0.1:5672, :6379), else a private server started for the
session on a free port with its data in a temporary directory, else a failure that says what to
install (`devstack/prereqs.sh` installs both)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack.ports import free_port, wait_for_port

AMQP_PORT = 5672
REDIS_PORT = 6379
# Debian's /usr/sbin/rabbitmq-server switches to the rabbitmq user and its /var/lib directory;
# the script it runs takes every path from the environment, so a test node needs no root.
RABBITMQ_SERVER = ("/usr/lib/rabbitmq/bin/rabbitmq-server", "rabbitmq-server")
INSTALL = "run `devstack/prereqs.sh` (as root it installs them) or: apt-get install rabbitmq-server redis-server"


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes] | None = None  # None: the machine's own, left running

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def _executable(candidates: tuple[str, ...]) -> str | None:
    for name in candidates:
        found = name if os.path.isabs(name) and os.access(name, os.X_OK) else shutil.which(name)
        if found:
            return found
    return None


def _start(argv: list[str], port: int, workdir: Path, env: dict[str, str], what: str, timeout: float) -> Server:
    log = workdir / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, cwd=workdir, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(port, process)
    if not wait_for_port(port, timeout):
        server.stop()
        pytest.fail(f"the {what} started for the tests did not listen on {port} in {timeout:.0f}s; see {log}")
    return server


def redis_server(workdir: Path, standard_port: int = REDIS_PORT) -> Server:
    if wait_for_port(standard_port, 0.2):
        return Server(standard_port)
    executable = _executable(("redis-server",))
    if executable is None:
        pytest.fail(f"no Redis on 127.0.0.1:{standard_port} and no redis-server to start one: {INSTALL}")
    port = free_port()
    argv = [executable, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no",
            "--dir", str(workdir)]
    return _start(argv, port, workdir, {}, "Redis", 30)


def rabbitmq_server(workdir: Path, standard_port: int = AMQP_PORT) -> Server:
    if wait_for_port(standard_port, 0.2):
        return Server(standard_port)
    executable = _executable(RABBITMQ_SERVER)
    if executable is None:
        pytest.fail(f"no RabbitMQ on 127.0.0.1:{standard_port} and no rabbitmq-server to start one: {INSTALL}")
    port = free_port()
    env = {
        "RABBITMQ_NODENAME": f"tests{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(free_port()),
        "RABBITMQ_MNESIA_BASE": str(workdir / "mnesia"),
        "RABBITMQ_LOG_BASE": str(workdir / "log"),
        "RABBITMQ_LOGS": "-",
        "RABBITMQ_PID_FILE": str(workdir / "pid"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(workdir / "enabled_plugins"),  # none: no management port to clash
        "RABBITMQ_PLUGINS_EXPAND_DIR": str(workdir / "plugins"),
        "RABBITMQ_CONFIG_FILE": str(workdir / "rabbitmq"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(workdir / "advanced.config"),
    }
    return _start([executable], port, workdir, env, "RabbitMQ", 120)  # Erlang boots slowly on a busy machine
