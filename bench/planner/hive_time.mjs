// Times Hive Router's Rust query planner (npm @graphql-hive/router-query-planner, an N-API
// addon) on the operations given as JSON on stdin:
//   {"sdl": "...", "operations": [{"name": "...", "query": "...", "operationName": "..."}], "runs": n}
// -> {"build_ms": [...], "operations": {"name": {"ms": [...], "fetches": n, "depth": n} | {"error": "..."}}}
// Each planner is built once per supergraph; each plan() call plans from scratch (no plan cache).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(new URL("../package.json", import.meta.url));
const { QueryPlanner } = require("@graphql-hive/router-query-planner");

function depth(node) {
  if (!node) return 0;
  switch (node.kind) {
    case "Fetch": case "BatchFetch": return 1;
    case "Flatten": case "Condition": return depth(node.node ?? node.ifClause ?? node.elseClause);
    case "Sequence": return node.nodes.reduce((s, n) => s + depth(n), 0);
    case "Parallel": return Math.max(0, ...node.nodes.map(depth));
    default: return 0;
  }
}
function fetches(node) {
  if (!node) return 0;
  if (node.kind === "Fetch" || node.kind === "BatchFetch") return 1;
  if (node.node) return fetches(node.node);
  return (node.nodes || []).reduce((s, n) => s + fetches(n), 0);
}

const input = JSON.parse(readFileSync(0, "utf8"));
const runs = input.runs ?? 5;
const buildMs = [];
let planner;
for (let i = 0; i < Math.max(1, Math.min(runs, 3)); i++) {
  const t0 = process.hrtime.bigint();
  planner = new QueryPlanner(input.sdl);
  buildMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const out = {};
for (const op of input.operations) {
  const ms = [];
  let plan;
  try {
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      plan = planner.plan(op.query, op.operationName ?? null, new Set(), 0);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    out[op.name] = { ms, fetches: fetches(plan.node), depth: depth(plan.node) };
  } catch (e) {
    out[op.name] = { error: String(e?.message ?? e).slice(0, 300) };
  }
}
process.stdout.write(JSON.stringify({ build_ms: buildMs, operations: out }));
