"""Slow and greedy clients against a router process: silent connections,
heads sent a byte at a time, bodies that never end, oversized heads, too many connections
from one address; each closed on time while a normal client keeps getting answers."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.support.wait import wait_for

Q = b'{"query": "{ reviews { id } }"}'
CONFIG = "connections:\n  header_read_timeout: 2\n  body_read_timeout: 2\n  keep_alive_timeout: 1\n"
HEAD = "POST /graphql HTTP/1.1\r\nhost: router\r\ncontent-type: application/json\r\n"


async def connect(port: int, local: str = "127.0.0.1") -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, local_addr=(local, 0))


async def closed_by_server(reader: asyncio.StreamReader, within: float) -> bytes:
    """What the server sent before closing; fails if it is still open after `within` s."""
    received = b""
    async with asyncio.timeout(within):
        while chunk := await reader.read(65536):
            received += chunk
    return received


async def keep_asking(url: str, stop: asyncio.Event) -> list[int]:
    statuses = []
    async with httpx.AsyncClient(timeout=10, transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2")) as client:
        while not stop.is_set():
            response = await client.post(url, content=Q, headers={"content-type": "application/json"})
            statuses.append(response.status_code)
            await asyncio.sleep(0.05)
    return statuses


async def test_a_thousand_slow_connections_are_closed_on_time_while_others_are_served(make_router_process):
    r = make_router_process(CONFIG)
    stop = asyncio.Event()
    normal = asyncio.create_task(keep_asking(r.url, stop))
    slow = []
    for i in range(1000):
        reader, writer = await connect(r.port)
        if i % 3 == 1:  # a head that never ends
            writer.write(HEAD.encode())
        elif i % 3 == 2:  # a complete head, a body that never ends
            writer.write(f"{HEAD}content-length: 1000\r\n\r\n{{\"query\":".encode())
        slow.append((i % 3, reader, writer))
    opened = time.monotonic()
    answers = await asyncio.gather(*(closed_by_server(reader, within=20) for _, reader, _ in slow))
    closed_after = time.monotonic() - opened
    stop.set()
    statuses = await normal

    assert closed_after < 20  # each closed ~2 s after it opened (generous bound for a loaded machine)
    for (kind, _, writer), answer in zip(slow, answers):
        writer.close()
        if kind == 1:
            assert answer.startswith(b"HTTP/1.1 408 "), answer
        else:
            assert answer == b"", answer  # silent or mid-body: closed without a word
    assert statuses and set(statuses) == {200}, statuses
    log = r.log_path.read_text()
    assert "Traceback" not in log and "ClientDisconnect" not in log, log


async def test_a_client_dropping_mid_body_leaves_no_traceback(make_router_process):
    r = make_router_process(CONFIG)
    for _ in range(20):
        reader, writer = await connect(r.port)
        writer.write(f"{HEAD}content-length: 1000\r\n\r\n{{\"query\":".encode())
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    async with httpx.AsyncClient() as client:
        resp = await client.post(r.url, content=Q, headers={"content-type": "application/json"})
    assert resp.status_code == 200
    log = r.log_path.read_text()
    assert "Traceback" not in log and "ClientDisconnect" not in log, log


def test_oversized_heads_get_431(make_router_process):
    r = make_router_process("connections:\n  max_header_bytes: 8192\n  max_headers: 50\n")
    headers = {"content-type": "application/json"}
    assert httpx.post(r.url, content=Q, headers=headers).status_code == 200
    many = {**headers, **{f"x-h{i}": "v" for i in range(60)}}
    assert httpx.post(r.url, content=Q, headers=many).status_code == 431
    huge = {**headers, "x-big": "v" * 100_000}
    assert httpx.post(r.url, content=Q, headers=huge).status_code == 431
    assert httpx.post(r.url, content=Q, headers=headers).status_code == 200


async def test_connections_per_address_are_capped(make_router_process):
    r = make_router_process("connections:\n  max_connections_per_ip: 20\n  header_read_timeout: 30\n")
    held = [await connect(r.port) for _ in range(20)]
    reader, writer = await connect(r.port)
    answer = await closed_by_server(reader, within=10)
    assert answer.startswith(b"HTTP/1.1 503 "), answer
    writer.close()
    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(local_address="127.0.0.2")) as other:
        response = await other.post(r.url, content=Q, headers={"content-type": "application/json"})
        assert response.status_code == 200  # another address is not affected
    for _, w in held:
        w.close()
        await w.wait_closed()

    async def served_again_ok() -> bool:
        async with httpx.AsyncClient() as client:
            return (await client.post(r.url, content=Q, headers={"content-type": "application/json"})).status_code == 200

    assert await wait_for(served_again_ok, 10, 0.05)  # the server sees the closes asynchronously


async def test_idle_keep_alive_connections_are_closed(make_router_process):
    r = make_router_process(CONFIG)
    reader, writer = await connect(r.port)
    writer.write(f"{HEAD}content-length: {len(Q)}\r\n\r\n".encode() + Q)
    answer = await closed_by_server(reader, within=10)  # answered, then closed once idle
    assert answer.startswith(b"HTTP/1.1 200 ") and b'"reviews"' in answer
    writer.close()
