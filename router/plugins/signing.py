"""Router -> subgraph signing (`subgraph_signing:`): every subgraph request carries
`x-router-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`, which the
subgraphs check when they share the secret (`ROUTER_SIGNING_SECRET`, subgraphs/common/signing.py),
so only the router can reach them. The signature itself is shared/signing.py."""

from __future__ import annotations

import time
from typing import Any

from shared.signing import HEADER, signature

from ..config import Config, ConfigError
from ..pipeline import Context, HeadersSend
from ..settings import Settings
from .base import Plugin

SECTION = "subgraph_signing"


class SigningSettings(Settings):
    """`subgraph_signing:` in router.yaml."""

    secret: str = ""  # empty (`"${env.ROUTER_SIGNING_SECRET:-}"` unset): no signing


class SubgraphSigning(Plugin[SigningSettings]):
    section = SECTION
    settings = SigningSettings

    def __init__(self, secret: str) -> None:
        self.secret = secret

    @classmethod
    def from_config(cls, settings: SigningSettings, config: Config) -> "SubgraphSigning | None":
        secret = settings.secret
        if not secret:
            return None  # `secret: "${env.ROUTER_SIGNING_SECRET:-}"` unset: no signing (dev without it)
        if len(secret) < 32:
            raise ConfigError(f"{SECTION}.secret: must be at least 32 characters")
        return cls(secret)

    def wrap_send(self, ctx: Context, send: HeadersSend) -> HeadersSend:
        async def signed(service: str, body: bytes, headers: dict[str, str] | None) -> dict[str, Any]:
            stamp = signature(self.secret, body, int(time.time()))
            return await send(service, body, {**(headers or {}), HEADER: stamp})

        return signed


def build(config: Config) -> SubgraphSigning | None:
    s = config.section(SECTION, SigningSettings)
    return SubgraphSigning.from_config(s, config) if s is not None else None
