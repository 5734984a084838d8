"""JSON log lines (shared/logs.py) with a request id, one per request and one per error.

The request id comes from an incoming `x-request-id` (so a trace through the router and the
subgraphs shares one id) or is generated; it is echoed back in the response header.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from typing import Any

from opentelemetry import trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import logs as shared_logs
from shared.logs import JsonLines

from . import query_count

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _request(record: logging.LogRecord) -> dict[str, Any]:
    """The request and trace ids of the line's request, when there is one."""
    out: dict[str, Any] = {}
    request_id = getattr(record, "request_id", None) or request_id_var.get()
    if request_id:
        out["request_id"] = request_id
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        out["trace_id"] = format(span.trace_id, "032x")
        out["span_id"] = format(span.span_id, "016x")
    return out


def formatter(service: str) -> JsonLines:
    return JsonLines(service, _request)


def configure_logging(service: str, level: str = "INFO") -> None:
    shared_logs.configure_logging(formatter(service), level, quiet=("pymongo", "httpx", "httpcore"))
    # Our middleware writes the access line; uvicorn's own would duplicate it.
    logging.getLogger("uvicorn.access").disabled = True


class RequestLogMiddleware:
    """Pure ASGI (no body buffering): assigns the request id and logs one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.logger = logging.getLogger("access")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        queries = query_count.Counter()
        queries_token = query_count.current.set(queries)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "db_queries": queries.reads,
                },
            )
            query_count.current.reset(queries_token)
            request_id_var.reset(token)
