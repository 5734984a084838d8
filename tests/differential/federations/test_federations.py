"""The planner's differential corpus (tests/fixtures/federations): every federation's
hand-written and generated operations through @apollo/gateway, Hive Gateway with Hive Router's
planner, and our router; our `data` and error paths must equal the oracles' (or, where the
oracles disagree, the answer decided in oracle_disagreements.yaml).
"""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "federations"))
import federation_harness as harness  # noqa: E402


@pytest.mark.parametrize("federation", harness.names())
def test_same_answers_as_the_oracles(federation_results, federation):
    results = federation_results[federation]
    compared = [r for r in results if r.compared]
    hand_written = [r for r in compared if not r.op.generated]
    problems = [r.problem for r in results if r.problem]
    assert not problems, (f"{federation}: {len(problems)} of {len(results)} operations fail "
                          f"({len(compared)} compared)\n\n" + "\n\n".join(problems))
    # proof that something was compared, hand-written operations included
    assert len(compared) > 0 and hand_written, f"{federation}: nothing was compared"
