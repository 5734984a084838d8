"""Authentication: verify the caller's JWT and put its claims on the context.

The token comes from `Authorization: Bearer ...` (header and prefix configurable) or,
optionally, a cookie. Keys come from JWKS URLs (fetched on first use, refreshed in the
background every `poll_interval`, refetched at once when a token names an unknown `kid` but
at most once per `refetch_cooldown`, so garbage tokens cannot flood the issuer: the JWKS
client of shared/jwks.py, which the subgraphs use too), JWKS files (re-read when they change)
and HS shared secrets.

Algorithm confusion is impossible by construction: every key belongs to one family (RSA,
EC, OKP, oct) and is only ever used with that family's algorithms, further narrowed by the
key's own `alg`, the source's and the global allow-list; `none` is never accepted (it is
not even a valid entry in the allow-list). So an HS256 token signed with an RSA public key
as the secret finds no key at all.

A token that is present but bad (malformed, wrong signature, unknown key, algorithm not
allowed, expired, not yet valid, wrong issuer or audience, missing required claims) is
refused with HTTP 401 and a GraphQL error `UNAUTHENTICATED`; no token means anonymous
(`ctx.claims` stays None), allowed unless `allow_anonymous: false`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from http.cookies import CookieError, SimpleCookie
from typing import Annotated, Any, Awaitable, Callable, NoReturn

import jwt as pyjwt
from jwt.types import Options
from pydantic import BeforeValidator, Field

from shared.jwks import ALL_ALGORITHMS, FAMILIES, JwksUrl, Key, keys_from_jwks
from shared.lru import LRU

from ..config import Config, ConfigError
from ..pipeline import Context
from ..settings import Settings, StringList, as_list
from .base import Plugin
from .rate_limit import RateLimit

log = logging.getLogger("router.jwt")

MAX_TOKEN_BYTES = 16 * 1024


def claim(claims: dict[str, Any] | None, path: str) -> Any:
    """A claim by name or dotted path (`realm_access.roles`), as authorization and header rules
    name them."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


class AuthError(Exception):
    """The token is present but cannot be trusted; the message is safe to show."""


class JwksFile:
    """Keys in a local JWKS file, re-read when the file changes (checked at most every
    `poll_interval`), e.g. a mounted Kubernetes secret being rotated."""

    def __init__(self, path: str, allowed: frozenset[str], poll_interval: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.clock = clock
        self.allowed = allowed
        self.poll_interval = poll_interval
        self.keys = self._load()
        self.generation = 0
        self._stamp = self._stat()
        self._checked = clock()

    def _stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
            return (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError:
            return None

    def _load(self) -> list[Key]:
        with open(self.path, encoding="utf-8") as f:
            return keys_from_jwks(json.load(f), self.allowed, self.path)

    async def current(self) -> list[Key]:
        now = self.clock()
        if now - self._checked >= self.poll_interval:
            self._checked = now
            stamp = self._stat()
            if stamp is not None and stamp != self._stamp:
                try:
                    self.keys = self._load()
                    self._stamp = stamp
                    self.generation += 1
                except (OSError, ValueError) as e:
                    log.warning("jwt: cannot reload %s, keeping the previous keys: %s", self.path, e)
        return self.keys

    async def unknown_kid(self) -> bool:
        return False


class StaticKeys:
    generation = 0

    def __init__(self, keys: list[Key]) -> None:
        self.keys = keys

    async def current(self) -> list[Key]:
        return self.keys

    async def unknown_kid(self) -> bool:
        return False


# where keys come from
KeySource = JwksUrl | JwksFile | StaticKeys


class JwksSettings(Settings):
    url: str | None = None
    file: str | None = None
    algorithms: StringList | None = None  # default: all of jwt.algorithms
    poll_interval: float | None = Field(None, ge=0)  # default: 60 s for a URL, 5 s for a file
    refetch_cooldown: float = Field(10.0, ge=0)
    timeout: float = Field(5.0, ge=0)


class SecretSettings(Settings):
    secret: str | None = None
    secret_base64: str | None = None
    kid: str | None = None
    algorithms: StringList = ["HS256"]


class JwtSettings(Settings):
    """`jwt:` in router.yaml."""

    enabled: bool = True
    header: str = "authorization"
    prefix: str = "Bearer"
    cookie: str | None = None
    jwks: Annotated[list[JwksSettings], BeforeValidator(as_list)] = []
    secrets: Annotated[list[SecretSettings], BeforeValidator(as_list)] = []
    algorithms: StringList | None = None  # default: every asymmetric one, HS* too with secrets
    issuers: StringList = []
    audiences: StringList = []
    leeway: float = Field(0.0, ge=0)
    required_claims: StringList = ["exp"]
    allow_anonymous: bool = True
    ignore_other_prefixes: bool = False
    cache_entries: int = Field(4096, ge=0)


class JwtPlugin(Plugin[JwtSettings]):
    section = "jwt"
    settings = JwtSettings

    def __init__(self, sources: list[KeySource], *, algorithms: frozenset[str], header: str = "authorization",
                 prefix: str = "Bearer", cookie: str | None = None, issuers: list[str] | None = None,
                 audiences: list[str] | None = None, leeway: float = 0.0, required: list[str] | None = None,
                 allow_anonymous: bool = True, ignore_other_prefixes: bool = False,
                 cache_entries: int = 4096) -> None:
        self.sources = sources
        self.algorithms = algorithms
        self.header = header.lower()
        self.prefix = prefix
        self.cookie = cookie
        self.issuers = issuers or None
        self.audiences = audiences or None
        self.leeway = leeway
        self.required = list(required if required is not None else ["exp"])
        self.allow_anonymous = allow_anonymous
        self.ignore_other_prefixes = ignore_other_prefixes
        self.cache_entries = cache_entries
        # Called with the context of a refused token (set by build_plugins when rate limits are
        # configured); a result other than None is answered instead of the 401.
        self.on_failure: Callable[[Context], Awaitable[dict[str, Any] | None]] | None = None
        # sha256(token) -> (claims, exp, key generation): a token verified once is not
        # verified again (RS256 costs ~100 us in Python) while the keys are unchanged; only
        # exp can turn a good token bad with time (nbf and iat only get older)
        self._verified: LRU[bytes, tuple[dict[str, Any], float | None, tuple[int, ...]]] = LRU(max(cache_entries, 1))
        self.options: Options = {"require": self.required, "verify_aud": self.audiences is not None,
                        "verify_iss": self.issuers is not None, "verify_signature": True,
                        "verify_exp": True, "verify_nbf": True, "verify_iat": True}

    # ------------------------------------------------------------------ config
    @classmethod
    def from_config(cls, s: JwtSettings, config: Config) -> "JwtPlugin | None":
        if not s.enabled:
            return None
        algs = s.algorithms if s.algorithms is not None else sorted(ALL_ALGORITHMS - FAMILIES["oct"]) + (
            sorted(FAMILIES["oct"]) if "secrets" in s.model_fields_set else [])
        for a in algs:
            if a.lower() == "none":
                raise ConfigError("jwt.algorithms: 'none' is never allowed")
            if a not in ALL_ALGORITHMS:
                raise ConfigError(f"jwt.algorithms: unknown algorithm {a!r} (known: {', '.join(sorted(ALL_ALGORITHMS))})")
        allowed = frozenset(algs)
        sources: list[KeySource] = []
        for i, js in enumerate(s.jwks):
            where = f"jwt.jwks[{i}]"
            src_algs = frozenset(js.algorithms if js.algorithms is not None else sorted(allowed))
            bad = src_algs - allowed
            if bad:
                raise ConfigError(f"{where}.algorithms: {', '.join(sorted(bad))} not in jwt.algorithms")
            url, path = js.url, js.file
            if bool(url) == bool(path):
                raise ConfigError(f"{where}: give exactly one of url or file")
            if url:
                if not url.startswith(("http://", "https://")):
                    raise ConfigError(f"{where}.url: expected an http(s) URL, got {url!r}")
                poll = js.poll_interval if js.poll_interval is not None else 60.0
                sources.append(JwksUrl(url, src_algs, poll, js.refetch_cooldown, js.timeout))
            elif path:
                try:
                    sources.append(JwksFile(path, src_algs, js.poll_interval if js.poll_interval is not None else 5.0))
                except OSError as e:
                    raise ConfigError(f"{where}.file: cannot read {path}: {e.strerror}") from None
                except ValueError as e:
                    raise ConfigError(f"{where}.file: {path}: {e}") from None
        static: list[Key] = []
        for i, ss in enumerate(s.secrets):
            where = f"jwt.secrets[{i}]"
            raw, b64 = ss.secret, ss.secret_base64
            if bool(raw) == bool(b64):
                raise ConfigError(f"{where}: give exactly one of secret or secret_base64")
            try:
                secret = raw.encode() if raw else base64.urlsafe_b64decode((b64 or "") + "=" * (-len(b64 or "") % 4))
            except ValueError:
                raise ConfigError(f"{where}.secret_base64: not base64") from None
            if len(secret) < 32:
                raise ConfigError(f"{where}: the secret must be at least 32 bytes (RFC 7518 3.2)")
            sa = frozenset(ss.algorithms)
            if not sa <= FAMILIES["oct"] or not sa <= allowed:
                raise ConfigError(f"{where}.algorithms: shared secrets take HS256/HS384/HS512 from "
                                  f"jwt.algorithms, got {sorted(sa)}")
            static.append(Key(ss.kid, "oct", secret, sa, f"jwt.secrets[{len(static)}]"))
        if static:
            sources.append(StaticKeys(static))
        if not sources:
            raise ConfigError("jwt: no keys configured (give jwks: [{url: ...}] / [{file: ...}] or secrets)")
        return cls(sources, algorithms=allowed, header=s.header, prefix=s.prefix, cookie=s.cookie,
                   issuers=list(s.issuers), audiences=list(s.audiences), leeway=s.leeway,
                   required=list(s.required_claims), allow_anonymous=s.allow_anonymous,
                   ignore_other_prefixes=s.ignore_other_prefixes, cache_entries=s.cache_entries)

    def connect(self, plugins: list[Plugin[Any]]) -> None:
        """Requests refused for a bad token still count against their IP's rate limits."""
        limiter = next((p for p in plugins if isinstance(p, RateLimit)), None)
        if limiter is not None:
            self.on_failure = limiter.count_failed_auth

    # ------------------------------------------------------------------ request
    def token_of(self, headers: dict[str, str]) -> str | None:
        value = headers.get(self.header)
        if value is not None:
            if not self.prefix:
                return value.strip() or _raise("the credentials are empty")
            scheme, _, rest = value.strip().partition(" ")
            if scheme.lower() != self.prefix.lower():
                if self.ignore_other_prefixes:
                    return None
                raise AuthError(f"the {self.header} header must be '{self.prefix} <token>'")
            token = rest.strip()
            if not token:
                raise AuthError("the bearer token is empty")
            return token
        if self.cookie:
            raw = headers.get("cookie")
            if raw:
                try:
                    jar = SimpleCookie()
                    jar.load(raw)
                except CookieError:
                    return None
                morsel = jar.get(self.cookie)
                if morsel is not None and morsel.value:
                    return morsel.value
        return None

    async def on_request(self, ctx: Context) -> dict[str, Any] | None:
        try:
            token = self.token_of(ctx.request.headers)
            if token is None:
                if self.allow_anonymous:
                    return None
                raise AuthError("authentication is required")
            ctx.claims = await self.verify(token)
        except AuthError as e:
            if self.on_failure is not None:  # the rate limiter counts it against the client's IP
                refused = await self.on_failure(ctx)
                if refused is not None:
                    return refused
            ctx.status = 401
            return {"errors": [{"message": f"Unauthenticated: {e}", "extensions": {"code": "UNAUTHENTICATED"}}]}
        return None

    def generation(self) -> tuple[int, ...]:
        return tuple(src.generation for src in self.sources)

    async def verify(self, token: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_BYTES:
            raise AuthError("the token is too large")
        if not self.cache_entries:
            return await self._verify(token)
        for src in self.sources:
            await src.current()  # lets stale sources refresh (polling), even on cache hits
        digest = hashlib.sha256(token.encode()).digest()
        hit = self._verified.get(digest)
        if hit is not None:
            claims, exp, generation = hit
            if generation == self.generation() and (exp is None or exp > time.time() - self.leeway):
                return dict(claims)
            self._verified.pop(digest)  # keys changed or expired: verify again (and say why)
        claims = await self._verify(token)
        exp = claims.get("exp")
        self._verified.put(digest, (claims, float(exp) if isinstance(exp, (int, float)) else None, self.generation()))
        return dict(claims)

    async def _verify(self, token: str) -> dict[str, Any]:
        try:
            header = pyjwt.get_unverified_header(token)
        except pyjwt.PyJWTError:
            raise AuthError("the token is malformed") from None
        alg = header.get("alg")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise AuthError("the token's algorithm is not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise AuthError("the token is malformed")
        exact, loose = await self._candidates(kid, alg)
        if not exact and kid is not None:
            changed = False
            for src in self.sources:
                changed = await src.unknown_kid() or changed
            if changed:
                exact, loose = await self._candidates(kid, alg)
        keys = exact or loose
        if not keys:
            raise AuthError("the token's signing key is unknown")
        for k in keys:
            try:
                claims = pyjwt.decode(token, k.key, algorithms=[alg], options=self.options,
                                      audience=self.audiences, issuer=self.issuers, leeway=self.leeway)
            except pyjwt.InvalidSignatureError:
                continue
            except pyjwt.ExpiredSignatureError:
                raise AuthError("the token has expired") from None
            except pyjwt.ImmatureSignatureError:
                raise AuthError("the token is not valid yet") from None
            except pyjwt.InvalidIssuerError:
                raise AuthError("the token's issuer is not accepted") from None
            except pyjwt.InvalidAudienceError:
                raise AuthError("the token's audience is not accepted") from None
            except pyjwt.MissingRequiredClaimError as e:
                raise AuthError(f"the token lacks the {e.claim!r} claim") from None
            except (pyjwt.PyJWTError, ValueError, TypeError):
                raise AuthError("the token is invalid") from None
            if not isinstance(claims, dict):
                raise AuthError("the token is invalid")
            return claims
        raise AuthError("the token's signature does not verify")

    async def _candidates(self, kid: str | None, alg: str) -> tuple[list[Key], list[Key]]:
        """Keys for `alg` whose kid is the token's (exact), and keys without a kid, which
        any token may try (loose). A token without a kid tries every key for `alg`."""
        exact: list[Key] = []
        loose: list[Key] = []
        for src in self.sources:
            for k in await src.current():
                if alg not in k.algorithms:
                    continue
                if kid is None or k.kid == kid:
                    exact.append(k)
                elif k.kid is None:
                    loose.append(k)
        return exact, loose

    async def aclose(self) -> None:
        for src in self.sources:
            if isinstance(src, JwksUrl):  # the only source holding a connection
                await src.aclose()


def _raise(message: str) -> NoReturn:
    raise AuthError(message)
