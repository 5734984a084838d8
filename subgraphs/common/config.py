"""Settings read from the environment, validated once at start.

Subgraphs are configured the twelve-factor way (env vars only): the same image runs in dev,
in tests and in production, and a bad value stops the process at start with a message that
names the variable, instead of failing on the first request.
"""

from __future__ import annotations

import builtins
import os
from dataclasses import dataclass
from typing import Mapping


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class Env:
    """Typed access to a mapping of environment variables, collecting clear errors."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def str(self, name: builtins.str, default: builtins.str | None = None) -> builtins.str:
        value = self.environ.get(name, "").strip()
        if value:
            return value
        if default is None:
            raise ConfigError(f"{name} is required")
        return default

    def optional(self, name: builtins.str) -> builtins.str | None:
        value = self.environ.get(name, "").strip()
        return value or None

    def int(self, name: builtins.str, default: builtins.int, *, minimum: builtins.int | None = None, maximum: builtins.int | None = None) -> builtins.int:
        raw = self.environ.get(name, "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{name} must be >= {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{name} must be <= {maximum}, got {value}")
        return value

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        raw = self.environ.get(name, "").strip().lower()
        if not raw:
            return default
        if raw in {"1", "true", "yes", "on"}:
            return True
        if raw in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{name} must be a boolean (true/false), got {raw!r}")

    def choice(self, name: builtins.str, default: builtins.str, choices: tuple[builtins.str, ...]) -> builtins.str:
        value = self.str(name, default)
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        return value


@dataclass(frozen=True)
class ServiceSettings:
    """What every subgraph needs: where it listens, its database, and how it trusts tokens."""

    service: str
    version: str
    host: str
    port: int
    mongodb_uri: str
    mongodb_db: str
    log_level: str
    jwt_issuer: str
    jwt_audience: str
    jwt_public_key_file: str | None
    jwt_jwks_url: str | None
    max_query_depth: int = 20  # deeper operations are refused before they run (guard.py)
    max_query_cost: int = 10_000  # estimated cost above which an operation is refused
    router_signing_secret: str | None = None  # set: /graphql accepts only requests the router signed

    @classmethod
    def from_env(cls, service: str, default_port: int, env: Env | None = None) -> "ServiceSettings":
        env = env or Env()
        return cls(
            service=service,
            version=env.str("SERVICE_VERSION", "0.1.0"),
            host=env.str("HOST", "127.0.0.1"),
            port=env.int("PORT", default_port, minimum=0, maximum=65535),
            mongodb_uri=env.str("MONGODB_URI", "mongodb://127.0.0.1:27017/?directConnection=true"),
            mongodb_db=env.str("MONGODB_DB", service),
            log_level=env.choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")),
            jwt_issuer=env.str("JWT_ISSUER", "shop-users"),
            jwt_audience=env.str("JWT_AUDIENCE", "shop"),
            jwt_public_key_file=env.optional("JWT_PUBLIC_KEY_FILE"),
            jwt_jwks_url=env.optional("JWT_JWKS_URL"),
            max_query_depth=env.int("MAX_QUERY_DEPTH", 20, minimum=1),
            max_query_cost=env.int("MAX_QUERY_COST", 10_000, minimum=1),
            router_signing_secret=env.optional("ROUTER_SIGNING_SECRET"),
        )
