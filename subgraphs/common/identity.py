"""Who is calling: a verified identity, or nobody.

Subgraphs never trust a forwarded user id: they verify the JWT the users service signed
(RS256, public key from a file or from the users service's JWKS), so a caller that reaches a
subgraph directly with a forged header gets nothing. Only RS256 is accepted, which rules out
`alg: none` and HS/RS key confusion.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
import jwt

ALGORITHMS = ["RS256"]
JWKS_REFETCH_COOLDOWN_SECONDS = 30.0


class InvalidToken(Exception):
    """The bearer token is malformed, forged, expired or meant for someone else."""


@dataclass(frozen=True)
class Identity:
    """A verified caller. Scopes decide what it may do; roles are informational."""

    user_id: str
    username: str
    roles: frozenset[str] = field(default_factory=frozenset)
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class KeySource(Protocol):
    async def key_for(self, kid: str | None) -> Any: ...


class StaticKey:
    """One public key known at start (from a PEM file or the users service's own key)."""

    def __init__(self, public_key: Any, kid: str | None = None) -> None:
        self.public_key = public_key
        self.kid = kid

    @classmethod
    def from_pem_file(cls, path: str) -> "StaticKey":
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        with open(path, "rb") as handle:
            return cls(load_pem_public_key(handle.read()))

    async def key_for(self, kid: str | None) -> Any:
        if self.kid is not None and kid is not None and kid != self.kid:
            raise InvalidToken("unknown signing key")
        return self.public_key


class JwksKeys:
    """Public keys fetched from a JWKS URL, cached, and refetched when a token names an
    unknown `kid` (key rotation) but no more often than a cooldown, so garbage tokens
    cannot turn into a flood of requests to the users service."""

    def __init__(self, url: str, client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.client = client or httpx.AsyncClient(timeout=5.0)
        self.keys: dict[str, Any] = {}
        self.fetched_at = 0.0
        self.lock = asyncio.Lock()

    async def refresh(self) -> None:
        response = await self.client.get(self.url)
        response.raise_for_status()
        keys: dict[str, Any] = {}
        for jwk in response.json().get("keys", []):
            if jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
                continue
            keys[jwk.get("kid", "")] = jwt.PyJWK(jwk, algorithm="RS256").key
        self.keys = keys
        self.fetched_at = time.monotonic()

    async def key_for(self, kid: str | None) -> Any:
        kid = kid or ""
        if kid in self.keys:
            return self.keys[kid]
        async with self.lock:
            if kid not in self.keys and time.monotonic() - self.fetched_at > JWKS_REFETCH_COOLDOWN_SECONDS:
                try:
                    await self.refresh()
                except (httpx.HTTPError, ValueError) as error:
                    raise InvalidToken(f"signing keys unavailable: {error.__class__.__name__}") from error
        if kid not in self.keys:
            raise InvalidToken("unknown signing key")
        return self.keys[kid]

    async def aclose(self) -> None:
        await self.client.aclose()


class TokenVerifier:
    def __init__(self, keys: KeySource, *, issuer: str, audience: str, leeway: float = 10.0) -> None:
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway

    async def verify(self, token: str) -> Identity:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken("malformed token") from error
        if header.get("alg") not in ALGORITHMS:
            raise InvalidToken("token algorithm not allowed")
        key = await self.keys.key_for(header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise InvalidToken("token expired") from error
        except jwt.PyJWTError as error:
            raise InvalidToken("invalid token") from error
        scope = claims.get("scope", "")
        roles = claims.get("roles", [])
        if not isinstance(scope, str) or not isinstance(roles, list):
            raise InvalidToken("invalid token claims")
        return Identity(
            user_id=str(claims["sub"]),
            username=str(claims.get("username", "")),
            roles=frozenset(str(role) for role in roles),
            scopes=frozenset(scope.split()),
        )


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer ...` header, or None when there is no header."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("Authorization header must be 'Bearer <token>'")
    return token.strip()
