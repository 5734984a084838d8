"""Broker-less transport for a laptop: the relay pushes each event over HTTP to the services
that subscribe to it, signed with a shared secret (HMAC-SHA256), and the receiver applies it
through the same idempotent inbox before answering 2xx."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse

from .envelope import Event, InvalidEvent
from .inbox import Inbox
from .relay import DeliveryRejected, TransportUnavailable
from .routes import subscribers_of

logger = logging.getLogger("events.webhook")

SIGNATURE_HEADER = "x-event-signature"
PATH = "/internal/events"


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookPublisher:
    def __init__(self, peers: dict[str, str], secret: bytes, client: httpx.AsyncClient | None = None) -> None:
        self.peers = peers
        self.secret = secret
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(10.0))

    async def publish(self, event: Event) -> None:
        body = event.to_json()
        headers = {"content-type": "application/json", SIGNATURE_HEADER: sign(self.secret, body)}
        for service in subscribers_of(event.type):
            url = self.peers[service].rstrip("/") + PATH
            try:
                response = await self.client.post(url, content=body, headers=headers)
            except httpx.HTTPError as error:
                raise TransportUnavailable(f"{service}: {error.__class__.__name__}") from error
            if response.status_code >= 300:
                raise DeliveryRejected(f"{service} answered {response.status_code}")

    async def close(self) -> None:
        await self.client.aclose()


def receiver(inbox: Inbox, secret: bytes) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        offered = request.headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(offered, sign(secret, body)):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        try:
            event = Event.from_json(body)
        except InvalidEvent as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        try:
            applied = await inbox.handle(event)
        except Exception:
            logger.exception("event handler failed; the sender will retry", extra={"event_id": event.id})
            return JSONResponse({"error": "handler failed"}, status_code=500)
        return JSONResponse({"status": "applied" if applied else "duplicate"})

    return receive
