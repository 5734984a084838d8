"""The router -> subgraph request signature: `x-router-signature: t=<unix seconds>,v1=<hex
HMAC-SHA256(secret, "<t>." + body)>` over the exact bytes sent. The router signs
(router/plugins/signing.py), the subgraphs verify (subgraphs/common/signing.py); the timestamp
bounds replays to `TOLERANCE_SECONDS`."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "x-router-signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes, now: float) -> bool:
    """Whether `header` signs `body` with `secret` at a time within the tolerance of `now`."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp = parts.get("t", "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, body, int(timestamp)), f"t={timestamp},v1={parts.get('v1', '')}")
