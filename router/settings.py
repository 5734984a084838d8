"""Typed `router.yaml` sections: pydantic models whose validation errors become one ConfigError
naming the full key path (`rate_limit.per_client.requests: expected an integer, got 'many'`).

Each section's model lives in the module that uses it. Models are strict (a string is not
read as a number) and refuse unknown keys, so a typo stops the router at start instead of
being silently ignored.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, WithJsonSchema

from shared import settings as shared_settings
from shared.settings import Settings, describe

from .config_error import ConfigError

__all__ = ["Duration", "Settings", "StringList", "as_list", "describe", "parse_duration", "validate"]

M = TypeVar("M", bound=BaseModel)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(where: str, value: Any) -> float:
    """Seconds from a number or a string such as `500ms`, `15m`, `1h`."""
    try:
        return _duration(value)
    except ValueError as e:
        raise ConfigError(f"{where}: {e}") from None


def _duration(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNIT[m.group(2)]
    else:
        raise ValueError(f"expected seconds or a duration like 900, 15m, 1h, got {value!r}")
    if seconds <= 0:
        raise ValueError("must be greater than 0")
    return seconds


def as_list(value: Any) -> Any:
    """One mapping (or string) where a list of them is expected: a list of one."""
    return [value] if isinstance(value, (dict, str)) else value


# Seconds (more than 0), written as a number or with a unit (`15m`).
Duration = Annotated[float, BeforeValidator(_duration), WithJsonSchema({"anyOf": [
    {"type": "number", "exclusiveMinimum": 0},
    {"type": "string", "pattern": _DURATION.pattern}], "description": "seconds, or a duration like 500ms, 15m, 1h"})]
# A list of strings; one string is taken as a list of one.
StringList = Annotated[list[str], BeforeValidator(as_list), WithJsonSchema({"anyOf": [
    {"type": "string"}, {"type": "array", "items": {"type": "string"}}]})]


def validate(model: type[M], where: str, raw: Any) -> M:
    """`raw` (the section at `where`, None for an empty one) as `model`, or a ConfigError naming
    the first bad key."""
    return shared_settings.validate(model, where, raw, ConfigError)
