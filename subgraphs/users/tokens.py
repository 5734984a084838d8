"""Issuing JWTs (RS256) and publishing the public key as a JWKS.

Other services verify tokens with the public key only; the private key stays here. The key
id is the RFC 7638 thumbprint of the public key, so a rotated key gets a new `kid` and
verifiers refetch the JWKS.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from .models import UserDocument

USER_SCOPES = ("orders:read", "orders:write", "payments:write")
ADMIN_SCOPES = ("orders:admin", "payments:admin", "users:admin")


def scopes_for(roles: list[str]) -> list[str]:
    scopes = list(USER_SCOPES)
    if "admin" in roles:
        scopes += ADMIN_SCOPES
    return scopes


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def public_jwk(public_key: RSAPublicKey) -> dict[str, str]:
    numbers = public_key.public_numbers()
    jwk = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).decode().rstrip("=")
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


def load_private_key(path: str) -> RSAPrivateKey:
    with open(path, "rb") as handle:
        key = load_pem_private_key(handle.read(), password=None)
    if not isinstance(key, RSAPrivateKey):
        raise ValueError("JWT_PRIVATE_KEY_FILE must hold an RSA private key")
    return key


class TokenIssuer:
    def __init__(self, private_key: RSAPrivateKey, *, issuer: str, audience: str, ttl_seconds: int) -> None:
        self.private_key = private_key
        self.public_key = private_key.public_key()
        self.jwk = public_jwk(self.public_key)
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds

    @property
    def kid(self) -> str:
        return self.jwk["kid"]

    def issue(self, user: UserDocument) -> str:
        issued_at = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(user.id),
            "username": user.username,
            "roles": list(user.roles),
            "scope": " ".join(scopes_for(user.roles)),
            "iat": issued_at,
            "nbf": issued_at,
            "exp": issued_at + self.ttl_seconds,
            "iss": self.issuer,
            "aud": self.audience,
        }
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.kid})

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [self.jwk]}
