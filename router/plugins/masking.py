"""Error masking: what subgraphs (and the router's fetches) report is not for every client.

An error that came from a subgraph fetch (it carries `extensions.serviceName`) is judged by
its code, in one of three modes:
    safe_codes (default): kept only when its code is in `safe_codes` (the errors a subgraph
        raises on purpose for the client: bad input, not found, forbidden, ...);
    internal: masked only when it has no code or an internal one (`internal_codes`:
        INTERNAL_SERVER_ERROR and the router's own fetch failures), for subgraphs that give
        every deliberate error a code of its own;
    all: every subgraph error is masked.
A masked error becomes `"Internal server error"` with code `INTERNAL_SERVER_ERROR` (or, for
the router's fetch failures a retry may cure, timeouts, refused connections, an open breaker,
`SERVICE_UNAVAILABLE`) and a request id; the original is logged with that id, so an operator can find it (a refused
connection names an internal host, a bug's message may quote data). `include_subgraph_errors`
(true, or per subgraph) shows them unmasked, for development. Stack traces
(`extensions.stacktrace`, `extensions.exception`) are removed in every case.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, Literal

from ..config import Config
from ..pipeline import Context
from ..settings import Settings, StringList
from .base import Plugin

log = logging.getLogger("router.masking")

DEFAULT_SAFE_CODES = ("BAD_REQUEST", "BAD_USER_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT")
DEFAULT_INTERNAL_CODES = ("INTERNAL_SERVER_ERROR", "SUBGRAPH_REQUEST_FAILED", "SUBGRAPH_TIMEOUT",
                          "INVALID_SUBGRAPH_RESPONSE", "SUBGRAPH_RESPONSE_TOO_LARGE")
MODES = ("safe_codes", "internal", "all")
# The router's own fetch failures that a retry may cure: masked as SERVICE_UNAVAILABLE, so a
# client can tell "try again" from a bug without seeing which host failed.
RETRYABLE_CODES = frozenset({"SUBGRAPH_REQUEST_FAILED", "SUBGRAPH_TIMEOUT", "SUBGRAPH_CIRCUIT_OPEN"})
NEVER = frozenset({"stacktrace", "exception", "stack", "trace"})


def _clean(error: dict[str, Any]) -> dict[str, Any]:
    ext = error.get("extensions")
    if isinstance(ext, dict) and NEVER & ext.keys():
        error = dict(error, extensions={k: v for k, v in ext.items() if k not in NEVER})
    return error


class MaskingSettings(Settings):
    """`error_masking:` in router.yaml."""

    enabled: bool = True
    mode: Literal["safe_codes", "internal", "all"] = "safe_codes"
    safe_codes: StringList = list(DEFAULT_SAFE_CODES)
    internal_codes: StringList = list(DEFAULT_INTERNAL_CODES)
    # true/false for every subgraph, or {all: bool, <subgraph>: bool}
    include_subgraph_errors: bool | dict[str, bool] = False
    message: str = "Internal server error"


class MaskingPlugin(Plugin[MaskingSettings]):
    section = "error_masking"
    settings = MaskingSettings

    def __init__(self, mode: str = "safe_codes", safe_codes: tuple[str, ...] = DEFAULT_SAFE_CODES,
                 internal_codes: tuple[str, ...] = DEFAULT_INTERNAL_CODES, include: bool = False,
                 include_subgraphs: dict[str, bool] | None = None, message: str = "Internal server error") -> None:
        self.mode = mode
        self.safe_codes = frozenset(safe_codes)
        self.internal_codes = frozenset(internal_codes)
        self.include = include
        self.include_subgraphs = include_subgraphs or {}
        self.message = message

    @classmethod
    def from_config(cls, s: MaskingSettings, config: Config) -> "MaskingPlugin | None":
        if not s.enabled:
            return None
        inc = s.include_subgraph_errors
        include, per = (inc, {}) if isinstance(inc, bool) else \
            (inc.get("all", False), {k: v for k, v in inc.items() if k != "all"})
        return cls(s.mode, tuple(s.safe_codes), tuple(s.internal_codes), include, per, s.message)

    def masks(self, code: object) -> bool:
        if self.mode == "safe_codes":
            return code not in self.safe_codes
        if self.mode == "internal":
            return not isinstance(code, str) or not code or code in self.internal_codes
        return True

    def shown(self, service: str) -> bool:
        return self.include_subgraphs.get(service, self.include)

    async def on_response(self, ctx: Context) -> None:
        result = ctx.result
        errors = result.get("errors") if result else None
        if not errors or result is None:
            return
        request_id = None
        out = []
        for e in errors:
            if not isinstance(e, dict):
                continue
            ext = e.get("extensions")
            if not isinstance(ext, dict):
                out.append(_clean(e))
                continue
            service = ext.get("serviceName")
            if service is None or self.shown(service):
                out.append(_clean(e))
                continue
            code = ext.get("code")
            if not self.masks(code):
                out.append(_clean(e))
                continue
            if request_id is None:
                request_id = uuid.uuid4().hex
            log.error("masked subgraph error (request %s, subgraph %s, code %s): %s", request_id, service, code,
                      e.get("message"))
            retryable = code in RETRYABLE_CODES
            masked: dict[str, Any] = {"message": "Service temporarily unavailable; try again later" if retryable
                            else self.message}
            if "path" in e:
                masked["path"] = e["path"]
            masked["extensions"] = {"code": "SERVICE_UNAVAILABLE" if retryable else "INTERNAL_SERVER_ERROR",
                                    "requestId": request_id}
            out.append(masked)
        result["errors"] = out
