"""Subgraphs act for a user only on a token they verified themselves.

Calling a subgraph directly with a forged, expired or mis-addressed token gets
UNAUTHENTICATED, never somebody's data."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.shop import Account, GraphQL, Shop, codes

MY_ORDERS = "{ orders { edges { node { id } } } }"


def _claims(account: Account, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": account.id,
        "username": account.username,
        "roles": ["user", "admin"],
        "scope": "orders:read orders:write orders:admin",
        "iat": now,
        "exp": now + 600,
        "iss": "shop-users",
        "aud": "shop",
    }
    claims.update(overrides)
    return claims


def _real_key(shop: Shop) -> bytes:
    return (shop.keys_dir / "jwt-private.pem").read_bytes()


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


async def test_a_real_token_works_at_another_subgraph(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    body = await gql("orders", MY_ORDERS, token=account.token)
    assert body == {"data": {"orders": {"edges": []}}}


async def test_expired_token_is_refused(gql: GraphQL, shop: Shop, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    expired = jwt.encode(
        _claims(account, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600),
        _real_key(shop),
        algorithm="RS256",
        headers={"kid": _kid(account.token)},
    )
    for service, query in (("orders", MY_ORDERS), ("users", "{ me { id } }")):
        body = await gql(service, query, token=expired)
        assert codes(body) == ["UNAUTHENTICATED"]
        assert "expired" in body["errors"][0]["message"]


def _forgeries(shop: Shop, account: Account) -> dict[str, str]:
    kid = _kid(account.token)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = (shop.keys_dir / "jwt-public.pem").read_bytes()
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    payload = base64.urlsafe_b64encode(jwt.api_jws.json.dumps(_claims(account)).encode()).rstrip(b"=").decode()
    hs_header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT","kid":"%s"}' % kid.encode()).rstrip(b"=")
    signing_input = hs_header + b"." + payload.encode()
    hs_signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return {
        "signed by another key": jwt.encode(_claims(account), other_key, algorithm="RS256", headers={"kid": kid}),
        "alg none": f"{header}.{payload}.",
        "HS256 with the public key as secret": (signing_input + b"." + hs_signature).decode(),
        "wrong audience": jwt.encode(_claims(account, aud="elsewhere"), _real_key(shop), algorithm="RS256", headers={"kid": kid}),
        "wrong issuer": jwt.encode(_claims(account, iss="evil"), _real_key(shop), algorithm="RS256", headers={"kid": kid}),
        "unknown kid": jwt.encode(_claims(account), other_key, algorithm="RS256", headers={"kid": "rotated-away"}),
        "garbage": "not.a.token",
        "tampered payload": account.token.split(".")[0] + "." + payload + "." + account.token.split(".")[2],
    }


@pytest.mark.parametrize(
    "attack",
    [
        "signed by another key",
        "alg none",
        "HS256 with the public key as secret",
        "wrong audience",
        "wrong issuer",
        "unknown kid",
        "garbage",
        "tampered payload",
    ],
)
async def test_forged_tokens_get_nothing(attack: str, gql: GraphQL, shop: Shop, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    # The victim has an order, so a successful forgery would be visible.
    created = await gql(
        "orders",
        'mutation { createOrder(items: [{productId: "cable-usbc-1m", quantity: 1}]) { id } }',
        token=account.token,
    )
    assert "errors" not in created
    forged = _forgeries(shop, account)[attack]
    for service, query in (("orders", MY_ORDERS), ("payments", '{ payment(id: "000000000000000000000000") { id } }'), ("users", "{ me { id } }")):
        body = await gql(service, query, token=forged)
        assert codes(body) == ["UNAUTHENTICATED"], (attack, service, body)
        assert not any((body["data"] or {}).values())


async def test_authorization_header_must_be_bearer(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    body = await gql("orders", MY_ORDERS, headers={"authorization": f"Basic {account.token}"})
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_jwks_publishes_only_the_public_key(http, shop: Shop, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    response = await http.get(f"{shop.base('users')}/.well-known/jwks.json")
    assert response.status_code == 200
    (key,) = response.json()["keys"]
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert key["kid"] == _kid(account.token)
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    verified = jwt.decode(account.token, jwt.PyJWK(key).key, algorithms=["RS256"], audience="shop")
    assert verified["sub"] == account.id
