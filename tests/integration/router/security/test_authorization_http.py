"""@authenticated / @requiresScopes / @policy enforced by a real router in front of real
subgraphs, field by field: nulls with UNAUTHORIZED_FIELD_OR_TYPE at the field's path,
non-null propagation, fragments, unions, interfaces, scalars, enums; the field never
reaches a subgraph; mutations refused are not run; reject mode."""

import pytest

from tests.support.harness import claims, gql

CODE = "UNAUTHORIZED_FIELD_OR_TYPE"


@pytest.fixture(scope="module")
def config(jwks):
    return f"""
jwt:
  jwks: [{{url: "{jwks.url}"}}]
  issuers: [https://issuer.test]
  audiences: [shop]
authorization:
  policy_hook: tests.fixtures.router_security.policies:decide
plan: {{expose_query_plan: true}}
"""


@pytest.fixture(scope="module")
def router(module_security_router, config):
    return module_security_router(config)


@pytest.fixture(scope="module")
def token(rsa_key):
    def make(**extra):
        return rsa_key.sign(claims(**extra))

    return make


def paths(body):
    return [e["path"] for e in body.get("errors", ()) if e["extensions"]["code"] == CODE]


def test_authenticated_field_is_null_for_anonymous_and_served_when_signed_in(router, token):
    status, body = gql(router, "{ public me { name } }")
    assert status == 200
    assert body["data"] == {"public": "hello", "me": None}
    assert body["errors"] == [{"message": "Unauthorized field or type", "path": ["me"],
                               "extensions": {"code": CODE}}]
    status, body = gql(router, "{ public me { name } }", token())
    assert body == {"data": {"public": "hello", "me": {"name": "Ada"}}}


def test_denied_field_is_never_sent_to_a_subgraph(router):
    _, body = gql(router, "{ users { name email } }", headers={"x-router-expose-plan": "true"})
    plan = body["extensions"]["queryPlan"]
    assert "name" in plan and "email" not in plan
    assert body["data"] == {"users": [{"name": "Ada", "email": None}, {"name": "Bob", "email": None}]}
    assert paths(body) == [["users", "@", "email"]]


def test_nested_in_lists_across_subgraphs_with_non_null_bubbling(router, token):
    q = '{ user(id: "1") { name reviews { body rating } } }'
    _, body = gql(router, q)
    # Review.rating is Int!: each review is nulled, the nullable list items stop it
    assert body["data"] == {"user": {"name": "Ada", "reviews": [None, None]}}
    assert paths(body) == [["user", "reviews", "@", "rating"]]
    _, body = gql(router, q, token())
    assert body["data"]["user"]["reviews"] == [{"body": "great", "rating": 5}, {"body": "fine", "rating": 3}]
    # User.secret is String!: the user itself becomes null
    _, body = gql(router, '{ user(id: "2") { name secret } }')
    assert body["data"] == {"user": None} and paths(body) == [["user", "secret"]]
    # and up to data when every position on the way is non-null
    _, body = gql(router, "{ users { secret } }")
    assert body["data"] is None and paths(body) == [["users", "@", "secret"]]


def test_scopes_any_alternative(router, token):
    q = '{ user(id: "1") { email } }'
    assert gql(router, q, token(scope="read:email"))[1] == {"data": {"user": {"email": "ada@example.com"}}}
    assert gql(router, q, token(scope=["admin"]))[1] == {"data": {"user": {"email": "ada@example.com"}}}
    _, body = gql(router, q, token(scope="orders:read read:emails"))
    assert body["data"] == {"user": {"email": None}} and paths(body) == [["user", "email"]]


def test_policy_through_the_configured_hook(router, token):
    q = '{ user(id: "2") { salary } }'
    assert gql(router, q, token(dept="hr"))[1] == {"data": {"user": {"salary": 90}}}
    assert gql(router, q, token(policies=["hr"]))[1] == {"data": {"user": {"salary": 90}}}
    _, body = gql(router, q, token(dept="sales"))
    assert body["data"] == {"user": {"salary": None}} and paths(body) == [["user", "salary"]]


def test_restricted_object_type_scalar_and_enum(router, token):
    q = "{ note { text } ssn level }"
    _, body = gql(router, q)
    assert body["data"] == {"note": None, "ssn": None, "level": None}
    assert paths(body) == [["note"], ["ssn"], ["level"]]
    _, body = gql(router, q, token(scope="pii"))
    assert body == {"data": {"note": {"text": "private note"}, "ssn": "123-45-6789", "level": "HIGH"}}


def test_restricted_type_inside_a_union_fragment(router, token):
    q = "{ search { __typename ... on Page { title } ... on Note { text } } }"
    _, body = gql(router, q)
    assert body["data"] == {"search": [{"__typename": "Page", "title": "Home"},
                                       {"__typename": "Note", "text": None}]}
    assert paths(body) == [["search", "@", "text"]]
    _, body = gql(router, q, token())
    assert body["data"]["search"][1] == {"__typename": "Note", "text": "private note"}
    # Note.id is ID!: the note, then the non-null list and `search` itself are nulled
    _, body = gql(router, "{ public search { ... on Note { id } } }")
    assert body["data"] is None and paths(body) == [["search", "@", "id"]]


def test_interface_fields_and_implementation_fragments(router, token):
    q = "{ nodes { id label owner ... on Doc { body } } }"
    _, body = gql(router, q)
    # the supergraph carries Doc's requirements on Node.label / Node.owner: closed for both types
    assert body["data"] == {"nodes": [{"id": "d1", "label": None, "owner": None, "body": None},
                                      {"id": "t1", "label": None, "owner": None}]}
    assert sorted(map(tuple, paths(body))) == [("nodes", "@", "body"), ("nodes", "@", "label"),
                                               ("nodes", "@", "owner")]
    _, body = gql(router, q, token(scope="docs"))
    assert body == {"data": {"nodes": [{"id": "d1", "label": "doc", "owner": "ada", "body": "classified"},
                                       {"id": "t1", "label": "tag", "owner": "bob"}]}}


def test_inside_named_and_inline_fragments_with_variables(router, token):
    q = """query Q($id: ID!) { user(id: $id) { ...U ... on User { secret } } }
           fragment U on User { name email }"""
    _, body = gql(router, q, variables={"id": "1"})
    assert body["data"] == {"user": None}
    assert paths(body) == [["user", "email"], ["user", "secret"]]
    _, body = gql(router, q, token(scope="read:email"), variables={"id": "1"})
    assert body == {"data": {"user": {"name": "Ada", "email": "ada@example.com", "secret": "ada-secret"}}}


def test_denied_mutation_does_not_run(router, token, reset):
    _, body = gql(router, "mutation { bump open }")
    assert body["data"] == {"bump": None, "open": 0} and paths(body) == [["bump"]]
    _, body = gql(router, "mutation { bump }", token(scope="read:email"))
    assert body["data"] == {"bump": None}
    assert reset()["bumps"] == 0
    _, body = gql(router, "mutation { bump }", token(scope="admin"))
    assert body == {"data": {"bump": 1}}


def test_reject_mode_refuses_the_whole_operation(module_security_router, config, token, reset):
    router = module_security_router(config.replace("authorization:\n", "authorization:\n  mode: reject\n"))
    status, body = gql(router, "mutation { open bump }")
    assert status == 403 and "data" not in body
    assert paths(body) == [["bump"]]
    assert reset()["bumps"] == 0
    status, body = gql(router, "{ public me { name } }", token())
    assert status == 200 and body["data"]["me"] == {"name": "Ada"}
