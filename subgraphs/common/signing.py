"""Requests from the router only: with `ROUTER_SIGNING_SECRET` set, `POST /graphql` (and the
WebSocket upgrade of a subscription, over an empty body) must carry
`x-router-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, made by the
router's `subgraph_signing` plugin with the same secret. A caller that reaches a subgraph
directly (a published port, a pod elsewhere in the cluster) cannot send hand-made `_entities`
calls with forged representation fields (payments would compute `amountDue` from a `total` it
was given). The signature is shared/signing.py (the timestamp bounds replays); the body is read (up to
MAX_BODY_BYTES) before the application sees it, then handed on unchanged.
"""

from __future__ import annotations

import time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import signing

HEADER = signing.HEADER.encode()
MAX_BODY_BYTES = 4_000_000


class RouterSignatureMiddleware:
    """Refuses unsigned or wrongly signed POSTs to /graphql with 401 UNAUTHENTICATED."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket" and scope["path"] == "/graphql":
            # a subscription's upgrade has no body: the router signs the empty one
            header = next((value.decode("latin-1") for name, value in scope["headers"] if name == HEADER), "")
            if not header or not signing.verify(self.secret, header, b"", time.time()):
                await send({"type": "websocket.close", "code": 4401})  # before accept: HTTP 403
                return
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        header = next((value.decode("latin-1") for name, value in scope["headers"] if name == HEADER), "")
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await _refuse(send, 413, "Request body too large", "BAD_REQUEST")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if not header or not signing.verify(self.secret, header, body, time.time()):
            await _refuse(send, 401, "Requests must come through the router", "UNAUTHENTICATED")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int, message: str, code: str) -> None:
    body = orjson.dumps({"data": None, "errors": [{"message": message, "extensions": {"code": code}}]})
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
