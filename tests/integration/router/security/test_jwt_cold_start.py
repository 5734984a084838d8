"""A fresh router's first requests: they all wait for the first JWKS fetch
(one fetch, single flight) instead of seeing an empty key set and a 401."""

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.support.harness import JwksServer, claims


def config(url: str) -> str:
    return (f'jwt:\n  jwks: [{{url: "{url}", refetch_cooldown: 30}}]\n'
            "  issuers: [https://issuer.test]\n  audiences: [shop]\n")


def test_concurrent_first_requests_of_a_fresh_router_all_pass(make_security_router, rsa_key):
    jwks = JwksServer([rsa_key])
    jwks.delay = 0.5  # a slow issuer: the other requests arrive while the first fetch is running
    try:
        router = make_security_router(config(jwks.url))
        token = rsa_key.sign(claims())

        def ask(_: int) -> int:
            r = httpx.post(router.url, json={"query": "{ public }"}, headers={"authorization": f"Bearer {token}"},
                           timeout=30)
            return r.status_code

        with ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(ask, range(10)))
        assert statuses == [200] * 10
        assert jwks.fetches == 1
    finally:
        jwks.close()


def test_a_fresh_router_whose_issuer_is_down_refuses_in_bounded_time(make_security_router, rsa_key):
    router = make_security_router(config("http://127.0.0.1:9/jwks.json"))  # nothing listens on port 9
    token = rsa_key.sign(claims())
    with ThreadPoolExecutor(5) as pool:
        responses = list(pool.map(lambda _: httpx.post(router.url, json={"query": "{ public }"},
                                                       headers={"authorization": f"Bearer {token}"}, timeout=30),
                                  range(5)))
    assert [r.status_code for r in responses] == [401] * 5
    assert all(r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED" for r in responses)
