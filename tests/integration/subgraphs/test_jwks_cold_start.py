"""A subgraph's token verifier on a fresh start: the first requests all wait for the first JWKS
fetch (one fetch, the JWKS client the router uses) instead of being refused, and a token naming
an unknown key refetches at most once per cooldown."""

from __future__ import annotations

import asyncio

import pytest

from subgraphs.common.identity import InvalidToken, JwksKeys, TokenVerifier  # noqa: E402
from tests.support.harness import JwksServer, SigningKey, claims


def verifier(url: str, cooldown: float = 30.0) -> TokenVerifier:
    return TokenVerifier(JwksKeys(url, cooldown=cooldown, timeout=2.0), issuer="https://issuer.test", audience="shop")


async def test_ten_concurrent_first_requests_all_pass_on_one_fetch() -> None:
    key = SigningKey("k1")
    jwks = JwksServer([key])
    jwks.delay = 0.5  # a slow users service: the others arrive while the first fetch runs
    try:
        check = verifier(jwks.url)
        tokens = [key.sign(claims(sub=f"u{i}")) for i in range(10)]
        identities = await asyncio.gather(*(check.verify(t) for t in tokens))
        assert [i.user_id for i in identities] == [f"u{i}" for i in range(10)]
        assert jwks.fetches == 1
        await check.keys.aclose()  # type: ignore[attr-defined]
    finally:
        jwks.close()


async def test_unknown_kids_within_the_cooldown_cost_the_users_service_nothing() -> None:
    old, new = SigningKey("old"), SigningKey("new")
    jwks = JwksServer([old])
    try:
        check = verifier(jwks.url, cooldown=30.0)
        await check.verify(old.sign(claims()))
        stranger = SigningKey("nobody")
        for _ in range(5):
            with pytest.raises(InvalidToken, match="unknown signing key"):
                await check.verify(stranger.sign(claims()))
        jwks.keys = [old, new]  # rotated, but within the cooldown nothing is refetched
        with pytest.raises(InvalidToken, match="unknown signing key"):
            await check.verify(new.sign(claims()))
        assert jwks.fetches == 1
    finally:
        jwks.close()


async def test_a_rotated_key_is_fetched_when_a_token_names_it() -> None:
    old, new = SigningKey("old"), SigningKey("new")
    jwks = JwksServer([old])
    try:
        check = verifier(jwks.url, cooldown=0.0)
        await check.verify(old.sign(claims()))
        jwks.keys = [old, new]
        assert (await check.verify(new.sign(claims(sub="u2")))).user_id == "u2"
        assert jwks.fetches == 2
    finally:
        jwks.close()


async def test_a_fresh_subgraph_whose_users_service_is_down_refuses_in_bounded_time() -> None:
    check = verifier("http://127.0.0.1:9/jwks.json")  # nothing listens on port 9
    results = await asyncio.gather(*(check.verify(SigningKey("k").sign(claims())) for _ in range(5)),
                                   return_exceptions=True)
    assert all(isinstance(r, InvalidToken) and "unavailable" in str(r) for r in results), results
