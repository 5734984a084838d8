"""The one log shape every program of the shop writes: a JSON object per line on stdout with
`ts`, `level`, `service`, `logger`, `msg`, what the program adds for the current request (the
subgraphs: request and trace ids) and any `extra={...}` fields. Production log shippers read
the lines as they are; `make dev` turns them into short readable ones (`devstack/dev.py`)."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

import orjson

_STANDARD_ATTRS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}

Context = Callable[[logging.LogRecord], dict[str, Any]]


class JsonLines(logging.Formatter):
    """One record as one JSON line; `extra={...}` fields become keys of their own."""

    def __init__(self, service: str, context: Context | None = None) -> None:
        super().__init__()
        self.service = service
        self.context = context

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if self.context is not None:
            for key, value in self.context(record).items():
                line.setdefault(key, value)
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and key not in line and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(formatter: logging.Formatter, level: str = "INFO", quiet: Iterable[str] = ()) -> None:
    """JSON lines on stdout for the program and the libraries it uses (uvicorn's through ours);
    the `quiet` loggers only from WARNING up."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    for name in quiet:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
