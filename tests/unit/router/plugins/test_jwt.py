"""JWT verification: every known attack is refused, good tokens of each key kind pass."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from router.config import ConfigError
from router.pipeline import Context, GraphQLRequest
from router.plugins.jwt import ALL_ALGORITHMS, AuthError, JwksFile, JwtPlugin, keys_from_jwks

SECRET = "s" * 40
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
RSA_PEM = RSA_KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def jwk_of(key, kid, **extra):
    algo = jwt.algorithms.RSAAlgorithm if isinstance(key, rsa.RSAPrivateKey) else jwt.algorithms.ECAlgorithm
    d = json.loads(algo.to_jwk(key.public_key()))
    d.update(kid=kid, **extra)
    return d


JWKS = {"keys": [jwk_of(RSA_KEY, "rsa1"), jwk_of(EC_KEY, "ec1")]}


def claims(ttl=300, **extra):
    now = int(time.time())
    c = {"sub": "u1", "iat": now, "exp": now + ttl, "iss": "https://issuer.test", "aud": "shop"}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def forge(header: dict, payload: dict, key: bytes | None = None) -> str:
    """A token built by hand (what an attacker does): HS256 over `key`, or unsigned."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    sig = b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest()) if key is not None else ""
    return f"{signing_input}.{sig}"


@pytest.fixture(scope="module")
def jwks_file(tmp_path_factory):
    p = tmp_path_factory.mktemp("jwks") / "jwks.json"
    p.write_text(json.dumps(JWKS))
    return p


def plugin(jwks_file, **extra):
    body = {"jwks": [{"file": str(jwks_file)}], "secrets": [{"secret": SECRET, "kid": "hs1"}],
            "issuers": ["https://issuer.test"], "audiences": ["shop"]}
    body.update(extra)
    return JwtPlugin.from_yaml(body, None)


async def verify(p, token):
    return await p.verify(token)


async def refused(p, token, reason):
    with pytest.raises(AuthError, match=reason):
        await p.verify(token)


async def test_good_tokens_of_every_key_kind(jwks_file):
    p = plugin(jwks_file)
    assert (await verify(p, jwt.encode(claims(), RSA_KEY, "RS256", headers={"kid": "rsa1"})))["sub"] == "u1"
    assert (await verify(p, jwt.encode(claims(), RSA_KEY, "PS256", headers={"kid": "rsa1"})))["sub"] == "u1"
    assert (await verify(p, jwt.encode(claims(), EC_KEY, "ES256", headers={"kid": "ec1"})))["sub"] == "u1"
    assert (await verify(p, jwt.encode(claims(), SECRET, "HS256", headers={"kid": "hs1"})))["sub"] == "u1"
    # no kid: every key of the algorithm's family is tried
    assert (await verify(p, jwt.encode(claims(), RSA_KEY, "RS256")))["sub"] == "u1"


async def test_alg_none_is_refused_in_every_spelling(jwks_file):
    p = plugin(jwks_file)
    for alg in ("none", "None", "NONE", "nOnE"):
        await refused(p, forge({"alg": alg, "typ": "JWT"}, claims()), "algorithm is not allowed")
        await refused(p, forge({"alg": alg, "kid": "rsa1"}, claims()), "algorithm is not allowed")
    with pytest.raises(ConfigError, match="'none' is never allowed"):
        plugin(jwks_file, algorithms=["RS256", "none"])


async def test_hs_rs_confusion_is_impossible(jwks_file):
    # HS256 signed with the RSA public key (which the attacker knows) as the HMAC secret
    # naming the RSA key's kid finds no HS key of that kid; otherwise the real HS secret fails
    for kid, reason in (("rsa1", "signing key is unknown"), (None, "signature does not verify"),
                        ("hs1", "signature does not verify")):
        header = {"alg": "HS256", **({"kid": kid} if kid else {})}
        await refused(plugin(jwks_file), forge(header, claims(), RSA_PEM), reason)
    only_rsa = JwtPlugin.from_yaml({"jwks": [{"file": str(jwks_file)}]}, None)
    await refused(only_rsa, forge({"alg": "HS256", "kid": "rsa1"}, claims(), RSA_PEM), "not allowed")
    only_rsa = JwtPlugin.from_yaml({"jwks": [{"file": str(jwks_file)}], "algorithms": ["RS256", "HS256"]}, None)
    await refused(only_rsa, forge({"alg": "HS256", "kid": "rsa1"}, claims(), RSA_PEM), "unknown")
    # and an EC key is never used for an RSA algorithm or the reverse
    await refused(plugin(jwks_file), jwt.encode(claims(), EC_KEY, "ES256", headers={"kid": "rsa1"}), "unknown")


async def test_wrong_key_expired_future_audience_issuer_claims(jwks_file):
    p = plugin(jwks_file)

    def rs(c, kid="rsa1", key=RSA_KEY):
        return jwt.encode(c, key, "RS256", headers={"kid": kid})

    await refused(p, rs(claims(), key=OTHER_RSA), "signature does not verify")
    await refused(p, rs(claims(ttl=-60)), "expired")
    await refused(p, rs(claims(nbf=int(time.time()) + 300)), "not valid yet")
    await refused(p, rs(claims(iat=int(time.time()) + 300)), "not valid yet")
    await refused(p, rs(claims(aud="other")), "audience")
    await refused(p, rs(claims(aud=None)), "lacks the 'aud' claim")
    await refused(p, rs(claims(iss="https://evil.test")), "issuer")
    await refused(p, rs(claims(exp=None)), "lacks the 'exp' claim")
    # a token signed correctly but altered afterwards
    header, payload, sig = rs(claims()).split(".")
    tampered = b64(json.dumps(claims(sub="admin")).encode())
    await refused(p, f"{header}.{tampered}.{sig}", "signature does not verify")


async def test_leeway_tolerates_small_clock_skew(jwks_file):
    token = jwt.encode(claims(ttl=-5), RSA_KEY, "RS256", headers={"kid": "rsa1"})
    await refused(plugin(jwks_file), token, "expired")
    assert await verify(plugin(jwks_file, leeway=30), token)


async def test_garbage_and_malformed(jwks_file):
    p = plugin(jwks_file)
    for token in ("garbage", "a.b.c", "....", "eyJhbGciOiJSUzI1NiJ9.e30", b64(b"{}") + "." + b64(b"{}") + ".x"):
        await refused(p, token, "the token is malformed")
    await refused(p, "x" * 20000, "too large")
    await refused(p, forge({"alg": "RS256", "kid": 42}, claims()), "malformed")


async def test_unknown_kid(jwks_file):
    await refused(plugin(jwks_file), jwt.encode(claims(), RSA_KEY, "RS256", headers={"kid": "nope"}), "unknown")


def ctx_with(headers):
    return Context(GraphQLRequest("{ x }", headers=headers), None)  # type: ignore[arg-type]


async def test_where_the_token_comes_from(jwks_file):
    p = plugin(jwks_file, cookie="session")
    good = jwt.encode(claims(), RSA_KEY, "RS256", headers={"kid": "rsa1"})
    for headers in ({"authorization": f"Bearer {good}"}, {"authorization": f"bearer   {good} "},
                    {"cookie": f"theme=dark; session={good}"}):
        ctx = ctx_with(headers)
        assert await p.on_request(ctx) is None and ctx.claims["sub"] == "u1"
    ctx = ctx_with({})
    assert await p.on_request(ctx) is None and ctx.claims is None  # anonymous
    for headers in ({"authorization": "Basic dTpw"}, {"authorization": "Bearer "}, {"authorization": good}):
        ctx = ctx_with(headers)
        body = await p.on_request(ctx)
        assert ctx.status == 401 and body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert ctx.claims is None
    strict = plugin(jwks_file, allow_anonymous=False)
    ctx = ctx_with({})
    assert (await strict.on_request(ctx))["errors"][0]["message"] == "Unauthenticated: authentication is required"
    lenient = plugin(jwks_file, ignore_other_prefixes=True)
    ctx = ctx_with({"authorization": "Basic dTpw"})
    assert await lenient.on_request(ctx) is None and ctx.claims is None


async def test_jwks_file_is_reread_when_it_changes(tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk_of(RSA_KEY, "rsa1")]}))
    src = JwksFile(str(path), ALL_ALGORITHMS, poll_interval=0)
    assert [k.kid for k in await src.current()] == ["rsa1"]
    path.write_text(json.dumps({"keys": [jwk_of(OTHER_RSA, "rsa2")]}))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert [k.kid for k in await src.current()] == ["rsa2"]
    path.write_text("{broken")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    assert [k.kid for k in await src.current()] == ["rsa2"]  # a broken file keeps the last good keys


def test_jwks_parsing_skips_keys_not_for_signing():
    doc = {"keys": [jwk_of(RSA_KEY, "enc", use="enc"), jwk_of(RSA_KEY, "ops", key_ops=["encrypt"]),
                    {"kty": "weird", "kid": "w"}, jwk_of(RSA_KEY, "only-rs384", alg="RS384"), "junk"]}
    keys = keys_from_jwks(doc, ALL_ALGORITHMS, "test")
    assert [(k.kid, sorted(k.algorithms)) for k in keys] == [("only-rs384", ["RS384"])]
    with pytest.raises(ValueError):
        keys_from_jwks({"nokeys": []}, ALL_ALGORITHMS, "test")


def test_config_errors_name_the_key(jwks_file):
    cases = [
        ({"jwks": [{"file": str(jwks_file)}], "bogus": 1}, "jwt.bogus: unknown key"),
        ({}, "no keys configured"),
        ({"jwks": [{"url": "ftp://x"}]}, r"jwt.jwks\[0\].url"),
        ({"jwks": [{"url": "http://x", "file": "y"}]}, "exactly one of url or file"),
        ({"jwks": [{"file": "/nonexistent/jwks.json"}]}, r"jwt.jwks\[0\].file: cannot read"),
        ({"secrets": [{"secret": "short"}]}, "at least 32 bytes"),
        ({"secrets": [{"secret": SECRET, "algorithms": ["RS256"]}]}, r"jwt.secrets\[0\].algorithms"),
        ({"jwks": [{"file": str(jwks_file)}], "algorithms": ["XS1"]}, "unknown algorithm"),
        ({"jwks": [{"file": str(jwks_file)}], "leeway": "10s"}, "jwt.leeway: expected a number"),
    ]
    for body, message in cases:
        with pytest.raises(ConfigError, match=message):
            JwtPlugin.from_yaml(body, None)
    assert JwtPlugin.from_yaml({"enabled": False}, None) is None


async def test_verified_token_cache_respects_expiry_and_key_changes(tmp_path):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk_of(RSA_KEY, "rsa1")]}))
    p = JwtPlugin.from_yaml({"jwks": [{"file": str(path), "poll_interval": 0}]}, None)
    token = jwt.encode(claims(), RSA_KEY, "RS256", headers={"kid": "rsa1"})
    first = await p.verify(token)
    first["sub"] = "someone-else"  # callers get copies
    assert (await p.verify(token))["sub"] == "u1"
    assert len(p._verified) == 1
    # the key is withdrawn: the cached verdict goes with it
    path.write_text(json.dumps({"keys": [jwk_of(OTHER_RSA, "rsa2")]}))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    await refused(p, token, "unknown")
    # a cached token still expires on time
    path.write_text(json.dumps({"keys": [jwk_of(RSA_KEY, "rsa1")]}))
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    exp = int(time.time()) + 1
    short = jwt.encode(claims(exp=exp), RSA_KEY, "RS256", headers={"kid": "rsa1"})
    assert await p.verify(short)
    await asyncio.sleep(max(0.0, exp - time.time()) + 0.05)
    await refused(p, short, "expired")
