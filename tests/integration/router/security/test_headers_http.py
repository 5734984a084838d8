"""Headers and claims forwarded to subgraphs, checked by the subgraphs themselves (they echo
the request headers and extensions they received)."""

import json

import pytest

from tests.support.harness import claims, gql

QUERY = "{ accountsHeaders { name value } reviewsHeaders { name value } extensionsSeen }"


def seen(body, field):
    return {h["name"]: h["value"] for h in body["data"][field]}


@pytest.fixture(scope="module")
def router(module_security_router, jwks):
    return module_security_router(f"""
jwt:
  jwks: [{{url: "{jwks.url}"}}]
headers:
  all:
    - propagate: {{named: authorization}}
    - propagate: {{named: traceparent}}
    - propagate: {{named: x-tenant, rename: x-tenant-id, default: public}}
    - propagate: {{matching: "^(x-shop-|proxy-|keep-alive)"}}
    - insert: {{name: x-gateway, value: router}}
    - insert: {{name: x-user-id, claim: sub}}
    - extension: {{name: userId, claim: sub}}
    - remove: {{named: x-shop-secret}}
  subgraphs:
    reviews:
      - remove: {{named: authorization}}
      - insert: {{name: x-only-reviews, value: "yes"}}
""")


def test_propagation_per_subgraph(router, rsa_key):
    token = rsa_key.sign(claims(sub="u42"))
    tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    _, body = gql(router, QUERY, token, headers={
        "traceparent": tp, "x-tenant": "acme", "x-shop-a": "1", "x-shop-secret": "s", "x-unlisted": "no",
        "proxy-authorization": "Basic eDp5", "keep-alive": "timeout=5"})
    accounts, reviews = seen(body, "accountsHeaders"), seen(body, "reviewsHeaders")
    assert accounts["authorization"] == f"Bearer {token}"
    assert accounts["traceparent"] == tp
    assert accounts["x-tenant-id"] == "acme" and accounts["x-shop-a"] == "1"
    assert accounts["x-gateway"] == "router" and accounts["x-user-id"] == "u42"
    for absent in ("x-shop-secret", "x-unlisted", "proxy-authorization", "keep-alive", "x-tenant", "x-only-reviews"):
        assert absent not in accounts
    assert "authorization" not in reviews and reviews["x-only-reviews"] == "yes"
    assert reviews["x-user-id"] == "u42" and reviews["traceparent"] == tp
    assert json.loads(body["data"]["extensionsSeen"]) == {"userId": "u42"}


def test_anonymous_gets_defaults_only(router):
    _, body = gql(router, QUERY)
    accounts = seen(body, "accountsHeaders")
    assert accounts["x-tenant-id"] == "public" and "x-user-id" not in accounts and "authorization" not in accounts
    assert body["data"]["extensionsSeen"] == "null"


def test_a_claim_cannot_inject_a_header(router, rsa_key):
    token = rsa_key.sign(claims(sub="u1\r\nx-admin: true"))
    _, body = gql(router, QUERY, token)
    accounts = seen(body, "accountsHeaders")
    assert "x-user-id" not in accounts and "x-admin" not in accounts


def test_without_rules_nothing_is_forwarded(module_security_router, rsa_key):
    bare = module_security_router("introspection: {enabled: true}\n")
    _, body = gql(bare, "{ accountsHeaders { name value } }", rsa_key.sign(claims()),
                  headers={"x-shop-a": "1", "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    assert set(seen(body, "accountsHeaders")) == {"accept", "content-length", "content-type", "host"}


def test_httpx_client_forwards_the_same(module_security_router, jwks, rsa_key):
    router = module_security_router(f"""
traffic: {{client: httpx}}
jwt:
  jwks: [{{url: "{jwks.url}"}}]
headers:
  all:
    - propagate: {{named: authorization}}
    - insert: {{name: x-user-id, claim: sub}}
""")
    token = rsa_key.sign(claims(sub="u7"))
    _, body = gql(router, QUERY, token)
    accounts = seen(body, "accountsHeaders")
    assert accounts["authorization"] == f"Bearer {token}" and accounts["x-user-id"] == "u7"
