"""Wires the users subgraph: settings, keys, accounts, routes."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..common.app import create_app, serve
from ..common.config import ConfigError, ServiceSettings
from ..common.identity import StaticKey
from .config import UsersSettings
from .models import UserDocument
from .passwords import PasswordHasher
from .schema import schema
from .service import Accounts
from .tokens import TokenIssuer, load_private_key


@dataclass(frozen=True)
class Deps:
    accounts: Accounts
    tokens: TokenIssuer


async def jwks(request: Request) -> JSONResponse:
    return JSONResponse(request.app.state.deps.tokens.jwks(), headers={"cache-control": "public, max-age=300"})


def build(settings: UsersSettings | None = None) -> tuple[Starlette, UsersSettings]:
    settings = settings or UsersSettings.from_env()
    try:
        private_key = load_private_key(settings.jwt_private_key_file)
    except (OSError, ValueError) as error:
        raise ConfigError(f"JWT_PRIVATE_KEY_FILE: cannot read an RSA private key ({error})") from None
    tokens = TokenIssuer(
        private_key,
        issuer=settings.service.jwt_issuer,
        audience=settings.service.jwt_audience,
        ttl_seconds=settings.token_ttl_seconds,
    )

    async def startup(app: Starlette) -> Deps:
        accounts = Accounts(PasswordHasher(settings.bcrypt_rounds))
        if settings.bootstrap_admin_email and settings.bootstrap_admin_password:
            await accounts.ensure_admin(settings.bootstrap_admin_email, settings.bootstrap_admin_password)
        return Deps(accounts=accounts, tokens=tokens)

    app = create_app(
        settings.service,
        schema,
        [UserDocument],
        keys=StaticKey(tokens.public_key, kid=tokens.kid),
        startup=startup,
        routes=[Route("/.well-known/jwks.json", jwks)],
    )
    return app, settings


def main() -> None:
    def build_app() -> tuple[Starlette, ServiceSettings]:
        app, settings = build()
        return app, settings.service

    serve(build_app)
