"""rover's supergraph.yaml: what is accepted, and how mistakes are reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from supergraph.config import ConfigError, load_config, parse_config


def test_loads_the_shop_config_with_paths_relative_to_the_file() -> None:
    root = Path(__file__).resolve().parents[3]
    config = load_config(root / "supergraph" / "supergraph.yaml")
    assert [s.name for s in config.subgraphs] == ["users", "orders", "payments"]
    users = config.subgraph("users")
    assert users.routing_url == "http://127.0.0.1:3001/graphql"
    assert users.file == root / "schema" / "users.graphql"
    assert config.subgraph("payments").routing_url.endswith(":3003/graphql")


def test_environment_variables_are_expanded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERS_URL", "http://orders.internal/graphql")
    config = parse_config(
        {
            "subgraphs": {
                "orders": {"routing_url": "${env.ORDERS_URL}", "schema": {"file": "o.graphql"}},
                "users": {"routing_url": "${env.USERS_URL:-http://localhost:1/graphql}", "schema": {"sdl": "type Query { a: Int }"}},
            }
        },
        base=Path("/cfg"),
    )
    assert config.subgraph("orders").routing_url == "http://orders.internal/graphql"
    assert config.subgraph("orders").file == Path("/cfg/o.graphql")
    assert config.subgraph("users").routing_url == "http://localhost:1/graphql"


def test_subgraph_url_is_the_routing_url_by_default() -> None:
    config = parse_config(
        {"subgraphs": {"a": {"schema": {"subgraph_url": "http://a:4000/graphql", "introspection_headers": {"x": "y"}}}}}
    )
    a = config.subgraph("a")
    assert a.routing_url == a.subgraph_url == "http://a:4000/graphql"
    assert a.introspection_headers == {"x": "y"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "subgraphs: expected a mapping"),
        ({"subgraphs": {}, "extra": 1}, "extra: unknown key (known: federation_version, subgraphs)"),
        ({"subgraphs": {"a": {"routing_url": "x", "shema": {"sdl": "s"}}}}, "subgraphs.a.shema: unknown key (known: routing_url, schema)"),
        ({"subgraphs": {"a": {"routing_url": "x", "schema": {"sdl": "s", "introspection_headers": {"x": 1}}}}},
         "subgraphs.a.schema.introspection_headers.x: expected a string, got 1"),
        ({"subgraphs": {"a": {"routing_url": "http://a"}}}, "subgraphs.a.schema: expected one of"),
        ({"subgraphs": {"a": {"routing_url": "http://a", "schema": {"file": "x", "sdl": "y"}}}}, "exactly one of"),
        ({"subgraphs": {"a": {"schema": {"file": "a.graphql"}}}}, "subgraphs.a.routing_url: expected a non-empty string"),
        ({"subgraphs": {"a": {"routing_url": "x", "schema": {"subgraph_url": "ftp://a"}}}}, "expected an http(s) URL"),
        ({"federation_version": "=1.1", "subgraphs": {"a": {"routing_url": "x", "schema": {"sdl": "s"}}}}, "only Federation 2"),
        ({"federation_version": "latest", "subgraphs": {"a": {"routing_url": "x", "schema": {"sdl": "s"}}}}, "is not a version"),
        ({"subgraphs": {"a": {"routing_url": "${env.NOPE_NOT_SET}", "schema": {"sdl": "s"}}}}, "NOPE_NOT_SET is not set"),
        ({"subgraphs": {"a": {"routing_url": "x", "schema": {"graphref": "g@v", "subgraph": "a"}}}}, "graph refs are not supported"),
        ({"subgraphs": {"a b": {"routing_url": "x", "schema": {"sdl": "s"}}}}, "invalid subgraph name"),
    ],
)
def test_mistakes_are_reported_with_their_location(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_config(data)
    assert message in str(excinfo.value)


def test_unreadable_or_invalid_yaml_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("subgraphs: [unclosed")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(bad)
