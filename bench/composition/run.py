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
import time
from pathlib import Path

from supergraph.compose import SubgraphInput, compose

from .generate import Shape, generate

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subgraphs", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    shape = Shape(subgraphs=args.subgraphs)
    sdls = generate(shape)
    total_lines = sum(s.count("\n") for s in sdls.values())
    print(f"input: {shape.subgraphs} subgraphs, {shape.types} types (+ Query, Shared), {total_lines} SDL lines")

    ours_ms = []
    result = None
    for _ in range(args.runs):
        started = time.perf_counter()
        result = compose([SubgraphInput(n, f"http://{n}.example.internal/graphql", s) for n, s in sdls.items()])
        ours_ms.append((time.perf_counter() - started) * 1000)
    assert result is not None
    if not result.ok:
        print("ours: composition failed:", *[str(e)[:300] for e in result.errors[:5]], sep="\n  ")
        return 1

    proc = subprocess.run(
        ["node", str(HERE / "apollo_time.mjs"), str(args.runs)],
        input=json.dumps(sdls), capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        print("apollo: failed to run:", proc.stderr[-2000:])
        return 1
    apollo = json.loads(proc.stdout)
    if not apollo["ok"]:
        print("apollo: composition failed:", *apollo["errors"][:5], sep="\n  ")
        return 1
    ours, theirs = statistics.median(ours_ms), statistics.median(apollo["ms"])
    print(f"{'composer':<24} {'median ms':>10}  runs (ms)")
    print(f"{'supergraph (ours)':<24} {ours:>10.0f}  {', '.join(f'{m:.0f}' for m in ours_ms)}")
    print(f"{'@apollo/composition':<24} {theirs:>10.0f}  {', '.join(f'{m:.0f}' for m in apollo['ms'])}")
    print(f"ratio ours / apollo: {ours / theirs:.2f}x  (below 1 means we are faster)")
    same = result.supergraph_sdl == apollo["supergraph"]
    print(f"supergraphs identical: {'yes' if same else 'NO'} ({len(result.supergraph_sdl or '')} bytes)")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
