"""Authorization rules from the supergraph, the per-operation verdict and the pruned plan."""

from pathlib import Path

import pytest

from router.config import ConfigError
from router.executor.run import Execution
from router.operation import DocumentCache, prepare_operation
from router.pipeline import Context, GraphQLRequest
from router.planner import build_plan
from router.plugins.authorization import AuthorizationPlugin, Requirement, Rules, load_hook, scopes_of
from router.supergraph import Supergraph

FIXTURE = Path(__file__).resolve().parents[3] / "fixtures" / "router_security" / "supergraph.graphql"
SDL = FIXTURE.read_text()
SG = Supergraph(SDL)


class _State:
    def __init__(self, sg):
        self.supergraph = sg


def op_of(sg, query, variables=None):
    return prepare_operation(sg.api_schema, DocumentCache(sg.api_schema).get(query), None, variables)


async def decide(plugin, query, claims=None, sg=SG, variables=None):
    ctx = Context(GraphQLRequest(query), _State(sg))  # type: ignore[arg-type]
    ctx.claims = claims
    ctx.operation = op_of(sg, query, variables)
    early = await plugin.on_operation(ctx)
    return ctx, early


def errors_paths(plugin, ctx):
    a = plugin.analysis(ctx)
    for denied, errors in a.verdicts.values():
        if denied == ctx.unauthorized:
            return [e["path"] for e in errors]
    return []


def test_requirements_per_coordinate():
    r = Rules(SG)
    auth = Requirement(authenticated=True)
    assert r.coordinate("Query", "me") == auth
    assert r.coordinate("Query", "note") == auth  # Note @authenticated (object type)
    assert r.coordinate("Query", "level") == auth  # enum Level @authenticated
    assert r.coordinate("Query", "ssn").scopes == ((frozenset({"pii"}),),)  # scalar Ssn @requiresScopes
    assert r.coordinate("User", "email").scopes == ((frozenset({"read:email"}), frozenset({"admin"})),)
    assert r.coordinate("User", "salary").policies == ((frozenset({"hr"}),),)
    assert r.coordinate("Note", "text") == auth  # fields of a restricted type inside a union
    assert not r.coordinate("Note", "__typename")
    # composition copies Doc.label's requirement to Node.label: every implementation honours it
    assert r.coordinate("Tag", "label") == r.coordinate("Doc", "label")
    assert not r.coordinate("Query", "public") and not r.coordinate("User", "name")


def test_renamed_directives_are_found():
    sdl = SDL.replace("@authenticated", "@mustLogIn").replace("@requiresScopes", "@scoped")
    sdl = sdl.replace('@link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)',
                      '@link(url: "https://specs.apollo.dev/authenticated/v0.1", as: "mustLogIn", for: SECURITY)')
    sdl = sdl.replace('@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", for: SECURITY)',
                      '@link(url: "https://specs.apollo.dev/requiresScopes/v0.1", '
                      'import: [{name: "@requiresScopes", as: "@scoped"}], for: SECURITY)')
    r = Rules(Supergraph(sdl))
    assert r.coordinate("Query", "me") == Requirement(authenticated=True)
    assert r.coordinate("User", "email").scopes == ((frozenset({"read:email"}), frozenset({"admin"})),)


def test_unlinked_directive_of_the_same_name_is_not_a_requirement():
    sdl = SDL.replace('  @link(url: "https://specs.apollo.dev/authenticated/v0.1", for: SECURITY)\n', "")
    r = Rules(Supergraph(sdl))
    assert not r.coordinate("Query", "me")
    assert r.coordinate("User", "email")  # the scopes spec is still linked


def test_scopes_claim_string_list_and_nested():
    assert scopes_of({"scope": "a b  c"}, "scope") == {"a", "b", "c"}
    assert scopes_of({"scp": ["a", "b", 3]}, "scp") == {"a", "b"}
    assert scopes_of({"realm": {"roles": ["x"]}}, "realm.roles") == {"x"}
    assert scopes_of(None, "scope") == frozenset()


async def test_anonymous_denied_fields_and_paths():
    p = AuthorizationPlugin()
    ctx, early = await decide(p, "{ public me { name } users { name email reviews { rating } } }")
    assert early is None
    assert ctx.unauthorized == {("Query", "me"), ("User", "email"), ("Review", "rating")}
    assert errors_paths(p, ctx) == [["me"], ["users", "@", "email"], ["users", "@", "reviews", "@", "rating"]]


async def test_scopes_alternatives_and_policies():
    calls = []

    def hook(claims, policies):
        calls.append(set(policies))
        return {"hr": claims.get("dept") == "hr"}

    p = AuthorizationPlugin(policy_hook=hook)
    q = "{ users { email salary } }"
    ctx, _ = await decide(p, q, {"sub": "u", "scope": "admin"})
    assert ctx.unauthorized == {("User", "salary")}  # admin is the second alternative for email
    ctx, _ = await decide(p, q, {"sub": "u", "scope": "read:email", "dept": "hr"})
    assert ctx.unauthorized == frozenset()
    ctx, _ = await decide(p, q, {"sub": "u", "scope": "read:other", "dept": "hr"})
    assert ctx.unauthorized == {("User", "email")}
    assert calls and all(c == {"hr"} for c in calls)  # asked once per request, only what the op needs


async def test_policies_fail_closed_without_hook_and_when_hook_raises():
    def broken(claims, policies):
        raise RuntimeError("policy server down")

    for p in (AuthorizationPlugin(), AuthorizationPlugin(policy_hook=broken)):
        ctx, _ = await decide(p, "{ users { salary } }", {"sub": "u"})
        assert ctx.unauthorized == {("User", "salary")}


async def test_async_policy_hook():
    async def hook(claims, policies):
        return ["hr"]

    ctx, _ = await decide(AuthorizationPlugin(policy_hook=hook), "{ users { salary } }", {"sub": "u"})
    assert ctx.unauthorized == frozenset()


async def test_reject_mode_refuses_with_403_and_every_path():
    p = AuthorizationPlugin(mode="reject")
    ctx, early = await decide(p, "{ public me { name } note { text } }")
    assert ctx.status == 403
    assert [e["path"] for e in early["errors"]] == [["me"], ["note"]]
    assert {e["extensions"]["code"] for e in early["errors"]} == {"UNAUTHORIZED_FIELD_OR_TYPE"}
    ctx, early = await decide(p, "{ public me { name } }", {"sub": "u"})
    assert early is None and ctx.status == 200


async def test_subtree_of_a_denied_field_is_not_reported():
    p = AuthorizationPlugin()
    ctx, _ = await decide(p, "{ note { id text } me { email } }")
    assert ctx.unauthorized == {("Query", "note"), ("Query", "me")}  # Note.text, User.email not reached
    assert errors_paths(p, ctx) == [["note"], ["me"]]


async def test_fragments_and_skip_include():
    p = AuthorizationPlugin()
    q = "query($s: Boolean!) { ...F } fragment F on Query { users { ... on User { email @skip(if: $s) } name } }"
    ctx, _ = await decide(p, q, variables={"s": False})
    assert ctx.unauthorized == {("User", "email")}
    ctx, _ = await decide(p, q, variables={"s": True})
    assert ctx.unauthorized == frozenset()


async def test_supergraph_reload_recomputes_rules():
    p = AuthorizationPlugin()
    ctx, _ = await decide(p, "{ me { name } }")
    assert ctx.unauthorized
    open_sg = Supergraph(SDL.replace("me: User @join__field(graph: ACCOUNTS) @authenticated",
                                     "me: User @join__field(graph: ACCOUNTS)"))
    ctx, _ = await decide(p, "{ me { name } }", sg=open_sg)
    assert ctx.unauthorized == frozenset()


def test_config_validation():
    with pytest.raises(ConfigError, match="authorization.mode"):
        AuthorizationPlugin.from_yaml({"mode": "deny"}, None)
    with pytest.raises(ConfigError, match="authorization.nope: unknown key"):
        AuthorizationPlugin.from_yaml({"nope": 1}, None)
    with pytest.raises(ConfigError, match="policy_hook: cannot import"):
        AuthorizationPlugin.from_yaml({"policy_hook": "no_such_module_x:f"}, None)
    with pytest.raises(ConfigError, match="module:function"):
        load_hook("justaname", "authorization.policy_hook")
    assert AuthorizationPlugin.from_yaml({"enabled": False}, None) is None
    p = AuthorizationPlugin.from_yaml({"policy_hook": "os.path:join", "scope_claim": "scp"}, None)
    assert p.policy_hook is not None and p.scope_claim == "scp"


# ---------------------------------------------------------------------- planning with denied fields


def test_denied_fields_are_not_fetched_and_answer_null():
    op = op_of(SG, "{ users { id name email reviews { body rating } } }")
    denied = frozenset({("User", "email"), ("Review", "rating")})
    plan = build_plan(SG, op, denied=denied)
    ops = " ".join(f.operation for f in plan.fetches)
    assert "email" not in ops and "rating" not in ops and "body" in ops
    ex = Execution(plan, {}, None)
    # even if a subgraph sent them (a key the planner fetched, say), they are answered null
    ex.data = {"users": [{"__typename": "User", "id": "1", "name": "Ada", "email": "leak@example.com",
                          "reviews": [{"body": "ok", "rating": 5}]}]}
    out = ex.response()
    assert out["data"] == {"users": [{"id": "1", "name": "Ada", "email": None,
                                      "reviews": [None]}]}  # rating is Int!: the review item is null
    assert "errors" not in out  # the authorization plugin reports these, not the null checks


def test_selection_left_empty_asks_for_typename_only():
    op = op_of(SG, "{ user(id: \"1\") { email } }")
    plan = build_plan(SG, op, denied=frozenset({("User", "email")}))
    assert plan.fetch_count == 1
    assert "user(id:\"1\"){__typename}" in plan.fetches[0].operation.replace(" ", "")


def test_all_root_fields_denied_means_no_fetch():
    op = op_of(SG, "mutation { bump }")
    plan = build_plan(SG, op, denied=frozenset({("Mutation", "bump")}))
    assert plan.fetch_count == 0
    ex = Execution(plan, {}, None)
    assert ex.response() == {"data": {"bump": None}}


def test_checked_in_fixture_is_what_apollo_composition_produces():
    import subprocess

    node_modules = FIXTURE.parents[2] / "node" / "node_modules"
    if not node_modules.is_dir():
        pytest.fail("tests/node/node_modules missing: run `make node`")
    out = subprocess.run(["node", str(FIXTURE.parent / "compose.mjs")], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == SDL, "recompose: node tests/fixtures/router_security/compose.mjs > supergraph.graphql"


def test_unenforced_directives_are_reported(caplog):
    from router.plugins.authorization import warn_if_unenforced

    assert warn_if_unenforced(SG, []) is True and "does not enforce" in caplog.text
    assert warn_if_unenforced(SG, [AuthorizationPlugin()]) is False
    plain = Path(__file__).resolve().parents[3] / "fixtures" / "router" / "supergraph.graphql"
    assert warn_if_unenforced(Supergraph(plain.read_text()), []) is False


def test_type_level_requirement_on_an_interface():
    # composition refuses it in subgraphs, but a supergraph may carry it: it covers fields
    # returning the interface and every implementation
    sg = Supergraph(SDL.replace("interface Node\n  @join__type(graph: ACCOUNTS)\n",
                                "interface Node\n  @join__type(graph: ACCOUNTS)\n  @authenticated\n"))
    r = Rules(sg)
    auth = Requirement(authenticated=True)
    assert r.coordinate("Query", "nodes") == auth
    assert r.coordinate("Tag", "id") == auth and r.coordinate("Doc", "id") == auth
    assert not r.coordinate("Page", "id")
