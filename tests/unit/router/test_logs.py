"""One log shape for every program: the router's lines have the subgraphs' fields."""

from __future__ import annotations

import json
import logging

from router.logs import SERVICE
from shared.logs import JsonLines
from subgraphs.common.logging import formatter


def record() -> logging.LogRecord:
    return logging.makeLogRecord({"name": "router.x", "levelno": logging.WARNING, "levelname": "WARNING",
                               "msg": "slow %s", "args": ("users",), "subgraph": "users"})


def test_router_lines_have_the_subgraphs_shape() -> None:
    router = json.loads(JsonLines(SERVICE).format(record()))
    subgraph = json.loads(formatter("users").format(record()))
    assert set(router) == set(subgraph)
    assert router["msg"] == subgraph["msg"] == "slow users" and router["level"] == "warning"
    assert router["service"] == "router" and router["subgraph"] == "users" and router["ts"].endswith("+00:00")
