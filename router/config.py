"""router.yaml: one file, validated at start with errors that name the bad key; `${env.NAME}`
(or `${env.NAME:-default}`) expands environment variables and ROUTER_* variables override
single settings."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import config_env, config_files
from .config_error import ConfigError

__all__ = ["Config", "ConfigError", "SubgraphConfig", "load_config"]


@dataclass
class SubgraphConfig:
    url: str | None = None
    timeout: float | None = None


@dataclass
class Config:
    supergraph_path: str | None = None
    hot_reload: bool = True
    poll_interval: float = 1.0
    host: str = "127.0.0.1"
    port: int = 4000
    workers: int = 1
    graphql_path: str = "/graphql"
    subgraph_timeout: float = 30.0
    client: str = "pool"
    max_connections_per_subgraph: int = 512  # open at once; more fetches wait for a free one
    max_response_bytes: int = 64 * 1024 * 1024  # a larger subgraph answer fails its fetch
    subgraphs: dict[str, SubgraphConfig] = field(default_factory=dict)
    plan_cache_entries: int = 2048
    document_cache_entries: int = 2048
    document_cache_bytes: int = 64 * 1024 * 1024  # estimated memory of parsed documents kept
    expose_query_plan: bool = False
    introspection: bool = True
    override_labels: frozenset[str] = frozenset()
    plugins: dict[str, Any] = field(default_factory=dict)  # sections owned by plugins (router/plugins/)


# the type a key's value must have: one type, or any of several (a tuple, as isinstance takes)
_Kind = type | tuple[type, ...]
_SCHEMA: dict[str, dict[str, _Kind]] = {
    "supergraph": {"path": str, "hot_reload": bool, "poll_interval": (int, float)},
    "server": {"host": str, "port": int, "workers": int, "graphql_path": str},
    "traffic": {"subgraph_timeout": (int, float), "client": str, "max_connections_per_subgraph": int,
                "max_response_bytes": int},
    "plan": {"cache_entries": int, "document_cache_entries": int, "document_cache_bytes": int,
             "expose_query_plan": bool},
    "introspection": {"enabled": bool},
    "override_labels": {},
    "subgraphs": {},
}
_PLUGIN_SECTIONS = {"jwt", "authorization", "rate_limit", "limits", "csrf", "cors", "graphiql", "telemetry",
                    "headers", "persisted_queries", "error_masking", "metrics", "health", "connections",
                    "demand_control", "subgraph_signing", "subscriptions"}
_ENV_RE = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")  # ${env.NAME} or ${env.NAME:-default}


def _expand(value: Any, where: str, env: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in env:
                if m.group(2) is not None:
                    return m.group(2)
                raise ConfigError(f"{where}: environment variable {name} is not set")
            return env[name]

        return _ENV_RE.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v, f"{where}.{k}" if where else str(k), env) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, f"{where}[{i}]", env) for i, v in enumerate(value)]
    return value


def _check(section: str, key: str, value: Any, kind: _Kind) -> Any:
    if isinstance(value, bool) and kind in (int, (int, float)):
        raise ConfigError(f"{section}.{key}: expected a number, got {value!r}")
    if not isinstance(value, kind):
        name = kind.__name__ if isinstance(kind, type) else "number"
        raise ConfigError(f"{section}.{key}: expected {name}, got {type(value).__name__} {value!r}")
    return value


def load_config(path: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path:
        raw = config_files.read(path)  # `extends:` resolved
    raw = _expand(raw, "", env)
    raw = config_env.apply(raw, env, {*_SCHEMA, *_PLUGIN_SECTIONS})  # ROUTER_SECTION__KEY=value
    cfg = Config()
    for section, body in raw.items():
        if section in _PLUGIN_SECTIONS:
            cfg.plugins[section] = body
            continue
        if section not in _SCHEMA:
            raise ConfigError(f"unknown config section {section!r} (known: {', '.join(sorted(_SCHEMA))})")
        if section == "override_labels":
            if not isinstance(body, list) or not all(isinstance(x, str) for x in body):
                raise ConfigError("override_labels: expected a list of label names")
            cfg.override_labels = frozenset(body)
            continue
        if section == "subgraphs":
            if not isinstance(body, dict):
                raise ConfigError("subgraphs: expected a mapping of subgraph name to settings")
            for name, sub in body.items():
                if not isinstance(sub, dict):
                    raise ConfigError(f"subgraphs.{name}: expected a mapping")
                sc = SubgraphConfig()
                for k, v in sub.items():
                    if k == "url":
                        sc.url = _check(f"subgraphs.{name}", k, v, str)
                    elif k == "timeout":
                        sc.timeout = float(_check(f"subgraphs.{name}", k, v, (int, float)))
                    else:
                        raise ConfigError(f"subgraphs.{name}.{k}: unknown key (known: url, timeout)")
                cfg.subgraphs[name] = sc
            continue
        if not isinstance(body, dict):
            raise ConfigError(f"{section}: expected a mapping")
        for key, value in body.items():
            kind = _SCHEMA[section].get(key)
            if kind is None:
                raise ConfigError(f"{section}.{key}: unknown key (known: {', '.join(_SCHEMA[section])})")
            _check(section, key, value, kind)
            _apply(cfg, section, key, value)
    for name, (section, key, conv) in _ENV.items():
        if name in env:
            try:
                value = conv(env[name])
            except ValueError:
                raise ConfigError(f"{name}: invalid value {env[name]!r}") from None
            _apply(cfg, section, key, value)
    if is_production(env) and "enabled" not in (raw.get("introspection") or {}) and "ROUTER_INTROSPECTION" not in env:
        cfg.introspection = False  # production: the schema is not handed to anyone who asks, unless said so
    if cfg.port < 0 or cfg.port > 65535:
        raise ConfigError(f"server.port: {cfg.port} is not a TCP port")
    if cfg.client not in ("pool", "httpx"):
        raise ConfigError(f"traffic.client: must be 'pool' or 'httpx', got {cfg.client!r}")
    if cfg.max_connections_per_subgraph < 1:
        raise ConfigError("traffic.max_connections_per_subgraph: must be at least 1")
    if cfg.max_response_bytes < 1:
        raise ConfigError("traffic.max_response_bytes: must be at least 1")
    if cfg.workers < 1:
        raise ConfigError("server.workers: must be at least 1")
    if cfg.document_cache_bytes < 0:
        raise ConfigError("plan.document_cache_bytes: must be at least 0")
    return cfg


def is_production(env: Mapping[str, str]) -> bool:
    """`ROUTER_ENV=production` (the images and manifests set it): stricter defaults."""
    return env.get("ROUTER_ENV", "").lower() in ("production", "prod")


def _bool(s: str) -> bool:
    if s.lower() in ("1", "true", "yes", "on"):
        return True
    if s.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(s)


_ENV: dict[str, tuple[str, str, Callable[[str], object]]] = {
    "ROUTER_SUPERGRAPH": ("supergraph", "path", str),
    "ROUTER_HOST": ("server", "host", str),
    "ROUTER_PORT": ("server", "port", int),
    "ROUTER_WORKERS": ("server", "workers", int),
    "ROUTER_SUBGRAPH_TIMEOUT": ("traffic", "subgraph_timeout", float),
    "ROUTER_EXPOSE_QUERY_PLAN": ("plan", "expose_query_plan", _bool),
    "ROUTER_INTROSPECTION": ("introspection", "enabled", _bool),
}


def _apply(cfg: Config, section: str, key: str, value: Any) -> None:
    target = {
        ("supergraph", "path"): "supergraph_path", ("supergraph", "hot_reload"): "hot_reload",
        ("supergraph", "poll_interval"): "poll_interval", ("server", "host"): "host", ("server", "port"): "port",
        ("server", "workers"): "workers", ("server", "graphql_path"): "graphql_path",
        ("traffic", "subgraph_timeout"): "subgraph_timeout", ("traffic", "client"): "client",
        ("traffic", "max_connections_per_subgraph"): "max_connections_per_subgraph",
        ("traffic", "max_response_bytes"): "max_response_bytes", ("plan", "cache_entries"): "plan_cache_entries",
        ("plan", "document_cache_entries"): "document_cache_entries",
        ("plan", "document_cache_bytes"): "document_cache_bytes",
        ("plan", "expose_query_plan"): "expose_query_plan", ("introspection", "enabled"): "introspection",
    }[(section, key)]
    setattr(cfg, target, value)
