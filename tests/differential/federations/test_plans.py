"""Every corpus operation's plan equals its snapshot (`router plan` output): a planner change
is a reviewed diff of plans. After an intended change: `python -m tests.differential.federations.plans`."""

import difflib
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "federations"))
import federation_harness as harness  # noqa: E402
import plans  # noqa: E402


@pytest.mark.parametrize("federation", harness.names())
def test_plans_match_their_snapshot(federation):
    fed = harness.load(federation)
    snapshot = plans.path(fed)
    assert snapshot.is_file(), (f"no plan snapshot for {federation}: run "
                                f"`python -m tests.differential.federations.plans {federation}`")
    got = plans.render(fed)
    want = snapshot.read_text()
    assert got.count("QueryPlan {") == len(fed.operations) > 0
    if got != want:
        diff = "\n".join(difflib.unified_diff(want.splitlines(), got.splitlines(), "snapshot", "now", lineterm=""))
        pytest.fail(f"the plans of {federation} changed (if intended: python -m tests.differential.federations."
                    f"plans {federation}):\n{diff}")
