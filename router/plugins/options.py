"""Reading one plugin's `router.yaml` section: typed getters whose errors name the full key
(`rate_limit.per_client.capacity: expected a number`), and unknown keys refused at the end."""

from __future__ import annotations

from typing import Any, overload

from ..config import ConfigError


class Section:
    def __init__(self, where: str, raw: Any) -> None:
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
        self.where = where
        self.raw = raw
        self.seen: set[str] = set()

    def _get(self, key: str) -> Any:
        self.seen.add(key)
        return self.raw.get(key)

    def has(self, key: str) -> bool:
        return key in self.raw

    def value(self, key: str) -> Any:
        """The raw value, for a key of more than one shape (e.g. `true` or a mapping)."""
        return self._get(key)

    # Given a default, the getters return a value (the default when the key is absent).
    @overload
    def number(self, key: str, default: float, minimum: float | None = 0, positive: bool = False) -> float: ...
    @overload
    def number(self, key: str, default: None = None, minimum: float | None = 0,
               positive: bool = False) -> float | None: ...

    def number(self, key: str, default: float | None = None, minimum: float | None = 0,
               positive: bool = False) -> float | None:
        v = self._get(key)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ConfigError(f"{self.where}.{key}: expected a number, got {v!r}")
        if positive and v <= 0:
            raise ConfigError(f"{self.where}.{key}: must be greater than 0, got {v!r}")
        if minimum is not None and v < minimum:
            raise ConfigError(f"{self.where}.{key}: must be at least {minimum}, got {v!r}")
        return float(v)

    @overload
    def integer(self, key: str, default: int, minimum: int = 0) -> int: ...
    @overload
    def integer(self, key: str, default: None = None, minimum: int = 0) -> int | None: ...

    def integer(self, key: str, default: int | None = None, minimum: int = 0) -> int | None:
        v = self._get(key)
        if v is None:
            return default
        if isinstance(v, bool) or not isinstance(v, int):
            raise ConfigError(f"{self.where}.{key}: expected an integer, got {v!r}")
        if v < minimum:
            raise ConfigError(f"{self.where}.{key}: must be at least {minimum}, got {v!r}")
        return v

    def boolean(self, key: str, default: bool) -> bool:
        v = self._get(key)
        if v is None:
            return default
        if not isinstance(v, bool):
            raise ConfigError(f"{self.where}.{key}: expected true or false, got {v!r}")
        return v

    @overload
    def string(self, key: str, default: str, choices: tuple[str, ...] | None = None) -> str: ...
    @overload
    def string(self, key: str, default: None = None, choices: tuple[str, ...] | None = None) -> str | None: ...

    def string(self, key: str, default: str | None = None, choices: tuple[str, ...] | None = None) -> str | None:
        v = self._get(key)
        if v is None:
            return default
        if not isinstance(v, str):
            raise ConfigError(f"{self.where}.{key}: expected a string, got {v!r}")
        if choices and v not in choices:
            raise ConfigError(f"{self.where}.{key}: must be one of {', '.join(choices)}, got {v!r}")
        return v

    def strings(self, key: str) -> list[str]:
        v = self._get(key)
        if v is None:
            return []
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise ConfigError(f"{self.where}.{key}: expected a list of strings")
        return v

    def section(self, key: str) -> "Section | None":
        v = self._get(key)
        if v is None:
            return None
        return Section(f"{self.where}.{key}", v)

    def mapping(self, key: str) -> dict[str, Any]:
        v = self._get(key)
        if v is None:
            return {}
        if not isinstance(v, dict):
            raise ConfigError(f"{self.where}.{key}: expected a mapping")
        return v

    def done(self) -> None:
        unknown = [k for k in self.raw if k not in self.seen]
        if unknown:
            raise ConfigError(f"{self.where}.{unknown[0]}: unknown key (known: {', '.join(sorted(self.seen))})")
