"""A request whose client went away stops being worked on.

When the router gives up on a subgraph request (its timeout, its own client gone) it closes
the connection; without this, the subgraph would finish the whole operation for nobody.
After the request body has been read, a watcher waits for the ASGI `http.disconnect`; if it
arrives before the response is complete, the request's task (resolvers, database reads) is
cancelled and nothing more is sent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("access")


class CancelOnDisconnect:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        watcher: asyncio.Task[Message] | None = None
        responded = False
        work: asyncio.Task[Any] | None = None
        gone = False

        def on_disconnect(done: asyncio.Task[Message]) -> None:
            nonlocal gone
            if done.cancelled() or responded or work is None or work.done():
                return
            if done.exception() is None and done.result()["type"] == "http.disconnect":
                gone = True
                work.cancel()

        async def receive_watched() -> Message:
            nonlocal watcher
            if watcher is not None:  # the body is read: what comes next is the disconnect
                return await asyncio.shield(watcher)
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                watcher = asyncio.ensure_future(receive())
                watcher.add_done_callback(on_disconnect)
            return message

        async def send_watched(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                responded = True
            await send(message)

        work = asyncio.ensure_future(self.app(scope, receive_watched, send_watched))
        try:
            await work
        except asyncio.CancelledError:
            if not gone:
                raise  # we are being cancelled ourselves (shutdown)
            logger.info("client disconnected: request cancelled", extra={"path": scope.get("path")})
        finally:
            if watcher is not None and not watcher.done():
                watcher.cancel()
