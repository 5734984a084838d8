"""Settings of the users service, beyond what every subgraph has."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from ..common.config import ConfigError, Env, EnvSettings, ServiceSettings


class UsersEnv(EnvSettings):
    jwt_private_key_file: str = Field(alias="JWT_PRIVATE_KEY_FILE")  # required: it signs every token
    token_ttl_seconds: int = Field(3600, alias="JWT_TTL_SECONDS", ge=1, le=7 * 24 * 3600)
    bcrypt_rounds: int = Field(12, alias="BCRYPT_ROUNDS", ge=4, le=16)
    bootstrap_admin_email: str | None = Field(None, alias="USERS_BOOTSTRAP_ADMIN_EMAIL")
    bootstrap_admin_password: str | None = Field(None, alias="USERS_BOOTSTRAP_ADMIN_PASSWORD")


@dataclass(frozen=True)
class UsersSettings:
    service: ServiceSettings
    jwt_private_key_file: str
    token_ttl_seconds: int
    bcrypt_rounds: int
    bootstrap_admin_email: str | None
    bootstrap_admin_password: str | None

    @classmethod
    def from_env(cls, env: Env | None = None) -> "UsersSettings":
        env = env or Env()
        service = ServiceSettings.from_env("users", 3001, env)
        e = env.load(UsersEnv)
        if bool(e.bootstrap_admin_email) != bool(e.bootstrap_admin_password):
            raise ConfigError("USERS_BOOTSTRAP_ADMIN_EMAIL and USERS_BOOTSTRAP_ADMIN_PASSWORD go together")
        return cls(
            service=service,
            jwt_private_key_file=e.jwt_private_key_file,
            token_ttl_seconds=e.token_ttl_seconds,
            bcrypt_rounds=e.bcrypt_rounds,
            bootstrap_admin_email=e.bootstrap_admin_email,
            bootstrap_admin_password=e.bootstrap_admin_password,
        )
