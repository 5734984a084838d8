"""Header rules: what reaches a subgraph, and what never does."""

import pytest

from router.config import ConfigError
from router.plugins.headers import HeadersPlugin, apply, parse_rules


def run(rules, incoming, claims=None):
    out, ext = {}, {}
    apply(parse_rules("headers.all", rules), incoming, claims, out, ext)
    return out, ext


def test_nothing_is_propagated_without_a_rule():
    assert run([], {"authorization": "Bearer x", "cookie": "a=b"}) == ({}, {})


def test_named_rename_default_matching_insert_remove():
    rules = [{"propagate": {"named": "authorization"}},
             {"propagate": {"named": "X-Tenant", "rename": "x-tenant-id", "default": "public"}},
             {"propagate": {"named": "x-missing", "default": "d"}},
             {"propagate": {"matching": "^x-shop-"}},
             {"insert": {"name": "x-gateway", "value": "router"}},
             {"remove": {"named": "x-shop-secret"}}]
    out, _ = run(rules, {"authorization": "Bearer t", "x-tenant": "acme", "x-shop-a": "1", "x-shop-secret": "s",
                         "x-other": "no"})
    assert out == {"authorization": "Bearer t", "x-tenant-id": "acme", "x-missing": "d", "x-shop-a": "1",
                   "x-gateway": "router"}
    out, _ = run(rules, {})
    assert out == {"x-tenant-id": "public", "x-missing": "d", "x-gateway": "router"}


def test_hop_by_hop_and_client_owned_headers_are_never_copied():
    incoming = {"connection": "keep-alive, x-hop", "x-hop": "1", "keep-alive": "timeout=5", "te": "trailers",
                "transfer-encoding": "chunked", "upgrade": "h2c", "proxy-authorization": "Basic x", "host": "evil",
                "content-length": "999", "x-fine": "ok"}
    out, _ = run([{"propagate": {"matching": ".*"}}], incoming)
    assert out == {"x-fine": "ok"}
    out, _ = run([{"propagate": {"named": "x-hop"}}], incoming)  # listed in Connection: hop-by-hop too
    assert out == {}


def test_claims_as_headers_and_extensions_and_injection_refused():
    rules = [{"insert": {"name": "x-user-id", "claim": "sub"}}, {"insert": {"name": "x-roles", "claim": "roles"}},
             {"insert": {"name": "x-org", "claim": "org.id"}}, {"extension": {"name": "userId", "claim": "sub"}},
             {"extension": {"name": "org", "claim": "org"}}]
    out, ext = run(rules, {}, {"sub": "u1", "roles": ["a", "b"], "org": {"id": 7}})
    assert out == {"x-user-id": "u1", "x-roles": "a b", "x-org": "7"}
    assert ext == {"userId": "u1", "org": {"id": 7}}
    out, _ = run(rules, {}, {"sub": "u1\r\nx-admin: true", "roles": ["é€"], "org": {"id": {"deep": 1}}})
    assert out == {}  # CR/LF, non-latin-1 and non-scalar values are dropped
    assert run(rules, {}, None) == ({}, {})  # anonymous: nothing


@pytest.mark.parametrize("rules,message", [
    ([{"propagate": {"named": "host"}}], "cannot be sent"),
    ([{"propagate": {"named": "bad name"}}], "not a valid header name"),
    ([{"propagate": {"named": "a", "matching": "b"}}], "exactly one of named or matching"),
    ([{"propagate": {"matching": "("}}], "invalid regular expression"),
    ([{"insert": {"name": "x", "value": "a\nb"}}], "not a valid header value"),
    ([{"insert": {"name": "x"}}], "exactly one of value or claim"),
    ([{"copy": {}}], r"headers.all\[0\].copy: unknown key \(known: propagate, insert, extension, remove\)"),
    ([{"propagate": {"named": "x", "rname": "y"}}], r"headers.all\[0\].propagate.rname: unknown key"),
    ({"propagate": {}}, "headers.all: expected a list, got"),
])
def test_config_errors_name_the_rule(rules, message):
    with pytest.raises(ConfigError, match=message):
        parse_rules("headers.all", rules)


def test_plugin_from_config():
    assert HeadersPlugin.from_yaml({}, None) is None
    p = HeadersPlugin.from_yaml({"all": [{"propagate": {"named": "authorization"}}],
                                   "subgraphs": {"reviews": [{"remove": {"named": "authorization"}}]}}, None)
    assert list(p.per_subgraph) == ["reviews"] and p.hooks() == {"on_request"}
    p = HeadersPlugin.from_yaml({"all": [{"extension": {"name": "u", "claim": "sub"}}]}, None)
    assert p.hooks() == {"on_request", "on_subgraph_request"}
    with pytest.raises(ConfigError, match="headers.subgraphs.reviews"):
        HeadersPlugin.from_yaml({"subgraphs": {"reviews": {"remove": {}}}}, None)


async def test_extensions_merge_with_ones_already_in_the_body():
    from router.pipeline import Context, GraphQLRequest

    p = HeadersPlugin.from_yaml({"all": [{"extension": {"name": "userId", "claim": "sub"}}]}, None)
    ctx = Context(GraphQLRequest("{ a }"), None)  # type: ignore[arg-type]
    ctx.claims = {"sub": "u1"}
    await p.on_request(ctx)
    import orjson

    body = await p.on_subgraph_request(ctx, "a", b'{"query":"{a}","variables":{"x":1}}')
    assert orjson.loads(body) == {"extensions": {"userId": "u1"}, "query": "{a}", "variables": {"x": 1}}
    body = await p.on_subgraph_request(ctx, "a", b'{"query":"{a}","extensions":{"trace":true}}')
    assert orjson.loads(body) == {"query": "{a}", "extensions": {"trace": True, "userId": "u1"}}
