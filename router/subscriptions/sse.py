"""GraphQL over Server-Sent Events (the protocol of npm `graphql-sse`), distinct connections
mode: one request per operation, answered with `text/event-stream`.

Each result is `event: next` with the JSON response as `data`; the stream ends with `event:
complete`. A subscription ended by the router (a slow client, an expired token, shutdown, a
subgraph that went away) gets one last `next` carrying the reason as an error, then `complete`.
Refusals before the stream starts (a bad token, validation, the per-client cap) are ordinary
GraphQL responses with their HTTP status, which graphql-sse reports as the request's error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .stream import TOO_SLOW, End, Event, Subscription, drop_connection

MEDIA = "text/event-stream"
HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no", "connection": "keep-alive"}


def wants(accept: str) -> bool:
    return MEDIA in accept


def _event(kind: str, data: dict[str, Any] | None) -> bytes:
    body = orjson.dumps(data) if data is not None else b""
    return b"event: " + kind.encode() + b"\ndata: " + body + b"\n\n"


def one_result(status: int, body: dict[str, Any]) -> Response:
    """A query or mutation over SSE: its result as one event. A refusal: a plain JSON answer."""
    if "data" not in body:
        return Response(orjson.dumps(body), status_code=max(status, 400),
                        media_type="application/json")
    return Response(_event("next", body) + _event("complete", None), media_type=MEDIA, headers=HEADERS)


def stream(request: Request, sub: Subscription, keep_alive: float) -> Response:
    def aborted(end: End) -> None:
        if end.code == TOO_SLOW:  # its writer is stuck behind full buffers: only dropping ends it
            drop_connection(request)

    sub.on_abort = aborted

    async def body() -> AsyncIterator[bytes]:
        try:
            yield b":\n\n"  # headers and a first byte out at once: the client knows it is subscribed
            while True:
                item = await sub.next(keep_alive)
                if item is None:
                    yield b":\n\n"
                    continue
                if isinstance(item, Event):
                    yield _event("next", item.result)
                    continue
                assert isinstance(item, End)
                if item.code == TOO_SLOW:  # nothing more can be written to it
                    drop_connection(request)
                    return
                if item.result is not None:
                    yield _event("next", item.result)
                yield _event("complete", None)
                return
        finally:
            await sub.close()

    # also when the client left before the body started (its `finally` never runs then)
    return StreamingResponse(body(), media_type=MEDIA, headers=HEADERS, background=BackgroundTask(sub.close))
