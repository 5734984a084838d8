"""Who is calling: a verified identity, or nobody.

Subgraphs never trust a forwarded user id: they verify the JWT the users service signed
(RS256, public key from a file or from the users service's JWKS through shared/jwks.py, the
router's JWKS client), so a caller that reaches a
subgraph directly with a forged header gets nothing. Only RS256 is accepted, which rules out
`alg: none` and HS/RS key confusion.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import jwt

from shared.jwks import JwksUrl, Key

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
    """The RS256 keys behind the users service's JWKS URL, through the JWKS client the router
    uses too (shared/jwks.py): the first requests wait for the first fetch instead of being
    refused, and a token naming an unknown `kid` (key rotation) refetches, but no more often
    than a cooldown, so garbage tokens cannot turn into a flood of requests to the users
    service."""

    def __init__(self, url: str, *, cooldown: float = JWKS_REFETCH_COOLDOWN_SECONDS, timeout: float = 5.0) -> None:
        self.source = JwksUrl(url, frozenset(ALGORITHMS), poll_interval=300.0, cooldown=cooldown, timeout=timeout)

    def _find(self, keys: list[Key], kid: str | None) -> Any:
        for key in keys:
            if key.kid == kid:
                return key.key
        return None

    async def key_for(self, kid: str | None) -> Any:
        found = self._find(await self.source.current(), kid)
        if found is None and await self.source.unknown_kid():
            found = self._find(self.source.keys, kid)
        if found is None:
            if not self.source.keys and self.source.fetched_at < 0:
                raise InvalidToken("signing keys unavailable")
            raise InvalidToken("unknown signing key")
        return found

    async def aclose(self) -> None:
        await self.source.aclose()


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
