"""The router's test supergraphs are composed by our composer at test time
(tests/support/supergraphs.py), so nothing checks them against a committed copy: here
`@apollo/composition` composes the same subgraph SDLs and must print the same bytes."""

from __future__ import annotations

import pytest

from tests.support.harness import ROUTER_FIXTURES, SECURITY_FIXTURES
from tests.support.supergraphs import composed, placeholder_url, subgraph_sdls

from .oracle import Case, apollo_compose, node_available

FIXTURE_SETS = {"router": ROUTER_FIXTURES, "router_security": SECURITY_FIXTURES}


def test_our_composition_of_the_test_subgraphs_is_apollos() -> None:
    if not node_available():
        pytest.fail("tests/node/node_modules missing: run `make node`")
    cases = [Case(name, tuple((sub, placeholder_url(sub), sdl) for sub, sdl in subgraph_sdls(path).items()))
             for name, path in FIXTURE_SETS.items()]
    theirs = apollo_compose(cases)
    compared = 0
    for name, path in FIXTURE_SETS.items():
        entry = theirs[name]
        assert entry["ok"], entry["errors"]
        assert composed(path) == entry["supergraph"], f"{name}: our supergraph differs from Apollo's"
        compared += 1
    assert compared == 2 and {len(c.subgraphs) for c in cases} == {6, 2}
