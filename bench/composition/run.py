"""Composition benchmark: our composer beside @apollo/composition on the same generated input.

    python -m bench.composition.run [--subgraphs 50] [--runs 3]     (or: make bench-composition)

Prints wall time per composition (parse + validate + merge + satisfiability +
print) for both, their ratio from the same run, and whether the two supergraphs
are identical. Not a test: timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

from .generate import Shape, generate

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subgraphs", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    shape = Shape(subgraphs=args.subgraphs)
    sdls = generate(shape)
    total_lines = sum(s.count("\n") for s in sdls.values())
    print(f"input: {shape.subgraphs} subgraphs, {shape.types} types (+ Query, Shared), {total_lines} SDL lines")

    # Each composition runs in a fresh process, as a CI job runs it; rounds alternate ours and
    # Apollo's, so a busy neighbour on the machine slows both alike. The minimum is the least
    # disturbed run, the median the typical one.
    ours_ms: list[float] = []
    apollo_ms: list[float] = []
    ours: dict = {}
    apollo: dict = {}
    payload = json.dumps(sdls)
    for _ in range(args.runs):
        for label, command in (
            ("ours", [sys.executable, "-m", "bench.composition.ours_time"]),
            ("apollo", ["node", str(HERE / "apollo_time.mjs"), "1"]),
        ):
            proc = subprocess.run(command, input=payload, capture_output=True, text=True, check=False, cwd=ROOT)
            if proc.returncode != 0:
                print(f"{label}: failed to run:", proc.stderr[-2000:])
                return 1
            answer = json.loads(proc.stdout)
            if not answer["ok"]:
                print(f"{label}: composition failed:", *answer["errors"][:5], sep="\n  ")
                return 1
            if label == "ours":
                ours = answer
                ours_ms.append(answer["ms"])
            else:
                apollo = answer
                apollo_ms.extend(answer["ms"])
    print(f"{'composer':<24} {'min ms':>8} {'median ms':>10}  runs (ms)")
    for label, runs in (("supergraph (ours)", ours_ms), ("@apollo/composition", apollo_ms)):
        print(f"{label:<24} {min(runs):>8.0f} {statistics.median(runs):>10.0f}  {', '.join(f'{m:.0f}' for m in runs)}")
    print(
        f"ratio ours / apollo: {min(ours_ms) / min(apollo_ms):.2f}x on the best runs, "
        f"{statistics.median(ours_ms) / statistics.median(apollo_ms):.2f}x on medians (below 1: we are faster)"
    )
    same = ours["supergraph"] == apollo["supergraph"]
    print(f"supergraphs identical: {'yes' if same else 'NO'} ({len(ours['supergraph'] or '')} bytes)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
