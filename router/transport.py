"""A small keep-alive HTTP/1.1 client on asyncio protocols, for subgraph POSTs.

Why not httpx on the hot path: measured on the bench query (7 subgraph requests per client
request), httpx + httpcore spent ~0.5-1 ms per subgraph request in Python (request/response
models, anyio, and httpcore probing for trio with a failed import on every request), more
than all planning, merging and shaping together. This client does one thing: POST a body
and read a Content-Length, chunked or read-until-close response over pooled connections
(interim 1xx responses skipped; bounded headers, body and connections). The response bytes are
parsed by httptools (llhttp, the C parser uvicorn uses), not by hand: framing is where a
hand-written parser goes wrong. httpx remains available (`traffic.client: httpx`)."""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from typing import cast
from urllib.parse import urlsplit

import httptools


class TransportError(Exception):
    pass


class TransportTimeout(TransportError):
    pass


MAX_HEADER_BYTES = 65536
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # a subgraph answer larger than this is refused
MAX_CONNECTIONS = 512  # per pool (per subgraph): more requests wait for a free connection


class ResponseTooLarge(TransportError):
    """The subgraph answered more than the pool's `max_response_bytes`."""


class _Conn(asyncio.Protocol):
    """One connection; httptools (llhttp, in C) parses its responses, one at a time, as the bytes
    come: each byte is looked at once, however the answer is split into reads. Keeps only what a
    fetch needs: the status, the body and whether the connection can carry another request."""

    __slots__ = ("transport", "parser", "waiter", "closed", "received", "max_bytes", "_body", "_size",
                 "_head_bytes", "_head_done", "_framed", "_final")

    # set by connection_made, before anything else runs: a _Conn is only handed out connected
    transport: asyncio.Transport

    def __init__(self, max_bytes: int = MAX_RESPONSE_BYTES) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes, bool]] | None = None
        self.closed = False
        self.received = False
        self.max_bytes = max_bytes
        self._body: list[bytes] = []
        self._size = 0
        self._head_bytes = 0
        self._head_done = False
        self._framed = False  # a Content-Length or chunked: the body ends without a close
        self._final = False  # the answer (not an interim 1xx) is complete

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # create_connection: a stream transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        w = self.waiter
        if w is None or w.done():
            return
        if exc is None and self._head_done and not self._framed:
            # no Content-Length, not chunked: the body is whatever came before the close
            w.set_result((self.parser.get_status_code(), b"".join(self._body), False))
            return
        w.set_exception(TransportError(f"connection lost: {exc or 'closed by peer'}"))

    def data_received(self, data: bytes) -> None:
        self.received = True
        w = self.waiter
        if w is None or w.done():  # bytes nobody asked for: this connection's framing is lost
            self.closed = True
            self.transport.close()
            return
        try:
            self.parser.feed_data(data)
            if not self._head_done:
                self._head_bytes += len(data)
                if self._head_bytes > MAX_HEADER_BYTES:
                    raise TransportError("response headers too large")
        except Exception as e:  # nothing may escape into asyncio: it would only log a fatal error
            cause = e.__context__ if isinstance(e, httptools.HttpParserCallbackError) else e
            if not isinstance(cause, TransportError):
                cause = TransportError(f"malformed HTTP response: {e}")
            self.closed = True
            self.transport.close()
            if not w.done():
                w.set_exception(cause)

    def start(self, payload: bytes, loop: asyncio.AbstractEventLoop) -> asyncio.Future[tuple[int, bytes, bool]]:
        self.received = False
        self._final = False
        self._head_bytes = 0
        self.waiter = loop.create_future()
        self.transport.write(payload)
        return self.waiter

    # httptools callbacks

    def on_message_begin(self) -> None:
        if self._final:
            raise TransportError("bytes after the response")
        self._body = []
        self._size = 0
        self._head_done = False
        self._framed = False

    def on_header(self, name: bytes, value: bytes) -> None:
        n = len(name)
        if n == 14 and name.lower() == b"content-length":
            self._framed = True
            if int(value) > self.max_bytes:  # llhttp has checked it is digits
                raise ResponseTooLarge(f"subgraph response larger than {self.max_bytes} bytes")
        elif n == 17 and name.lower() == b"transfer-encoding":
            # chunked last: the chunks end the body; any other last coding: the close does
            self._framed = value.rstrip().lower().endswith(b"chunked")

    def on_headers_complete(self) -> None:
        self._head_done = True
        if self.parser.get_status_code() == 101:
            raise TransportError("unexpected protocol switch")

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self.max_bytes:
            raise ResponseTooLarge(f"subgraph response larger than {self.max_bytes} bytes")
        self._body.append(body)

    def on_message_complete(self) -> None:
        parser = self.parser
        status = parser.get_status_code()
        if status < 200:  # an interim response (103 Early Hints, 100 Continue): the real one follows
            return
        self._final = True
        w = self.waiter
        if w is not None and not w.done():
            w.set_result((status, b"".join(self._body), parser.should_keep_alive()))


class HTTPPool:
    """Connections to one origin; idle ones are reused (keep-alive)."""

    def __init__(self, url: str, timeout: float = 30.0, max_idle: int = 128, max_connections: int = MAX_CONNECTIONS,
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
