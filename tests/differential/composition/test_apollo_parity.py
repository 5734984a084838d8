"""Our composer against `@apollo/composition` on the whole fixture corpus.

For every fixture subgraph set both composers must agree: both accept or both
reject; on rejection with the same error codes; on acceptance with the same
API schema (compared structurally) and, stronger, the same supergraph text,
since our printer follows Apollo's layout. One node process composes the
whole corpus, so the suite stays fast.
"""

from __future__ import annotations

import pytest

from supergraph.api import normalized_api
from supergraph.compose import SubgraphInput, compose

from .oracle import Case, apollo_compose, load_cases

CASES = load_cases()


@pytest.fixture(scope="module")
def apollo() -> dict[str, dict]:
    return apollo_compose(CASES)


def test_corpus_is_large_and_covers_both_outcomes() -> None:
    accepted = [c for c in CASES if c.name.startswith("ok_")]
    rejected = [c for c in CASES if c.name.startswith("err_")]
    assert len(CASES) >= 30 and len(accepted) >= 20 and len(rejected) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_outcome_as_apollo(case: Case, apollo: dict[str, dict]) -> None:
    theirs = apollo[case.name]
    ours = compose([SubgraphInput(*s) for s in case.subgraphs])
    expected_ok = case.name.startswith("ok_")
    assert theirs["ok"] is expected_ok, f"fixture naming does not match Apollo's outcome: {theirs['errors']}"
    assert ours.ok is theirs["ok"], [str(e) for e in ours.errors]
    if not ours.ok:
        assert sorted({e.code for e in ours.errors}) == sorted({e["code"] for e in theirs["errors"]})
        assert all(e.message for e in ours.errors)
        return
    assert ours.supergraph_sdl is not None
    assert normalized_api(ours.supergraph_sdl) == normalized_api(theirs["supergraph"])
    assert ours.supergraph_sdl == theirs["supergraph"]
