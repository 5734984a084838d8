"""ASGI application factories: from a loaded configuration (what `router serve` hands each
worker process explicitly), or from the environment for a plain `uvicorn --factory
router.app:create_app_from_env` (ROUTER_CONFIG, ROUTER_SUPERGRAPH and the other overrides)."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from .config import Config, ConfigError, load_config
from .http import create_app
from .pipeline import Router
from .plugins import build_plugins
from .plugins.authorization import warn_if_unenforced
from .supergraph import Supergraph


def create_app_from_config(cfg: Config) -> Starlette:
    if not cfg.supergraph_path:
        raise ConfigError("no supergraph: set supergraph.path (or ROUTER_SUPERGRAPH)")
    with open(cfg.supergraph_path, encoding="utf-8") as f:
        sg = Supergraph(f.read())
    plugins = build_plugins(cfg)
    warn_if_unenforced(sg, plugins)
    return create_app(Router(cfg, sg, plugins), cfg.supergraph_path)


def create_app_from_env() -> Starlette:
    return create_app_from_config(load_config(os.environ.get("ROUTER_CONFIG")))
