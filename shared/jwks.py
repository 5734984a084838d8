"""A JWKS client: the signing keys behind a JWKS URL, as the router's `jwt` plugin and the
subgraphs' token verifier both fetch them.

Every key belongs to one family (RSA, EC, OKP, oct) and is only ever offered for that family's
algorithms, narrowed by the key's own `alg`, its curve and the caller's allow-list, so algorithm
confusion (an HS256 token "signed" with an RSA public key) finds no key at all.

The URL is fetched on first use; until the first key set arrives every request waits for the
fetch in flight (single flight, bounded by its timeout) instead of seeing no keys at all and
being refused. It is refreshed in the background every `poll_interval` (requests keep the
current keys meanwhile) and refetched when a token names an unknown kid, at most once per
`cooldown`, so garbage tokens cannot turn into a flood of requests to the issuer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt as pyjwt

log = logging.getLogger("jwks")

FAMILIES: dict[str, frozenset[str]] = {
    "RSA": frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}),
    "EC": frozenset({"ES256", "ES384", "ES512", "ES256K"}),
    "OKP": frozenset({"EdDSA"}),
    "oct": frozenset({"HS256", "HS384", "HS512"}),
}
ALL_ALGORITHMS = frozenset().union(*FAMILIES.values())
_EC_CURVES = {"P-256": "ES256", "P-384": "ES384", "P-521": "ES512", "secp256k1": "ES256K"}
MAX_JWKS_BYTES = 1 << 20


@dataclass(frozen=True)
class Key:
    kid: str | None
    family: str
    key: Any  # a cryptography key object, or bytes for oct
    algorithms: frozenset[str]
    source: str


def keys_from_jwks(doc: Any, allowed: frozenset[str], source: str) -> list[Key]:
    """Signing keys of a JWKS document; keys for other uses or unknown types are skipped."""
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise ValueError("not a JWKS document (no 'keys' list)")
    out: list[Key] = []
    for i, jwk in enumerate(doc["keys"]):
        if not isinstance(jwk, dict):
            continue
        kty = jwk.get("kty")
        if kty not in FAMILIES:
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        ops = jwk.get("key_ops")
        if isinstance(ops, list) and "verify" not in ops:
            continue
        algs = FAMILIES[kty] & allowed
        alg = jwk.get("alg")
        if alg is not None:
            algs = algs & {alg}
        if kty == "EC":
            algs = algs & {_EC_CURVES.get(jwk.get("crv", "P-256"), "")}
        if not algs:
            continue
        try:
            parsed = pyjwt.PyJWK(jwk, algorithm=sorted(algs)[0]).key
        except (pyjwt.PyJWKError, pyjwt.InvalidKeyError, ValueError, TypeError, KeyError) as e:
            log.warning("jwks: %s: key %d skipped: %s", source, i, e)
            continue
        kid = jwk.get("kid")
        out.append(Key(kid if isinstance(kid, str) else None, kty, parsed, algs, source))
    return out


class JwksUrl:
    """Keys behind a URL: fetched on first use, refreshed every `poll_interval` in the
    background (requests keep the current keys meanwhile), and refetched when a token names
    an unknown kid, at most once per `cooldown`."""

    def __init__(self, url: str, allowed: frozenset[str], poll_interval: float = 60.0, cooldown: float = 10.0,
                 timeout: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.url = url
        self.clock = clock  # for the poll interval and the cooldown
        self.allowed = allowed
        self.poll_interval = poll_interval
        self.cooldown = cooldown
        self.timeout = timeout
        self.keys: list[Key] = []
        self.generation = 0  # bumped whenever the served document changes
        self._document = b""
        self.fetched_at = -1e18  # last successful fetch
        self.tried_at = -1e18  # last attempt (cooldown applies to failures too)
        self._lock: asyncio.Lock | None = None
        self._background: asyncio.Task[None] | None = None

    async def current(self) -> list[Key]:
        now = self.clock()
        if self.fetched_at < 0:
            # Until the first key set arrives every request waits for the fetch in flight
            # (single flight, bounded by its timeout) instead of seeing no keys at all.
            if not await self._wait_in_flight() and now - self.tried_at >= min(self.cooldown, 1.0):
                await self.refresh()
        elif now - self.fetched_at >= self.poll_interval and self._background is None \
                and now - self.tried_at >= min(self.cooldown, self.poll_interval):
            self._background = asyncio.ensure_future(self._refresh_in_background())
        return self.keys

    async def unknown_kid(self) -> bool:
        """A token named a kid we do not have: refetch unless we did so very recently.
        Returns whether the keys may have changed."""
        if await self._wait_in_flight():
            return True
        if self.clock() - self.tried_at < self.cooldown:
            return False
        return await self.refresh()

    async def _wait_in_flight(self) -> bool:
        """Waits for a fetch another request started, if one is running; whether it was."""
        if self._lock is None or not self._lock.locked():
            return False
        async with self._lock:
            return True

    async def _refresh_in_background(self) -> None:
        try:
            await self.refresh()
        finally:
            self._background = None

    async def refresh(self) -> bool:
        if self._lock is None:
            self._lock = asyncio.Lock()
        started = self.clock()
        async with self._lock:
            if self.tried_at >= started:
                return True  # someone else fetched while we waited
            self.tried_at = self.clock()
            try:
                import httpx

                async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                    resp = await client.get(self.url, headers={"accept": "application/json"})
                if resp.status_code != 200:
                    raise ValueError(f"HTTP {resp.status_code}")
                if len(resp.content) > MAX_JWKS_BYTES:
                    raise ValueError("JWKS document too large")
                keys = keys_from_jwks(json.loads(resp.content), self.allowed, self.url)
            except Exception as e:  # network, JSON, document: keep the keys we have
                log.warning("jwks: cannot fetch %s: %s", self.url, e)
                return False
            if resp.content != self._document:
                self._document = resp.content
                self.keys = keys
                self.generation += 1
            self.fetched_at = self.clock()
            return True

    async def aclose(self) -> None:
        if self._background is not None:
            self._background.cancel()
