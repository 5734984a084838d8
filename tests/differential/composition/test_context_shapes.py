"""`@context` / `@fromContext`, ours against `@apollo/composition`: the hand-written fixtures
(`tests/fixtures/composition/*context*`) and a few hundred generated federations (see
context_shapes.py): the same supergraph byte for byte, or the same error codes. Every
supergraph accepted is loaded by our router, whose API schema shows no contextual argument.
"""

from __future__ import annotations

import pytest
from graphql import GraphQLObjectType, parse
from graphql.language import ObjectTypeDefinitionNode

from router.supergraph import Supergraph

from .compare import Comparison, compare_with_apollo
from .context_shapes import generate_cases
from .oracle import Case, load_cases

GENERATED: list[Case] = generate_cases(300, seed=1)
FIXTURES: list[Case] = [c for c in load_cases() if "context" in c.name]
CASES = GENERATED + FIXTURES
# Every error code of the feature, and satisfiability, shows up in what is compared.
EXPECTED_CODES = {
    "CONTEXT_NAME_INVALID", "CONTEXT_NOT_SET", "NO_CONTEXT_IN_SELECTION", "CONTEXT_INVALID_SELECTION",
    "CONTEXT_NO_RESOLVABLE_KEY", "CONTEXTUAL_ARGUMENT_NOT_CONTEXTUAL_IN_ALL_SUBGRAPHS",
    "MISSING_TRANSITIVE_AUTH_REQUIREMENTS", "SATISFIABILITY_ERROR", "INVALID_GRAPHQL",
}


@pytest.fixture(scope="module")
def compared() -> dict[str, Comparison]:
    return compare_with_apollo(CASES)


def test_what_is_compared_is_large_and_covers_both_outcomes_and_every_error(compared: dict[str, Comparison]) -> None:
    assert len(GENERATED) == 300 and len(FIXTURES) >= 40
    assert len(compared) == len(CASES)
    generated = [compared[c.name] for c in GENERATED]
    accepted = sum(1 for c in generated if c.apollo.ok)
    rejected = sum(1 for c in generated if not c.apollo.ok)
    assert accepted >= 60 and rejected >= 150, (accepted, rejected)
    unsatisfiable = sum(1 for c in generated if "SATISFIABILITY_ERROR" in c.apollo.codes)
    assert unsatisfiable >= 30, unsatisfiable
    seen = {code for c in compared.values() for code in c.apollo.codes}
    assert EXPECTED_CODES <= seen, EXPECTED_CODES - seen


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_as_apollo(case: Case, compared: dict[str, Comparison]) -> None:
    compared[case.name].assert_same()


def contextual_arguments(sdl: str) -> dict[tuple[str, str], set[str]]:
    """(type, field) -> the arguments `@join__field(contextArguments:)` records for it."""
    out: dict[tuple[str, str], set[str]] = {}
    for definition in parse(sdl).definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode):
            continue
        for f in definition.fields or ():
            for d in f.directives or ():
                for arg in d.arguments or ():
                    if d.name.value == "join__field" and arg.name.value == "contextArguments":
                        names = out.setdefault((definition.name.value, f.name.value), set())
                        for entry in getattr(arg.value, "values", ()):
                            names |= {getattr(x.value, "value", "") for x in entry.fields if x.name.value == "name"}
    return out


def test_the_router_loads_every_accepted_supergraph_without_contextual_arguments(compared: dict[str, Comparison]) -> None:
    loaded = 0
    for comparison in compared.values():
        sdl = comparison.ours.supergraph
        if not comparison.ours.ok or sdl is None:
            continue
        contextual = contextual_arguments(sdl)
        api = Supergraph(sdl).api_schema
        for (type_name, field_name), names in contextual.items():
            t = api.get_type(type_name)
            assert isinstance(t, GraphQLObjectType), comparison.case.name
            assert names and not names & set(t.fields[field_name].args), (comparison.case.name, type_name, field_name)
        loaded += bool(contextual)
    assert loaded >= 70, loaded
