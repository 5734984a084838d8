"""`supergraph.yaml`: which subgraphs to compose, in rover's format.

Existing rover users keep their files unchanged:

    federation_version: =2.11.0
    subgraphs:
      users:
        routing_url: http://127.0.0.1:3001/graphql
        schema:
          file: ../schema/users.graphql     # relative to this file
      orders:
        routing_url: http://127.0.0.1:3002/graphql
        schema:
          subgraph_url: http://127.0.0.1:3002/graphql   # introspected via _service { sdl }
          introspection_headers:
            Authorization: Bearer ${env.INTROSPECTION_TOKEN}

String values may use `${env.NAME}` or `${env.NAME:-default}` (as rover allows),
so URLs and secrets come from the environment. The file is read into pydantic
models (`SupergraphYaml`, `SubgraphEntry`, `SchemaSource`; unknown keys refused), and
mistakes are reported with the path of the offending key, before any network call.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from shared.settings import Settings, validate

_ENV = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_VERSION = re.compile(r"^=?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-[\w.]+)?$")


class ConfigError(ValueError):
    """A supergraph.yaml we cannot use; the message says which key and why."""


@dataclass(frozen=True)
class SubgraphConfig:
    name: str
    routing_url: str
    file: Path | None = None
    sdl: str | None = None
    subgraph_url: str | None = None
    introspection_headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SupergraphConfig:
    path: Path | None
    subgraphs: tuple[SubgraphConfig, ...]

    def subgraph(self, name: str) -> SubgraphConfig:
        for s in self.subgraphs:
            if s.name == name:
                return s
        raise ConfigError(f'no subgraph named "{name}" in {self.path or "the configuration"}')


def _expand(value: Any, where: str) -> Any:
    if isinstance(value, str):
        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in os.environ:
                return os.environ[name]
            if default is not None:
                return default
            raise ConfigError(f"{where}: environment variable {name} is not set")

        return _ENV.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
    return value


class SchemaSource(Settings):
    """Where a subgraph's SDL comes from: exactly one of file, subgraph_url or sdl."""

    file: str | None = None  # relative to the supergraph.yaml
    subgraph_url: str | None = None  # introspected via _service { sdl }
    introspection_headers: dict[str, str] = {}
    sdl: str | None = None
    graphref: str | None = None  # rover's GraphOS form: refused with a clear message
    subgraph: str | None = None


class SubgraphEntry(Settings):
    routing_url: str | None = None
    source: SchemaSource | None = Field(None, alias="schema")


class SupergraphYaml(Settings):
    """rover's supergraph.yaml."""

    federation_version: str | int | float | None = None
    subgraphs: dict[str, Any] | None = None  # each entry: SubgraphEntry, after ${env} expansion


def parse_config(data: Any, base: Path | None = None, path: Path | None = None) -> SupergraphConfig:
    """Validate an already-loaded YAML document; relative schema files resolve against `base`."""
    if not isinstance(data, dict):
        raise ConfigError("supergraph config: expected a mapping at the top level")
    top = validate(SupergraphYaml, "", data, ConfigError)
    # Checked, then not kept: composition is Federation 2 whatever the minor version asked for.
    raw_version = top.federation_version
    if raw_version is not None:
        version = str(raw_version).strip()
        m = _VERSION.match(version)
        if not m:
            raise ConfigError(f"federation_version: {version!r} is not a version (use e.g. 2 or =2.11.0)")
        if m.group(1) != "2":
            raise ConfigError(
                f"federation_version: {version!r}: only Federation 2 composition is supported"
                " (Federation 1 subgraphs are accepted and upgraded)"
            )
    raw = top.subgraphs
    if not raw:
        raise ConfigError("subgraphs: expected a mapping of subgraph name to its routing_url and schema")
    subgraphs = []
    for name, body in raw.items():
        where = f"subgraphs.{name}"
        if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9_-]+$", name) or name == "_":
            raise ConfigError(f"{where}: invalid subgraph name (letters, digits, '_' and '-' only; not '_')")
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: expected a mapping with routing_url and schema")
        entry = validate(SubgraphEntry, where, _expand(body, where), ConfigError)
        schema = entry.source
        if schema is None:
            raise ConfigError(f"{where}.schema: expected one of file, subgraph_url or sdl")
        sources = [k for k in ("file", "subgraph_url", "sdl", "graphref") if k in schema.model_fields_set]
        if len(sources) != 1:
            raise ConfigError(f"{where}.schema: expected exactly one of file, subgraph_url or sdl, got {sources or 'none'}")
        if sources[0] == "graphref":
            raise ConfigError(f"{where}.schema.graphref: GraphOS graph refs are not supported; use file or subgraph_url")
        routing_url = entry.routing_url
        if sources[0] == "subgraph_url":
            url = _string(schema.subgraph_url, f"{where}.schema.subgraph_url")
            if not re.match(r"^https?://", url):
                raise ConfigError(f"{where}.schema.subgraph_url: expected an http(s) URL, got {url!r}")
            subgraphs.append(
                SubgraphConfig(name, _string(routing_url or url, f"{where}.routing_url"), subgraph_url=url,
                               introspection_headers=dict(schema.introspection_headers))
            )
            continue
        routing = _string(routing_url, f"{where}.routing_url")
        if sources[0] == "file":
            file = Path(_string(schema.file, f"{where}.schema.file"))
            if not file.is_absolute() and base is not None:
                file = Path(os.path.normpath(base / file))
            subgraphs.append(SubgraphConfig(name, routing, file=file))
        else:
            subgraphs.append(SubgraphConfig(name, routing, sdl=_string(schema.sdl, f"{where}.schema.sdl")))
    return SupergraphConfig(path, tuple(subgraphs))


def load_config(path: str | Path) -> SupergraphConfig:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the supergraph config ({e.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: invalid YAML: {e}") from None
    return parse_config(data, base=path.resolve().parent, path=path)
