"""Rate limits under hostile traffic: requests with bad tokens are counted
against their IP, and one IP with many accounts has one ceiling over all of them."""

from __future__ import annotations

import httpx

from tests.support.harness import JwksServer, SigningKey, claims, post

Q = "{ reviews { id } }"


def jwt_config(url: str) -> str:
    return f'jwt:\n  jwks: [{{url: "{url}"}}]\n  issuers: [https://issuer.test]\n  audiences: [shop]\n'


def ask(url: str, token: str) -> httpx.Response:
    return httpx.post(url, json={"query": Q}, headers={"authorization": f"Bearer {token}"}, timeout=30)


def test_invalid_tokens_are_limited_by_ip(make_router):
    key, stranger = SigningKey("k1"), SigningKey("k2")
    jwks = JwksServer([key])
    try:
        r = make_router(jwt_config(jwks.url) + "rate_limit:\n  per_client: { requests: 3, window: 60 }\n")
        forged = stranger.sign(claims())  # signed by a key the issuer never published
        statuses = [ask(r.url, forged).status_code for _ in range(5)]
        assert statuses == [401, 401, 401, 429, 429]
        refused = ask(r.url, "not-a-jwt")
        assert refused.status_code == 429 and refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert ask(r.url, key.sign(claims(sub="alice"))).status_code == 200  # a signed-in user has their own budget
    finally:
        jwks.close()


def test_one_ip_with_many_accounts_has_one_ceiling(make_router):
    key = SigningKey("k1")
    jwks = JwksServer([key])
    try:
        r = make_router(jwt_config(jwks.url) + "rate_limit:\n  per_client: { requests: 3, window: 60 }\n"
                        "  per_ip: { requests: 5, window: 60 }\n")
        statuses = [ask(r.url, key.sign(claims(sub=f"user{i}"))).status_code for i in range(8)]
        assert statuses == [200] * 5 + [429] * 3
        body = ask(r.url, key.sign(claims(sub="another"))).json()
        assert body["errors"][0]["extensions"]["limit"] == "ip"
    finally:
        jwks.close()


def test_per_ip_alone_limits_anonymous_requests(make_router):
    r = make_router("rate_limit:\n  per_ip: { requests: 2, window: 60 }\n")
    assert [post(r.url, Q).status_code for _ in range(3)] == [200, 200, 429]


def test_ratelimit_headers_tell_the_policy_and_what_is_left(make_router):
    r = make_router("rate_limit:\n  per_client: { requests: 3, window: 60 }\n  per_ip: { requests: 10, window: 120 }\n")
    first = post(r.url, Q)
    assert first.status_code == 200
    assert first.headers["ratelimit-policy"] == '"client";q=3;w=60, "ip";q=10;w=120'
    name, left, reset = first.headers["ratelimit"].split(";")
    assert name == '"client"' and left == "r=2" and 0 < int(reset.removeprefix("t=")) <= 60
    post(r.url, Q)
    assert post(r.url, Q).headers["ratelimit"].startswith('"client";r=0;')
    refused = post(r.url, Q)
    assert refused.status_code == 429
    assert refused.headers["ratelimit"] == f'"client";r=0;t={refused.headers["retry-after"]}'


def test_estimated_and_actual_costs_and_ip_refusals_are_in_the_metrics(make_router):
    r = make_router("telemetry:\n  metrics: { enabled: true }\ndemand_control:\n  mode: measure\n"
                    "rate_limit:\n  per_ip: { requests: 2, window: 60 }\n")
    answers = [post(r.url, Q) for _ in range(3)]  # reviews: a list without @listSize, 10 x 1
    held = sum(len(a.json()["data"]["reviews"]) for a in answers[:2])  # each review object weighs 1
    assert 0 < held < 20
    text = httpx.get(r.base + "/metrics").text
    assert "router_operation_cost_estimated_count 2.0" in text and "router_operation_cost_estimated_sum 20.0" in text
    assert f"router_operation_cost_actual_sum {float(held)}" in text
    assert 'router_rate_limit_rejections_total{limit="ip"} 1.0' in text
