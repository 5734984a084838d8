from pathlib import Path

from router.config import load_config

ROOT = Path(__file__).resolve().parents[3]


def test_shipped_router_yaml_is_valid():
    cfg = load_config(str(ROOT / "router" / "router.yaml"), env={})
    assert cfg.supergraph_path == "schema/supergraph.graphql" and cfg.expose_query_plan is False


def test_dev_profile_relaxes_rate_limit_and_cors_and_production_stays_strict():
    from router.plugins.cors import CorsPlugin

    prod = load_config(str(ROOT / "router" / "router.yaml"), env={})
    dev = load_config(str(ROOT / "router" / "router.dev.yaml"), env={})
    per_client = prod.sections["rate_limit"].per_client
    assert (per_client.requests, per_client.window) == (100, 900.0)
    assert "cors" not in prod.sections
    per_client = dev.sections["rate_limit"].per_client
    assert (per_client.requests, per_client.window) == (10000, 900.0)
    assert {k: v for k, v in dev.sections.items() if k not in ("rate_limit", "cors")} == \
        {k: v for k, v in prod.sections.items() if k != "rate_limit"}
    regex = CorsPlugin.from_config(dev.sections["cors"], dev).kwargs["allow_origin_regex"]
    import re
    for origin in ("http://localhost:5173", "http://127.0.0.1:3000", "http://localhost"):
        assert re.fullmatch(regex, origin), origin
    for origin in ("http://localhost.evil.example", "https://evil.example", "http://localhost:5173.evil.example"):
        assert not re.fullmatch(regex, origin), origin


def test_shop_config_and_its_k8s_config_map_keep_introspection_off_in_production():
    import yaml

    assert load_config(str(ROOT / "router" / "router.yaml"), env={"ROUTER_ENV": "production"}).introspection is False
    assert load_config(str(ROOT / "router" / "router.dev.yaml"), env={}).introspection is True  # make dev
    (config_map,) = [d for d in yaml.safe_load_all((ROOT / "deploy" / "k8s" / "router-config.yaml").read_text())
                     if d and d.get("kind") == "ConfigMap"]
    assert "introspection" not in yaml.safe_load(config_map["data"]["router.yaml"])
    deployment = (ROOT / "deploy" / "k8s" / "router.yaml").read_text()
    assert "ROUTER_ENV" in deployment and "ROUTER_INTROSPECTION" not in deployment
