"""Our composer against `@apollo/composition` on the whole fixture corpus.

For every fixture subgraph set both composers must agree: both accept or both
reject; on rejection with the same error codes; on acceptance with the same
API schema (compared structurally, for a readable diff) and, stronger, the same
supergraph text byte for byte, since our printer follows Apollo's layout. One
node process composes the whole corpus, so the suite stays fast.
"""

from __future__ import annotations

import pytest

from supergraph.api import normalized_api

from .compare import Comparison, compare_with_apollo
from .oracle import Case, load_cases

CASES = load_cases()


@pytest.fixture(scope="module")
def compared() -> dict[str, Comparison]:
    return compare_with_apollo(CASES)


def test_corpus_is_large_and_covers_both_outcomes() -> None:
    accepted = [c for c in CASES if c.name.startswith("ok_")]
    rejected = [c for c in CASES if c.name.startswith("err_")]
    assert len(CASES) >= 30 and len(accepted) >= 20 and len(rejected) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_outcome_as_apollo(case: Case, compared: dict[str, Comparison]) -> None:
    comparison = compared[case.name]
    expected_ok = case.name.startswith("ok_")
    assert comparison.apollo.ok is expected_ok, f"fixture naming does not match Apollo's outcome: {comparison.apollo.errors}"
    assert all(message for _, message in comparison.ours.errors)
    if comparison.ours.ok and comparison.apollo.ok:
        assert comparison.ours.supergraph is not None and comparison.apollo.supergraph is not None
        assert normalized_api(comparison.ours.supergraph) == normalized_api(comparison.apollo.supergraph)
    comparison.assert_same()
