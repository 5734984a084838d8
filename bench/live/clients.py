"""Subscribers for the live benchmark: many graphql-transport-ws or GraphQL-over-SSE streams from
one asyncio process, on plain sockets (no client library), so that the client costs as little
per event as it can and the same for every gateway. Each subscriber notes when it received
each order version."""

from __future__ import annotations

import asyncio
import base64
import os
import re
import struct
import time
from typing import Any

import orjson

VERSION = re.compile(rb'"version":\s*(\d+)')


class Subscriber:
    def __init__(self) -> None:
        self.received: dict[int, float] = {}  # order version -> perf_counter when it arrived
        self.ready = asyncio.Event()  # the first event (the order's current state) arrived
        self.changed = asyncio.Event()  # set at each event
        self.failed: str | None = None
        self.errors = b""  # the last event that carried only errors
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.transport.abort()

    def saw(self, chunk: bytes) -> None:
        now = time.perf_counter()
        if b'"errors"' in chunk and not VERSION.search(chunk):
            self.errors = chunk  # an event without the order: why the stream is about to end
        for m in VERSION.finditer(chunk):
            self.received.setdefault(int(m.group(1)), now)
        if self.received:
            self.ready.set()
            self.changed.set()

    async def wait_for(self, version: int) -> None:
        while version not in self.received and self.failed is None:
            self.changed.clear()
            await self.changed.wait()


def _payload(order_id: str) -> dict[str, Any]:
    return {"query": "subscription($id: ID!) { orderUpdated(id: $id) { id version status amountDue } }",
            "variables": {"id": order_id}}


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)


def _frame(text: bytes, opcode: int = 1) -> bytes:
    mask = os.urandom(4)
    n = len(text)
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(text))
    return head + mask + masked


async def websocket(sub: Subscriber, port: int, path: str, order_id: str) -> None:
    try:
        reader, writer = await _connect(port)
        sub.writer = writer
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n").encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            sub.failed = head.split(b"\r\n", 1)[0].decode()
            sub.ready.set()
            return
        writer.write(_frame(b'{"type":"connection_init","payload":{}}'))
        subscribed = False
        while True:
            b0, b1 = await reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", await reader.readexactly(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", await reader.readexactly(8))[0]
            data = await reader.readexactly(n)
            opcode = b0 & 0x0F
            if opcode == 9:
                writer.write(_frame(data, 10))
                continue
            if opcode == 8:
                sub.failed = sub.failed or f"closed {data[:2].hex()} {data[2:].decode(errors='replace')}"
                sub.ready.set()
                return
            if not subscribed and b"connection_ack" in data:
                subscribed = True
                msg = {"type": "subscribe", "id": "1", "payload": _payload(order_id)}
                writer.write(_frame(orjson.dumps(msg)))
            elif b'"ping"' in data:
                writer.write(_frame(b'{"type":"pong"}'))
            elif b'"next"' in data:
                sub.saw(data)
            elif b'"error"' in data or b'"complete"' in data:
                sub.failed = (sub.errors or data).decode(errors="replace")[:300]
                sub.ready.set()
                return
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
        sub.failed = sub.failed or f"{type(e).__name__}: {e}"
        sub.ready.set()


async def sse(sub: Subscriber, port: int, path: str, order_id: str) -> None:
    try:
        reader, writer = await _connect(port)
        sub.writer = writer
        body = orjson.dumps(_payload(order_id))
        writer.write((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
                      f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body)
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            sub.failed = head.split(b"\r\n", 1)[0].decode()
            sub.ready.set()
            return
        chunked = b"chunked" in head.lower()
        while True:
            if chunked:
                size = int((await reader.readuntil(b"\r\n")).strip() or b"0", 16)
                if size == 0:
                    break
                data = await reader.readexactly(size + 2)
            else:
                data = await reader.read(65536)
                if not data:
                    break
            if b"event: complete" in data:
                sub.failed = "completed" + (f" after {sub.errors.decode(errors='replace')[:300]}" if sub.errors else "")
                sub.ready.set()
                return
            if b"data:" in data:
                sub.saw(data)
        sub.failed = sub.failed or "stream ended"
        sub.ready.set()
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
        sub.failed = sub.failed or f"{type(e).__name__}: {e}"
        sub.ready.set()
