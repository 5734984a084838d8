"""Liveness (`/health`: the process answers) and readiness (`/ready`: its database answers), in
the one JSON shape the router answers too: `{"service", "version", "status", "timestamp",
"checks": {name: "ok" | "down"}}` (the router's `health.probe: ready` reads `/ready`)."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import JSONResponse

from .db import ping


def _body(request: Request, status: str, checks: dict[str, str]) -> dict[str, object]:
    settings = request.app.state.settings
    return {
        "service": settings.service,
        "version": settings.version,
        "status": status,
        "timestamp": datetime.now(timezone.utc).isoformat(),
        "checks": checks,
    }


async def health(request: Request) -> JSONResponse:
    return JSONResponse(_body(request, "ok", {}))


async def ready(request: Request) -> JSONResponse:
    database_ok = await ping(request.app.state.mongo)
    checks = {"database": "ok" if database_ok else "down"}
    return JSONResponse(
        _body(request, "ready" if database_ok else "unavailable", checks), status_code=200 if database_ok else 503
    )
