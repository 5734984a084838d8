"""@defer through the after-execution plugins: authorization's UNAUTHORIZED errors go out in
the payload holding the denied field (the initial payload keeps only its own), and demand
control measures the whole answer once, over every part."""

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "fixtures" / "router"))
import incremental as inc  # noqa: E402

CODE = "UNAUTHORIZED_FIELD_OR_TYPE"


@pytest.fixture(scope="module")
def router(module_security_router, jwks):
    return module_security_router(f"""
jwt:
  jwks: [{{url: "{jwks.url}"}}]
  issuers: [https://issuer.test]
  audiences: [shop]
authorization:
  policy_hook: tests.fixtures.router_security.policies:decide
demand_control:
  mode: measure
  max_cost: 100000
""")


def deferred(router, query: str, headers: dict | None = None) -> list[dict]:
    r = httpx.post(router.url, json={"query": query}, headers={"accept": inc.ACCEPT, **(headers or {})}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("multipart/mixed"), r.text
    return inc.parts(r.content, r.headers["content-type"])


def plain(router, query: str) -> dict:
    return httpx.post(router.url, json={"query": query}, timeout=30).json()


def items(parts: list[dict]) -> list[dict]:
    return [i for p in parts[1:] for i in p.get("incremental", ())]


def test_unauthorized_deferred_field_reports_in_its_item(router):
    parts = deferred(router, '{ public ... @defer(label: "me") { me { name } } }')
    assert parts[0] == {"data": {"public": "hello"}, "hasNext": True}
    [item] = items(parts)
    assert item["label"] == "me" and item["path"] == [] and item["data"] == {"me": None}
    assert item["errors"] == [{"message": "Unauthorized field or type", "path": ["me"], "extensions": {"code": CODE}}]
    assert inc.merge(parts) == plain(router, "{ public me { name } }")


def test_unauthorized_field_in_a_deferred_list_fragment_is_reported_once(router):
    q = "{ users { name ... @defer { email } } }"
    parts = deferred(router, q)
    assert "errors" not in parts[0]
    assert parts[0]["data"] == {"users": [{"name": "Ada"}, {"name": "Bob"}]}
    got = items(parts)
    assert [i["data"] for i in got] == [{"email": None}, {"email": None}]
    errors = [e for i in got for e in i.get("errors", ())]
    assert errors == [{"message": "Unauthorized field or type", "path": ["users", "@", "email"],
                       "extensions": {"code": CODE}}]
    assert inc.merge(parts) == plain(router, "{ users { name email } }")


def test_the_initial_payload_keeps_its_own_unauthorized_errors(router):
    parts = deferred(router, "{ me { name } users { name ... @defer { email } } }")
    assert [e["path"] for e in parts[0]["errors"]] == [["me"]]
    assert parts[0]["data"]["me"] is None
    assert [e["path"] for i in items(parts) for e in i.get("errors", ())] == [["users", "@", "email"]]


def test_actual_cost_is_measured_over_every_part(router):
    q = "{ users { name ... @defer { email } } }"
    expose = {"x-router-expose-cost": "true"}
    parts = deferred(router, q, expose)
    whole = httpx.post(router.url, json={"query": q.replace("... @defer { email }", "email")}, headers=expose,
                       timeout=30).json()
    assert "cost" not in parts[0].get("extensions", {})
    assert parts[-1]["hasNext"] is False
    assert parts[-1]["extensions"]["cost"]["actual"] == whole["extensions"]["cost"]["actual"] > 0


def test_a_denied_non_null_deferred_field_nulls_only_its_item(router):
    """User.secret is String!: in a query the user becomes null; deferred, the null stops at the
    fragment and the initial payload keeps the user."""
    q = '{ user(id: "2") { name ... @defer(label: "s") { secret } } }'
    parts = deferred(router, q)
    assert parts[0] == {"data": {"user": {"name": "Bob"}}, "hasNext": True}
    [item] = items(parts)
    assert item["data"] is None and item["path"] == ["user"]
    assert [(e["path"], e["extensions"]["code"]) for e in item["errors"]] == [(["user", "secret"], CODE)]
    whole = plain(router, '{ user(id: "2") { name secret } }')
    assert whole["data"] == {"user": None}


def test_a_denied_field_under_a_null_parent_is_reported_on_the_last_part(router):
    """No item is delivered (the user is null), yet the field was refused: as in a query, the
    client hears of it, here on the last part."""
    parts = deferred(router, '{ user(id: "nobody") { name ... @defer { email } } }')
    assert parts[0]["data"] == {"user": None} and "errors" not in parts[0]
    assert not items(parts)
    assert parts[-1] == {"hasNext": False, "errors": [{"message": "Unauthorized field or type",
                                                         "path": ["user", "email"], "extensions": {"code": CODE}}]}
    assert plain(router, '{ user(id: "nobody") { name email } }')["errors"] == parts[-1]["errors"]
