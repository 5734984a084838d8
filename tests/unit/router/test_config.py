import pytest

from router.config import ConfigError, load_config


def write(tmp_path, text):
    p = tmp_path / "router.yaml"
    p.write_text(text)
    return str(p)


def test_defaults_without_file():
    cfg = load_config(None, env={})
    assert cfg.port == 4000 and cfg.expose_query_plan is False and cfg.introspection is True


def test_values_env_expansion_and_overrides(tmp_path):
    path = write(tmp_path, "server:\n  port: 5000\nsubgraphs:\n  users:\n    url: ${env.USERS_URL}\n    timeout: 2\n"
                           "plan:\n  expose_query_plan: true\noverride_labels: [a]\n")
    cfg = load_config(path, env={"USERS_URL": "http://u/graphql", "ROUTER_PORT": "6000"})
    assert cfg.subgraphs["users"].url == "http://u/graphql" and cfg.subgraphs["users"].timeout == 2
    assert cfg.port == 6000 and cfg.expose_query_plan and cfg.override_labels == {"a"}


@pytest.mark.parametrize("text,message", [
    ("server:\n  prot: 1\n", "server.prot: unknown key"),
    ("sever:\n  port: 1\n", "unknown config section 'sever'"),
    ("server:\n  port: abc\n", "router.yaml: server.port: expected an integer, got 'abc'"),
    ("subgraphs:\n  users:\n    timeout: fast\n", "subgraphs.users.timeout"),
    ("server:\n  port: ${env.NOPE_NOT_SET}\n", "NOPE_NOT_SET is not set"),
    ("traffic:\n  client: curl\n", "traffic.client"),
    ("traffic:\n  max_response_bytes: 0\n", "traffic.max_response_bytes: must be at least 1"),
    ("traffic:\n  max_response_bytes: big\n", "traffic.max_response_bytes: expected an integer, got 'big'"),
    ("traffic:\n  max_connections_per_subgraph: 0\n", "traffic.max_connections_per_subgraph: must be at least 1"),
    ("server: [\n", "not valid YAML"),
])
def test_bad_config_names_the_bad_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), env={})


def test_subgraph_caps_default_and_set(tmp_path):
    cfg = load_config(None, env={})
    assert (cfg.max_response_bytes, cfg.max_connections_per_subgraph) == (64 * 1024 * 1024, 512)
    path = write(tmp_path, "traffic:\n  max_response_bytes: 1000\n  max_connections_per_subgraph: 4\n")
    cfg = load_config(path, env={"ROUTER_TRAFFIC__MAX_CONNECTIONS_PER_SUBGRAPH": "8"})
    assert (cfg.max_response_bytes, cfg.max_connections_per_subgraph) == (1000, 8)


def test_env_expansion_with_a_default(tmp_path):
    path = write(tmp_path, "subgraphs:\n  users:\n    url: ${env.USERS_URL:-http://127.0.0.1:3001/graphql}\n")
    assert load_config(path, env={}).subgraphs["users"].url == "http://127.0.0.1:3001/graphql"
    assert load_config(path, env={"USERS_URL": "http://u/graphql"}).subgraphs["users"].url == "http://u/graphql"


def test_a_profile_extends_a_base_file_key_by_key(tmp_path):
    (tmp_path / "base.yaml").write_text("server:\n  port: 5000\n  host: 0.0.0.0\nrate_limit:\n"
                                        "  per_client: {requests: 100, window: 15m}\n  trusted_proxies: [10.0.0.0/8]\n")
    (tmp_path / "dev").mkdir()
    profile = tmp_path / "dev" / "dev.yaml"
    profile.write_text("extends: ../base.yaml\nserver:\n  port: 5001\nrate_limit:\n  per_client: {requests: 9}\n"
                       "  trusted_proxies: []\n")
    cfg = load_config(str(profile), env={})
    assert (cfg.host, cfg.port) == ("0.0.0.0", 5001)
    limits = cfg.sections["rate_limit"]
    assert (limits.per_client.requests, limits.per_client.window, limits.trusted_proxies) == (9, 900.0, [])


@pytest.mark.parametrize("files,message", [
    ({"a.yaml": "extends: b.yaml\n", "b.yaml": "extends: a.yaml\n"}, "extends itself"),
    ({"a.yaml": "extends: missing.yaml\n"}, "cannot read config .*missing.yaml"),
    ({"a.yaml": "extends: [b.yaml]\n"}, "extends: expected the path"),
    ({"a.yaml": "extends: b.yaml\n", "b.yaml": "- 1\n"}, "top level must be a mapping"),
])
def test_bad_extends_is_named(tmp_path, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(str(tmp_path / "a.yaml"), env={})


def test_any_setting_from_a_router_env_variable(tmp_path):
    path = write(tmp_path, "server:\n  port: 5000\nrate_limit:\n  per_client: {requests: 100, window: 15m}\n"
                           "  global: {requests: 5, window: 1s}\n")
    cfg = load_config(path, env={
        "ROUTER_RATE_LIMIT__PER_CLIENT__REQUESTS": "1000",
        "ROUTER_RATE_LIMIT__GLOBAL": "null",                        # removes the key
        "ROUTER_CORS__ORIGINS": "[http://localhost:5173]",          # a section the file does not have
        "ROUTER_SERVER__HOST": "0.0.0.0",
        "ROUTER_INTROSPECTION__ENABLED": "false",
        "ROUTER_ENV": "production", "ROUTER_CONFIG": path,          # no '__': not a setting path
    })
    limits = cfg.sections["rate_limit"]
    assert (limits.per_client.requests, limits.per_client.window, limits.global_) == (1000, 900.0, None)
    assert cfg.sections["cors"].origins == ["http://localhost:5173"]
    assert (cfg.host, cfg.port, cfg.introspection) == ("0.0.0.0", 5000, False)


@pytest.mark.parametrize("env,message", [
    ({"ROUTER_RATE_LIMT__PER_CLIENT": "1"}, "ROUTER_RATE_LIMT__PER_CLIENT: unknown config section 'rate_limt'"),
    ({"ROUTER_SERVER__PORT": "abc"}, "server.port: expected an integer, got 'abc'"),
    ({"ROUTER_SERVER__PROT": "1"}, "server.prot: unknown key"),
    ({"ROUTER_SERVER____PORT": "1"}, "empty key"),
    ({"ROUTER_SERVER__PORT__X": "1"}, "port is not a mapping"),
    ({"ROUTER_CORS__ORIGINS": "[a, b"}, "not a valid YAML value"),
])
def test_bad_env_settings_are_named(tmp_path, env, message):
    path = write(tmp_path, "server:\n  port: 5000\n")
    with pytest.raises(ConfigError, match=message):
        load_config(path, env=env)


def test_introspection_is_off_by_default_in_production(tmp_path):
    plain = write(tmp_path, "server:\n  port: 5000\n")
    assert load_config(plain, env={}).introspection is True
    assert load_config(plain, env={"ROUTER_ENV": "production"}).introspection is False
    assert load_config(plain, env={"ROUTER_ENV": "production", "ROUTER_INTROSPECTION": "true"}).introspection is True
    assert load_config(plain, env={"ROUTER_ENV": "production", "ROUTER_INTROSPECTION__ENABLED": "true"}).introspection
    explicit = tmp_path / "explicit.yaml"
    explicit.write_text("introspection:\n  enabled: true\n")
    assert load_config(str(explicit), env={"ROUTER_ENV": "production"}).introspection is True
