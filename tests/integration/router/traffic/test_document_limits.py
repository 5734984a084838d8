"""Documents made up to cost memory and CPU, against a router process:
padded distinct documents keep the router's memory bounded, a document over
`max_document_bytes` is refused before it is lexed, the token limit counts comments, and the
cheap checks (rate limit) come before parsing."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.harness import post

Q = "{ reviews { id } }"


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def padded(i: int, size: int) -> str:
    return f"# {'x' * size} {i}\n{Q}"


def test_padded_distinct_documents_keep_memory_bounded(make_router_process):
    r = make_router_process("plan:\n  document_cache_bytes: 4000000\n")
    with httpx.Client(timeout=30) as client:
        assert client.post(r.url, json={"query": Q}).status_code == 200
        before = rss_bytes(r.proc.pid)
        for i in range(400):
            resp = client.post(r.url, json={"query": padded(i, 100_000)})
            assert resp.status_code == 200 and len(resp.json()["data"]["reviews"]) == 6
        grown = rss_bytes(r.proc.pid) - before
        # 400 documents of 100 kB are ~90 MB when all are kept (a cache bounded only by entries).
        # Bound: the document cache's 4 MB plus what the plan cache (bounded at 64 MB of its
        # own estimate, 4 bytes per character of the document) keeps alive: ~40 MB.
        assert grown < 60_000_000, f"router grew by {grown / 1e6:.0f} MB"
        assert client.post(r.url, json={"query": Q}).status_code == 200


def test_document_over_max_document_bytes_is_refused_unparsed(make_router_process):
    r = make_router_process("limits:\n  max_document_bytes: 100000\n")
    with httpx.Client(timeout=30) as client:
        before = rss_bytes(r.proc.pid)
        for i in range(400):
            resp = client.post(r.url, json={"query": padded(i, 1_900_000)})
            assert resp.status_code == 400, resp.text
            assert resp.json()["errors"][0]["extensions"]["code"] == "MAX_DOCUMENT_BYTES_LIMIT"
        grown = rss_bytes(r.proc.pid) - before
        assert grown < 50_000_000, f"router grew by {grown / 1e6:.0f} MB"
        assert client.post(r.url, json={"query": padded(0, 1000)}).status_code == 200


def test_token_limit_counts_comments(make_router):
    r = make_router("limits:\n  max_tokens: 20\n")
    assert post(r.url, Q).status_code == 200
    commented = "".join(f"# {i}\n" for i in range(30)) + Q
    resp = post(r.url, commented)
    assert resp.status_code == 400 and resp.json()["errors"][0]["extensions"]["code"] == "MAX_TOKENS_LIMIT"


def test_a_client_over_its_rate_limit_is_refused_before_its_document_is_lexed(make_router):
    r = make_router("limits:\n  max_tokens: 20\nrate_limit:\n  per_client: { requests: 1, window: 60 }\n")
    assert post(r.url, Q).status_code == 200
    resp = post(r.url, "{ reviews { " + "id " * 50 + "} }")
    assert resp.status_code == 429 and resp.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
