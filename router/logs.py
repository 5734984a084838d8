"""The router's log lines, in the one shape every program of the shop writes: a JSON object
per line on stdout with `ts`, `level`, `service`, `logger`, `msg` and any extra fields (the
subgraphs' `subgraphs/common/logging.py` writes the same). Production log shippers read them
as they are; `make dev` turns them into short readable lines (`devstack/dev.py`)."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from datetime import datetime, timezone
from typing import Any

import orjson

SERVICE = "router"
_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonLines(logging.Formatter):
    """One record as one JSON line; `extra={...}` fields become keys of their own."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": SERVICE,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in line and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def log_level() -> str:
    """`ROUTER_LOG`, else the `LOG_LEVEL` every program reads, else INFO."""
    return os.environ.get("ROUTER_LOG") or os.environ.get("LOG_LEVEL") or "INFO"


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stdout for the router and the libraries it uses (uvicorn included)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def supergraph_hash(sdl: str) -> str:
    """The id of a supergraph in log lines: the same 16 hex digits the pipeline logs."""
    return hashlib.sha256(sdl.encode()).hexdigest()[:16]
