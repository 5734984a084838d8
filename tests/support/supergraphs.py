"""The supergraphs of the router's Node test subgraphs, composed when a test run first asks
for them by our composer from the subgraph SDLs next to the servers (schemas/NAME.graphql,
the one source: no composed copy is committed), with their placeholder URLs
(http://NAME.subgraphs.invalid/graphql) pointed at the servers a test started.
tests/differential/composition/test_fixture_supergraphs.py checks that `@apollo/composition`
composes the same bytes from them."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from supergraph.compose import SubgraphInput, compose
from tests.support.harness import ROUTER_FIXTURES, SECURITY_FIXTURES


def placeholder_url(name: str) -> str:
    return f"http://{name}.subgraphs.invalid/graphql"


def subgraph_sdls(fixtures: Path) -> dict[str, str]:
    """NAME -> SDL of the subgraphs a fixture's Node server runs (schemas/NAME.graphql)."""
    return {f.stem: f.read_text() for f in sorted((fixtures / "schemas").glob("*.graphql"))}


@cache
def composed(fixtures: Path) -> str:
    """Our composition of the fixture's subgraphs, with placeholder URLs."""
    result = compose([SubgraphInput(name, placeholder_url(name), sdl) for name, sdl in subgraph_sdls(fixtures).items()])
    assert result.ok and result.supergraph_sdl is not None, [e.message for e in result.errors]
    return result.supergraph_sdl


def router_sdl() -> str:
    """The router test supergraph (six subgraphs: every planner feature)."""
    return composed(ROUTER_FIXTURES)


def security_sdl() -> str:
    """The security test supergraph (@authenticated, @requiresScopes, @policy)."""
    return composed(SECURITY_FIXTURES)


def pointed(sdl: str, urls: dict[str, str]) -> str:
    """The supergraph with each named subgraph's placeholder URL replaced."""
    for name, url in urls.items():
        sdl = sdl.replace(placeholder_url(name), url)
    return sdl


def router_supergraph(port: int, dead_port: int, sdl: str | None = None) -> str:
    """The router test supergraph over the Node subgraphs on `port`; `legacy` is down (`dead_port`)."""
    urls = {name: f"http://127.0.0.1:{port}/{name}/graphql"
            for name in ("users", "products", "inventory", "reviews", "shipping")}
    return pointed(router_sdl() if sdl is None else sdl, {**urls, "legacy": f"http://127.0.0.1:{dead_port}/graphql"})


def security_supergraph(port: int, sdl: str | None = None) -> str:
    """The security test supergraph over its Node subgraphs on `port`."""
    urls = {name: f"http://127.0.0.1:{port}/{name}/graphql" for name in ("accounts", "reviews")}
    return pointed(security_sdl() if sdl is None else sdl, urls)
