"""CSRF prevention and CORS on a real router."""

import httpx
import pytest

QUERY = "{ public }"


@pytest.fixture(scope="module")
def router(module_security_router):
    return module_security_router("""
csrf:
  required_headers: [apollo-require-preflight, x-apollo-operation-name, x-shop-client]
cors:
  origins: [https://shop.test]
  origin_regex: "^https://[a-z0-9-]+\\\\.preview\\\\.shop\\\\.test$"
  allow_credentials: true
  max_age: 900
""")


def get(router, headers=None, query=QUERY):
    return httpx.get(router.url, params={"query": query}, headers=headers or {}, timeout=30)


def test_get_without_preflight_header_is_refused(router):
    r = get(router)
    assert r.status_code == 400
    assert r.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTION"
    assert "data" not in r.json()
    for header in ("apollo-require-preflight", "x-apollo-operation-name", "x-shop-client"):
        r = get(router, {header: "1"})
        assert r.status_code == 200 and r.json() == {"data": {"public": "hello"}}
    assert get(router, {"content-type": "application/json"}).status_code == 200
    r = get(router, {"content-type": "text/plain", "apollo-require-preflight": "1"})
    assert r.status_code == 400 and r.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTION"


def test_simple_posts_never_run(router, reset):
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        r = httpx.post(router.url, content=b'{"query":"mutation { bump }"}', headers={"content-type": ctype},
                       timeout=30)
        assert r.status_code in (400, 415), r.text
        assert "data" not in r.json()
    assert reset()["bumps"] == 0  # no authorization here: only CSRF/content type stood in the way
    r = httpx.get(router.url, params={"query": "mutation { bump }"}, timeout=30)
    assert r.status_code == 400 and reset()["bumps"] == 0
    r = httpx.post(router.url, json={"query": QUERY}, timeout=30)  # JSON forces a preflight: fine
    assert r.status_code == 200


def test_cors_preflight_for_allowed_and_refused_origins(router):
    for origin in ("https://shop.test", "https://pr-12.preview.shop.test"):
        r = httpx.options(router.url, headers={
            "origin": origin, "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, authorization, apollo-require-preflight"}, timeout=30)
        assert r.status_code == 200, r.text
        assert r.headers["access-control-allow-origin"] == origin
        assert r.headers["access-control-allow-credentials"] == "true"
        assert r.headers["access-control-max-age"] == "900"
        allowed = r.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed and "apollo-require-preflight" in allowed
    for origin in ("https://evil.test", "https://shop.test.evil.test", "https://x.preview.shop.test.evil.test"):
        r = httpx.options(router.url, headers={"origin": origin, "access-control-request-method": "POST"},
                          timeout=30)
        assert r.status_code == 400 and "access-control-allow-origin" not in r.headers


def test_cors_headers_on_actual_requests(router):
    r = httpx.post(router.url, json={"query": QUERY}, headers={"origin": "https://shop.test"}, timeout=30)
    assert r.headers["access-control-allow-origin"] == "https://shop.test"
    r = httpx.post(router.url, json={"query": QUERY}, headers={"origin": "https://evil.test"}, timeout=30)
    assert "access-control-allow-origin" not in r.headers


def test_no_cors_section_means_no_cross_origin_reads(module_security_router):
    bare = module_security_router("introspection: {enabled: true}\n")
    r = httpx.options(bare.url, headers={"origin": "https://shop.test", "access-control-request-method": "POST"},
                      timeout=30)
    assert "access-control-allow-origin" not in r.headers
