"""GraphiQL's page and assets as the router serves them (the browser test runs it for real)."""

from __future__ import annotations

import httpx
import pytest

from router import graphiql
from router.config import Config, ConfigError, validate_sections

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_browser_gets_graphiql_at_the_endpoint_and_root(make_router):
    r = make_router()
    for url in (r.url, r.base + "/"):
        resp = httpx.get(url, headers=BROWSER)
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
        html = resp.text
        assert '"endpoint": "/graphql"' in html and "isHeadersEditorEnabled: true" in html
        assert "/graphiql/assets/graphiql.min.js" in html and "cdn.jsdelivr.net" not in html
        assert "frame-ancestors 'none'" in resp.headers["content-security-policy"]
        assert '"headers": ""' in html and "Bearer" not in html  # no empty token that makes the schema fetch 401
        assert 'id="sign-in"' not in html  # the sign-in form only with graphiql.sign_in
    # the URL `make dev` prints, opened in a browser: GraphiQL (the page prefills the query), not CSRF JSON
    opened = httpx.get(r.url, params={"query": "{ reviews { id } }"}, headers=BROWSER)
    assert opened.status_code == 200 and opened.headers["content-type"].startswith("text/html")
    # a GraphQL client's GET names a JSON type, and is answered as GraphQL
    for accept in ("application/json", "application/graphql-response+json", "*/*",
                   "text/html, application/json;q=0.9"):
        q = httpx.get(r.url, params={"query": "{ reviews { id } }"}, headers={"accept": accept})
        assert q.json()["data"]["reviews"][0] == {"id": "r1"}, accept
    js = httpx.get(r.base + "/graphiql/assets/graphiql.min.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("application/javascript")
    assert len(js.content) > 100_000
    assert httpx.get(r.base + "/graphiql/assets/..%2Fpackage.json").status_code == 404
    assert httpx.get(r.base + "/graphiql/assets/package.json").status_code == 404


def test_off_in_production_unless_enabled(make_router):
    r = make_router("graphiql:\n  enabled: false\n")
    assert httpx.get(r.base + "/", headers=BROWSER).status_code == 404
    resp = httpx.get(r.url, headers=BROWSER)
    assert "text/html" not in resp.headers["content-type"]
    assert graphiql.build(Config(), env={"ROUTER_ENV": "production"}) is None
    assert graphiql.build(Config(sections=validate_sections({"graphiql": {"enabled": True}})), env={"ROUTER_ENV": "production"})
    assert graphiql.build(Config(), env={}) is not None


def test_cdn_fallback_without_local_assets(tmp_path, monkeypatch):
    monkeypatch.setattr(graphiql, "ASSETS", tmp_path / "missing")
    ide = graphiql.build(Config(), env={})
    html = graphiql.page(ide.cfg, "/graphql", graphiql.assets_present(), "n")
    versions = graphiql._versions()
    assert f"https://cdn.jsdelivr.net/npm/graphiql@{versions['graphiql']}/graphiql.min.js" in html
    assert f"https://cdn.jsdelivr.net/npm/react@{versions['react']}/umd/react.production.min.js" in html


def test_page_cannot_be_broken_out_of_by_config():
    cfg = graphiql.GraphiQLConfig(title="</title><script>x()</script>", default_headers='</script><script>x()')
    html = graphiql.page(cfg, "/graphql", True, "n")
    assert "<script>x()" not in html


def test_sign_in_form_is_configured_and_checked(make_router):
    r = make_router("graphiql:\n  sign_in: true\n")
    html = httpx.get(r.base + "/", headers=BROWSER).text
    assert 'id="sign-in"' in html and 'type="password"' in html
    assert "login(email: $email, password: $password) { token }" in html
    custom = graphiql.build(Config(sections=validate_sections({"graphiql": {"sign_in": {
        "mutation": "mutation($email: String!, $password: String!) { signIn(e: $email, p: $password) { jwt } }",
        "token_path": "signIn.jwt"}}})), env={})
    assert custom is not None and custom.cfg.sign_in is not None
    assert custom.cfg.sign_in.settings()["tokenPath"] == ["signIn", "jwt"]
    for bad, message in ((
        {"mutation": "mutation { login { token } }"}, "graphiql.sign_in.mutation: must take the variables"),
        ({"token_path": "login..token"}, "graphiql.sign_in.token_path"),
        ({"tokens": "x"}, "graphiql.sign_in.tokens: unknown key"),
        ("yes", "graphiql.sign_in: expected true or false or a mapping, got 'yes'"),
    ):
        with pytest.raises(ConfigError, match=message):
            graphiql.build(Config(sections=validate_sections({"graphiql": {"sign_in": bad}})), env={})
