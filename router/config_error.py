"""The one error type of configuration mistakes: `router` prints it and exits 2 at start."""

from __future__ import annotations


class ConfigError(Exception):
    pass
