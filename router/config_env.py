"""`ROUTER_<SECTION>__<KEY>[__<KEY>...]=value`: any router.yaml setting from the environment,
so a deployment (or `make dev`) changes one setting without editing a tracked file.

The name after `ROUTER_` is the key path, sections and keys joined by `__`, case-insensitive:
`ROUTER_RATE_LIMIT__PER_CLIENT__REQUESTS=1000`, `ROUTER_CORS__ORIGINS=[http://localhost:5173]`.
The value is read as YAML (numbers, true/false, lists, mappings); `null` removes the key. The
result is validated like the file, so a mistake names the key. Names without `__`
(`ROUTER_PORT`, `ROUTER_ENV`, ...) are the single settings of config.py, not handled here."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import yaml

from .config_error import ConfigError

PREFIX = "ROUTER_"
SEPARATOR = "__"


def apply(raw: dict[str, Any], env: Mapping[str, str], sections: Collection[str]) -> dict[str, Any]:
    """`raw` with every ROUTER_*__* variable applied, in name order (deterministic)."""
    result = dict(raw)
    for name in sorted(env):
        if not name.startswith(PREFIX) or SEPARATOR not in name:
            continue
        path = name[len(PREFIX):].lower().split(SEPARATOR)
        if not all(path):
            raise ConfigError(f"{name}: empty key in the path (sections and keys are joined by one '__')")
        if path[0] not in sections:
            raise ConfigError(f"{name}: unknown config section {path[0]!r} (known: {', '.join(sorted(sections))})")
        try:
            value = yaml.safe_load(env[name]) if env[name] else ""
        except yaml.YAMLError:
            raise ConfigError(f"{name}: not a valid YAML value: {env[name]!r}") from None
        result = _set(result, path, value, name)
    return result


def _set(node: dict[str, Any], path: list[str], value: Any, name: str) -> dict[str, Any]:
    copy = dict(node)
    key, rest = path[0], path[1:]
    if not rest:
        if value is None:
            copy.pop(key, None)
        else:
            copy[key] = value
        return copy
    below = copy.get(key)
    if below is None:
        below = {}
    if not isinstance(below, dict):
        raise ConfigError(f"{name}: {key} is not a mapping in the configuration, so it has no key {rest[0]!r}")
    copy[key] = _set(below, rest, value, name)
    return copy
