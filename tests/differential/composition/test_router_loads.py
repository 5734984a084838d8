"""Our router loads every supergraph our composer produces, and sees the same API types.

The router reads supergraphs written by any composer; this checks the pair we
ship: each accepted fixture's supergraph loads, names the same subgraphs, and
the router's API schema is the one the composer derives (types, fields,
arguments, and executable directives only, as in Apollo's API schema).
"""

from __future__ import annotations

import pytest
from graphql import GraphQLSchema, build_schema, lexicographic_sort_schema, print_schema

from router.supergraph import Supergraph
from supergraph.api import normalized_api
from supergraph.compose import SubgraphInput, compose

from .oracle import Case, load_cases

ACCEPTED = [c for c in load_cases() if c.name.startswith("ok_")]


def printed(schema: GraphQLSchema) -> str:
    return print_schema(lexicographic_sort_schema(schema))


@pytest.mark.parametrize("case", ACCEPTED, ids=[c.name for c in ACCEPTED])
def test_router_loads_our_supergraph(case: Case) -> None:
    result = compose([SubgraphInput(*s) for s in case.subgraphs])
    assert result.ok and result.supergraph_sdl is not None
    loaded = Supergraph(result.supergraph_sdl)
    assert {g.name for g in loaded.graphs.values()} == {name for name, _, _ in case.subgraphs}
    assert printed(loaded.api_schema) == printed(build_schema(normalized_api(result.supergraph_sdl)))
