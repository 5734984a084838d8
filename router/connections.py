"""Connection limits of the router's HTTP server (`connections:` in router.yaml).

uvicorn bounds nothing before a request's headers are complete: a connection that sends
nothing, sends its headers a byte at a time, or never finishes its body stays open for as
long as the client likes, and 20,000 of them from one client leave no room for anyone
else. These limits close such connections on time and cap how many a client may hold:

- `header_read_timeout`: from a connection's first byte (or its opening, for a silent one)
  to the end of a request's headers; then 408 and closed.
- `body_read_timeout`: from the end of the headers to the end of the body; then closed.
- `keep_alive_timeout`: an idle keep-alive connection between requests is closed.
- `max_header_bytes`, `max_headers`: larger request heads get 431 and are closed.
- `max_connections` (per router process) and `max_connections_per_ip` (per TCP peer: behind
  a proxy that is the proxy, so leave it off or raise it there): a connection over either
  gets 503 and is closed at once, before anything is parsed.

They are enforced by a subclass of uvicorn's httptools protocol, whose parser callbacks
mark where a request's head and body end.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .config import Config
from .settings import Settings, validate

SECTION = "connections"


@dataclass(frozen=True)
class ConnectionLimits:
    header_read_timeout: float = 10.0
    body_read_timeout: float = 30.0
    keep_alive_timeout: float = 5.0
    max_header_bytes: int = 32_768
    max_headers: int = 100
    max_connections: int = 10_000
    max_connections_per_ip: int | None = None


class ConnectionsSettings(Settings):
    """`connections:` in router.yaml (the defaults are ConnectionLimits')."""

    header_read_timeout: float = Field(ConnectionLimits.header_read_timeout, gt=0)
    body_read_timeout: float = Field(ConnectionLimits.body_read_timeout, gt=0)
    keep_alive_timeout: float = Field(ConnectionLimits.keep_alive_timeout, gt=0)
    max_header_bytes: int = Field(ConnectionLimits.max_header_bytes, ge=1024)
    max_headers: int = Field(ConnectionLimits.max_headers, ge=1)
    max_connections: int = Field(ConnectionLimits.max_connections, ge=1)
    max_connections_per_ip: int | None = Field(None, ge=1)


def parse(raw: Any) -> ConnectionLimits:
    return ConnectionLimits(**validate(ConnectionsSettings, SECTION, raw).model_dump())


def from_config(config: Config) -> ConnectionLimits:
    return ConnectionLimits(**(config.section(SECTION, ConnectionsSettings) or ConnectionsSettings()).model_dump())


@dataclass
class Counts:
    """Open connections of this process, in all and per peer address."""

    total: int = 0
    per_ip: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _response(status: str) -> bytes:
    return f"HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode()


REQUEST_TIMEOUT = _response("408 Request Timeout")
HEADERS_TOO_LARGE = _response("431 Request Header Fields Too Large")
TOO_MANY_CONNECTIONS = _response("503 Service Unavailable")


ABORT_EXTENSION = "router.connection"


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above; `limits` and `counts` are set on
    the subclass `protocol_class` makes."""

    limits: ConnectionLimits = ConnectionLimits()
    counts: Counts = Counts()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._peer = ""
        self._counted = False
        self._refused = False
        self._in_head = True
        self._head_bytes = 0
        self._header_count = 0
        self._deadline: asyncio.TimerHandle | None = None

    # --- connection
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._peer = self.client[0] if self.client else ""
        counts, limits = self.counts, self.limits
        counts.total += 1
        counts.per_ip[self._peer] += 1
        self._counted = True
        per_ip = limits.max_connections_per_ip
        if counts.total > limits.max_connections or (per_ip is not None and counts.per_ip[self._peer] > per_ip):
            self._refuse(TOO_MANY_CONNECTIONS)
            return
        self._arm(self.limits.header_read_timeout)  # a silent connection is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._uncount()
        super().connection_lost(exc)

    def _uncount(self) -> None:
        if self._counted:
            self._counted = False
            counts = self.counts
            counts.total -= 1
            counts.per_ip[self._peer] -= 1
            if counts.per_ip[self._peer] <= 0:
                del counts.per_ip[self._peer]

    def handle_websocket_upgrade(self) -> None:
        """The WebSocket protocol takes the transport over: this protocol's body deadline would
        otherwise close the socket later, and the connection stays counted (per IP, in total)
        until the WebSocket's own connection_lost."""
        self._disarm()
        super().handle_websocket_upgrade()
        ws = self.transport.get_protocol()
        lost = ws.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            try:
                lost(exc)
            finally:
                self._uncount()

        ws.connection_lost = connection_lost  # type: ignore[method-assign]

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._in_head and not self._refused and self.parser is not None:
            # Bytes of a head still incomplete after this chunk were all head bytes.
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_header_bytes:
                self._refuse(HEADERS_TOO_LARGE)

    # --- parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0
        self._header_count = 0
        if self._deadline is None:  # a keep-alive connection's next request
            self._arm(self.limits.header_read_timeout)

    def on_url(self, url: bytes) -> None:
        if not self._refused:
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._refused:
            return
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            self._refuse(HEADERS_TOO_LARGE)
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.limits.max_header_bytes:
            self._refuse(HEADERS_TOO_LARGE)
            return
        self._in_head = False
        self._arm(self.limits.body_read_timeout)
        # a streaming response to a client that stopped reading can only be ended by dropping
        # the connection: router/subscriptions does that for its slow clients
        self.scope.setdefault("extensions", {})[ABORT_EXTENSION] = {"abort": self.transport.abort}
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._disarm()
        super().on_message_complete()

    # --- deadlines
    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        """A started head gets 408; a silent connection or an unfinished body is just closed
        (the application, if it was reading the body, sees the client gone)."""
        self._deadline = None
        self._refuse(REQUEST_TIMEOUT if self._in_head and self._head_bytes else b"")

    def _refuse(self, reply: bytes) -> None:
        """Answers (when the client is owed a status) and closes; nothing more is parsed."""
        self._refused = True
        self._disarm()
        if self.transport.is_closing():
            return
        if reply and (self.cycle is None or self.cycle.response_complete):
            self.transport.write(reply)
        self.transport.close()


def protocol_class(limits: ConnectionLimits) -> type[LimitedHttpToolsProtocol]:
    """A protocol class for uvicorn's `http=` with these limits and its own counters."""
    return type("RouterHttpProtocol", (LimitedHttpToolsProtocol,), {"limits": limits, "counts": Counts()})


def uvicorn_options(config: Config) -> dict[str, Any]:
    limits = from_config(config)
    return {"http": protocol_class(limits), "timeout_keep_alive": limits.keep_alive_timeout}
