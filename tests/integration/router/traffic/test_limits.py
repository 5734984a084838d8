"""Each limit of `limits:` against a running router: operation shape, tokens, body size,
batches, request timeout, retries (queries only) and the per-subgraph circuit breaker."""

from __future__ import annotations

import time

import httpx

from router.plugins.limits import Limits
from tests.support.clock import FakeClock
from tests.support.harness import post

GQL = "application/graphql-response+json"


def code(resp) -> str:
    return resp.json()["errors"][0]["extensions"]["code"]


def test_operation_shape_limits(make_router):
    r = make_router("limits:\n  max_depth: 3\n  max_aliases: 2\n  max_root_fields: 2\n")
    ok = post(r.url, "{ users { reviews { id } } }", headers={"accept": GQL})
    assert ok.status_code == 200 and ok.json()["data"]["users"][0]["reviews"]
    deep = post(r.url, "{ users { reviews { product { upc } } } }", headers={"accept": GQL})
    assert deep.status_code == 400 and code(deep) == "MAX_DEPTH_LIMIT"
    assert "4 levels deep; the limit is 3" in deep.json()["errors"][0]["message"]
    via_fragment = post(r.url, "{ users { ...U } } fragment U on User { reviews { product { upc } } }")
    assert code(via_fragment) == "MAX_DEPTH_LIMIT"
    aliases = post(r.url, "{ a: reviews { id } b: reviews { id } c: reviews { id } }")
    assert code(aliases) in ("MAX_ALIASES_LIMIT", "MAX_ROOT_FIELDS_LIMIT")
    aliases = post(r.url, "{ reviews { a: id b: id c: id } }")
    assert code(aliases) == "MAX_ALIASES_LIMIT"
    roots = post(r.url, "{ reviews { id } users { id } ... on Query { me { id } } }")
    assert code(roots) == "MAX_ROOT_FIELDS_LIMIT"
    # introspection is answered by the router itself: GraphiQL's deep query is allowed
    intro = post(r.url, "{ __schema { types { fields { type { ofType { ofType { name } } } } } } }")
    assert intro.status_code == 200 and "errors" not in intro.json()


def test_token_limit_refuses_before_parsing(make_router):
    r = make_router("limits:\n  max_tokens: 20\n")
    assert post(r.url, "{ reviews { id } }").status_code == 200
    big = post(r.url, "{ reviews { " + "id " * 30 + "} }", headers={"accept": GQL})
    assert big.status_code == 400 and code(big) == "MAX_TOKENS_LIMIT"


def test_request_body_size_and_batches(make_router):
    r = make_router("limits:\n  max_request_bytes: 1000\n")
    assert post(r.url, "{ reviews { id } }").status_code == 200
    big = post(r.url, "{ reviews { id } }" + " " * 2000)
    assert big.status_code == 413 and code(big) == "PAYLOAD_TOO_LARGE"
    # without Content-Length (chunked): refused while streaming
    chunked = httpx.post(r.url, content=iter([b'{"query": "', b" " * 600, b" " * 600, b'{ reviews { id } }"}']),
                         headers={"content-type": "application/json"})
    assert chunked.status_code == 413
    batch = httpx.post(r.url, json=[{"query": "{ reviews { id } }"}, {"query": "{ users { id } }"}])
    assert batch.status_code == 400 and code(batch) == "BATCHING_NOT_SUPPORTED"


def test_batches_up_to_the_configured_size(make_router):
    r = make_router("limits:\n  max_batch_size: 3\n")
    single = {q: post(r.url, q).json() for q in ("{ reviews { id } }", "{ users { id name } }")}
    batch = httpx.post(r.url, json=[
        {"query": "{ reviews { id } }"},
        {"query": "query Other { reviews { id } } query Named { users { id name } }", "operationName": "Named"},
        {"query": "{ nope }"},
    ])
    assert batch.status_code == 200
    first, second, third = batch.json()
    assert first == single["{ reviews { id } }"] and second == single["{ users { id name } }"]
    assert third["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" and "data" not in third
    malformed = httpx.post(r.url, json=[{"query": "{ reviews { id } }"}, "not an operation"]).json()
    assert malformed[0]["data"]["reviews"] and malformed[1]["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    too_many = httpx.post(r.url, json=[{"query": "{ reviews { id } }"}] * 4)
    assert too_many.status_code == 400 and code(too_many) == "BATCH_LIMIT_EXCEEDED"
    empty = httpx.post(r.url, json=[])
    assert empty.status_code == 400 and code(empty) == "BAD_REQUEST"


def test_request_timeout(make_router, stub):
    stub.delay = 2.0
    r = make_router(f"limits:\n  request_timeout: 0.5\nsubgraphs:\n  legacy:\n    url: {stub.url}\n")
    started = time.monotonic()
    resp = post(r.url, "{ legacyStatus }")
    assert resp.status_code == 504 and code(resp) == "REQUEST_TIMEOUT"
    assert time.monotonic() - started < 1.8
    stub.delay = 0
    assert post(r.url, "{ legacyStatus }").json() == {"data": {"legacyStatus": "ok"}}


def test_queries_are_retried_with_backoff_mutations_never(make_router, stub):
    cfg = f"""
limits:
  retry: {{ attempts: 2, backoff: 0.01 }}
subgraphs:
  legacy: {{ url: "{stub.url}" }}
  reviews: {{ url: "{stub.url}" }}
"""
    r = make_router(cfg)
    stub.fail_next = 2  # two failures, then the third attempt succeeds
    assert post(r.url, "{ legacyStatus }").json() == {"data": {"legacyStatus": "ok"}}
    assert len(stub.requests) == 3
    stub.mode = "fail"
    resp = post(r.url, "{ legacyStatus }").json()
    assert len(stub.requests) == 3 + 3 and resp["data"] == {"legacyStatus": None}
    assert resp["errors"][0]["extensions"] == {"code": "SUBGRAPH_REQUEST_FAILED", "serviceName": "legacy"}
    before = len(stub.requests)
    resp = post(r.url, 'mutation { addReview(upc: "1", body: "b", rating: 5) { id } }').json()
    assert resp["data"] is None and resp["errors"][0]["extensions"]["serviceName"] == "reviews"
    assert len(stub.requests) == before + 1  # a mutation is sent once


def test_circuit_breaker_fails_fast_then_half_opens(make_router, stub):
    r = make_router(f"limits:\n  circuit_breaker: {{ failures: 2, cool_down: 1 }}\n"
                    f"subgraphs:\n  legacy: {{ url: \"{stub.url}\" }}\n")
    clock = r.plugin(Limits).clock = FakeClock()
    q = "{ legacyStatus reviews { id } }"
    stub.mode = "fail"
    for _ in range(2):
        body = post(r.url, q).json()
        assert body["errors"][0]["extensions"]["code"] == "SUBGRAPH_REQUEST_FAILED"
    assert len(stub.requests) == 2
    body = post(r.url, q).json()
    assert len(stub.requests) == 2  # failed fast: the subgraph was not called
    (err,) = body["errors"]
    assert err["extensions"] == {"code": "SUBGRAPH_CIRCUIT_OPEN", "serviceName": "legacy"}
    assert 'Circuit breaker open for subgraph "legacy"' in err["message"]
    assert body["data"]["legacyStatus"] is None and len(body["data"]["reviews"]) == 6  # the rest answered
    stub.mode = "ok"
    clock.advance(1.0)  # the cool-down has passed
    assert post(r.url, q).json()["data"]["legacyStatus"] == "ok"  # the half-open trial succeeded
    assert post(r.url, q).json()["data"]["legacyStatus"] == "ok"
    assert len(stub.requests) == 4
