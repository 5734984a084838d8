"""Liveness (`/health`: the process answers) and readiness (`/ready`: its database answers)."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.requests import Request
from starlette.responses import JSONResponse

from .db import ping


async def health(request: Request) -> JSONResponse:
    settings = request.app.state.settings
    return JSONResponse(
        {
            "service": settings.service,
            "version": settings.version,
            "status": "ok",
            "timestamp": datetime.now(timezone.utc).isoformat(),
        }
    )


async def ready(request: Request) -> JSONResponse:
    database_ok = await ping(request.app.state.mongo)
    return JSONResponse(
        {"status": "ready" if database_ok else "unavailable", "checks": {"database": "ok" if database_ok else "down"}},
        status_code=200 if database_ok else 503,
    )
