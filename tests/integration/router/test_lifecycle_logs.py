"""What the router says about itself on stdout: a JSON line when it listens (URL, supergraph
hash, plugins) and one when it has stopped, in the shape every program of the shop logs, and
its access lines readable by `make dev`."""

from __future__ import annotations

import hashlib
import json
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from devstack.dev import readable
from devstack.ports import free_port

ROOT = Path(__file__).resolve().parents[3]
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
CONFIG = ROOT / "router" / "router.yaml"


def lines_of(process: subprocess.Popen[str]) -> "queue.Queue[str]":
    out: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            out.put(line.rstrip("\n"))

    threading.Thread(target=read, daemon=True).start()
    return out


def next_matching(out: "queue.Queue[str]", predicate, timeout: float = 30.0) -> dict:  # type: ignore[no-untyped-def]
    seen = []
    while True:
        try:
            line = out.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError("no matching line; saw:\n" + "\n".join(seen)) from None
        seen.append(line)
        record = json.loads(line)  # every line the router writes is JSON
        if predicate(record):
            return record


def test_router_logs_start_access_and_stop_lines_as_json() -> None:
    port = free_port()
    argv = [sys.executable, "-m", "router", "--supergraph", str(SUPERGRAPH), "--config", str(CONFIG), "--port", str(port)]
    process = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out = lines_of(process)
        started = next_matching(out, lambda r: r.get("msg", "").startswith("router started"))
        url = f"http://127.0.0.1:{port}/graphql"
        assert started["url"] == url and started["service"] == "router" and started["level"] == "info"
        assert started["supergraph"] == hashlib.sha256(SUPERGRAPH.read_text().encode()).hexdigest()[:16]
        assert {"jwt", "csrf", "rate_limit", "telemetry"} <= set(started["plugins"])
        assert url in started["msg"] and started["supergraph"] in started["msg"]

        response = httpx.post(url, json={"query": "query Probe { __typename }"})
        assert response.status_code == 200
        access = next_matching(out, lambda r: r.get("logger") == "router.access")
        assert access["service"] == "router" and access["status"] == 200 and access["operation"] == "Probe"
        shown = readable(json.dumps(access))
        assert shown.startswith("POST /graphql 200 ") and "Probe" in shown

        process.send_signal(signal.SIGTERM)
        stopped = next_matching(out, lambda r: r.get("msg", "").startswith("router stopped"))
        assert stopped["url"] == url
        assert process.wait(timeout=30) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it stopped on
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
