import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import federation_diff as differential  # noqa: E402


@pytest.fixture(scope="session")
def federation_results(request):
    """Every selected federation's operations through the oracles and our router, run once
    (side by side) for the session: one subgraph process, one oracle process, one router
    server for all of them."""
    selected = sorted({item.callspec.params["federation"] for item in request.session.items
                       if hasattr(item, "callspec") and "federation" in item.callspec.params})
    feds = differential.load_all(selected)
    decisions = differential.load_decisions()
    generation = differential.Generation(feds)  # starts at once, beside the servers' start
    try:
        stack = differential.Stack(feds)
        try:
            yield differential.run_all(stack, feds, decisions, generation)
        finally:
            stack.stop()
    finally:
        generation.close()
