"""GraphQL over HTTP against a running router and real subgraph servers."""


import httpx

from tests.support import harness as h

GQL = "application/graphql-response+json"


def test_post_returns_graphql_response_json(make_router):
    r = make_router()
    resp = httpx.post(r.url, json={"query": "{ users { id reviews { id } } }"}, headers={"accept": GQL})
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith(GQL)
    assert resp.json()["data"]["users"][0] == {"id": "u1", "reviews": [{"id": "r1"}, {"id": "r3"}]}


def test_get_query_and_get_mutation_refused(make_router):
    r = make_router()
    ok = httpx.get(r.url, params={"query": "query($id: ID!) { user(id: $id) { name } }", "variables": '{"id":"u2"}'})
    assert ok.status_code == 200 and ok.json() == {"data": {"user": {"name": "Bob"}}}
    no = httpx.get(r.url, params={"query": 'mutation { updateName(id: "u1", name: "x") { id } }'})
    assert no.status_code == 405 and no.headers["allow"] == "POST"
    assert no.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"


def test_request_errors_status_by_media_type(make_router):
    r = make_router()
    bad = {"query": "{ users { nope } }"}
    strict = httpx.post(r.url, json=bad, headers={"accept": GQL})
    assert strict.status_code == 400
    assert strict.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    legacy = httpx.post(r.url, json=bad, headers={"accept": "application/json"})
    assert legacy.status_code == 200 and "data" not in legacy.json()
    syntax = httpx.post(r.url, json={"query": "{ users { "}, headers={"accept": GQL})
    assert syntax.status_code == 400 and syntax.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    var = httpx.post(r.url, json={"query": "query($id: ID!) { user(id: $id) { id } }", "variables": {"id": [1]}},
                     headers={"accept": GQL})
    assert var.status_code == 400 and var.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_malformed_requests_get_clear_errors(make_router):
    r = make_router()
    assert httpx.post(r.url, content=b"{nope", headers={"content-type": "application/json"}).status_code == 400
    assert httpx.post(r.url, json={"variables": {}}).status_code == 400
    assert httpx.post(r.url, content=b"{}", headers={"content-type": "text/plain"}).status_code == 415
    assert httpx.post(r.url, json={"query": "{ me { id } }"}, headers={"accept": "text/html"}).status_code == 406
    many = httpx.post(r.url, json={"query": "query A { me { id } } query B { me { id } }"})
    assert many.json()["errors"][0]["extensions"]["code"] == "OPERATION_RESOLUTION_FAILURE"


def test_variable_errors_speak_json_not_python(make_router):
    r = make_router()
    cases = {
        '{"x": 1}': ({"id": {"x": 1}}, "Variable '$id' has invalid value: ID cannot represent value: {\"x\":1}"),
        "null": ({"id": None}, "Variable '$id' has invalid value: Expected value of non-null type 'ID!' not to be null."),
        "true": ({"id": True}, "Variable '$id' has invalid value: ID cannot represent value: true"),
    }
    for case, (variables, message) in cases.items():
        resp = httpx.post(r.url, json={"query": "query($id: ID!) { user(id: $id) { id } }", "variables": variables})
        (error,) = resp.json()["errors"]
        assert error["message"] == message, case
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "None" not in error["message"] and "True" not in error["message"] and "'x'" not in error["message"]


def test_other_methods_and_paths_get_json_errors(make_router):
    r = make_router()
    for method in ("PUT", "DELETE", "PATCH"):
        resp = httpx.request(method, r.url, json={"query": "{ users { id } }"})
        assert resp.status_code == 405 and resp.headers["content-type"].startswith("application/json"), method
        assert resp.headers["allow"] == "GET, HEAD, POST"  # Starlette answers HEAD for every GET route
        assert resp.json() == {"errors": [{"message": f"Method {method} is not allowed here; use GET, HEAD, POST.",
                                           "extensions": {"code": "METHOD_NOT_ALLOWED"}}]}
    assert httpx.put(r.base + "/health").json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    missing = httpx.get(r.base + "/nope")
    assert missing.status_code == 404 and missing.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_partial_data_when_a_subgraph_is_down(make_router):
    r = make_router()
    body = httpx.post(r.url, json={"query": "{ users { id legacyScore } }"}).json()
    assert body["data"]["users"][0] == {"id": "u1", "legacyScore": None}
    assert body["errors"][0]["extensions"]["serviceName"] == "legacy"


def test_subgraph_errors_are_repathed_with_service_name(make_router):
    r = make_router()
    body = httpx.post(r.url, json={"query": "{ users { id reviews { id flaky } } }"}).json()
    paths = sorted(e["path"] for e in body["errors"])
    assert paths == [["users", 2, "reviews", 0, "flaky"]]  # r4 is the only review rated below 3
    assert {e["extensions"]["serviceName"] for e in body["errors"]} == {"reviews"}
    assert body["data"]["users"][2]["reviews"][0] == {"id": "r4", "flaky": None}


def test_plan_exposed_only_when_enabled(make_router):
    q = {"query": "{ users { reviews { id } } }"}
    off = make_router()
    assert "extensions" not in httpx.post(off.url, json=q, headers={"x-router-expose-plan": "true"}).json()
    on = make_router("plan:\n  expose_query_plan: true\n")
    body = httpx.post(on.url, json=q, headers={"x-router-expose-plan": "true"}).json()
    assert 'Fetch(service: "users", id: 0)' in body["extensions"]["queryPlan"]
    assert "extensions" not in httpx.post(on.url, json=q).json()


def test_introspection_answered_by_router_and_can_be_disabled(make_router):
    r = make_router()
    body = httpx.post(r.url, json={"query": "{ __schema { types { name } } }"}).json()
    names = {t["name"] for t in body["data"]["__schema"]["types"]}
    assert "User" in names and not any(n.startswith("join__") for n in names)
    off = make_router("introspection:\n  enabled: false\n")
    assert httpx.post(off.url, json={"query": "{ __schema { queryType { name } } }"}).status_code == 400


def test_override_label_from_config(make_router):
    r = make_router("override_labels: [shipping-loyalty]\n")
    body = httpx.post(r.url, json={"query": "{ users { loyaltyPoints } }"}).json()
    assert [u["loyaltyPoints"] for u in body["data"]["users"]] == [110, 120, 130]


def test_subgraph_url_override_and_timeout(make_router, subgraphs):
    dead = h.closed_port()
    r = make_router(f"subgraphs:\n  users:\n    url: http://127.0.0.1:{dead}/graphql\n    timeout: 2\n")
    body = httpx.post(r.url, json={"query": "{ users { id } }"}).json()
    assert body["data"] is None and body["errors"][0]["extensions"]["serviceName"] == "users"


def test_planning_failure_is_a_graphql_error_never_a_500(make_router, monkeypatch, caplog):
    r = make_router()

    def broken(*_args, **_kwargs):
        raise KeyError("a planner bug")

    monkeypatch.setattr("router.planner.PathFinder.place_root", broken)
    strict = httpx.post(r.url, json={"query": "{ users { id } }"}, headers={"accept": GQL})
    assert strict.status_code == 400
    err = strict.json()["errors"][0]
    assert err["extensions"]["code"] == "QUERY_PLANNING_FAILED" and "KeyError" in err["message"]
    legacy = httpx.post(r.url, json={"query": "{ users { name } }"})
    assert legacy.status_code == 200 and legacy.json()["errors"][0]["extensions"]["code"] == "QUERY_PLANNING_FAILED"
    # the log names the operation and the supergraph by hash
    assert any("query planning failed (operation " in m and ", supergraph " in m for m in caplog.messages)
