"""The router's log lines, in the one shape every program of the shop writes (shared/logs.py)."""

from __future__ import annotations

import hashlib
import os

from shared import logs as shared_logs

SERVICE = "router"


def log_level() -> str:
    """`ROUTER_LOG`, else the `LOG_LEVEL` every program reads, else INFO."""
    return os.environ.get("ROUTER_LOG") or os.environ.get("LOG_LEVEL") or "INFO"


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stdout for the router and the libraries it uses (uvicorn included)."""
    shared_logs.configure_logging(shared_logs.JsonLines(SERVICE), level)


def supergraph_hash(sdl: str) -> str:
    """The id of a supergraph in log lines: the same 16 hex digits the pipeline logs."""
    return hashlib.sha256(sdl.encode()).hexdigest()[:16]
