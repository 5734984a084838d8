"""Automatic persisted queries and trusted documents on a real router."""

import hashlib
import json

import httpx
import pytest

Q = "query Hello { public counter }"
H = hashlib.sha256(Q.encode()).hexdigest()


def post(router, body):
    return httpx.post(router.url, json=body, timeout=30)


def code(r):
    return r.json()["errors"][0]["extensions"]["code"]


def ext(h=H):
    return {"persistedQuery": {"version": 1, "sha256Hash": h}}


def test_apq_round_trip_over_post_and_get(module_security_router, reset):
    router = module_security_router("persisted_queries: {apq: {cache_entries: 100}}\n")
    r = post(router, {"extensions": ext()})
    assert r.status_code == 200 and code(r) == "PERSISTED_QUERY_NOT_FOUND"
    r = post(router, {"query": Q, "extensions": ext()})
    assert r.json() == {"data": {"public": "hello", "counter": 0}}
    r = post(router, {"extensions": ext(), "operationName": "Hello"})
    assert r.json() == {"data": {"public": "hello", "counter": 0}}
    r = httpx.get(router.url, params={"extensions": json.dumps(ext())}, timeout=30)
    assert r.json() == {"data": {"public": "hello", "counter": 0}}
    r = post(router, {"query": "{ public }", "extensions": ext()})
    assert r.status_code == 400 and code(r) == "PERSISTED_QUERY_HASH_MISMATCH"
    r = post(router, {"extensions": {"persistedQuery": {"version": 9, "sha256Hash": H}}})
    assert r.status_code == 400 and code(r) == "PERSISTED_QUERY_UNSUPPORTED_VERSION"


def test_without_the_plugin_hash_only_requests_are_not_supported(module_security_router):
    router = module_security_router("introspection: {enabled: true}\n")
    r = post(router, {"extensions": ext()})
    assert r.status_code == 400 and code(r) == "PERSISTED_QUERY_NOT_SUPPORTED"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory):
    p = tmp_path_factory.mktemp("pq") / "persisted-query-manifest.json"
    p.write_text(json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [
        {"id": H, "name": "Hello", "type": "query", "body": Q},
        {"id": hashlib.sha256(b"mutation Open { open }").hexdigest(), "name": "Open", "type": "mutation",
         "body": "mutation Open { open }"}]}))
    return p


def test_trusted_documents_safelist(module_security_router, manifest):
    router = module_security_router(f"persisted_queries: {{manifest: {manifest}, safelist: true}}\n")
    assert post(router, {"extensions": ext()}).json()["data"]["public"] == "hello"
    assert post(router, {"query": "query Hello {\n  public\n  counter\n}"}).json()["data"]["public"] == "hello"
    r = post(router, {"query": "{ public }"})
    assert r.status_code == 400 and code(r) == "QUERY_NOT_IN_SAFELIST" and "data" not in r.json()
    r = post(router, {"extensions": ext("0" * 64)})
    assert r.status_code == 400 and code(r) == "PERSISTED_QUERY_NOT_IN_LIST"
    # registering through APQ is not a way in
    doc = "{ users { email } }"
    r = post(router, {"query": doc, "extensions": ext(hashlib.sha256(doc.encode()).hexdigest())})
    assert r.status_code == 400 and code(r) == "QUERY_NOT_IN_SAFELIST"


def test_require_id_and_log_only_modes(module_security_router, manifest):
    strict = module_security_router(f"persisted_queries: {{manifest: {manifest}, safelist: true, require_id: true}}\n")
    r = post(strict, {"query": Q})
    assert r.status_code == 400 and code(r) == "PERSISTED_QUERY_ID_REQUIRED"
    assert post(strict, {"extensions": ext()}).json()["data"]["public"] == "hello"
    audit = module_security_router(f"persisted_queries: {{manifest: {manifest}, safelist: true, log_unknown: true}}\n")
    assert post(audit, {"query": "{ public }"}).json() == {"data": {"public": "hello"}}
