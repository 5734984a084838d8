"""A small keep-alive HTTP/1.1 client on asyncio protocols, for subgraph POSTs.

Why not httpx on the hot path: measured on the bench query (7 subgraph requests per client
request), httpx + httpcore spent ~0.5-1 ms per subgraph request in Python (request/response
models, anyio, and httpcore probing for trio with a failed import on every request), more
than all planning, merging and shaping together. This client does one thing: POST a body
and read a Content-Length or chunked response over pooled connections. httpx remains
available (`traffic.client: httpx`)."""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from urllib.parse import urlsplit


class TransportError(Exception):
    pass


class TransportTimeout(TransportError):
    pass


class _Conn(asyncio.Protocol):
    __slots__ = ("transport", "buf", "waiter", "closed", "received", "_need", "_status", "_hdr_end",
                 "_chunked", "_keep", "_body")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.waiter: asyncio.Future | None = None
        self.closed = False
        self.received = False

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def connection_lost(self, exc) -> None:
        self.closed = True
        w = self.waiter
        if w is not None and not w.done():
            w.set_exception(TransportError(f"connection lost: {exc or 'closed by peer'}"))

    def data_received(self, data: bytes) -> None:
        self.received = True
        self.buf += data
        w = self.waiter
        if w is None or w.done():
            return
        try:
            res = self._parse()
        except TransportError as e:
            w.set_exception(e)
            return
        if res is not None:
            w.set_result(res)

    def start(self, payload: bytes, loop: asyncio.AbstractEventLoop) -> asyncio.Future:
        self.buf.clear()
        self.received = False
        self._hdr_end = -1
        self.waiter = loop.create_future()
        self.transport.write(payload)  # type: ignore[union-attr]
        return self.waiter

    def _parse(self):
        buf = self.buf
        if self._hdr_end < 0:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > 65536:
                    raise TransportError("response headers too large")
                return None
            head = bytes(buf[:end]).decode("latin-1").split("\r\n")
            parts = head[0].split(" ", 2)
            if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
                raise TransportError("malformed HTTP response")
            self._status = int(parts[1])
            length = -1
            chunked = False
            keep = parts[0] == "HTTP/1.1"
            for line in head[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value.strip())
                elif name == "transfer-encoding" and "chunked" in value.lower():
                    chunked = True
                elif name == "connection":
                    v = value.strip().lower()
                    keep = v == "keep-alive" or (keep and v != "close")
            self._hdr_end = end + 4
            self._need = length
            self._chunked = chunked
            self._keep = keep
            if not chunked and length < 0:
                self._keep = False  # read until close
        start = self._hdr_end
        if self._chunked:
            body = bytearray()
            pos = start
            while True:
                nl = buf.find(b"\r\n", pos)
                if nl < 0:
                    return None
                size = int(bytes(buf[pos:nl]).split(b";", 1)[0], 16)
                if size == 0:
                    if buf.find(b"\r\n", nl + 2) < 0:
                        return None
                    return self._status, bytes(body), self._keep
                if len(buf) < nl + 2 + size + 2:
                    return None
                body += buf[nl + 2:nl + 2 + size]
                pos = nl + 2 + size + 2
        if self._need >= 0:
            if len(buf) - start < self._need:
                return None
            return self._status, bytes(buf[start:start + self._need]), self._keep
        return None  # body ends at close; handled by connection_lost path


class HTTPPool:
    """Connections to one origin; idle ones are reused (keep-alive)."""

    def __init__(self, url: str, timeout: float = 30.0, max_idle: int = 128) -> None:
        u = urlsplit(url)
        if u.scheme not in ("http", "https"):
            raise ValueError(f"unsupported subgraph URL {url!r}")
        self.host = u.hostname or "127.0.0.1"
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.ssl = ssl.create_default_context() if u.scheme == "https" else None
        path = u.path or "/"
        if u.query:
            path += "?" + u.query
        host_header = u.netloc.rsplit("@", 1)[-1]
        self.prefix = (f"POST {path} HTTP/1.1\r\nHost: {host_header}\r\nContent-Type: application/json\r\n"
                       f"Accept: application/graphql-response+json, application/json\r\n").encode("latin-1")
        self.timeout = timeout
        self.idle: deque[_Conn] = deque()
        self.max_idle = max_idle

    async def _connect(self) -> _Conn:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(_Conn, self.host, self.port, ssl=self.ssl), self.timeout)
        except asyncio.TimeoutError:
            raise TransportTimeout(f"connect timeout to {self.host}:{self.port}") from None
        except OSError as e:
            raise TransportError(f"cannot connect to {self.host}:{self.port}: {e.strerror or e}") from None
        return conn  # type: ignore[return-value]

    async def post(self, body: bytes, headers: bytes = b"", retry: bool = True) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        conn = None
        idle = self.idle
        while idle:
            c = idle.pop()
            if not c.closed and not c.transport.is_closing():  # type: ignore[union-attr]
                conn = c
                break
        reused = conn is not None
        if conn is None:
            conn = await self._connect()
        payload = b"".join((self.prefix, headers, b"Content-Length: ", str(len(body)).encode(), b"\r\n\r\n", body))
        fut = conn.start(payload, loop)
        handle = loop.call_later(self.timeout, _expire, fut)
        try:
            status, data, keep = await fut
        except TransportError as e:
            conn.transport.close()  # type: ignore[union-attr]
            if reused and retry and not conn.received and not isinstance(e, TransportTimeout):
                return await self.post(body, headers, retry=False)  # stale keep-alive connection
            raise
        except asyncio.CancelledError:  # e.g. the request's timeout: the answer would come too late
            conn.transport.close()  # type: ignore[union-attr]
            raise
        finally:
            handle.cancel()
        conn.waiter = None
        if keep and not conn.closed and len(idle) < self.max_idle:
            idle.append(conn)
        else:
            conn.transport.close()  # type: ignore[union-attr]
        return status, data

    def close(self) -> None:
        while self.idle:
            c = self.idle.pop()
            if c.transport is not None:
                c.transport.close()


def _expire(fut: asyncio.Future) -> None:
    if not fut.done():
        fut.set_exception(TransportTimeout("subgraph request timed out"))
