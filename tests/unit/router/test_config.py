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
    ("server:\n  port: abc\n", "server.port: expected int"),
    ("subgraphs:\n  users:\n    timeout: fast\n", "subgraphs.users.timeout"),
    ("server:\n  port: ${env.NOPE_NOT_SET}\n", "NOPE_NOT_SET is not set"),
    ("traffic:\n  client: curl\n", "traffic.client"),
    ("server: [\n", "not valid YAML"),
])
def test_bad_config_names_the_bad_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), env={})


def test_env_expansion_with_a_default(tmp_path):
    path = write(tmp_path, "subgraphs:\n  users:\n    url: ${env.USERS_URL:-http://127.0.0.1:3001/graphql}\n")
    assert load_config(path, env={}).subgraphs["users"].url == "http://127.0.0.1:3001/graphql"
    assert load_config(path, env={"USERS_URL": "http://u/graphql"}).subgraphs["users"].url == "http://u/graphql"
