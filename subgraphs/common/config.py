"""Settings read from the environment, validated once at start.

Subgraphs are configured the twelve-factor way (env vars only): the same image runs in dev,
in tests and in production, and a bad value stops the process at start with a message that
names the variable, instead of failing on the first request.

Each group of variables is a pydantic-settings model (`ServiceEnv` here, `EventsEnv`, the
services' own): one field per variable, its alias the variable's name. An empty variable
counts as unset; values are trimmed. `Env` reads a model from `os.environ`, or from a given
mapping (tests, `build(env)`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict

from shared.settings import describe

S = TypeVar("S", bound="EnvSettings")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class EnvSettings(BaseSettings):
    """Variables by their exact names (the fields' aliases); unrelated variables are ignored."""

    model_config = SettingsConfigDict(case_sensitive=True, env_ignore_empty=True, str_strip_whitespace=True,
                                      extra="ignore", frozen=True, populate_by_name=False)


class _MappingSource(EnvSettingsSource):
    """pydantic-settings' environment source over a given mapping instead of os.environ."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self.environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # names exact (case-sensitive models); blank counts as unset, as the services always did
        return {name: value for name, value in self.environ.items() if value.strip()}


class Env:
    """A mapping of environment variables, read into settings models with clear errors."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def load(self, model: type[S]) -> S:
        values = _MappingSource(model, self.environ)()
        try:
            return model.model_validate(values)
        except ValidationError as e:
            raise ConfigError(describe(e, "", values, model)) from None


class ServiceEnv(EnvSettings):
    """What every subgraph reads (ServiceSettings is built from it)."""

    service_version: str = Field("0.1.0", alias="SERVICE_VERSION")
    host: str = Field("127.0.0.1", alias="HOST")
    port: int | None = Field(None, alias="PORT", ge=0, le=65535)  # default: the service's own
    mongodb_uri: str = Field("mongodb://127.0.0.1:27017/?directConnection=true", alias="MONGODB_URI")
    mongodb_db: str | None = Field(None, alias="MONGODB_DB")  # default: the service's name
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", alias="LOG_LEVEL")
    jwt_issuer: str = Field("shop-users", alias="JWT_ISSUER")
    jwt_audience: str = Field("shop", alias="JWT_AUDIENCE")
    jwt_public_key_file: str | None = Field(None, alias="JWT_PUBLIC_KEY_FILE")
    jwt_jwks_url: str | None = Field(None, alias="JWT_JWKS_URL")
    max_query_depth: int = Field(20, alias="MAX_QUERY_DEPTH", ge=1)
    max_query_cost: int = Field(10_000, alias="MAX_QUERY_COST", ge=1)
    router_signing_secret: str | None = Field(None, alias="ROUTER_SIGNING_SECRET")


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
        e = (env or Env()).load(ServiceEnv)
        return cls(
            service=service,
            version=e.service_version,
            host=e.host,
            port=e.port if e.port is not None else default_port,
            mongodb_uri=e.mongodb_uri,
            mongodb_db=e.mongodb_db or service,
            log_level=e.log_level,
            jwt_issuer=e.jwt_issuer,
            jwt_audience=e.jwt_audience,
            jwt_public_key_file=e.jwt_public_key_file,
            jwt_jwks_url=e.jwt_jwks_url,
            max_query_depth=e.max_query_depth,
            max_query_cost=e.max_query_cost,
            router_signing_secret=e.router_signing_secret,
        )
