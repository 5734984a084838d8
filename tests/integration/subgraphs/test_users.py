"""Accounts: registration, sign-in, validation, uniqueness, and what other people can see."""

from __future__ import annotations

import asyncio
import uuid

import jwt

from tests.support.shop import REGISTER, TOKEN_TTL_SECONDS, Account, GraphQL, codes

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { id username email } } }"
ME = "{ me { id username email createdAt } }"


def registration(**overrides: str) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:10]
    data = {"username": f"u_{suffix}", "email": f"u_{suffix}@example.com", "password": "correct horse"}
    return {**data, **overrides}


async def test_register_then_login_then_me(gql: GraphQL) -> None:
    data = registration()
    registered = await gql("users", REGISTER, {"input": data})
    user = registered["data"]["register"]["user"]
    assert user["username"] == data["username"]
    assert user["email"] == data["email"]

    logged_in = await gql("users", LOGIN, {"e": data["email"], "p": data["password"]})
    payload = logged_in["data"]["login"]
    assert payload["user"]["id"] == user["id"]

    me = await gql("users", ME, token=payload["token"])
    assert me["data"]["me"]["id"] == user["id"]
    assert me["data"]["me"]["email"] == data["email"]


async def test_token_claims(gql: GraphQL, shop) -> None:  # type: ignore[no-untyped-def]
    data = registration()
    body = await gql("users", REGISTER, {"input": data})
    token = body["data"]["register"]["token"]
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "RS256" and header["kid"]
    assert claims["sub"] == body["data"]["register"]["user"]["id"]
    assert claims["username"] == data["username"]
    assert claims["iss"] == "shop-users" and claims["aud"] == "shop"
    assert claims["roles"] == ["user"]
    assert "orders:write" in claims["scope"].split() and "orders:admin" not in claims["scope"].split()
    assert claims["exp"] - claims["iat"] == TOKEN_TTL_SECONDS


async def test_email_is_case_insensitive(gql: GraphQL) -> None:
    data = registration(email=f"Mixed.{uuid.uuid4().hex[:8]}@Example.COM")
    await gql("users", REGISTER, {"input": data})
    body = await gql("users", LOGIN, {"e": data["email"].upper(), "p": data["password"]})
    assert body["data"]["login"]["user"]["email"] == data["email"].lower()
    duplicate = await gql("users", REGISTER, {"input": registration(email=data["email"].lower())})
    assert codes(duplicate) == ["CONFLICT"]


async def test_username_is_unique_ignoring_case(gql: GraphQL) -> None:
    data = registration()
    await gql("users", REGISTER, {"input": data})
    body = await gql("users", REGISTER, {"input": registration(username=data["username"].upper())})
    assert codes(body) == ["CONFLICT"]


async def test_register_does_not_say_which_of_email_or_username_is_taken(gql: GraphQL) -> None:
    data = registration()
    await gql("users", REGISTER, {"input": data})
    taken_email = await gql("users", REGISTER, {"input": registration(email=data["email"])})
    taken_username = await gql("users", REGISTER, {"input": registration(username=data["username"])})
    for body in (taken_email, taken_username):
        assert body["data"] is None and codes(body) == ["CONFLICT"]
    assert taken_email["errors"] == [{**taken_username["errors"][0], "path": ["register"]}]
    assert "email" not in str(taken_email["errors"][0].get("extensions"))


async def test_concurrent_registrations_of_one_email_make_one_account(gql: GraphQL, mongo, shop) -> None:  # type: ignore[no-untyped-def]
    email = f"race_{uuid.uuid4().hex[:8]}@example.com"
    bodies = await asyncio.gather(*(gql("users", REGISTER, {"input": registration(email=email)}) for _ in range(5)))
    assert sum("errors" not in body for body in bodies) == 1
    assert sorted(code for body in bodies for code in codes(body)) == ["CONFLICT"] * 4
    assert await mongo[shop.database("users")].users.count_documents({"email": email}) == 1


async def test_bad_input_is_refused_with_the_field_named(gql: GraphQL) -> None:
    cases = {
        "username": registration(username="a"),
        "email": registration(email="not-an-email"),
        "password": registration(password="short"),
    }
    for field, data in cases.items():
        body = await gql("users", REGISTER, {"input": data})
        assert codes(body) == ["BAD_USER_INPUT"], (field, body)
        assert body["errors"][0]["extensions"]["field"] == field
        assert body["data"] is None
    too_long = await gql("users", REGISTER, {"input": registration(password="é" * 40)})  # 80 bytes
    assert codes(too_long) == ["BAD_USER_INPUT"]


async def test_wrong_password_and_unknown_email_look_the_same(gql: GraphQL, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    wrong_password = await gql("users", LOGIN, {"e": account.email, "p": "not the password"})
    unknown_email = await gql("users", LOGIN, {"e": f"nobody_{uuid.uuid4().hex}@example.com", "p": "whatever1"})
    for body in (wrong_password, unknown_email):
        assert body["data"] is None
        assert codes(body) == ["UNAUTHENTICATED"]
    assert wrong_password["errors"][0]["message"] == unknown_email["errors"][0]["message"]


async def test_password_hash_never_leaves_the_service(gql: GraphQL, shop, new_account) -> None:  # type: ignore[no-untyped-def]
    account: Account = await new_account()
    sdl = (await gql("users", "{ _service { sdl } }"))["data"]["_service"]["sdl"]
    assert "hash" not in sdl.lower()
    me = await gql("users", "{ me { id } }", token=account.token)
    assert "$2b$" not in str(me)
    assert "__schema" not in sdl


async def test_other_users_see_username_but_not_email(gql: GraphQL, new_account, admin_token: str) -> None:  # type: ignore[no-untyped-def]
    alice: Account = await new_account()
    bob: Account = await new_account()
    query = "query($id: ID!) { user(id: $id) { id username email } }"
    as_bob = await gql("users", query, {"id": alice.id}, token=bob.token)
    assert as_bob["data"]["user"] == {"id": alice.id, "username": alice.username, "email": None}
    anonymous = await gql("users", query, {"id": alice.id})
    assert anonymous["data"]["user"]["email"] is None
    as_admin = await gql("users", query, {"id": alice.id}, token=admin_token)
    assert as_admin["data"]["user"]["email"] == alice.email
    missing = await gql("users", query, {"id": "000000000000000000000000"})
    assert missing["data"]["user"] is None
    garbage = await gql("users", query, {"id": "not-an-id"})
    assert garbage["data"]["user"] is None and "errors" not in garbage


async def test_me_requires_a_token(gql: GraphQL) -> None:
    body = await gql("users", ME)
    assert codes(body) == ["UNAUTHENTICATED"]


async def test_bootstrap_admin_has_admin_scopes(admin_token: str) -> None:
    claims = jwt.decode(admin_token, options={"verify_signature": False})
    assert "admin" in claims["roles"]
    assert {"orders:admin", "payments:admin"} <= set(claims["scope"].split())


async def test_bootstrap_admin_starts_whatever_accounts_exist(shop) -> None:  # type: ignore[no-untyped-def]
    """The admin's username comes from its e-mail; one already taken, or not a valid username,
    must not keep the users service from starting."""
    from subgraphs.common.db import connect
    from subgraphs.users.models import UserDocument
    from subgraphs.users.passwords import PasswordHasher
    from subgraphs.users.service import Accounts, Registration

    client = await connect(shop.store.uri, f"bootstrap_{uuid.uuid4().hex[:8]}", [UserDocument], appname="test")
    try:
        accounts = Accounts(PasswordHasher(4))
        await accounts.register(Registration(**registration(username="boss", email="someone@example.com")))
        admin = await accounts.ensure_admin("boss@corp.example", "admin-password-1")
        assert admin.username.startswith("boss-") and "admin" in admin.roles
        odd = await accounts.ensure_admin("a+b@corp.example", "admin-password-2")
        assert odd.username == "a_b" and "admin" in odd.roles
        again = await accounts.ensure_admin("BOSS@corp.example", "another password")
        assert again.id == admin.id  # later starts change nothing but the role
    finally:
        await client.close()
