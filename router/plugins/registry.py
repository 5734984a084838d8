"""Which class owns each `router.yaml` section: the plugins in the order a request meets them,
and the sections read by the rest of the router. config.py validates every section present
with its model at start; `build_plugins` creates the configured plugins in this order."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from .. import connections, health
from ..config import Config
from ..graphiql import GraphiQLSettings
from ..subscriptions.settings import SubscriptionsSection
from .authorization import AuthorizationPlugin
from .base import Plugin
from .cors import CorsPlugin
from .csrf import CsrfPlugin
from .demand_control import DemandControl
from .headers import HeadersPlugin
from .jwt import JwtPlugin
from .limits import Limits
from .masking import MaskingPlugin
from .persisted import PersistedPlugin
from .rate_limit import RateLimit
from .signing import SubgraphSigning
from .telemetry import Telemetry

# Order matters: telemetry first (it must see every request, including those another plugin
# refuses), then cheap refusals (cors, csrf, limits, the operation's cost before any planning),
# then identity (jwt) so that rate limits can key on a verified `sub`, then authorization, then
# what touches subgraph requests and the response (persisted queries, headers, masking), and
# signing last: its wrapper is the closest to the wire.
PLUGINS: tuple[type[Plugin[Any]], ...] = (
    Telemetry, CorsPlugin, CsrfPlugin, Limits, DemandControl, JwtPlugin, RateLimit, AuthorizationPlugin,
    PersistedPlugin, HeadersPlugin, MaskingPlugin, SubgraphSigning,
)
BY_SECTION: dict[str, type[Plugin[Any]]] = {p.section: p for p in PLUGINS}

# Sections that configure the router itself rather than a plugin.
OTHER_SECTIONS: dict[str, type[BaseModel]] = {
    "graphiql": GraphiQLSettings,
    "health": health.HealthSettings,
    "connections": connections.ConnectionsSettings,
    "subscriptions": SubscriptionsSection,
}


def section_models() -> dict[str, type[BaseModel]]:
    """Every section owned outside config.py, by name, with its model."""
    return {**{p.section: p.settings for p in PLUGINS}, **OTHER_SECTIONS}


def build(config: Config) -> list[Plugin[Any]]:
    """The configured plugins, in PLUGINS order, each from its validated section; a plugin its
    section turns off is left out."""
    plugins: list[Plugin[Any]] = []
    for cls in PLUGINS:
        settings = config.section(cls.section, cls.settings)
        if settings is not None:
            plugin = cls.from_config(settings, config)
            if plugin is not None:
                plugins.append(plugin)
    for plugin in plugins:
        plugin.connect(plugins)
    return plugins
