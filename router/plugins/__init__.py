"""Plugins around the pipeline's stages, each in its own module with its own `router.yaml`
section and a `Plugin` subclass (base.py). registry.py lists them in the order a request meets
them; an unconfigured plugin costs nothing on the request path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import Config
    from .base import Plugin


def build_plugins(config: Config) -> list[Plugin[Any]]:
    """The configured plugins in order (see registry.PLUGINS for why this order)."""
    # imported here: the plugin modules import the pipeline, which imports this package
    from .registry import build

    return build(config)
