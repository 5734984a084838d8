"""A subgraph stops working on a request whose client went away (the router's
timeout must stop the subgraph's work too): CancelOnDisconnect under a real uvicorn server."""

from __future__ import annotations

import asyncio
import socket
import threading

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from devstack.ports import free_port, wait_for_port
from subgraphs.common.disconnect import CancelOnDisconnect

started = threading.Event()
cancelled = threading.Event()


async def slow(request: Request) -> JSONResponse:
    await request.body()
    if request.query_params.get("wait") == "yes":
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
    return JSONResponse({"ok": True})


def serve() -> tuple[uvicorn.Server, threading.Thread, int]:
    app = Starlette(routes=[Route("/graphql", slow, methods=["POST"])])
    app.add_middleware(CancelOnDisconnect)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    assert wait_for_port(port, 10)
    return server, thread, port


def test_work_of_a_request_whose_client_left_is_cancelled() -> None:
    server, thread, port = serve()
    try:
        assert httpx.post(f"http://127.0.0.1:{port}/graphql", content=b"{}").json() == {"ok": True}
        with socket.create_connection(("127.0.0.1", port)) as client:
            client.sendall(b"POST /graphql?wait=yes HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}")
            assert started.wait(10)
        assert cancelled.wait(10), "the handler kept running for a client that was gone"
        assert httpx.post(f"http://127.0.0.1:{port}/graphql", content=b"{}").json() == {"ok": True}
    finally:
        server.should_exit = True
        thread.join(10)
