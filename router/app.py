"""ASGI application factory, configured from the environment (so that each uvicorn worker
process can build its own router)."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from .config import load_config
from .http import create_app
from .pipeline import Router
from .plugins import build_plugins
from .plugins.authorization import warn_if_unenforced
from .supergraph import Supergraph


def create_app_from_env() -> Starlette:
    cfg = load_config(os.environ.get("ROUTER_CONFIG"))
    assert cfg.supergraph_path, "ROUTER_SUPERGRAPH is not set"
    with open(cfg.supergraph_path, encoding="utf-8") as f:
        sg = Supergraph(f.read())
    plugins = build_plugins(cfg)
    warn_if_unenforced(sg, plugins)
    return create_app(Router(cfg, sg, plugins), cfg.supergraph_path)
