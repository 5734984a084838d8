"""Apollo's multipart HTTP subscriptions (what `@apollo/client` sends with `Accept:
multipart/mixed;subscriptionSpec=1.0`): one request per subscription, answered with
`multipart/mixed;boundary="graphql";subscriptionSpec=1.0`.

Each event is a part `{"payload": <response>}`; `{}` parts are heartbeats; a subscription the
router ends (a slow client, an expired token, shutdown, a subgraph gone) gets a last part
`{"payload": null, "errors": [...]}`, the protocol's transport-level error, then the closing
boundary. Refusals before the stream starts are ordinary GraphQL JSON answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .stream import TOO_SLOW, End, Event, Subscription, drop_connection

MEDIA = 'multipart/mixed;boundary="graphql";subscriptionSpec=1.0'
PART = b"\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n"
CLOSE = b"\r\n--graphql--\r\n"
HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def wants(accept: str) -> bool:
    return "multipart/mixed" in accept and "subscriptionspec" in accept.lower()


def _part(body: dict[str, Any]) -> bytes:
    return PART + orjson.dumps(body)


def one_result(status: int, body: dict[str, Any]) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def stream(request: Request, sub: Subscription, keep_alive: float) -> Response:
    def aborted(end: End) -> None:
        if end.code == TOO_SLOW:  # its writer is stuck behind full buffers: only dropping ends it
            drop_connection(request)

    sub.on_abort = aborted

    async def body() -> AsyncIterator[bytes]:
        try:
            yield _part({})  # headers out at once: the client knows it is subscribed
            while True:
                item = await sub.next(keep_alive)
                if item is None:
                    yield _part({})
                    continue
                if isinstance(item, Event):
                    yield _part({"payload": item.result})
                    continue
                assert isinstance(item, End)
                if item.code == TOO_SLOW:  # nothing more can be written to it
                    drop_connection(request)
                    return
                if item.result is not None:
                    if "data" in item.result:  # the subgraph's last answer: an execution result
                        yield _part({"payload": item.result})
                    else:  # the router ended it: the protocol's transport-level error
                        yield _part({"payload": None, "errors": item.result.get("errors") or []})
                yield CLOSE
                return
        finally:
            await sub.close()

    # also when the client left before the body started (its `finally` never runs then)
    return StreamingResponse(body(), media_type=MEDIA, headers=HEADERS, background=BackgroundTask(sub.close))
