"""Error masking on a real router: internals of failing subgraphs never reach the client."""

from tests.support.harness import closed_port, gql


def test_internal_errors_masked_safe_ones_kept(module_security_router):
    router = module_security_router(f"""
error_masking: {{}}
subgraphs:
  reviews: {{url: "http://127.0.0.1:{closed_port()}/graphql"}}
""")
    status, body = gql(router, '{ public boom notFound user(id: "1") { name reviews { body } } }')
    assert status == 200
    assert body["data"] == {"public": "hello", "boom": None, "notFound": None,
                            "user": {"name": "Ada", "reviews": None}}
    text = str(body)
    for secret in ("hunter2", "10.0.0.5", "127.0.0.1", "stacktrace", "db.js", "resolver.js"):
        assert secret not in text
    by_path = {tuple(e.get("path", ())): e for e in body["errors"]}
    boom = by_path[("boom",)]
    assert boom["message"] == "Internal server error"
    assert boom["extensions"]["code"] == "INTERNAL_SERVER_ERROR" and len(boom["extensions"]["requestId"]) == 32
    assert by_path[("notFound",)]["message"] == "no such thing"
    assert by_path[("notFound",)]["extensions"]["code"] == "NOT_FOUND"
    unreachable = [e for e in body["errors"] if e.get("path") not in (["boom"], ["notFound"])]
    assert unreachable and all(e["message"] == "Service temporarily unavailable; try again later" for e in unreachable)
    assert all(e["extensions"]["code"] == "SERVICE_UNAVAILABLE" for e in unreachable)  # retryable, host not named


def test_without_masking_subgraph_errors_pass_through(module_security_router):
    router = module_security_router("introspection: {enabled: true}\n")
    _, body = gql(router, "{ boom }")
    assert "hunter2" in body["errors"][0]["message"]  # what masking protects against
