from pathlib import Path

from router.config import load_config

ROOT = Path(__file__).resolve().parents[3]


def test_shipped_router_yaml_is_valid():
    cfg = load_config(str(ROOT / "router" / "router.yaml"), env={})
    assert cfg.supergraph_path == "schema/supergraph.graphql" and cfg.expose_query_plan is False
