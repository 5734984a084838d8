"""`@requires` through abstract types: generated field sets, ours against `@apollo/composition`.

Inline fragments on interface implementations and union members, nested ones, fragments
on a second interface and on the abstract type itself, interface-level fields that only
the implementations serve, fields reached through the implementations' keys, and
requirements nothing can serve (see requires_shapes.py). Both composers must agree on
every case: the same supergraph byte for byte, or the same error codes.
"""

from __future__ import annotations

import pytest

from .compare import Comparison, compare_with_apollo
from .oracle import Case
from .requires_shapes import generate_cases

CASES: list[Case] = generate_cases(150, seed=1)


@pytest.fixture(scope="module")
def compared() -> dict[str, Comparison]:
    return compare_with_apollo(CASES)


def test_the_generated_cases_cover_both_outcomes(compared: dict[str, Comparison]) -> None:
    accepted = sum(1 for c in compared.values() if c.apollo.ok)
    rejected = sum(1 for c in compared.values() if not c.apollo.ok)
    assert accepted >= 100 and rejected >= 10, (accepted, rejected)
    fragments = sum(1 for case in CASES for _, _, sdl in case.subgraphs if "... on Polygon" in sdl)
    assert fragments >= 20


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_as_apollo(case: Case, compared: dict[str, Comparison]) -> None:
    compared[case.name].assert_same()
