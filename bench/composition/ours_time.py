"""Times one composition of ours in a fresh process (like one `supergraph compose` run, or rover's).

    python -m bench.composition.ours_time < subgraphs.json  -> {"ms": n, "ok": bool, "supergraph": sdl}
Imports happen before the clock starts; node's timing of Apollo's composer excludes module loading too.
"""

from __future__ import annotations

import json
import sys
import time

from supergraph.compose import SubgraphInput, compose


def main() -> None:
    sdls = json.loads(sys.stdin.read())
    started = time.perf_counter()
    result = compose([SubgraphInput(n, f"http://{n}.example.internal/graphql", s) for n, s in sdls.items()])
    ms = (time.perf_counter() - started) * 1000
    errors = [str(e)[:500] for e in result.errors]
    sys.stdout.write(json.dumps({"ms": ms, "ok": result.ok, "errors": errors, "supergraph": result.supergraph_sdl}))


if __name__ == "__main__":
    main()
