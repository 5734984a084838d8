"""Rate limits over real sockets: exact windows (N allowed, N+1st refused, N again after the
window), per client (IP with trusted proxies), global, per operation; no config, no limit."""

from __future__ import annotations

from router.plugins.rate_limit import RateLimit
from tests.support.clock import FakeClock
from tests.support.harness import post

Q = "{ reviews { id } }"


def assert_refused(resp, limit: str) -> int:
    assert resp.status_code == 429, resp.text
    err = resp.json()["errors"][0]
    assert err["extensions"]["code"] == "RATE_LIMITED" and err["extensions"]["limit"] == limit
    retry = int(resp.headers["retry-after"])
    assert retry >= 1 and err["extensions"]["retryAfter"] == retry
    return retry


def test_per_client_window_is_exact_and_refills(make_router):
    r = make_router("rate_limit:\n  per_client: { requests: 3, window: 1.5 }\n")
    clock = r.plugin(RateLimit).store.clock = FakeClock()
    for _ in range(3):
        resp = post(r.url, Q)
        assert resp.status_code == 200 and len(resp.json()["data"]["reviews"]) == 6
    retry = assert_refused(post(r.url, Q), "client")
    assert retry <= 2
    assert_refused(post(r.url, Q), "client")  # refused requests do not reset or extend anything
    clock.advance(1.5)  # the window that began with the first request has ended
    for _ in range(3):
        assert post(r.url, Q).status_code == 200
    assert_refused(post(r.url, Q), "client")


def test_clients_behind_a_trusted_proxy_are_told_apart_and_forged_headers_ignored(make_router):
    cfg = """
rate_limit:
  per_client: { requests: 2, window: 30 }
  trusted_proxies: [127.0.0.0/8]
"""
    r = make_router(cfg)
    alice = {"x-forwarded-for": "203.0.113.7"}
    bob = {"x-forwarded-for": "198.51.100.9"}
    assert post(r.url, Q, headers=alice).status_code == 200
    assert post(r.url, Q, headers=alice).status_code == 200
    assert_refused(post(r.url, Q, headers=alice), "client")
    # a client cannot pose as someone else by prepending addresses: the proxy (127.0.0.1)
    # vouches only for the hop it appended last
    assert_refused(post(r.url, Q, headers={"x-forwarded-for": "198.51.100.9, 203.0.113.7"}), "client")
    assert post(r.url, Q, headers=bob).status_code == 200


def test_untrusted_peer_cannot_choose_its_identity(make_router):
    r = make_router("rate_limit:\n  per_client: { requests: 2, window: 30 }\n  trusted_proxies: [10.0.0.0/8]\n")
    for i in range(2):
        assert post(r.url, Q, headers={"x-forwarded-for": f"203.0.113.{i}"}).status_code == 200
    # a new X-Forwarded-For from an untrusted peer is still the same client: 127.0.0.1
    assert_refused(post(r.url, Q, headers={"x-forwarded-for": "203.0.113.99"}), "client")


def test_global_limit_counts_everyone(make_router):
    r = make_router("rate_limit:\n  global: { requests: 3, window: 30 }\n  trusted_proxies: [127.0.0.1/32]\n")
    for i in range(3):
        assert post(r.url, Q, headers={"x-forwarded-for": f"203.0.113.{i}"}).status_code == 200
    assert_refused(post(r.url, Q, headers={"x-forwarded-for": "203.0.113.50"}), "global")


def test_per_operation_limit_by_the_operation_actually_run(make_router):
    cfg = "rate_limit:\n  per_operation:\n    Reviews: { requests: 2, window: 30 }\n"
    r = make_router(cfg)
    named = "query Reviews { reviews { id } }"
    assert post(r.url, named, operation_name="Reviews").status_code == 200
    assert post(r.url, named).status_code == 200  # no operationName: still the Reviews operation
    assert_refused(post(r.url, named, operation_name="Reviews"), "operation")
    assert_refused(post(r.url, named), "operation")
    # other operations are not limited
    for _ in range(4):
        assert post(r.url, "query Other { reviews { id } }").status_code == 200


def test_no_config_means_no_limit(make_router):
    r = make_router()
    for _ in range(120):  # more than the shop's 100 per 15 minutes
        assert post(r.url, "{ __typename }").status_code == 200
