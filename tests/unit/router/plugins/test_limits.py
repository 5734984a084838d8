"""Operation measuring, the token limit and the byte-bounded document cache, the circuit breaker's states, limits config errors."""

from __future__ import annotations

import time

import pytest
from graphql import build_schema, parse

from router.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from router.config import ConfigError
from router.operation import DocumentCache, OperationError
from router.plugins import limits
from router.plugins.limits import measure


def shape(doc: str):
    d = parse(doc)
    op = next(x for x in d.definitions if x.kind == "operation_definition")
    frags = {x.name.value: x for x in d.definitions if x.kind == "fragment_definition"}
    return measure(op.selection_set, frags)


def test_depth_counts_fields_not_fragments():
    s = shape("""
      query { book { ...Details } other: reviews { id } }
      fragment Details on Book { details { ... on Inner { country } } }
    """)
    assert (s.depth, s.aliases, s.fields) == (3, 1, 2)


def test_root_fields_and_aliases_through_fragments():
    s = shape("query { a: x ...F ... on Query { c: z } } fragment F on Query { b: y d: y }")
    assert (s.fields, s.aliases) == (4, 4)


def test_fragment_fan_out_is_measured_in_linear_time():
    # each fragment spreads the next one twice: 2^40 fields once expanded
    frags = "".join(f"fragment F{i} on T {{ a{i}: f ...F{i + 1} ...F{i + 1} }}\n" for i in range(40))
    doc = "query { root { ...F0 } }\n" + frags + "fragment F40 on T { leaf }"
    started = time.perf_counter()
    s = shape(doc)
    assert time.perf_counter() - started < 1.0
    assert s.aliases == 2 ** 40 - 1  # counted as the server would execute them
    assert s.depth == 2


SCHEMA = build_schema("type Query { a: Int b(x: Int): Int c: Q } type Q { c: Int }")


def token_limit(doc: str, limit: int) -> str | None:
    try:
        DocumentCache(SCHEMA).get(doc, limit)
    except OperationError as e:
        return e.errors[0]["extensions"]["code"]
    return None


def test_token_limit_counts_every_token_the_lexer_reads():
    assert token_limit("{ a b(x: 1) c { c } }", 13) is None
    assert token_limit("{ a b(x: 1) c { c } }", 12) == "MAX_TOKENS_LIMIT"
    comments = "".join(f"# comment {i}\n" for i in range(100)) + "{ a }"
    assert token_limit(comments, 50) == "MAX_TOKENS_LIMIT"  # comments are tokens too
    assert token_limit('{ a(s: "unterminated) }', 100) == "GRAPHQL_PARSE_FAILED"


def test_document_cache_is_bounded_by_bytes():
    cache = DocumentCache(SCHEMA, max_entries=10_000, max_bytes=1_000_000)
    for i in range(200):
        cache.get(f"# {'x' * 20_000} {i}\n{{ a }}")  # distinct documents, each ~40 kB in the estimate
    assert 0 < cache.bytes <= 1_000_000
    assert len(cache._docs) < 30
    cache.get("{ a }")
    assert "{ a }" in cache._docs
    too_big = "# " + "x" * 2_000_000 + "\n{ a }"
    cache.get(too_big)  # answered, but never kept: it alone exceeds the bound
    assert too_big not in cache._docs and cache.bytes <= 1_000_000


def test_breaker_opens_after_consecutive_failures_and_half_opens_after_cool_down():
    now = [0.0]
    b = CircuitBreaker(3, 10.0, clock=lambda: now[0])
    for _ in range(2):
        assert b.allow()
        b.failure()
    assert b.allow()
    b.success()  # a success resets the count: failures must be consecutive
    for _ in range(3):
        assert b.allow()
        b.failure()
    assert b.state == OPEN and not b.allow()
    now[0] = 9.9
    assert not b.allow() and b.retry_in() == pytest.approx(0.1)
    now[0] = 10.0
    assert b.allow() and b.state == HALF_OPEN
    assert not b.allow()  # one trial at a time
    b.failure()
    assert b.state == OPEN and not b.allow()  # the trial failed: open for another cool-down
    now[0] = 20.0
    assert b.allow()
    b.abandon()  # cancelled trial: another may try
    assert b.allow()
    b.success()
    assert b.state == CLOSED and b.allow() and b.allow()


@pytest.mark.parametrize("section, message", [
    ({"max_depth": 0}, "limits.max_depth: must be at least 1"),
    ({"max_depth": "deep"}, "limits.max_depth: expected an integer"),
    ({"max_batch_size": 0}, "limits.max_batch_size: must be at least 1"),
    ({"retry": {"attempts": 2, "jitter": True}}, "limits.retry.jitter: unknown key"),
    ({"circuit_breaker": {"failures": 0}}, "limits.circuit_breaker.failures"),
    ({"request_timeout": -1}, "limits.request_timeout"),
    ({"max_dept": 3}, "limits.max_dept: unknown key"),
])
def test_config_errors_name_the_key(section, message):
    with pytest.raises(ConfigError) as e:
        limits.parse(section)
    assert message in str(e.value)


def test_only_configured_checks_are_hooked():
    only_depth = limits.Limits(limits.parse({"max_depth": 5}))
    assert only_depth.hooks() == {"on_operation"}
    resilient = limits.Limits(limits.parse({"circuit_breaker": {"failures": 2, "cool_down": "5s"}}))
    assert resilient.hooks() == {"wrap_send"}
    assert resilient.cfg.breaker_cool_down == 5.0
