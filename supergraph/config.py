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
so URLs and secrets come from the environment. Mistakes are reported with the
path of the offending key, before any network call.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

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


def parse_config(data: Any, base: Path | None = None, path: Path | None = None) -> SupergraphConfig:
    """Validate an already-loaded YAML document; relative schema files resolve against `base`."""
    if not isinstance(data, dict):
        raise ConfigError("supergraph config: expected a mapping at the top level")
    unknown = set(data) - {"federation_version", "subgraphs"}
    if unknown:
        raise ConfigError(f"supergraph config: unknown key(s) {', '.join(sorted(unknown))}")
    # Checked, then not kept: composition is Federation 2 whatever the minor version asked for.
    raw_version = data.get("federation_version")
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
    raw = data.get("subgraphs")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError("subgraphs: expected a mapping of subgraph name to its routing_url and schema")
    subgraphs = []
    for name, entry in raw.items():
        where = f"subgraphs.{name}"
        if not isinstance(name, str) or not re.match(r"^[A-Za-z0-9_-]+$", name) or name == "_":
            raise ConfigError(f"{where}: invalid subgraph name (letters, digits, '_' and '-' only; not '_')")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping with routing_url and schema")
        entry = _expand(entry, where)
        extra = set(entry) - {"routing_url", "schema"}
        if extra:
            raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(extra))}")
        schema = entry.get("schema")
        if not isinstance(schema, dict):
            raise ConfigError(f"{where}.schema: expected one of file, subgraph_url or sdl")
        sources = [k for k in ("file", "subgraph_url", "sdl", "graphref") if k in schema]
        if len(sources) != 1:
            raise ConfigError(f"{where}.schema: expected exactly one of file, subgraph_url or sdl, got {sources or 'none'}")
        if sources[0] == "graphref":
            raise ConfigError(f"{where}.schema.graphref: GraphOS graph refs are not supported; use file or subgraph_url")
        routing_url = entry.get("routing_url")
        if sources[0] == "subgraph_url":
            url = _string(schema["subgraph_url"], f"{where}.schema.subgraph_url")
            if not re.match(r"^https?://", url):
                raise ConfigError(f"{where}.schema.subgraph_url: expected an http(s) URL, got {url!r}")
            headers = schema.get("introspection_headers") or {}
            if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
                raise ConfigError(f"{where}.schema.introspection_headers: expected a mapping of header name to string")
            subgraphs.append(
                SubgraphConfig(name, _string(routing_url or url, f"{where}.routing_url"), subgraph_url=url,
                               introspection_headers=dict(headers))
            )
            continue
        routing = _string(routing_url, f"{where}.routing_url")
        if sources[0] == "file":
            file = Path(_string(schema["file"], f"{where}.schema.file"))
            if not file.is_absolute() and base is not None:
                file = Path(os.path.normpath(base / file))
            subgraphs.append(SubgraphConfig(name, routing, file=file))
        else:
            subgraphs.append(SubgraphConfig(name, routing, sdl=_string(schema["sdl"], f"{where}.schema.sdl")))
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
