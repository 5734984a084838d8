"""Progress table of our router on the federation corpus, for the planner rebuild:
    python -m tests.differential.federations.report [FEDERATION ...] [--details] [--per-operation]

Per federation, summed over the operations compared: how many our router answers differently
from the expected answer ("ours≠"), oracle disagreements decided / undecided, the subgraph
fetches each gateway made (from the subgraph server's request log) beside the number in Hive's
own plan (it counts fetches that are skipped at run time, e.g. for empty representations), and
the sequential steps (the longest chain of fetches each waiting for the one before, measured
from the log's times; for Hive also from its plan). "more fetches" / "more steps" count the
operations where we did worse than Hive Gateway; "unused" counts entity calls whose answer
taught nothing (federation_harness.unused_entity_calls); "our composer" says whether supergraph/
composes the federation to the checked-in supergraph. --details also lists every failing
operation with its diff. Exit status 0 whatever the results: it reports, it does not judge."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import federation_diff as differential  # noqa: E402
from federation_diff import harness  # noqa: E402

# Each subgraph answer waits this long in the report's run, so that parallel fetches overlap
# in the request log (see federation_harness.sequential_depth).
STEP_DELAY_MS = 8


def main(argv: list[str]) -> int:
    details = "--details" in argv
    differential.READ_LOGS = True  # the report counts every answer's fetches
    feds = differential.load_all([a for a in argv if not a.startswith("--")])
    decisions = differential.load_decisions()
    started = time.monotonic()
    generation = differential.Generation(feds)
    try:
        stack = differential.Stack(feds, subgraph_delay_ms=STEP_DELAY_MS)
        try:
            results = differential.run_all(stack, feds, decisions, generation)
            plans = {(f.name, r.op.name): stack.hive_plan(f.name, r.op)
                     for f in feds for r in results[f.name] if r.compared}
        finally:
            stack.stop()
    finally:
        generation.close()
    head = ("federation", "ops", "compared", "ours≠", "oracles≠", "undecided", "fetches ours", "apollo", "hive",
            "hive plan", "steps ours", "hive", "hive plan", "more fetches", "more steps", "unused ours", "hive",
            "our composer")
    rows = []
    totals = [0] * (len(head) - 2)
    for f in feds:
        rs = results[f.name]
        cmp = [r for r in rs if r.compared]
        hp = [plans[(f.name, r.op.name)] for r in cmp]
        steps = {t: [harness.sequential_depth(r.fetches[t]) for r in cmp] for t in ("ours", "hive")}
        row = [len(rs), len(cmp), sum(not r.ours_matches for r in cmp),
               sum(r.status == "decided" for r in rs), sum(r.status == "undecided" for r in rs),
               sum(len(r.fetches["ours"]) for r in cmp), sum(len(r.fetches["apollo"]) for r in cmp),
               sum(len(r.fetches["hive"]) for r in cmp), sum(p.get("fetches", 0) for p in hp),
               sum(steps["ours"]), sum(steps["hive"]), sum(p.get("depth", 0) for p in hp),
               sum(len(r.fetches["ours"]) > len(r.fetches["hive"]) for r in cmp),
               sum(o > h for o, h in zip(steps["ours"], steps["hive"])),
               sum(harness.unused_entity_calls(r.fetches["ours"]) for r in cmp),
               sum(harness.unused_entity_calls(r.fetches["hive"]) for r in cmp)]
        totals = [t + v for t, v in zip(totals, row)]
        row.append(differential.our_composition(f))
        rows.append([f.name, *row])
    rows.append(["total", *totals, f"{sum(r[-1] == 'same' for r in rows)} same"])
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = lambda r: "  ".join(str(v).ljust(w) if i == 0 else str(v).rjust(w) for i, (v, w) in enumerate(zip(r, widths)))  # noqa: E731
    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        if r[0] == "total":
            print("  ".join("-" * w for w in widths))
        print(line(r))
    print(f"\n{len(feds)} federations in {time.monotonic() - started:.1f} s")
    if "--per-operation" in argv:
        print("\nper operation: fetches ours / Apollo / Hive (log), steps ours / Hive (log), Hive's plan fetches/depth")
        for f in feds:
            for r in results[f.name]:
                if r.compared:
                    p = plans[(f.name, r.op.name)]
                    print(f"  {f.name} / {r.op.name}: {len(r.fetches['ours'])} / {len(r.fetches['apollo'])} / "
                          f"{len(r.fetches['hive'])}, {harness.sequential_depth(r.fetches['ours'])} / "
                          f"{harness.sequential_depth(r.fetches['hive'])}, {p.get('fetches')}/{p.get('depth')}")
    if details:
        for f in feds:
            for r in results[f.name]:
                if r.problem:
                    print("\n" + "=" * 100 + "\n" + r.problem)
        print("\noperations where we made more fetches or more sequential steps than Hive Gateway "
              "(log; then both planners' own figures):")
        for f in feds:
            for r in results[f.name]:
                if not r.compared:
                    continue
                so, sh = (harness.sequential_depth(r.fetches[t]) for t in ("ours", "hive"))
                fo, fh = len(r.fetches["ours"]), len(r.fetches["hive"])
                if fo > fh or so > sh:
                    p = plans[(f.name, r.op.name)]
                    ours = _our_plan(f, r.op)
                    print(f"  {f.name} / {r.op.name}: fetches {fo} vs {fh}, steps {so} vs {sh}; "
                          f"plans: ours {ours}, hive {p.get('fetches')} fetches / {p.get('depth')} deep")
    return 0


def _our_plan(f, op) -> str:
    from router.operation import DocumentCache, prepare_operation
    from router.planner import build_plan
    from router.supergraph import Supergraph

    sg = Supergraph(f.supergraph)
    plan = build_plan(sg, prepare_operation(sg.api_schema, DocumentCache(sg.api_schema).get(op.query),
                                            None, op.variables))
    return f"{plan.fetch_count} fetches / {plan.depth} deep"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
