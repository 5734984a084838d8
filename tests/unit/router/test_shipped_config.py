"""The shop's router.yaml (what `make dev` runs) builds its security plugins."""

from pathlib import Path

from router.config import load_config
from router.plugins import build_plugins

ROOT = Path(__file__).resolve().parents[3]


def test_shop_router_yaml_enables_the_security_plugins():
    cfg = load_config(str(ROOT / "router" / "router.yaml"), env={})
    names = {type(p).__name__ for p in build_plugins(cfg)}
    assert {"JwtPlugin", "AuthorizationPlugin", "CsrfPlugin", "HeadersPlugin", "MaskingPlugin"} <= names
    jwt = next(p for p in build_plugins(cfg) if type(p).__name__ == "JwtPlugin")
    assert jwt.sources[0].url == "http://127.0.0.1:3001/.well-known/jwks.json"
    assert jwt.algorithms == {"RS256"} and jwt.issuers == ["shop-users"] and jwt.audiences == ["shop"]
    cfg = load_config(str(ROOT / "router" / "router.yaml"), env={"USERS_JWKS_URL": "http://users:3001/jwks"})
    jwt = next(p for p in build_plugins(cfg) if type(p).__name__ == "JwtPlugin")
    assert jwt.sources[0].url == "http://users:3001/jwks"
