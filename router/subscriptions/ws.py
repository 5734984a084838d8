"""GraphQL over WebSocket, the `graphql-transport-ws` protocol (what npm `graphql-ws` speaks),
on the router's GraphQL path.

Close codes are the protocol's: 4400 a malformed message, 4401 subscribe before the
connection is acknowledged, 4403 a refused or expired token, 4406 no graphql-transport-ws
subprotocol, 4408 no connection_init in time, 4409 a subscription id in use, 4429 a second
connection_init. A client too slow to read its events is closed with 1008 (policy), the
router's shutdown with 1001 (going away), both with the reason as text.

A token is read from the upgrade's headers or from connection_init's payload (`Authorization`
or `authorization`: "Bearer ..."), checked at connection_init by the jwt plugin (a bad one
closes with 4403 at once) and verified again with every subscribe, like any request. When the
token expires the connection closes with 4403.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ..pipeline import GraphQLRequest
from ..plugins.jwt import JwtPlugin
from .stream import EXPIRED, SHUTDOWN, TOO_SLOW, End, Event, Hub, Subscription

log = logging.getLogger("router.subscriptions")

PROTOCOL = "graphql-transport-ws"
CLOSE_WAIT = 60.0


class _Closed(Exception):
    """The connection is to be closed with this code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def _token_header(payload: Any) -> str | None:
    if not isinstance(payload, dict):
        return None
    for key in ("Authorization", "authorization"):
        value = payload.get(key)
        if isinstance(value, str):
            return value
    headers = payload.get("headers")
    if isinstance(headers, dict):
        return _token_header(headers)
    return None


class Connection:
    def __init__(self, websocket: WebSocket, hub: Hub) -> None:
        self.ws = websocket
        self.hub = hub
        self.settings = hub.settings
        self.headers: dict[str, str] = dict(websocket.headers)
        client = websocket.client
        self.remote = client.host if client else None
        self.acknowledged = False
        self.active: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()
        self._closing: _Closed | None = None
        self._closed = asyncio.Event()
        self._expiry: asyncio.TimerHandle | None = None

    async def send(self, message: dict[str, Any]) -> None:
        async with self._send_lock:
            await self.ws.send_text(orjson.dumps(message).decode())

    def close_soon(self, code: int, reason: str) -> None:
        """Ends the connection from any task (a pump, a timer): the reader closes it."""
        if self._closing is None:
            self._closing = _Closed(code, reason)
            self._closed.set()

    async def run(self) -> None:
        reader = asyncio.ensure_future(self._read())
        pinger = asyncio.ensure_future(self._keep_alive())
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait({reader, closed}, return_when=asyncio.FIRST_COMPLETED)
            if reader.done() and not reader.cancelled():
                exc = reader.exception()
                if isinstance(exc, _Closed):
                    self.close_soon(exc.code, exc.reason)
                elif exc is not None and not isinstance(exc, WebSocketDisconnect):
                    log.error("websocket connection failed", exc_info=exc)
                    self.close_soon(1011, "Internal router error")
        finally:
            for t in (reader, pinger, closed):
                t.cancel()
            if self._expiry is not None:
                self._expiry.cancel()
            tasks = list(self.active.values())
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._closing is not None and self.ws.application_state != WebSocketState.DISCONNECTED:
                with contextlib.suppress(Exception):
                    # behind a full buffer (a client that does not read) the close frame waits for
                    # room; a client that never reads again is dropped by uvicorn's own pings first
                    await asyncio.wait_for(self.ws.close(self._closing.code, self._closing.reason), CLOSE_WAIT)

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self.settings.keep_alive)
            if self.acknowledged:
                await self.send({"type": "ping"})

    async def _read(self) -> None:
        try:
            first = await asyncio.wait_for(self._receive(), self.settings.connection_init_timeout)
        except TimeoutError:
            raise _Closed(4408, "Connection initialisation timeout") from None
        await self._handle(first)
        while True:
            await self._handle(await self._receive())

    async def _receive(self) -> dict[str, Any]:
        text = await self.ws.receive_text()
        try:
            msg = orjson.loads(text)
        except orjson.JSONDecodeError:
            raise _Closed(4400, "Invalid message received: not JSON") from None
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            raise _Closed(4400, "Invalid message received: not a message object")
        return msg

    async def _handle(self, msg: dict[str, Any]) -> None:
        kind = msg["type"]
        if kind == "connection_init":
            await self._init(msg.get("payload"))
        elif kind == "ping":
            pong: dict[str, Any] = {"type": "pong"}
            if isinstance(msg.get("payload"), dict):
                pong["payload"] = msg["payload"]
            await self.send(pong)
        elif kind == "pong":
            return
        elif kind == "subscribe":
            if not self.acknowledged:
                raise _Closed(4401, "Unauthorized")
            self._subscribe(msg)
        elif kind == "complete":
            task = self.active.pop(str(msg.get("id")), None)
            if task is not None:
                task.cancel()
        else:
            raise _Closed(4400, f"Invalid message received: unknown type {kind!r}")

    async def _init(self, payload: Any) -> None:
        if self.acknowledged:
            raise _Closed(4429, "Too many initialisation requests")
        if payload is not None and not isinstance(payload, dict):
            raise _Closed(4400, "Invalid message received: connection_init payload must be an object")
        token = _token_header(payload)
        if token is not None:
            self.headers["authorization"] = token
        jwt = next((p for p in self.hub.router.plugins if isinstance(p, JwtPlugin)), None)
        if jwt is not None:
            try:
                raw = jwt.token_of(self.headers)
                claims = await jwt.verify(raw) if raw is not None else None
            except Exception as e:  # noqa: BLE001 - the plugin's AuthError, whatever it says
                raise _Closed(4403, f"Forbidden: {e}"[:120]) from None
            exp = claims.get("exp") if claims else None
            if isinstance(exp, (int, float)) and not isinstance(exp, bool):
                loop = asyncio.get_running_loop()
                self._expiry = loop.call_later(max(0.0, float(exp) - time.time()), self.close_soon, 4403,
                                               "Forbidden: the token has expired")
        self.acknowledged = True
        await self.send({"type": "connection_ack"})

    def _subscribe(self, msg: dict[str, Any]) -> None:
        sid = msg.get("id")
        payload = msg.get("payload")
        if not isinstance(sid, str) or not sid or not isinstance(payload, dict):
            raise _Closed(4400, "Invalid message received: subscribe needs an id and a payload")
        if sid in self.active:
            raise _Closed(4409, f"Subscriber for {sid} already exists")
        query = payload.get("query")
        variables = payload.get("variables")
        op_name = payload.get("operationName")
        extensions = payload.get("extensions")
        if not isinstance(query, str) or (variables is not None and not isinstance(variables, dict)) \
                or (op_name is not None and not isinstance(op_name, str)) \
                or (extensions is not None and not isinstance(extensions, dict)):
            raise _Closed(4400, "Invalid message received: subscribe payload")
        request = GraphQLRequest(query, op_name, variables, extensions, "WEBSOCKET", dict(self.headers), self.remote)
        task = asyncio.ensure_future(self._run(sid, request))
        self.active[sid] = task

        def forget(done: asyncio.Future[None]) -> None:
            if self.active.get(sid) is done:
                del self.active[sid]

        task.add_done_callback(forget)

    async def _run(self, sid: str, request: GraphQLRequest) -> None:
        try:
            got = await self.hub.subscribe(request)
        except Exception:  # a router bug: this operation gets a clear error, the connection lives on
            log.exception("subscribe failed")
            await self.send({"type": "error", "id": sid,
                             "payload": [{"message": "Internal router error.",
                                          "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]})
            return
        if not isinstance(got, Subscription):
            _, body = got
            if "data" in body:  # a query or mutation: its one result
                await self.send({"type": "next", "id": sid, "payload": body})
                await self.send({"type": "complete", "id": sid})
            else:
                await self.send({"type": "error", "id": sid, "payload": body.get("errors") or []})
            return
        got.on_abort = self._aborted
        try:
            while True:
                item = await got.next()
                if isinstance(item, Event):
                    await self.send({"type": "next", "id": sid, "payload": item.result})
                    continue
                if item is not None:
                    await self._end(sid, item)
                return
        finally:
            await got.close()

    def _aborted(self, end: End) -> None:
        """The router ended a subscription: these reasons close the whole connection, at once
        (the subscription's task may be stuck writing to a client that does not read)."""
        if end.code == EXPIRED:
            self.close_soon(4403, "Forbidden: the token has expired")
        elif end.code == TOO_SLOW:
            self.close_soon(1008, "Subscription queue full: the client reads too slowly")
        elif end.code == SHUTDOWN:
            self.close_soon(1001, "The router is shutting down")

    async def _end(self, sid: str, end: End) -> None:
        if end.code in (EXPIRED, TOO_SLOW, SHUTDOWN):
            self._aborted(end)
        else:
            if end.result is not None:
                await self.send({"type": "next", "id": sid, "payload": end.result})
            await self.send({"type": "complete", "id": sid})


async def serve(websocket: WebSocket, hub: Hub) -> None:
    offered = websocket.scope.get("subprotocols") or []
    if PROTOCOL not in offered:
        await websocket.accept()
        await websocket.close(4406, "Subprotocol not acceptable: use graphql-transport-ws")
        return
    await websocket.accept(subprotocol=PROTOCOL)
    await Connection(websocket, hub).run()
