"""router.yaml: one file, validated at start with errors that name the bad key; `${env.NAME}`
(or `${env.NAME:-default}`) expands environment variables and ROUTER_* variables override
single settings.

Every section is a pydantic model (router/settings.py): the core ones here, the others in the
module that reads them (plugins/registry.py lists them). `Config` is what the router reads at
run time: the core settings flattened, and the other sections' bodies, already validated."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, create_model

from . import config_env, config_files, transport
from .config_error import ConfigError
from .settings import Settings, validate

S = TypeVar("S", bound=BaseModel)

__all__ = ["Config", "ConfigError", "SubgraphSection", "load_config"]


class SupergraphSection(Settings):
    path: str | None = None  # the supergraph SDL file
    hot_reload: bool = True  # swap in a changed file without a restart
    poll_interval: float = Field(1.0, gt=0)


class ServerSection(Settings):
    host: str = "127.0.0.1"
    port: int = Field(4000, ge=0, le=65535)
    workers: int = Field(1, ge=1)
    graphql_path: str = "/graphql"


class TrafficSection(Settings):
    subgraph_timeout: float = Field(30.0, gt=0)  # seconds per subgraph request (subgraphs.<name>.timeout overrides)
    client: Literal["pool", "httpx"] = "pool"
    # open at once; more fetches wait for a free one
    max_connections_per_subgraph: int = Field(transport.MAX_CONNECTIONS, ge=1)
    max_response_bytes: int = Field(transport.MAX_RESPONSE_BYTES, ge=1)  # a larger subgraph answer fails its fetch


class PlanSection(Settings):
    cache_entries: int = Field(2048, ge=0)
    cache_bytes: int = Field(64 * 1024 * 1024, ge=0)  # estimated memory of plans kept, their compiled code included
    document_cache_entries: int = Field(2048, ge=0)
    document_cache_bytes: int = Field(64 * 1024 * 1024, ge=0)  # estimated memory of parsed documents kept
    expose_query_plan: bool = False


class IntrospectionSection(Settings):
    enabled: bool | None = None  # default: on, off when ROUTER_ENV=production


class SubgraphSection(Settings):
    url: str | None = None  # where the subgraph is, when not where the supergraph says
    timeout: float | None = Field(None, gt=0)


class CoreSections(Settings):
    """The sections config.py owns; every other one belongs to the module that reads it
    (plugins/registry.py)."""

    supergraph: SupergraphSection = SupergraphSection()
    server: ServerSection = ServerSection()
    traffic: TrafficSection = TrafficSection()
    plan: PlanSection = PlanSection()
    introspection: IntrospectionSection = IntrospectionSection()
    override_labels: list[str] = []  # progressive @override labels in force
    subgraphs: dict[str, SubgraphSection] = {}


_DEFAULT = CoreSections()  # the defaults, written once: in the section models


@dataclass
class Config:
    """What the router reads at run time: the core sections flattened (their defaults are the
    models'), and every other section's validated model by name (`sections`)."""

    supergraph_path: str | None = _DEFAULT.supergraph.path
    hot_reload: bool = _DEFAULT.supergraph.hot_reload
    poll_interval: float = _DEFAULT.supergraph.poll_interval
    host: str = _DEFAULT.server.host
    port: int = _DEFAULT.server.port
    workers: int = _DEFAULT.server.workers
    graphql_path: str = _DEFAULT.server.graphql_path
    subgraph_timeout: float = _DEFAULT.traffic.subgraph_timeout
    client: Literal["pool", "httpx"] = _DEFAULT.traffic.client
    max_connections_per_subgraph: int = _DEFAULT.traffic.max_connections_per_subgraph
    max_response_bytes: int = _DEFAULT.traffic.max_response_bytes
    subgraphs: dict[str, SubgraphSection] = field(default_factory=dict)
    plan_cache_entries: int = _DEFAULT.plan.cache_entries
    plan_cache_bytes: int = _DEFAULT.plan.cache_bytes
    document_cache_entries: int = _DEFAULT.plan.document_cache_entries
    document_cache_bytes: int = _DEFAULT.plan.document_cache_bytes
    expose_query_plan: bool = _DEFAULT.plan.expose_query_plan
    introspection: bool = True  # `introspection.enabled` unset: on, off in production (load_config)
    override_labels: frozenset[str] = frozenset()
    sections: dict[str, BaseModel] = field(default_factory=dict)  # the others, validated (plugins/registry.py)

    @classmethod
    def of(cls, core: CoreSections, sections: dict[str, BaseModel], production: bool = False) -> Config:
        """The run-time view of validated sections: the one place core sections are flattened."""
        enabled = core.introspection.enabled
        return cls(
            supergraph_path=core.supergraph.path, hot_reload=core.supergraph.hot_reload,
            poll_interval=core.supergraph.poll_interval, host=core.server.host, port=core.server.port,
            workers=core.server.workers, graphql_path=core.server.graphql_path,
            subgraph_timeout=core.traffic.subgraph_timeout, client=core.traffic.client,
            max_connections_per_subgraph=core.traffic.max_connections_per_subgraph,
            max_response_bytes=core.traffic.max_response_bytes, subgraphs=dict(core.subgraphs),
            plan_cache_entries=core.plan.cache_entries, plan_cache_bytes=core.plan.cache_bytes,
            document_cache_entries=core.plan.document_cache_entries,
            document_cache_bytes=core.plan.document_cache_bytes, expose_query_plan=core.plan.expose_query_plan,
            # production: the schema is not handed to anyone who asks, unless said so
            introspection=enabled if enabled is not None else not production,
            override_labels=frozenset(core.override_labels), sections=sections)

    def section(self, name: str, model: type[S]) -> S | None:
        """The validated section `name` (None when the file has none), typed as its model."""
        body = self.sections.get(name)
        if body is None:
            return None
        if not isinstance(body, model):
            raise TypeError(f"section {name!r} holds a {type(body).__name__}, not a {model.__name__}")
        return body


def section_models() -> dict[str, Any]:
    """Every router.yaml section by name, with its type (a model, or `list[str]` and such)."""
    # imported here: the plugin modules import the pipeline, which imports this module
    from .plugins import registry

    core = {name: info.annotation for name, info in CoreSections.model_fields.items()}
    return {**core, **registry.section_models()}


def validate_sections(raw: Mapping[str, Any]) -> dict[str, BaseModel]:
    """The sections owned outside config.py, each validated by its model (for `Config.sections`)."""
    models = section_models()
    unknown = [name for name in raw if name not in models or name in CoreSections.model_fields]
    if unknown:
        raise ConfigError(f"unknown config section {unknown[0]!r} (known: {', '.join(sorted(models))})")
    validated: dict[str, BaseModel] = {name: validate(models[name], name, body) for name, body in raw.items()}
    return validated


def router_yaml_model() -> type[BaseModel]:
    """The whole file as one model (every section optional), for `router config schema`."""
    fields: dict[str, Any] = {name: (kind | None, Field(None, description=_doc(kind)))
                              for name, kind in section_models().items()}
    fields["extends"] = (str | None, Field(None, description="another router.yaml this one overrides, key by key"))
    model: type[BaseModel] = create_model("RouterYaml", __base__=Settings, **fields)
    return model


def _doc(kind: Any) -> str | None:
    return kind.__doc__ if isinstance(kind, type) and issubclass(kind, BaseModel) and kind.__doc__ else None


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


def load_config(path: str | None = None, env: Mapping[str, str] | None = None) -> Config:
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path:
        raw = config_files.read(path)  # `extends:` resolved
    raw = _expand(raw, "", env)
    models = section_models()
    raw = config_env.apply(raw, env, models)  # ROUTER_SECTION__KEY=value
    for name, (section, key, conv) in _ENV.items():  # ROUTER_PORT=... and such, last: they win
        if name in env:
            try:
                value = conv(env[name])
            except ValueError:
                raise ConfigError(f"{name}: invalid value {env[name]!r}") from None
            current = raw.get(section)
            raw[section] = {**(current if isinstance(current, dict) else {}), key: value}
    unknown = [name for name in raw if name not in models]
    if unknown:
        raise ConfigError(f"unknown config section {unknown[0]!r} (known: {', '.join(sorted(models))})")
    try:
        core = validate(CoreSections, "", {k: v for k, v in raw.items() if k in CoreSections.model_fields})
        sections = validate_sections({k: v for k, v in raw.items() if k not in CoreSections.model_fields})
    except ConfigError as e:
        raise ConfigError(f"{os.path.basename(path)}: {e}" if path else str(e)) from None
    return Config.of(core, sections, production=is_production(env))


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

