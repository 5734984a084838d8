"""The router as a graphql-transport-ws client of one subgraph: one WebSocket per subscription.

One socket per client subscription keeps a subgraph's failure, a slow event and a close each
confined to the subscription they belong to, and lets the subgraph verify the caller's own
forwarded headers on the upgrade (the way it verifies them on a POST). The subgraph's
answers are handed on as they come; what they mean is the executor's business.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from ..errors import SubgraphError

PROTOCOL = Subprotocol("graphql-transport-ws")
CLOSED_CODE = "SUBGRAPH_SUBSCRIPTION_CLOSED"
# an event larger than this from a subgraph closes the subscription (the HTTP path has the same kind of bound)
MAX_MESSAGE_BYTES = 16 << 20


def ws_url(http_url: str) -> str:
    if http_url.startswith("https://"):
        return "wss://" + http_url[len("https://"):]
    if http_url.startswith("http://"):
        return "ws://" + http_url[len("http://"):]
    return http_url


class Upstream:
    """One subscription to one subgraph: `open`, then `events` until it ends, then `close`."""

    def __init__(self, service: str, url: str, timeout: float) -> None:
        self.service = service
        self.url = ws_url(url)
        self.timeout = timeout
        self._ws: ClientConnection | None = None
        self._done = False
        # whether the last failure may pass by itself (a lost or refused connection, a timeout),
        # so that subscribing again makes sense; a refusal or a malformed answer would repeat
        self.retryable = False

    def _failed(self, reason: str, code: str = "SUBGRAPH_REQUEST_FAILED", retryable: bool = True) -> SubgraphError:
        self.retryable = retryable and code != "INVALID_SUBGRAPH_RESPONSE"
        return SubgraphError(self.service, f'Subscription to subgraph "{self.service}" failed: {reason}', code)

    async def open(self, payload: dict[str, Any], headers: dict[str, str]) -> None:
        """Connects, initialises (the headers also go in connection_init's payload, for subgraphs
        that read them there) and subscribes; raises SubgraphError when any step fails."""
        try:
            self._ws = await asyncio.wait_for(connect(
                self.url, additional_headers=headers, subprotocols=[PROTOCOL], open_timeout=self.timeout,
                max_size=MAX_MESSAGE_BYTES, compression=None, user_agent_header=None, proxy=None), self.timeout)
        except InvalidStatus as e:
            status = e.response.status_code
            raise self._failed(f"the upgrade was refused with HTTP {status}", retryable=status >= 500) from None
        except (TimeoutError, OSError, InvalidHandshake) as e:
            raise self._failed(f"cannot connect ({type(e).__name__})") from None
        ws = self._ws
        try:
            await ws.send(orjson.dumps({"type": "connection_init", "payload": headers}).decode())
            while True:
                msg = await asyncio.wait_for(self._receive(ws), self.timeout)
                if msg.get("type") == "connection_ack":
                    break
                if msg.get("type") == "ping":
                    await ws.send('{"type":"pong"}')
            await ws.send(orjson.dumps({"type": "subscribe", "id": "1", "payload": payload}).decode())
        except TimeoutError:
            raise self._failed("no connection_ack in time") from None
        except ConnectionClosed as e:
            raise self._failed(f"the subgraph closed the connection ({e.rcvd.code if e.rcvd else 1006})") from None

    async def _receive(self, ws: ClientConnection) -> dict[str, Any]:
        raw = await ws.recv()
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise self._failed("a message that is not JSON", "INVALID_SUBGRAPH_RESPONSE") from None
        if not isinstance(msg, dict):
            raise self._failed("a message that is not a JSON object", "INVALID_SUBGRAPH_RESPONSE")
        return msg

    async def events(self) -> AsyncIterator[dict[str, Any]]:
        """Each `next` payload (a GraphQL response); an `error` message is one last response with
        its errors. Ends on `complete`; a connection lost mid-stream raises SubgraphError."""
        ws = self._ws
        assert ws is not None, "open() first"
        while True:
            try:
                msg = await self._receive(ws)
            except ConnectionClosed as e:
                code = e.rcvd.code if e.rcvd else 1006
                # graphql-transport-ws's own 44xx codes refuse the subscription: again would repeat it
                raise self._failed(f"the subgraph closed the subscription ({code})", CLOSED_CODE,
                                   retryable=code < 4000) from None
            kind = msg.get("type")
            if kind == "next" and msg.get("id") == "1":
                body = msg.get("payload")
                if not isinstance(body, dict) or ("data" not in body and "errors" not in body):
                    raise self._failed("an event that is not a GraphQL response", "INVALID_SUBGRAPH_RESPONSE")
                yield body
            elif kind == "error" and msg.get("id") == "1":
                errors = msg.get("payload")
                self._done = True
                yield {"data": None, "errors": errors if isinstance(errors, list) else [errors]}
                return
            elif kind == "complete" and msg.get("id") == "1":
                self._done = True
                return
            elif kind == "ping":
                await ws.send('{"type":"pong"}')

    async def close(self) -> None:
        ws = self._ws
        if ws is None:
            return
        self._ws = None
        try:
            if not self._done:
                await asyncio.wait_for(ws.send('{"type":"complete","id":"1"}'), 1.0)
            await asyncio.wait_for(ws.close(), 2.0)
        except (TimeoutError, ConnectionClosed, OSError):
            pass
