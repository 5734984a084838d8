"""A small keep-alive HTTP/1.1 client on asyncio protocols, for subgraph POSTs.

Why not httpx on the hot path: measured on the bench query (7 subgraph requests per client
request), httpx + httpcore spent ~0.5-1 ms per subgraph request in Python (request/response
models, anyio, and httpcore probing for trio with a failed import on every request), more
than all planning, merging and shaping together. This client does one thing: POST a body
and read a Content-Length, chunked or read-until-close response over pooled connections
(interim 1xx responses skipped; bounded headers, body and connections). httpx remains
available (`traffic.client: httpx`)."""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import cast
from urllib.parse import urlsplit


class TransportError(Exception):
    pass


class TransportTimeout(TransportError):
    pass


MAX_HEADER_BYTES = 65536
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a subgraph answer larger than this is refused


class _Conn(asyncio.Protocol):
    """One connection; parses one response at a time, resuming where the last read stopped."""

    __slots__ = ("transport", "buf", "waiter", "closed", "received", "max_bytes", "_need", "_status",
                 "_hdr_end", "_chunked", "_keep", "_body", "_pos")

    # set by connection_made, before anything else runs: a _Conn is only handed out connected
    transport: asyncio.Transport

    def __init__(self, max_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.buf = bytearray()
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.closed = False
        self.received = False
        self.max_bytes = max_bytes

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # create_connection: a stream transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        w = self.waiter
        if w is None or w.done():
            return
        if exc is None and self._hdr_end >= 0 and not self._chunked and self._need < 0:
            # no Content-Length, not chunked: the body is whatever came before the close
            w.set_result((self._status, bytes(self.buf[self._hdr_end:]), False))
            return
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
            self.transport.close()
            return
        if res is not None:
            w.set_result(res)

    def start(self, payload: bytes, loop: asyncio.AbstractEventLoop) -> asyncio.Future[tuple[int, bytes, bool]]:
        self.buf.clear()
        self.received = False
        self._hdr_end = -1
        self._chunked = False
        self._need = -1
        self.waiter = loop.create_future()
        self.transport.write(payload)
        return self.waiter

    def _parse(self) -> tuple[int, bytes, bool] | None:
        buf = self.buf
        if len(buf) > self.max_bytes:
            raise TransportError(f"subgraph response larger than {self.max_bytes} bytes")
        while self._hdr_end < 0:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEADER_BYTES:
                    raise TransportError("response headers too large")
                return None
            if not self._head(bytes(buf[:end])):  # an interim 1xx response: the real one follows
                del buf[:end + 4]
        if self._chunked:
            return self._chunks()
        if self._status in (204, 304):  # never a body, whatever the headers say
            return self._status, b"", self._keep
        if self._need >= 0:
            start = self._hdr_end
            if len(buf) - start < self._need:
                return None
            return self._status, bytes(buf[start:start + self._need]), self._keep
        return None  # the body ends at close (connection_lost)

    def _head(self, raw: bytes) -> bool:
        """Reads a response head; False for an interim (1xx) response."""
        head = raw.decode("latin-1").split("\r\n")
        parts = head[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not (parts[1].isdigit() and len(parts[1]) == 3):
            raise TransportError("malformed HTTP response")
        status = int(parts[1])
        if 100 <= status < 200:
            if status == 101:
                raise TransportError("unexpected protocol switch")
            return False
        length = -1
        chunked = False
        keep = parts[0] == "HTTP/1.1"
        for line in head[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                v = value.strip()
                if not v.isdigit() or (length >= 0 and int(v) != length):
                    raise TransportError(f"malformed Content-Length {v[:40]!r}")
                length = int(v)
                if length > self.max_bytes:
                    raise TransportError(f"subgraph response larger than {self.max_bytes} bytes")
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection":
                v = value.strip().lower()
                keep = v == "keep-alive" or (keep and v != "close")
        self._status = status
        self._hdr_end = len(raw) + 4
        self._need = -1 if chunked else length  # chunked wins over a Content-Length (RFC 9112 6.3)
        self._chunked = chunked
        self._keep = keep and (chunked or length >= 0)  # read-until-close cannot be reused
        self._body = bytearray()
        self._pos = self._hdr_end
        return True

    def _chunks(self) -> tuple[int, bytes, bool] | None:
        """Chunks after the last complete one: each byte is parsed once, whatever the reads."""
        buf, body, pos = self.buf, self._body, self._pos
        while True:
            nl = buf.find(b"\r\n", pos)
            if nl < 0:
                return None
            line = bytes(buf[pos:nl]).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise TransportError(f"malformed chunk size {line[:20]!r}") from None
            if size < 0:
                raise TransportError(f"malformed chunk size {line[:20]!r}")
            if size == 0:
                # trailers (if any) end with an empty line
                if buf.find(b"\r\n\r\n", nl) < 0:
                    return None
                return self._status, bytes(body), self._keep
            if len(buf) < nl + 2 + size + 2:
                return None
            body += buf[nl + 2:nl + 2 + size]
            if len(body) > self.max_bytes:
                raise TransportError(f"subgraph response larger than {self.max_bytes} bytes")
            pos = self._pos = nl + 2 + size + 2


class HTTPPool:
    """Connections to one origin; idle ones are reused (keep-alive)."""

    def __init__(self, url: str, timeout: float = 30.0, max_idle: int = 128, max_connections: int = 512,
                 max_response_bytes: int = MAX_RESPONSE_BYTES) -> None:
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
        self.max_response_bytes = max_response_bytes
        # requests in flight (so connections open) to this origin; more wait for a free one
        self.slots = asyncio.Semaphore(max_connections)

    async def _connect(self) -> _Conn:
        loop = asyncio.get_running_loop()
        try:
            _, conn = await asyncio.wait_for(
                loop.create_connection(lambda: _Conn(self.max_response_bytes), self.host, self.port, ssl=self.ssl),
                self.timeout)
        except asyncio.TimeoutError:
            raise TransportTimeout(f"connect timeout to {self.host}:{self.port}") from None
        except OSError as e:
            raise TransportError(f"cannot connect to {self.host}:{self.port}: {e.strerror or e}") from None
        return conn

    async def post(self, body: bytes, headers: bytes = b"") -> tuple[int, bytes]:
        async with self.slots:
            return await self._post(body, headers, True)

    async def _post(self, body: bytes, headers: bytes, retry: bool) -> tuple[int, bytes]:
        loop = asyncio.get_running_loop()
        conn = None
        idle = self.idle
        while idle:
            c = idle.pop()
            if not c.closed and not c.transport.is_closing():
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
            conn.transport.close()
            if reused and retry and not conn.received and not isinstance(e, TransportTimeout):
                return await self._post(body, headers, False)  # stale keep-alive connection
            raise
        except asyncio.CancelledError:  # e.g. the request's timeout: the answer would come too late
            conn.transport.close()
            raise
        finally:
            handle.cancel()
        conn.waiter = None
        if keep and not conn.closed and len(idle) < self.max_idle:
            idle.append(conn)
        else:
            conn.transport.close()
        return status, data

    def close(self) -> None:
        while self.idle:
            c = self.idle.pop()
            if c.transport is not None:
                c.transport.close()


def _expire(fut: asyncio.Future[tuple[int, bytes, bool]]) -> None:
    if not fut.done():
        fut.set_exception(TransportTimeout("subgraph request timed out"))
