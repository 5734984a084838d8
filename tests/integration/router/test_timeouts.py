"""Per-subgraph timeouts against a real socket that accepts and never answers."""

import socket
import threading
import time

import httpx


def test_slow_subgraph_times_out_per_its_own_timeout(make_router):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    held = []
    stop = threading.Event()

    def accept():
        silent.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(silent.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        r = make_router(f"subgraphs:\n  users:\n    url: http://127.0.0.1:{port}/graphql\n    timeout: 0.5\n")
        start = time.monotonic()
        body = httpx.post(r.url, json={"query": "{ me { id } reviews { id } }"}, timeout=10).json()
        elapsed = time.monotonic() - start
        assert body["data"]["me"] is None and len(body["data"]["reviews"]) == 6  # the other subgraph answered
        assert body["errors"][0]["extensions"] == {"code": "SUBGRAPH_TIMEOUT", "serviceName": "users"}
        assert elapsed < 5
    finally:
        stop.set()
        t.join(2)
        for c in held:
            c.close()
        silent.close()


def test_a_request_timeout_closes_the_subgraph_connection(make_router):
    """When the whole request times out, the fetch still in flight is abandoned: its
    connection must be closed, not left open (a leak per timed-out request)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    port = silent.getsockname()[1]
    accepted = []

    def accept():
        conn, _ = silent.accept()
        accepted.append(conn)

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        r = make_router(f"limits:\n  request_timeout: 0.5\nsubgraphs:\n  users:\n    url: http://127.0.0.1:{port}/graphql\n"
                        "    timeout: 30\n")
        resp = httpx.post(r.url, json={"query": "{ me { id } }"}, timeout=10)
        assert resp.status_code == 504 and resp.json()["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
        t.join(5)
        (conn,) = accepted
        conn.settimeout(5)
        received = b""
        while True:  # read the request, then expect EOF: the router hung up
            chunk = conn.recv(65536)
            if not chunk:
                break
            received += chunk
        assert received.startswith(b"POST /graphql HTTP/1.1")
    finally:
        for c in accepted:
            c.close()
        silent.close()
