"""Request limits and subgraph resilience (`limits:`).

Operation shape, checked before planning (a refused operation costs no subgraph work):
`max_depth` (root fields are depth 1, fragments add no level), `max_aliases`, `max_root_fields`
(fragments expanded; each fragment is measured once, so fragment fan-out cannot blow up the
count's own cost) and `max_tokens` (every token the lexer reads, comments included, counted by
the parser itself, which stops at the limit; parsing runs after the JWT and rate-limit checks).
`max_document_bytes` refuses a longer query text before anything else looks at it, so a
document padded with a huge comment costs neither lexing nor a place in the document cache.
HTTP (read by http.py): `max_request_bytes` (413 before the body is read past it) and
`request_timeout` (504). Batched requests (JSON arrays) are accepted only with `max_batch_size` > 1.
Subgraph fetches: `retry` re-sends failed fetches of queries (never of mutations) with
exponential backoff and jitter; `circuit_breaker` opens per subgraph after consecutive
failures (see breaker.py). Only what is configured is hooked into the request path.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import FieldNode, FragmentDefinitionNode, FragmentSpreadNode, InlineFragmentNode, SelectionSetNode
from pydantic import Field

from shared.lru import LRU

from ..breaker import CircuitBreaker
from ..config import Config
from ..errors import SubgraphError
from ..operation import Operation
from ..pipeline import Context, HeadersSend
from ..settings import Duration, Settings, validate
from .base import Hook, Plugin

SECTION = "limits"
DEFAULT_MAX_REQUEST_BYTES = 2_000_000


@dataclass
class Retry:
    attempts: int = 2  # re-sends after the first failure
    backoff: float = 0.05  # seconds before the first re-send, doubled each time
    max_backoff: float = 1.0


@dataclass
class LimitsConfig:
    max_depth: int | None = None
    max_aliases: int | None = None
    max_root_fields: int | None = None
    max_tokens: int | None = None
    max_document_bytes: int | None = None
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    request_timeout: float | None = None
    retry: Retry | None = None
    breaker_failures: int | None = None
    breaker_cool_down: float = 10.0
    max_batch_size: int = 1  # 1: a JSON array of operations is refused


class RetrySettings(Settings):
    attempts: int = Field(2, ge=1)
    backoff: float = Field(0.05, ge=0)
    max_backoff: float = Field(1.0, ge=0)


class BreakerSettings(Settings):
    failures: int = Field(5, ge=1)
    cool_down: Duration = 10.0


class LimitsSettings(Settings):
    """`limits:` in router.yaml."""

    max_depth: int | None = Field(None, ge=1)
    max_aliases: int | None = Field(None, ge=0)
    max_root_fields: int | None = Field(None, ge=1)
    max_tokens: int | None = Field(None, ge=1)
    max_document_bytes: int | None = Field(None, ge=1)
    max_request_bytes: int = Field(DEFAULT_MAX_REQUEST_BYTES, ge=1)
    request_timeout: Duration | None = None
    retry: RetrySettings | None = None
    circuit_breaker: BreakerSettings | None = None
    max_batch_size: int = Field(1, ge=1)


def parse(raw: Any) -> LimitsConfig:
    """A raw section (a test, a tool) read as the plugin reads its validated one."""
    return config_of(validate(LimitsSettings, SECTION, raw))


def config_of(s: LimitsSettings) -> LimitsConfig:
    r, b = s.retry, s.circuit_breaker
    return LimitsConfig(
        max_depth=s.max_depth, max_aliases=s.max_aliases, max_root_fields=s.max_root_fields,
        max_tokens=s.max_tokens, max_document_bytes=s.max_document_bytes, max_request_bytes=s.max_request_bytes,
        request_timeout=s.request_timeout,
        retry=Retry(r.attempts, r.backoff, r.max_backoff) if r is not None else None,
        breaker_failures=b.failures if b is not None else None,
        breaker_cool_down=b.cool_down if b is not None else 10.0,
        max_batch_size=s.max_batch_size)


# ---------------------------------------------------------------------------------- measuring
@dataclass(frozen=True)
class Shape:
    depth: int  # deepest field nesting below (and including) this selection set
    aliases: int
    fields: int  # fields directly in this selection set (fragments inlined)


def measure(selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], memo: dict[str, Shape] | None = None) -> Shape:
    memo = {} if memo is None else memo
    depth = aliases = fields = 0
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            fields += 1
            d = 1
            if sel.alias is not None:
                aliases += 1
            if sel.selection_set is not None:
                sub = measure(sel.selection_set, fragments, memo)
                d += sub.depth
                aliases += sub.aliases
            depth = max(depth, d)
            continue
        if isinstance(sel, InlineFragmentNode):
            sub = measure(sel.selection_set, fragments, memo)
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            known = memo.get(name)
            if known is not None:
                sub = known
            else:
                frag = fragments.get(name)
                if frag is None:
                    continue
                memo[name] = Shape(0, 0, 0)  # a cycle (refused by validation anyway) ends here
                sub = memo[name] = measure(frag.selection_set, fragments, memo)
        else:
            continue
        depth = max(depth, sub.depth)
        aliases += sub.aliases
        fields += sub.fields
    return Shape(depth, aliases, fields)


def _introspection_only(op: Operation) -> bool:
    """Schema introspection (GraphiQL's own query is 15 levels deep) is answered by the router
    from the API schema without any subgraph work, so the depth limit leaves it alone."""
    sels = op.definition.selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value.startswith("__") for s in sels)


def _refuse(ctx: Context, message: str, code: str) -> dict[str, Any]:
    ctx.status = 400
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


# ---------------------------------------------------------------------------------- plugin
# Failures a re-send cannot fix: the same query gets the same too-large answer again.
NOT_RETRIED = frozenset({"SUBGRAPH_RESPONSE_TOO_LARGE"})


class Limits(Plugin[LimitsSettings]):
    section = SECTION
    settings = LimitsSettings

    def __init__(self, cfg: LimitsConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.cfg = cfg
        self.clock = clock  # the breakers' (their cool-down)
        self.max_request_bytes = cfg.max_request_bytes
        self.request_timeout = cfg.request_timeout
        self.max_batch_size = cfg.max_batch_size
        self.breakers: dict[str, CircuitBreaker] = {}
        self._shapes: LRU[Any, Any] = LRU(2048)
        # Hooks are used only when something is configured: an unused hook costs nothing.
        hooks: set[Hook] = set()
        if cfg.max_tokens is not None or cfg.max_document_bytes is not None:
            hooks.add("on_request")
        if cfg.max_depth is not None or cfg.max_aliases is not None or cfg.max_root_fields is not None:
            hooks.add("on_operation")
        if cfg.retry is not None or cfg.breaker_failures is not None:
            hooks.add("wrap_send")
        self._hooks = frozenset(hooks)

    @classmethod
    def from_config(cls, s: LimitsSettings, config: Config) -> "Limits":
        return cls(config_of(s))

    def hooks(self) -> frozenset[Hook]:
        return self._hooks

    async def on_request(self, ctx: Context) -> dict[str, Any] | None:
        limit = self.cfg.max_document_bytes
        query = ctx.request.query
        # len() counts code points: at most 4 bytes each, so most documents need no encoding
        if limit is not None and len(query) * 4 > limit and len(query.encode()) > limit:
            return _refuse(ctx, f"Operation document is larger than {limit} bytes.", "MAX_DOCUMENT_BYTES_LIMIT")
        ctx.max_tokens = self.cfg.max_tokens
        return None

    async def on_operation(self, ctx: Context) -> dict[str, Any] | None:
        op = ctx.operation
        assert op is not None  # on_operation: the operation is parsed
        key = (op.document.text, op.name)
        shape = self._shapes.get(key)
        if shape is None:
            shape = measure(op.definition.selection_set, op.document.fragments)
            self._shapes.put(key, shape)
        cfg = self.cfg
        if cfg.max_depth is not None and shape.depth > cfg.max_depth and not _introspection_only(op):
            return _refuse(ctx, f"Operation is {shape.depth} levels deep; the limit is {cfg.max_depth}.",
                           "MAX_DEPTH_LIMIT")
        if cfg.max_aliases is not None and shape.aliases > cfg.max_aliases:
            return _refuse(ctx, f"Operation uses {shape.aliases} aliases; the limit is {cfg.max_aliases}.",
                           "MAX_ALIASES_LIMIT")
        if cfg.max_root_fields is not None and shape.fields > cfg.max_root_fields:
            return _refuse(ctx, f"Operation selects {shape.fields} root fields; the limit is {cfg.max_root_fields}.",
                           "MAX_ROOT_FIELDS_LIMIT")
        return None

    def breaker(self, service: str) -> CircuitBreaker | None:
        if self.cfg.breaker_failures is None:
            return None
        b = self.breakers.get(service)
        if b is None:
            b = self.breakers[service] = CircuitBreaker(self.cfg.breaker_failures, self.cfg.breaker_cool_down,
                                                          self.clock)
        return b

    def wrap_send(self, ctx: Context, send: HeadersSend) -> HeadersSend:
        op = ctx.operation
        retry = self.cfg.retry if op is not None and op.kind == "query" else None

        async def guarded(service: str, body: bytes, headers: dict[str, str] | None) -> dict[str, Any]:
            attempt = 0
            while True:
                br = self.breaker(service)
                if br is not None and not br.allow():
                    raise SubgraphError(service, f'Circuit breaker open for subgraph "{service}": failing fast '
                                                 f"after repeated failures (next try in {br.retry_in():.1f} s)",
                                        "SUBGRAPH_CIRCUIT_OPEN")
                try:
                    result = await send(service, body, headers)
                except SubgraphError as e:
                    if br is not None:
                        br.failure()
                    if retry is None or attempt >= retry.attempts or e.code in NOT_RETRIED:
                        raise
                    delay = min(retry.max_backoff, retry.backoff * (2 ** attempt)) * random.uniform(0.5, 1.0)
                    attempt += 1
                    await asyncio.sleep(delay)
                    continue
                except BaseException:
                    if br is not None:
                        br.abandon()
                    raise
                if br is not None:
                    br.success()
                return result

        return guarded


def build(config: Config) -> Limits | None:
    s = config.section(SECTION, LimitsSettings)
    return Limits(config_of(s)) if s is not None else None
