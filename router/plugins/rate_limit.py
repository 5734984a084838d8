"""Rate limits (`rate_limit:`): per client, global and per operation name.

The client is the JWT `sub` when the jwt plugin verified a token, else the client's IP address;
`X-Forwarded-For` is believed only hop by hop from peers inside `trusted_proxies`, so a client
cannot pick its own identity by sending the header.

Windows are exact: a limit of N per window W allows N requests from the first one on, refuses
the N+1st with HTTP 429, `Retry-After` and a `RATE_LIMITED` error, and allows N again once W
has passed (a fixed window, as the classic gateway's express-rate-limit counted). The same
windows are counted in process memory (the default) or in Redis by an atomic Lua script, so
several router instances share one count. `algorithm: leaky_bucket` smooths instead (aiolimiter's
leaky bucket: bursts of N, then one request per W/N; memory only).

All limits of one stage are checked and counted together: a refused request consumes nothing.
Memory stays bounded: windows that ended are dropped as time passes, and at most `max_clients`
windows are kept per limit (the oldest go first; losing one forgives that client's count).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Literal

from aiolimiter import AsyncLimiter
from pydantic import Field

from ..config import Config, ConfigError
from ..pipeline import Context
from ..settings import Duration, Settings, validate
from .base import Plugin

log = logging.getLogger("router.rate_limit")

SECTION = "rate_limit"


@dataclass(frozen=True)
class Limit:
    name: str  # "client", "global", "operation" (reported in the error and the metrics)
    requests: int
    window: float  # seconds


Check = tuple[str, Limit]  # (counter key, limit)
Refusal = tuple[Limit, float]  # (the limit hit, seconds until it allows again)


# ---------------------------------------------------------------------------------- stores
class MemoryWindows:
    """Fixed windows in process memory: one ordered map per limit, key -> [count, window end].
    A limit has one window length, so each map is ordered by window end and expired windows
    are dropped from its front."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_keys = max_keys
        self.clock = clock
        self.maps: dict[Limit, OrderedDict[str, list[Any]]] = {}  # key -> [hits (int), window end]

    def __len__(self) -> int:
        return sum(len(m) for m in self.maps.values())

    async def hit(self, checks: list[Check]) -> Refusal | None:
        return self.hit_now(checks)

    def hit_now(self, checks: list[Check]) -> Refusal | None:
        now = self.clock()
        maps = self.maps
        for key, limit in checks:
            m = maps.get(limit)
            if m is None:
                m = maps[limit] = OrderedDict()
            while m:  # drop ended windows (oldest first)
                first = next(iter(m.values()))
                if first[1] > now:
                    break
                m.popitem(last=False)
            e = m.get(key)
            if e is not None and e[0] >= limit.requests:
                return limit, e[1] - now
        for key, limit in checks:
            m = maps[limit]
            e = m.get(key)
            if e is None:
                m[key] = [1, now + limit.window]
                if len(m) > self.max_keys:
                    m.popitem(last=False)
            else:
                e[0] += 1
        return None

    def remaining(self, key: str, limit: Limit) -> tuple[int, float]:
        """(requests left, seconds until the window ends) for one counter, after a hit."""
        m = self.maps.get(limit)
        e = m.get(key) if m is not None else None
        if e is None:
            return limit.requests, limit.window
        return max(0, limit.requests - e[0]), max(0.0, e[1] - self.clock())

    async def aclose(self) -> None:
        pass


class MemoryBuckets:
    """Leaky buckets (aiolimiter): up to N at once, then N per window evenly. A bucket idle for
    a whole window has leaked empty, the same as a new one, so it is dropped."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_keys = max_keys
        self.clock = clock
        self.maps: dict[Limit, OrderedDict[str, tuple[AsyncLimiter, float]]] = {}

    def __len__(self) -> int:
        return sum(len(m) for m in self.maps.values())

    async def hit(self, checks: list[Check]) -> Refusal | None:
        now = self.clock()
        picked = []
        for key, limit in checks:
            m = self.maps.get(limit)
            if m is None:
                m = self.maps[limit] = OrderedDict()
            while m:
                first = next(iter(m.values()))
                if first[1] + limit.window > now:
                    break
                m.popitem(last=False)
            got = m.get(key)
            bucket = got[0] if got is not None else AsyncLimiter(limit.requests, limit.window)
            if not bucket.has_capacity():
                return limit, limit.window / limit.requests
            picked.append((m, key, bucket))
        for m, key, bucket in picked:
            await bucket.acquire()  # has capacity: returns without waiting
            m[key] = (bucket, now)
            m.move_to_end(key)
            if len(m) > self.max_keys:
                m.popitem(last=False)
        return None

    async def aclose(self) -> None:
        pass


# Checks every limit first and counts only when all allow, atomically for all router instances.
# KEYS: counter keys; ARGV: requests and window (ms) for each key in turn.
# Returns {} when allowed, else {index of the limit hit (1-based), ms until its window ends}.
_LUA = """
for i, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then
      redis.call('PEXPIRE', key, ARGV[2 * i])
      ttl = tonumber(ARGV[2 * i])
    end
    return {i, ttl}
  end
end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then
    redis.call('PEXPIRE', key, ARGV[2 * i])
  end
end
return {}
"""


class RedisWindows:
    """The same fixed windows in Redis, shared by every router instance with the same prefix.
    When Redis cannot be reached the request is allowed (and logged): the limit protects the
    subgraphs, an outage of the limiter should not take the API down."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        self._client: Any = None
        self._script: Any = None
        self._last_warning = 0.0

    async def hit(self, checks: list[Check]) -> Refusal | None:
        if self._client is None:
            import redis.asyncio as aioredis

            self._client = aioredis.from_url(self.url, socket_timeout=1.0, socket_connect_timeout=1.0)
            self._script = self._client.register_script(_LUA)
        keys = [self.prefix + key for key, _ in checks]
        args: list[int] = []
        for _, limit in checks:
            args += [limit.requests, max(1, round(limit.window * 1000))]
        try:
            res = await self._script(keys=keys, args=args)
        except Exception as e:  # redis.RedisError, OSError, timeouts
            now = time.monotonic()
            if now - self._last_warning > 10:
                self._last_warning = now
                log.warning("rate limit store unavailable, allowing requests: %s", e)
            return None
        if not res:
            return None
        return checks[int(res[0]) - 1][1], int(res[1]) / 1000.0

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


# ---------------------------------------------------------------------------------- client address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(addr: str, proxies: list[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def resolve_client_ip(peer: str | None, forwarded_for: str | None, proxies: list[Network]) -> str:
    """Walk X-Forwarded-For from the right while the hop that wrote the entry is a trusted
    proxy; the first address a trusted proxy vouches for but that is not itself a proxy is the
    client. Without a trusted peer the header is ignored (anyone can send it)."""
    addr = peer or "unknown"
    if not proxies or not forwarded_for or not _trusted(addr, proxies):
        return addr
    for hop in reversed(forwarded_for.split(",")):
        hop = hop.strip()
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return addr  # garbage written before our proxies: keep the last address we trust
        addr = hop
        if not _trusted(hop, proxies):
            return hop
    return addr


# ---------------------------------------------------------------------------------- config
class LimitSettings(Settings):
    requests: int = Field(ge=1, description="how many requests per window")
    window: Duration = Field(description="seconds, or a duration like 15m")


class RedisSettings(Settings):
    url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "router:rate_limit:"


class RateLimitSettings(Settings):
    """`rate_limit:` in router.yaml."""

    per_client: LimitSettings | None = None
    per_ip: LimitSettings | None = None
    global_: LimitSettings | None = Field(None, alias="global")
    per_operation: dict[str, LimitSettings] = {}
    trusted_proxies: list[str] = []
    store: Literal["memory", "redis"] = "memory"
    algorithm: Literal["fixed_window", "leaky_bucket"] = "fixed_window"
    max_clients: int = Field(100_000, ge=1)
    redis: RedisSettings = RedisSettings()


@dataclass
class RateLimitConfig:
    per_client: Limit | None = None
    per_ip: Limit | None = None  # over all identities signed in from one address
    global_: Limit | None = None
    per_operation: dict[str, Limit] | None = None
    trusted_proxies: list[Network] | None = None
    store: str = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "router:rate_limit:"
    algorithm: str = "fixed_window"
    max_clients: int = 100_000


def _limit(name: str, s: LimitSettings | None) -> Limit | None:
    return None if s is None else Limit(name, s.requests, s.window)


def parse(raw: Any) -> RateLimitConfig:
    """A raw section (a test, a tool) read as the plugin reads its validated one."""
    return config_of(validate(RateLimitSettings, SECTION, raw))


def config_of(s: RateLimitSettings) -> RateLimitConfig:
    cfg = RateLimitConfig(per_client=_limit("client", s.per_client), per_ip=_limit("ip", s.per_ip),
                          global_=_limit("global", s.global_), store=s.store, algorithm=s.algorithm,
                          max_clients=s.max_clients, redis_url=s.redis.url, redis_prefix=s.redis.key_prefix)
    cfg.per_operation = {name: Limit("operation", op.requests, op.window) for name, op in s.per_operation.items()}
    proxies = []
    for i, text in enumerate(s.trusted_proxies):
        try:
            proxies.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ConfigError(f"{SECTION}.trusted_proxies[{i}]: not an IP address or CIDR: {text!r}") from None
    cfg.trusted_proxies = proxies
    if cfg.store == "redis" and cfg.algorithm != "fixed_window":
        raise ConfigError(f"{SECTION}.algorithm: leaky_bucket is memory only; use fixed_window with store: redis")
    return cfg


# ---------------------------------------------------------------------------------- plugin
class RateLimit(Plugin[RateLimitSettings]):
    """on_request: client and global limits (before parsing, so floods of invalid documents are
    limited too); on_operation: per-operation limits by the operation actually selected (a
    client cannot dodge one by leaving out `operationName`)."""

    section = SECTION
    settings = RateLimitSettings

    @classmethod
    def from_config(cls, s: RateLimitSettings, config: Config) -> "RateLimit | None":
        """None when no limit is configured (a section with only trusted_proxies limits nothing)."""
        cfg = config_of(s)
        if cfg.per_client is None and cfg.per_ip is None and cfg.global_ is None and not cfg.per_operation:
            return None
        return cls(cfg)

    def __init__(self, cfg: RateLimitConfig, store: Any = None) -> None:
        self.cfg = cfg
        self.proxies = cfg.trusted_proxies or []
        if store is None:
            if cfg.store == "redis":
                store = RedisWindows(cfg.redis_url, cfg.redis_prefix)
            elif cfg.algorithm == "leaky_bucket":
                store = MemoryBuckets(cfg.max_clients)
            else:
                store = MemoryWindows(cfg.max_clients)
        self.store = store
        self.per_operation = cfg.per_operation or {}

    def client_key(self, ctx: Context) -> str:
        req = ctx.request
        if ctx.client_ip is None:
            ctx.client_ip = resolve_client_ip(req.remote_addr, req.headers.get("x-forwarded-for"), self.proxies)
        claims = ctx.claims
        if claims and isinstance(claims.get("sub"), str) and claims["sub"]:
            sub: str = claims["sub"]
            return "sub:" + sub
        return "ip:" + ctx.client_ip

    async def on_request(self, ctx: Context) -> dict[str, Any] | None:
        client = self.client_key(ctx)
        checks: list[Check] = []
        if self.cfg.global_ is not None:
            checks.append(("global", self.cfg.global_))
        if self.cfg.per_client is not None:
            checks.append(("client:" + client, self.cfg.per_client))
        if self.cfg.per_ip is not None:
            assert ctx.client_ip is not None  # client_key resolved it
            checks.append(("ip:" + ctx.client_ip, self.cfg.per_ip))
        if not checks:
            return None
        refused = await self.store.hit(checks)
        self._headers(ctx, checks, refused)
        return None if refused is None else self._refuse(ctx, *refused)

    def _headers(self, ctx: Context, checks: list[Check], refused: Refusal | None) -> None:
        """`RateLimit-Policy` (every limit applied: quota q per window w seconds) and
        `RateLimit` (the limit closest to refusing: r left, t seconds to its reset), as the
        IETF httpapi draft defines them; the remaining count needs a store that can tell it
        (fixed windows in memory), the policy is always sent."""
        headers = ctx.request.response_headers
        headers["ratelimit-policy"] = ", ".join(
            f'"{limit.name}";q={limit.requests};w={math.ceil(limit.window)}' for _, limit in checks)
        if refused is not None:
            limit, retry_after = refused
            headers["ratelimit"] = f'"{limit.name}";r=0;t={max(1, math.ceil(retry_after))}'
            return
        if not isinstance(self.store, MemoryWindows):  # only fixed windows in memory can tell what is left
            return
        states = [(*self.store.remaining(key, limit), limit.name) for key, limit in checks]
        left, reset, name = min(states)
        headers["ratelimit"] = f'"{name}";r={left};t={math.ceil(reset)}'

    async def count_failed_auth(self, ctx: Context) -> dict[str, Any] | None:
        """A request whose token was refused counts as its IP's (an attacker's bad tokens
        cannot be free): 429 once the IP's budget is spent, else None (the 401 follows)."""
        ctx.claims = None
        ip = self.client_key(ctx)  # without claims: "ip:<address>"
        checks: list[Check] = []
        if self.cfg.global_ is not None:
            checks.append(("global", self.cfg.global_))
        if self.cfg.per_client is not None:
            checks.append(("client:" + ip, self.cfg.per_client))
        if self.cfg.per_ip is not None:
            checks.append((ip, self.cfg.per_ip))
        if not checks:
            return None
        refused = await self.store.hit(checks)
        self._headers(ctx, checks, refused)
        return None if refused is None else self._refuse(ctx, *refused)

    async def on_operation(self, ctx: Context) -> dict[str, Any] | None:
        if not self.per_operation:
            return None
        name = ctx.operation.name if ctx.operation is not None else None
        limit = self.per_operation.get(name) if name else None
        if limit is None:
            return None
        refused = await self.store.hit([(f"operation:{name}:{self.client_key(ctx)}", limit)])
        return None if refused is None else self._refuse(ctx, *refused)

    def _refuse(self, ctx: Context, limit: Limit, retry_after: float) -> dict[str, Any]:
        seconds = max(1, math.ceil(retry_after))
        ctx.status = 429
        ctx.request.response_headers["retry-after"] = str(seconds)
        window = f"{limit.window:g} s"
        return {"errors": [{
            "message": f"Rate limit exceeded ({limit.requests} requests per {window}, {limit.name}); "
                       f"retry after {seconds} s.",
            "extensions": {"code": "RATE_LIMITED", "limit": limit.name, "retryAfter": seconds},
        }]}

    async def aclose(self) -> None:
        await self.store.aclose()


def build(config: Config) -> RateLimit | None:
    """No section, or a section without any limit: no plugin (the router with no config has
    no limit and pays nothing)."""
    s = config.section(SECTION, RateLimitSettings)
    return RateLimit.from_config(s, config) if s is not None else None

