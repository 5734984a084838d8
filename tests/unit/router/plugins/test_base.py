"""The plugin contract: the pipeline calls a hook only for the plugins that use it, the registry
keeps the documented order, and every section model refuses unknown keys."""

from pathlib import Path

import pytest

from router.config import Config, ConfigError, load_config
from router.pipeline import GraphQLRequest, Router
from router.plugins import build_plugins, registry
from router.plugins.base import HOOKS, Plugin
from router.plugins.jwt import JwtPlugin
from router.plugins.rate_limit import RateLimit
from router.settings import Settings
from router.supergraph import Supergraph

ROOT = Path(__file__).resolve().parents[4]
SDL = (ROOT / "schema" / "supergraph.graphql").read_text()


class Recorder(Plugin):
    """Overrides on_request and on_operation but declares only on_request."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def hooks(self):
        return frozenset({"on_request"})

    async def on_request(self, ctx):
        self.calls.append("on_request")
        return None

    async def on_operation(self, ctx):
        self.calls.append("on_operation")
        return None


class Refuser(Plugin):
    async def on_operation(self, ctx):
        ctx.status = 403
        return {"errors": [{"message": "no", "extensions": {"code": "FORBIDDEN"}}]}


def test_a_plugin_uses_the_hooks_its_class_overrides():
    assert Plugin().hooks() == frozenset()
    assert Refuser().hooks() == {"on_operation"}

    class Sub(Refuser):
        def wrap_send(self, ctx, send):
            return send

    assert Sub().hooks() == {"on_operation", "wrap_send"}
    assert set(HOOKS) == {"on_request", "on_operation", "on_plan", "on_subgraph_request", "on_response",
                          "wrap_send"}


async def test_the_pipeline_calls_only_the_declared_hooks():
    recorder = Recorder()
    router = Router(Config(), Supergraph(SDL), [recorder])
    ctx = await router.prepare(GraphQLRequest("{ __typename }"))
    assert not isinstance(ctx, tuple)
    assert recorder.calls == ["on_request"]  # on_operation is not declared: never called
    refused = await Router(Config(), Supergraph(SDL), [recorder, Refuser()]).prepare(GraphQLRequest("{ __typename }"))
    assert refused == (403, {"errors": [{"message": "no", "extensions": {"code": "FORBIDDEN"}}]})
    assert recorder.calls == ["on_request", "on_request"]


def test_the_registry_keeps_the_request_order():
    order = [p.section for p in registry.PLUGINS]
    assert order[0] == "telemetry"  # sees every request, also the refused ones
    assert order.index("csrf") < order.index("jwt") and order.index("limits") < order.index("jwt")
    assert order.index("jwt") < order.index("rate_limit")  # a verified `sub` is the client
    assert order[-1] == "subgraph_signing"  # its wrapper is the closest to the wire
    assert len(set(order)) == len(order)


def test_every_section_model_refuses_unknown_keys():
    models = registry.section_models()
    assert set(models) >= {p.section for p in registry.PLUGINS} | {"graphiql", "health", "connections",
                                                                   "subscriptions"}
    for name, model in models.items():
        assert issubclass(model, Settings) and model.model_config["extra"] == "forbid", name
        with pytest.raises(ConfigError, match=rf"^{name}\.no_such_key: unknown key"):
            from router.settings import validate

            validate(model, name, {"no_such_key": 1})


def test_build_plugins_follows_the_registry_and_connects_jwt_to_rate_limits(tmp_path):
    path = tmp_path / "router.yaml"
    path.write_text("rate_limit:\n  per_client: {requests: 5, window: 1m}\ncsrf: {}\n"
                    "jwt:\n  secrets: [{secret: '0123456789abcdef0123456789abcdef'}]\n")
    plugins = build_plugins(load_config(str(path), env={}))
    assert [p.section for p in plugins] == ["csrf", "jwt", "rate_limit"]
    jwt, limiter = plugins[1], plugins[2]
    assert isinstance(jwt, JwtPlugin) and isinstance(limiter, RateLimit)
    assert jwt.on_failure == limiter.count_failed_auth  # a refused token still counts against its IP


def test_each_plugin_is_built_from_its_validated_section_model(tmp_path, monkeypatch):
    from router.plugins.limits import Limits, LimitsSettings

    path = tmp_path / "router.yaml"
    path.write_text("limits: {max_depth: 5, request_timeout: 30}\n")
    cfg = load_config(str(path), env={})
    built = Limits.from_config.__func__
    received = []

    def spy(cls, settings, config):
        received.append(settings)
        return built(cls, settings, config)

    monkeypatch.setattr(Limits, "from_config", classmethod(spy))
    (limits,) = build_plugins(cfg)
    (settings,) = received
    assert isinstance(settings, LimitsSettings) and settings is cfg.sections["limits"]  # validated once, at load
    assert (settings.max_depth, limits.request_timeout) == (5, 30)
    with pytest.raises(TypeError, match="holds a LimitsSettings"):
        cfg.section("limits", RateLimit.settings)
