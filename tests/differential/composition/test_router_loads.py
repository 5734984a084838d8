"""Our router loads every supergraph our composer produces, and sees the API Apollo sees.

The router reads supergraphs written by any composer; this checks the pair we
ship: each accepted fixture's supergraph loads, names the same subgraphs, and
the router's API schema (derived in shared/api_schema.py, as the composer's is)
is the one `@apollo/federation-internals`' `toAPISchema` prints for the same
subgraphs: types, fields, arguments, and executable directives only (with `@defer`, which the
router adds to the API schema it serves as Apollo Router does).
"""

from __future__ import annotations

import pytest
from graphql import GraphQLSchema, build_schema, lexicographic_sort_schema, print_schema

from router.defer_directive import with_defer
from router.supergraph import Supergraph
from supergraph.compose import SubgraphInput, compose

from .oracle import Case, apollo_compose, load_cases

ACCEPTED = [c for c in load_cases() if c.name.startswith("ok_")]


def printed(schema: GraphQLSchema) -> str:
    return print_schema(lexicographic_sort_schema(schema))


@pytest.fixture(scope="module")
def apollo() -> dict[str, dict]:
    return apollo_compose(ACCEPTED)


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.name for c in ACCEPTED])
def test_router_loads_our_supergraph(case: Case, apollo: dict[str, dict]) -> None:
    result = compose([SubgraphInput(*s) for s in case.subgraphs])
    assert result.ok and result.supergraph_sdl is not None
    loaded = Supergraph(result.supergraph_sdl)
    assert {g.name for g in loaded.graphs.values()} == {name for name, _, _ in case.subgraphs}
    theirs = apollo[case.name]
    assert theirs["ok"] and theirs["api"], theirs["errors"]
    # plus @defer, which Apollo Router adds to the API schema it serves (toAPISchema's includeDefer)
    assert printed(loaded.api_schema) == printed(with_defer(build_schema(theirs["api"])))


def test_the_router_loads_every_accepted_case() -> None:
    """How many supergraphs the parametrized comparison above covers (a shrunken corpus fails)."""
    assert len(ACCEPTED) >= 100 and len({c.name for c in ACCEPTED}) == len(ACCEPTED)
