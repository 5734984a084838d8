"""Reading router.yaml files: one file, or a profile that `extends:` another (the dev profile
`router.dev.yaml` is the shop's `router.yaml` with a few sections relaxed), so a profile
cannot drift from the configuration it relaxes.

The extending file's mappings are merged key by key into the base's; any other value (a list,
a number, a string) replaces the base's. `extends` is relative to the file that names it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .config_error import ConfigError

MAX_DEPTH = 8


def read(path: str) -> dict[str, Any]:
    return _read(Path(path), [])


def _read(path: Path, chain: list[Path]) -> dict[str, Any]:
    resolved = path.resolve()
    if resolved in chain:
        raise ConfigError(f"config {path}: extends itself through {' -> '.join(str(p) for p in chain)}")
    if len(chain) >= MAX_DEPTH:
        raise ConfigError(f"config {path}: more than {MAX_DEPTH} levels of extends")
    try:
        with open(path, encoding="utf-8") as f:
            raw = yaml.safe_load(f) or {}
    except OSError as e:
        raise ConfigError(f"cannot read config {path}: {e.strerror}") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"config {path} is not valid YAML: {e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"config {path}: top level must be a mapping")
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    if not isinstance(base_name, str) or not base_name:
        raise ConfigError(f"config {path}: extends: expected the path of another router.yaml")
    base = _read(path.parent / base_name, [*chain, resolved])
    return merge(base, raw)


def merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """`top` over `base`: mappings merged recursively, anything else replaced."""
    merged = dict(base)
    for key, value in top.items():
        below = merged.get(key)
        merged[key] = merge(below, value) if isinstance(below, dict) and isinstance(value, dict) else value
    return merged
