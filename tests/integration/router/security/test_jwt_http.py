"""JWT authentication through a real router: 401 + UNAUTHENTICATED for every bad token,
JWKS fetched from a real HTTP server, refetched on an unknown kid (with a cooldown) and
polled, so key rotation works in both directions."""

import base64
import json
import time

import httpx
import pytest

from router.plugins.jwt import JwtPlugin
from tests.support.clock import FakeClock
from tests.support.harness import JwksServer, SigningKey, claims, gql
from tests.support.wait import wait_until


def expect_401(router, token, reason=None):
    r = httpx.post(router.url, json={"query": "{ public }"}, headers={"authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    err = r.json()["errors"][0]
    assert err["extensions"]["code"] == "UNAUTHENTICATED"
    if reason:
        assert reason in err["message"]
    assert "data" not in r.json()


def config(url, **extra):
    lines = [f'jwt:\n  jwks: [{{url: "{url}", refetch_cooldown: {extra.pop("cooldown", 30)}, '
             f'poll_interval: {extra.pop("poll", 60)}}}]',
             "  issuers: [https://issuer.test]", "  audiences: [shop]"]
    lines += [f"  {k}: {json.dumps(v)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def b64(d: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")


def test_every_attack_is_refused_with_401(make_security_router, jwks, rsa_key):
    router = make_security_router(config(jwks.url))
    assert gql(router, "{ public }", rsa_key.sign(claims()))[1] == {"data": {"public": "hello"}}
    assert gql(router, "{ public }")[1] == {"data": {"public": "hello"}}  # anonymous is allowed
    now = int(time.time())
    attacker = SigningKey("k1")  # same kid, different key
    expect_401(router, f"{b64({'alg': 'none', 'kid': 'k1'})}.{b64(claims())}.", "algorithm")
    expect_401(router, attacker.sign(claims()), "signature")
    expect_401(router, rsa_key.sign(claims(ttl=-120)), "expired")
    expect_401(router, rsa_key.sign(claims(nbf=now + 600)), "not valid yet")
    expect_401(router, rsa_key.sign(claims(aud="someone-else")), "audience")
    expect_401(router, rsa_key.sign(claims(iss="https://evil.test")), "issuer")
    expect_401(router, "not-a-jwt", "malformed")
    # HS256 "signed" with the public key: no HMAC key exists, and HS* is not even allowed
    import hashlib
    import hmac
    signing_input = f"{b64({'alg': 'HS256', 'kid': 'k1'})}.{b64(claims())}"
    sig = base64.urlsafe_b64encode(hmac.new(rsa_key.public_pem, signing_input.encode(), hashlib.sha256).digest())
    expect_401(router, f"{signing_input}.{sig.decode().rstrip('=')}", "algorithm")


def test_anonymous_refused_when_configured(make_security_router, jwks, rsa_key):
    router = make_security_router(config(jwks.url, allow_anonymous=False))
    r = httpx.post(router.url, json={"query": "{ public }"}, timeout=30)
    assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert gql(router, "{ public }", rsa_key.sign(claims()))[0] == 200


def test_token_from_a_cookie(make_security_router, jwks, rsa_key):
    router = make_security_router(config(jwks.url, cookie="session", allow_anonymous=False))
    r = httpx.post(router.url, json={"query": "{ public }"}, timeout=30,
                   headers={"cookie": f"a=b; session={rsa_key.sign(claims())}"})
    assert r.status_code == 200 and r.json() == {"data": {"public": "hello"}}


def test_unknown_kid_refetches_once_then_cooldown(make_security_router):
    k1, k2, k3, bogus = SigningKey("a1"), SigningKey("a2"), SigningKey("a3"), SigningKey("bogus")
    server = JwksServer([k1])
    try:
        router = make_security_router(config(server.url, cooldown=2.0))
        clock = router.plugin(JwtPlugin).sources[0].clock = FakeClock()
        assert gql(router, "{ public }", k1.sign(claims()))[0] == 200
        assert server.fetches == 1
        server.keys = [k1, k2]  # rotation: a new key appears
        clock.advance(2.1)
        assert gql(router, "{ public }", k2.sign(claims()))[0] == 200
        assert server.fetches == 2
        # garbage kids cannot make the router hammer the issuer
        for _ in range(5):
            expect_401(router, bogus.sign(claims()), "unknown")
        assert server.fetches == 2
        server.keys = [k2, k3]
        expect_401(router, k3.sign(claims()), "unknown")  # still within the cooldown
        clock.advance(2.1)
        assert gql(router, "{ public }", k3.sign(claims()))[0] == 200  # cooldown over: refetched
        assert server.fetches == 3
        expect_401(router, k1.sign(claims()), "unknown")  # the retired key is gone
    finally:
        server.close()


def test_polling_drops_a_revoked_key(make_security_router):
    k1, k2 = SigningKey("p1"), SigningKey("p2")
    server = JwksServer([k1])
    try:
        router = make_security_router(config(server.url, poll=0.3, cooldown=60))
        token = k1.sign(claims())
        assert gql(router, "{ public }", token)[0] == 200
        server.keys = [k2]  # k1 revoked by the issuer
        assert wait_until(lambda: gql(router, "{ public }", token)[0] == 401, 10, 0.1)
        assert gql(router, "{ public }", k2.sign(claims()))[0] == 200
        assert server.fetches >= 2
    finally:
        server.close()


def test_jwks_unreachable_refuses_tokens_but_serves_anonymous(make_security_router, rsa_key):
    router = make_security_router(config("http://127.0.0.1:9/jwks.json", cooldown=0.1))
    expect_401(router, rsa_key.sign(claims()), "unknown")
    assert gql(router, "{ public }")[1] == {"data": {"public": "hello"}}


def test_bad_config_names_the_key(make_security_router, jwks):
    from router.config import ConfigError

    with pytest.raises(ConfigError, match="jwt.algorithms"):
        make_security_router(config(jwks.url, algorithms=["RS256", "none"]))
