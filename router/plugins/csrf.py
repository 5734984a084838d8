"""CSRF prevention: refuse requests a browser may send cross-site without a preflight.

A browser sends a "simple" request (GET, or POST with no Content-Type or one of
`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`) to any origin
without asking first, with the user's cookies; CORS only hides the answer, the operation
still runs. So such a request must carry a header a browser only sends after a successful
CORS preflight: `apollo-require-preflight`, `x-apollo-operation-name` or one configured in
`required_headers` (any value, even empty). A request with another Content-Type (e.g.
`application/json`) already forces a preflight and passes. A GET with a Content-Type other
than `application/json` is refused whatever headers it has (browsers with non-compliant
CORS have sent such requests without a preflight).
"""

from __future__ import annotations

from typing import Any

from ..config import Config, ConfigError
from ..pipeline import Context
from ..settings import Settings, StringList
from .base import Plugin

SIMPLE_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})
DEFAULT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
CODE = "CSRF_PREVENTION"


def _essence(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def same_origin(headers: dict[str, str]) -> bool:
    """A WebSocket carries no preflight: a browser opens one to any site, with that site's
    cookies. Its Origin is the only clue; no Origin (not a browser) or this router's own host
    passes, any other origin is refused."""
    origin = headers.get("origin")
    if not origin:
        return True
    host = headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


class CsrfSettings(Settings):
    """`csrf:` in router.yaml."""

    enabled: bool = True
    required_headers: StringList = list(DEFAULT_HEADERS)


class CsrfPlugin(Plugin[CsrfSettings]):
    section = "csrf"
    settings = CsrfSettings

    def __init__(self, required_headers: tuple[str, ...] = DEFAULT_HEADERS) -> None:
        self.required_headers = tuple(h.lower() for h in required_headers)
        self.message = ("This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
                        "Send a Content-Type that is not application/x-www-form-urlencoded, multipart/form-data "
                        "or text/plain, or one of these headers: " + ", ".join(self.required_headers) + ".")

    @classmethod
    def from_config(cls, s: CsrfSettings, config: Config) -> "CsrfPlugin | None":
        if not s.enabled:
            return None
        headers = s.required_headers
        if not headers:
            raise ConfigError("csrf.required_headers: needs at least one header (or set csrf.enabled: false)")
        return cls(tuple(headers))

    def preflighted(self, method: str, headers: dict[str, str]) -> bool:
        ctype = headers.get("content-type")
        if ctype is not None and ctype.strip():
            essence = _essence(ctype)
            if method == "GET":
                return essence == "application/json"
            if essence not in SIMPLE_TYPES:
                return True
        return any(h in headers for h in self.required_headers)

    async def on_request(self, ctx: Context) -> dict[str, Any] | None:
        if ctx.request.method == "WEBSOCKET":
            if same_origin(ctx.request.headers):
                return None
        elif self.preflighted(ctx.request.method, ctx.request.headers):
            return None
        ctx.status = 400
        return {"errors": [{"message": self.message, "extensions": {"code": CODE}}]}
