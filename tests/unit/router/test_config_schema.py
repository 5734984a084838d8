"""`router config schema`: the JSON Schema editors check router.yaml with. It is run as the real
command, and the checked-in configurations (the shop's, the dev profile, the Kubernetes
ConfigMap's) must pass it, while a typo'd key must not."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from router.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    out = subprocess.run([sys.executable, "-m", "router", "config", "schema"], capture_output=True, text=True,
                         cwd=ROOT, timeout=60, check=True).stdout
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def checked_in_configs() -> dict[str, dict]:
    configs = {p: yaml.safe_load((ROOT / p).read_text()) for p in ("router/router.yaml", "router/router.dev.yaml")}
    for manifest in sorted((ROOT / "deploy").rglob("*.yaml")):
        for doc in yaml.safe_load_all(manifest.read_text()):
            if isinstance(doc, dict) and doc.get("kind") == "ConfigMap" and "router.yaml" in (doc.get("data") or {}):
                configs[str(manifest.relative_to(ROOT))] = yaml.safe_load(doc["data"]["router.yaml"])
    return configs


def test_every_checked_in_router_config_passes_the_schema(validator):
    configs = checked_in_configs()
    assert set(configs) >= {"router/router.yaml", "router/router.dev.yaml", "deploy/k8s/router-config.yaml"}
    for name, config in configs.items():
        errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(config)]
        assert errors == [], name
    # the shop's file uses most sections: the schema knows every one of them
    assert len(configs["router/router.yaml"]) >= 15


@pytest.mark.parametrize("config", [
    {"server": {"prot": 3000}},                                  # a typo'd key
    {"sever": {"port": 3000}},                                   # a typo'd section
    {"rate_limit": {"per_client": {"reqests": 100, "window": "15m"}}},
    {"rate_limit": {"per_client": {"requests": 100}}},           # window is required
    {"limits": {"max_depth": "deep"}},
    {"limits": {"max_depth": 0}},
    {"jwt": {"jwks": [{"url": "http://x", "pol_interval": 5}]}},
    {"traffic": {"client": "curl"}},
    {"error_masking": {"mode": "some"}},
    {"headers": {"all": [{"propagate": {"named": "x", "rname": "y"}}]}},
])
def test_the_schema_refuses_what_the_router_refuses(validator, config, tmp_path):
    assert list(validator.iter_errors(config)), config
    path = tmp_path / "router.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=r"^router\.yaml: |unknown config section"):
        load_config(str(path), env={})


@pytest.mark.parametrize("config", [
    {"server": {"port": "${env.PORT:-3000}"}, "plan": {"expose_query_plan": "${env.EXPOSE}"}},
    {"rate_limit": {"per_client": {"requests": 5, "window": 90}, "store": "redis"}},
    {"cors": {"origins": "http://localhost:5173"}},              # one origin for a list of one
    {"extends": "router.yaml", "subgraphs": {"users": {"url": "http://users:3001/graphql", "timeout": 2}}},
])
def test_the_schema_accepts_env_references_and_the_short_forms(validator, config):
    errors = [e.message for e in validator.iter_errors(config)]
    assert errors == []


@pytest.mark.parametrize("text,message", [
    ("rate_limit:\n  per_client: {requests: many, window: 15m}\n",
     "router: router.yaml: rate_limit.per_client.requests: expected an integer, got 'many'"),
    ("limits:\n  max_dept: 3\n", "router: router.yaml: limits.max_dept: unknown key (known: max_depth, "),
    ("jwt:\n  jwks: [{url: 'http://x', pol_interval: 5}]\n", "router: router.yaml: jwt.jwks[0].pol_interval: unknown key"),
])
def test_the_router_stops_at_start_naming_the_key(tmp_path, text, message):
    config = tmp_path / "router.yaml"
    config.write_text(text)
    res = subprocess.run([sys.executable, "-m", "router", "--config", str(config),
                          "--supergraph", str(ROOT / "schema" / "supergraph.graphql")],
                         capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert res.returncode == 2
    assert res.stderr.startswith(message), res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""
