"""GraphQL over SSE, single connection mode (graphql-sse's `singleConnection: true`): one event
stream carries every operation of a client.

`PUT` reserves a stream and answers 201 with its token; `GET` (or `POST` without a body) with
`x-graphql-event-stream-token` and `Accept: text/event-stream` opens it; each operation is a
`POST` with the token and `extensions.operationId`, answered 202, its results sent on the stream
as `event: next` / `data: {"id", "payload"}` and `event: complete` / `data: {"id"}`; `DELETE
?operationId=` stops one. A reservation belongs to the `Authorization` it was made with: the
stream and the operations must send the same one. A reservation never connected expires after
`connection_init_timeout`. Operations go through the whole pipeline, as distinct requests do.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..pipeline import GraphQLRequest
from .sse import HEADERS, MEDIA
from .stream import TOO_SLOW, End, Event, Hub, Subscription, drop_connection, error

log = logging.getLogger("router.subscriptions")

TOKEN_HEADER = "x-graphql-event-stream-token"
# frames waiting on one stream (all its operations together) before the client counts as too slow
MAX_FRAMES = 256


def _frame(kind: str, data: dict[str, Any]) -> bytes:
    return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@dataclass(eq=False)
class Reservation:
    token: str
    authorization: str
    frames: asyncio.Queue[bytes | None] = field(default_factory=lambda: asyncio.Queue(MAX_FRAMES))
    operations: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    connected: bool = False
    expiry: asyncio.TimerHandle | None = None


class SingleConnection:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.reservations: dict[str, Reservation] = {}

    @staticmethod
    def token_of(request: Request) -> str | None:
        return request.headers.get(TOKEN_HEADER) or request.query_params.get("token")

    def _find(self, request: Request) -> Reservation | None:
        token = self.token_of(request)
        found = self.reservations.get(token) if token else None
        if found is None or not hmac.compare_digest(found.authorization, request.headers.get("authorization", "")):
            return None
        return found

    async def reserve(self, request: Request) -> Response:
        token = secrets.token_urlsafe(24)
        r = Reservation(token, request.headers.get("authorization", ""))
        self.reservations[token] = r
        r.expiry = asyncio.get_running_loop().call_later(
            self.hub.settings.connection_init_timeout, self._expire, token)
        return Response(token, status_code=201, media_type="text/plain; charset=utf-8")

    def _expire(self, token: str) -> None:
        r = self.reservations.get(token)
        if r is not None and not r.connected:  # nobody will read it: its operations end too
            del self.reservations[token]
            for task in r.operations.values():
                task.cancel()

    def stream(self, request: Request) -> Response:
        r = self._find(request)
        if r is None:
            return _refuse("No such event stream (reserve one with PUT first).", 404, "NOT_FOUND")
        if r.connected:
            return _refuse("This event stream is open already.", 409, "BAD_REQUEST")
        r.connected = True
        if r.expiry is not None:
            r.expiry.cancel()
        keep_alive = self.hub.settings.keep_alive

        async def body() -> AsyncIterator[bytes]:
            try:
                yield b":\n\n"
                while True:
                    try:
                        frame = await asyncio.wait_for(r.frames.get(), keep_alive)
                    except TimeoutError:
                        yield b":\n\n"
                        continue
                    if frame is None:  # too slow: nothing more reaches it
                        drop_connection(request)
                        return
                    yield frame
            finally:
                self.reservations.pop(r.token, None)
                tasks = list(r.operations.values())
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

        return StreamingResponse(body(), media_type=MEDIA, headers=HEADERS)

    def cancel(self, request: Request) -> Response:
        r = self._find(request)
        if r is None:
            return _refuse("No such event stream.", 404, "NOT_FOUND")
        task = r.operations.pop(request.query_params.get("operationId", ""), None)
        if task is not None:
            task.cancel()
        return Response(status_code=200)

    def operation(self, request: Request, parsed: GraphQLRequest) -> Response:
        r = self._find(request)
        if r is None:
            return _refuse("No such event stream.", 404, "NOT_FOUND")
        op_id = (parsed.extensions or {}).get("operationId")
        if not isinstance(op_id, str) or not op_id:
            return _refuse("extensions.operationId is required on a single-connection stream.", 400, "BAD_REQUEST")
        if op_id in r.operations:
            return _refuse(f"Operation {op_id} is running already.", 409, "BAD_REQUEST")
        task = asyncio.ensure_future(self._run(r, op_id, parsed))
        r.operations[op_id] = task

        def forget(done: asyncio.Future[None]) -> None:
            if r.operations.get(op_id) is done:
                del r.operations[op_id]

        task.add_done_callback(forget)
        return Response(status_code=202)

    def _put(self, r: Reservation, frame: bytes) -> bool:
        try:
            r.frames.put_nowait(frame)
            return True
        except asyncio.QueueFull:
            self._too_slow(r)
            return False

    def _too_slow(self, r: Reservation) -> None:
        while not r.frames.empty():  # its buffered frames would never be read: make room for the end
            r.frames.get_nowait()
        r.frames.put_nowait(None)

    async def _run(self, r: Reservation, op_id: str, parsed: GraphQLRequest) -> None:
        try:
            got = await self.hub.subscribe(parsed)
        except Exception:  # a router bug: this operation gets a clear error, the stream lives on
            log.exception("subscribe failed")
            got = (500, {"errors": [error("Internal router error.", "INTERNAL_SERVER_ERROR")]})
        if not isinstance(got, Subscription):
            _, body = got
            if self._put(r, _frame("next", {"id": op_id, "payload": body})):
                self._put(r, _frame("complete", {"id": op_id}))
            return

        def aborted(end: End) -> None:
            if end.code == TOO_SLOW:
                self._too_slow(r)

        got.on_abort = aborted
        try:
            while True:
                item = await got.next()
                if isinstance(item, Event):
                    if not self._put(r, _frame("next", {"id": op_id, "payload": item.result})):
                        return
                    continue
                if isinstance(item, End):
                    if item.code == TOO_SLOW:
                        return
                    if item.result is not None and not self._put(r, _frame("next", {"id": op_id,
                                                                                   "payload": item.result})):
                        return
                    self._put(r, _frame("complete", {"id": op_id}))
                    return
        finally:
            await got.close()


def _refuse(message: str, status: int, code: str) -> Response:
    return Response(orjson.dumps({"errors": [error(message, code)]}), status_code=status,
                    media_type="application/json")
