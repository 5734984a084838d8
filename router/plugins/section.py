"""Reading one plugin's `router.yaml` section with errors that name the bad key."""

from __future__ import annotations

from typing import Any

from ..config import ConfigError

_NAMES = {str: "a string", bool: "true or false", int: "an integer", float: "a number", list: "a list",
          dict: "a mapping"}


class Section:
    """A mapping at `where` (e.g. `jwt.jwks[0]`) whose keys must all be in `known`."""

    def __init__(self, where: str, body: Any, known: tuple[str, ...]) -> None:
        if body is None:
            body = {}
        if not isinstance(body, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(body).__name__}")
        for key in body:
            if key not in known:
                raise ConfigError(f"{where}.{key}: unknown key (known: {', '.join(known)})")
        self.where = where
        self.body = body

    def __contains__(self, key: str) -> bool:
        return key in self.body

    def path(self, key: str) -> str:
        return f"{self.where}.{key}"

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        if key not in self.body or self.body[key] is None:
            return default
        value = self.body[key]
        if kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{self.path(key)}: expected a number, got {value!r}")
            if value < 0:
                raise ConfigError(f"{self.path(key)}: must not be negative, got {value!r}")
            return float(value)
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{self.path(key)}: expected an integer, got {value!r}")
            if value < 0:
                raise ConfigError(f"{self.path(key)}: must not be negative, got {value!r}")
            return value
        if not isinstance(value, kind):
            raise ConfigError(f"{self.path(key)}: expected {_NAMES.get(kind, kind.__name__)}, got {value!r}")
        return value

    def strings(self, key: str, default: list[str] | None = None) -> list[str]:
        """A list of strings; a single string is accepted as a list of one."""
        value = self.body.get(key)
        if value is None:
            return list(default or [])
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{self.path(key)}: expected a string or a list of strings, got {value!r}")
        return list(value)

    def section(self, key: str, known: tuple[str, ...]) -> "Section":
        return Section(self.path(key), self.body.get(key), known)

    def sections(self, key: str, known: tuple[str, ...]) -> list["Section"]:
        value = self.body.get(key)
        if value is None:
            return []
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{self.path(key)}: expected a list of mappings, got {value!r}")
        return [Section(f"{self.path(key)}[{i}]", v, known) for i, v in enumerate(value)]
