"""The router's bounds on what it holds for one subgraph, against a running router and a real
subgraph server: the size of an answer (`traffic.max_response_bytes`) and the connections open
at once (`traffic.max_connections_per_subgraph`), with either subgraph client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.integration.router.harness import post


@pytest.mark.parametrize("client", ["pool", "httpx"])
def test_an_answer_over_the_size_cap_fails_its_fetch(make_router, stub, client):
    r = make_router(f"traffic: {{ client: {client}, max_response_bytes: 2000 }}\n"
                    f"subgraphs:\n  legacy: {{ url: \"{stub.url}\" }}\n")
    stub.data = {"legacyStatus": "x" * 1500}
    assert post(r.url, "{ legacyStatus }").json() == {"data": {"legacyStatus": "x" * 1500}}
    stub.data = {"legacyStatus": "x" * 5000}
    resp = post(r.url, "{ legacyStatus }")
    assert resp.status_code == 200
    body = resp.json()
    assert body["data"] == {"legacyStatus": None}
    (err,) = body["errors"]
    assert err["extensions"] == {"code": "SUBGRAPH_RESPONSE_TOO_LARGE", "serviceName": "legacy"}
    assert "larger than 2000 bytes" in err["message"]
    stub.data = {"legacyStatus": "ok"}
    assert post(r.url, "{ legacyStatus }").json() == {"data": {"legacyStatus": "ok"}}


@pytest.mark.parametrize("client", ["pool", "httpx"])
def test_an_answer_over_the_size_cap_is_not_retried(make_router, stub, client):
    r = make_router(f"traffic: {{ client: {client}, max_response_bytes: 2000 }}\n"
                    "limits: { retry: { attempts: 3, backoff: 0 } }\n"
                    f"subgraphs:\n  legacy: {{ url: \"{stub.url}\" }}\n")
    stub.fail_next = 2  # a failure a re-send can fix is retried: the third request answers
    assert post(r.url, "{ legacyStatus }").json() == {"data": {"legacyStatus": "ok"}}
    assert len(stub.requests) == 3
    stub.requests.clear()
    stub.data = {"legacyStatus": "x" * 5000}
    body = post(r.url, "{ legacyStatus }").json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["SUBGRAPH_RESPONSE_TOO_LARGE"]
    assert len(stub.requests) == 1  # the same query would get the same too-large answer


@pytest.mark.parametrize("client", ["pool", "httpx"])
def test_fetches_beyond_the_connection_cap_wait_for_a_free_connection(make_router, stub, client):
    r = make_router(f"traffic: {{ client: {client}, max_connections_per_subgraph: 2 }}\n"
                    f"subgraphs:\n  legacy: {{ url: \"{stub.url}\" }}\n")
    stub.delay = 0.2
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: post(r.url, "{ legacyStatus }").json(), range(8)))
    assert answers == [{"data": {"legacyStatus": "ok"}}] * 8
    assert len(stub.requests) == 8
    assert stub.most_in_flight == 2  # never more than the cap, and the cap was used

