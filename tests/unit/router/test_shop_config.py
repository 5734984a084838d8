"""The shop's router.yaml keeps the classic gateway's rule; no config means no plugins."""

from pathlib import Path

from router.config import Config, load_config
from router.plugins import build_plugins
from router.plugins.rate_limit import Limit, RateLimit
from router.plugins.telemetry import Telemetry

ROOT = Path(__file__).resolve().parents[3]


def test_shop_router_yaml_limits_each_client_to_100_requests_per_15_minutes():
    plugins = build_plugins(load_config(str(ROOT / "router" / "router.yaml"), env={}))
    (rl,) = [p for p in plugins if isinstance(p, RateLimit)]
    assert rl.cfg.per_client == Limit("client", 100, 900.0)
    assert rl.cfg.global_ is None and not rl.per_operation
    kinds = [type(p) for p in plugins]
    assert kinds[0] is Telemetry  # sees every request, also those other plugins refuse
    names = [k.__name__ for k in kinds]
    assert names.index("Limits") < names.index("JwtPlugin") < names.index("RateLimit")  # rate limit keys on `sub`


def test_no_config_builds_no_plugin():
    assert build_plugins(Config()) == []
