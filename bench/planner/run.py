"""Planner benchmark: cold planning time of our planner beside Hive Router's Rust planner.

    python -m bench.planner.run [--runs 20] [--subgraphs 50]      (or: make bench-planner)

Sets of operations, each planned from scratch `--runs` times (no plan cache; the query
graph is built once per supergraph, as the router does at start and on hot reload):
- the gateway bench's BenchQuery;
- every operation of the router's test corpus and of the federation corpus
  (tests/fixtures/federations/*), when present;
- deep operations over a generated 50-subgraph, 2,000-type supergraph (bench/composition's
  generator, composed by our composer).
Prints per set p50/p99 of the per-operation median planning time, query-graph build time
and memory, and the same figures for Hive's planner (built and run in one Node process, so
its numbers exclude process start). Fetch counts and sequential depth of both planners are
printed beside them. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path

from router.operation import DocumentCache, prepare_operation
from router.planner import PlanningError, QueryGraph, build_plan
from router.supergraph import Supergraph

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@dataclass
class Case:
    name: str
    query: str
    operation_name: str | None = None


@dataclass
class Federation:
    name: str
    sdl: str
    cases: list[Case]


def _named_operations(text: str) -> list[Case]:
    names = re.findall(r"^\s*(?:query|mutation)\s+(\w+)", text, re.M)
    return [Case(n, text, n) for n in names] or [Case("anonymous", text)]


def federations(subgraphs: int) -> list[Federation]:
    out = [Federation("bench", (ROOT / "bench" / "supergraph.graphql").read_text(),
                      [Case("BenchQuery", (ROOT / "bench" / "operations" / "query.graphql").read_text(), "BenchQuery")])]
    sys.path.insert(0, str(ROOT))
    from tests.differential.router.corpus import OPERATIONS
    from tests.support.supergraphs import router_sdl

    out.append(Federation("router-fixture", router_sdl(),
                          [Case(n, q, "A" if n == "operation_name_pick" else None) for n, q, _ in OPERATIONS
                           if not q.lstrip().startswith("mutation")]))
    corpus = ROOT / "tests" / "fixtures" / "federations"
    for d in sorted(p for p in corpus.glob("*") if (p / "supergraph.graphql").is_file()):
        ops = d / "operations.graphql"
        if ops.is_file():
            out.append(Federation(f"corpus/{d.name}", (d / "supergraph.graphql").read_text(),
                                  _named_operations(ops.read_text())))
    out.append(generated(subgraphs))
    return out


def generated(subgraphs: int) -> Federation:
    from bench.composition.generate import Shape, generate
    from supergraph.compose import SubgraphInput, compose

    shape = Shape(subgraphs=subgraphs)
    result = compose([SubgraphInput(n, f"http://{n}.example.internal/graphql", s) for n, s in generate(shape).items()])
    if not result.ok or result.supergraph_sdl is None:
        raise SystemExit(f"generated federation does not compose: {result.errors[:3]}")
    sg = Supergraph(result.supergraph_sdl)
    cases = []
    for i in range(0, subgraphs, max(1, subgraphs // 10)):
        for depth in (2, 4, 6):
            sel = _walk(sg, f"E{i}_0", depth)
            cases.append(Case(f"list{i}_depth{depth}", f"query D{i}_{depth} {{ list{i} {sel} }}", f"D{i}_{depth}"))
    return Federation(f"generated-{subgraphs}-subgraphs-{shape.types}-types", result.supergraph_sdl, cases)


def _walk(sg: Supergraph, type_name: str, depth: int) -> str:
    t = sg.types[type_name]
    parts = ["id", "name", "status", "details { label amount }"]
    parts += sorted(f for f in t.fields if f.startswith(("score", "greeting")))
    if depth > 1 and "related" in t.fields:
        parts.append("related " + _walk(sg, t.fields["related"].named_type, depth - 1))
    return "{ " + " ".join(parts) + " }"


def ours(fed: Federation, runs: int) -> dict:
    t0 = time.perf_counter()
    sg = Supergraph(fed.sdl)
    load_ms = (time.perf_counter() - t0) * 1000
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    graph = QueryGraph(sg)
    build_ms = (time.perf_counter() - t0) * 1000
    graph_bytes = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    docs = DocumentCache(sg.api_schema)
    result: dict = {"load_ms": load_ms, "build_ms": build_ms, "graph_mb": graph_bytes / 1e6,
                    "nodes": len(graph.nodes()), "edges": graph.edge_count(), "operations": {}}
    for c in fed.cases:
        try:
            op = prepare_operation(sg.api_schema, docs.get(c.query), c.operation_name, None)
        except Exception as e:  # an operation needing variables, say: not a planner figure
            result["operations"][c.name] = {"error": f"not planned: {e}"}
            continue
        ms = []
        plan = None
        try:
            for _ in range(runs):
                t = time.perf_counter()
                plan = build_plan(sg, op, graph=graph)
                ms.append((time.perf_counter() - t) * 1000)
        except PlanningError as e:
            result["operations"][c.name] = {"error": str(e)}
            continue
        assert plan is not None
        result["operations"][c.name] = {"ms": ms, "fetches": plan.fetch_count, "depth": plan.depth}
    return result


def hive(fed: Federation, runs: int) -> dict | None:
    payload = json.dumps({"sdl": fed.sdl, "runs": runs, "operations": [
        {"name": c.name, "query": c.query, "operationName": c.operation_name} for c in fed.cases]})
    proc = subprocess.run(["node", str(HERE / "hive_time.mjs")], input=payload, capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        print(f"  (hive planner failed: {proc.stderr.strip()[-300:]})")
        return None
    return json.loads(proc.stdout)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--subgraphs", type=int, default=50)
    args = ap.parse_args(argv)
    rows = []
    worse = []
    for fed in federations(args.subgraphs):
        o = ours(fed, args.runs)
        h = hive(fed, args.runs) or {"build_ms": [], "operations": {}}
        om = [statistics.median(v["ms"]) for v in o["operations"].values() if "ms" in v]
        hm = [statistics.median(v["ms"]) for v in h["operations"].values() if "ms" in v]
        errors = [n for n, v in o["operations"].items() if "error" in v]
        for name, v in o["operations"].items():
            hv = h["operations"].get(name, {})
            if "ms" in v and "fetches" in hv and (v["depth"], v["fetches"]) > (hv["depth"], hv["fetches"]):
                worse.append((fed.name, name, v["fetches"], v["depth"], hv["fetches"], hv["depth"]))
        rows.append((fed.name, len(fed.cases), o, h, om, hm, errors))
        if errors or not fed.name.startswith("corpus/"):
            print(f"{fed.name}: {len(om)} operations planned by us, {len(hm)} by Hive"
                  + (f"; ours failed: {', '.join(errors)}" if errors else ""), flush=True)
    print("\n| federation | ops | graph build ms (ours / hive) | graph MB (ours) | nodes / edges | "
          "plan p50 ms ours | hive | plan p99 ms ours | hive | p50 ours/hive |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    corpus = [r for r in rows if r[0].startswith("corpus/")]
    if corpus:  # one row for the whole corpus: every operation's median, graph figures summed
        agg_o = {"build_ms": sum(r[2]["build_ms"] for r in corpus), "graph_mb": sum(r[2]["graph_mb"] for r in corpus),
                 "nodes": sum(r[2]["nodes"] for r in corpus), "edges": sum(r[2]["edges"] for r in corpus)}
        agg_h = {"build_ms": [sum(statistics.median(r[3]["build_ms"]) for r in corpus if r[3]["build_ms"])]}
        rows = [r for r in rows if not r[0].startswith("corpus/")]
        rows.insert(2, (f"corpus ({len(corpus)} federations, build summed)", sum(r[1] for r in corpus), agg_o, agg_h,
                        [x for r in corpus for x in r[4]], [x for r in corpus for x in r[5]], []))
    for name, n, o, h, om, hm, _ in rows:
        hb = statistics.median(h["build_ms"]) if h["build_ms"] else float("nan")
        ratio = _pct(om, 50) / _pct(hm, 50) if hm else float("nan")
        print(f"| {name} | {n} | {o['build_ms']:.1f} / {hb:.1f} | {o['graph_mb']:.1f} | {o['nodes']} / {o['edges']} | "
              f"{_pct(om, 50):.2f} | {_pct(hm, 50):.2f} | {_pct(om, 99):.2f} | {_pct(hm, 99):.2f} | {ratio:.1f} |")
    deep = rows[-1]
    print(f"\nper operation, {deep[0]} (ms median of {args.runs}; fetches/depth):")
    for name, v in deep[2]["operations"].items():
        hv = deep[3]["operations"].get(name, {})
        if "ms" in v:
            hs = f"{statistics.median(hv['ms']):.2f} ms, {hv['fetches']}/{hv['depth']}" if "ms" in hv else "-"
            print(f"  {name}: ours {statistics.median(v['ms']):.2f} ms, {v['fetches']}/{v['depth']}; hive {hs}")
    print(f"\nplans deeper or with more fetches than Hive's: {len(worse)}")
    for w in worse:
        print(f"  {w[0]} {w[1]}: ours {w[2]} fetches / {w[3]} deep, hive {w[4]} / {w[5]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
