"""`router --workers N`: N processes on one port, each with its own SO_REUSEPORT socket, so
connections spread over all of them; a dead worker is replaced; SIGTERM stops them all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from devstack.ports import free_port
from tests.support.wait import wait_until

ROOT = Path(__file__).resolve().parents[3]
CONNECTIONS = 50
QUERY = "{ users { name reviews { body product { name } } } }"


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    workers = []
    for child in map(int, out):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:  # it exited (and was reaped) since pgrep listed it
            continue
        if b"spawn_main" in cmdline:  # not the multiprocessing resource tracker
            workers.append(child)
    return workers


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                inodes.add(fields[9])
    return inodes


def sockets_of(pid: int) -> set[str]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            found.add(target[8:-1])
    return found


def wait_for(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    return bool(wait_until(predicate, timeout, 0.1))


def test_workers_share_connections_restart_and_stop(supergraph_file):  # type: ignore[no-untyped-def]
    port = free_port()
    router = subprocess.Popen([sys.executable, "-m", "router", "--supergraph", str(supergraph_file),
                               "--port", str(port), "--workers", "2"], cwd=ROOT)
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        assert wait_for(lambda: len(children(router.pid)) == 2)

        def answers() -> bool:
            try:
                return httpx.post(url, json={"query": QUERY}, timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_for(answers)
        workers = children(router.pid)
        # Each worker listens on a socket of its own (SO_REUSEPORT): the kernel spreads new
        # connections over them, instead of one shared socket that the first awake worker drains.
        # (One worker may answer before the other, still starting, has bound its socket.)

        def own_sockets() -> list[set[str]]:
            listening = listening_inodes(port)
            return [sockets_of(pid) & listening for pid in workers]

        assert wait_for(lambda: all(own_sockets()))
        own = own_sockets()
        assert all(len(inodes) == 1 for inodes in own) and own[0] != own[1], own
        before = {pid: cpu_seconds(pid) for pid in workers}

        # Like a load balancer: a burst of connections opened at once, then kept alive. (A
        # shared listening socket hands such a burst to whichever worker wakes first.)
        start = threading.Barrier(CONNECTIONS)

        def client() -> None:
            with httpx.Client(timeout=30) as http:
                start.wait()
                for _ in range(8):
                    assert http.post(url, json={"query": QUERY}).json()["data"]["users"]

        threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        used = {pid: cpu_seconds(pid) - before[pid] for pid in workers}
        total = sum(used.values())
        assert min(used.values()) > 0.1 * total, f"one worker did (almost) everything: {used}"

        os.kill(workers[0], signal.SIGKILL)
        assert wait_for(lambda: len(children(router.pid)) == 2 and workers[0] not in children(router.pid))
        assert wait_for(answers)
    finally:
        survivors = children(router.pid)
        router.send_signal(signal.SIGTERM)
        assert router.wait(30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in survivors), "workers outlived the router"
