"""Settings of the users service, beyond what every subgraph has."""

from __future__ import annotations

from dataclasses import dataclass

from ..common.config import ConfigError, Env, ServiceSettings


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
        admin_email = env.optional("USERS_BOOTSTRAP_ADMIN_EMAIL")
        admin_password = env.optional("USERS_BOOTSTRAP_ADMIN_PASSWORD")
        if bool(admin_email) != bool(admin_password):
            raise ConfigError("USERS_BOOTSTRAP_ADMIN_EMAIL and USERS_BOOTSTRAP_ADMIN_PASSWORD go together")
        return cls(
            service=service,
            jwt_private_key_file=env.str("JWT_PRIVATE_KEY_FILE"),
            token_ttl_seconds=env.int("JWT_TTL_SECONDS", 3600, minimum=1, maximum=7 * 24 * 3600),
            bcrypt_rounds=env.int("BCRYPT_ROUNDS", 12, minimum=4, maximum=16),
            bootstrap_admin_email=admin_email,
            bootstrap_admin_password=admin_password,
        )
