"""The comparison helper itself: it reads federations from files and notices every difference."""

from __future__ import annotations

from pathlib import Path

import pytest

from .compare import (
    Comparison,
    Outcome,
    case_from_directory,
    case_from_files,
    cases_from_directories,
    compare_files,
    compare_with_apollo,
)
from .oracle import FIXTURES, Case


def test_a_federation_from_files_is_compared_with_apollo() -> None:
    files = sorted((FIXTURES / "ok_reviews_products_accounts").glob("*.graphql"))
    comparison = compare_files(*files)
    assert [s[0] for s in comparison.case.subgraphs] == [f.stem for f in files]
    assert comparison.ours.ok and comparison.apollo.ok
    comparison.assert_same()


def test_rejections_compare_by_error_codes() -> None:
    compared = compare_with_apollo([case_from_directory(FIXTURES / "err_satisfiability_no_key")])
    comparison = compared["err_satisfiability_no_key"]
    assert comparison.same and comparison.ours.codes == ("SATISFIABILITY_ERROR",)


def _comparison(ours: Outcome, apollo: Outcome) -> Comparison:
    return Comparison(Case("x", (("a", "http://a", "type Query { a: Int }"),)), ours, apollo)


def test_a_final_newline_is_a_difference() -> None:
    comparison = _comparison(Outcome(True, "schema {}\n"), Outcome(True, "schema {}"))
    assert not comparison.same
    assert "ends with" in comparison.explain()
    with pytest.raises(AssertionError, match="the supergraphs differ"):
        comparison.assert_same()


def test_a_changed_line_is_shown_as_a_diff() -> None:
    comparison = _comparison(Outcome(True, "type Query {\n  a: Int\n}"), Outcome(True, "type Query {\n  a: String\n}"))
    assert "-  a: String\n+  a: Int" in comparison.explain()


def test_accepting_where_apollo_rejects_and_different_codes_are_differences() -> None:
    rejected = Outcome(False, None, (("INVALID_GRAPHQL", "bad"),))
    assert not _comparison(Outcome(True, "s"), rejected).same
    assert not _comparison(Outcome(False, None, (("NO_QUERIES", "none"),)), rejected).same
    assert _comparison(Outcome(False, None, (("INVALID_GRAPHQL", "other words"),)), rejected).same
    assert "apollo: INVALID_GRAPHQL: bad" in _comparison(Outcome(True, "s"), rejected).explain()


def test_files_must_give_distinct_subgraph_names(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    for d in ("one", "two"):
        (tmp_path / d / "a.graphql").write_text("type Query { a: Int }")
    with pytest.raises(ValueError, match="same subgraph name"):
        case_from_files("x", [tmp_path / "one" / "a.graphql", tmp_path / "two" / "a.graphql"])
    with pytest.raises(ValueError, match="no subgraph SDL files"):
        case_from_files("x", [])


def test_every_sub_directory_is_a_federation(tmp_path: Path) -> None:
    for name in ("two", "one"):
        (tmp_path / name / "subgraphs").mkdir(parents=True)
        (tmp_path / name / "subgraphs" / "a.graphql").write_text("type Query { a: Int }")
        (tmp_path / name / "query.graphql").write_text("{ a }")  # not a subgraph
    cases = cases_from_directories(tmp_path, "subgraphs/*.graphql")
    assert [c.name for c in cases] == ["one", "two"]
    assert all([s[0] for s in c.subgraphs] == ["a"] for c in cases)
    compared = compare_with_apollo(cases)
    assert all(c.same and c.ours.ok for c in compared.values())
