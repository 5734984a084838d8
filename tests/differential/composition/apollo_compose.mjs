// Test oracle: composes subgraph sets with @apollo/composition (never shipped).
// stdin:  {"cases": [{"id": str, "subgraphs": [{"name", "url", "sdl"}]}]}
// stdout: {"<id>": {"ok": bool, "supergraph": str|null, "api": str|null,
//                   "errors": [{"code", "message"}], "ms": number}}
// Many cases per process: node start-up costs more than most compositions.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(new URL("../../node/package.json", import.meta.url));
const { composeServices } = require("@apollo/composition");
const { printSchema } = require("@apollo/federation-internals");
const { parse } = require("graphql");

const input = JSON.parse(readFileSync(0, "utf8"));
const out = {};
for (const c of input.cases) {
  const started = process.hrtime.bigint();
  let entry;
  try {
    const services = c.subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
    const r = composeServices(services);
    if (r.errors && r.errors.length) {
      entry = {
        ok: false, supergraph: null, api: null,
        errors: r.errors.map((e) => ({ code: e.extensions?.code ?? "UNKNOWN", message: e.message })),
      };
    } else {
      entry = {
        ok: true, supergraph: r.supergraphSdl, api: printSchema(r.schema.toAPISchema()), errors: [],
        hints: (r.hints ?? []).map((h) => ({ code: h.definition?.code, message: h.message })),
      };
    }
  } catch (e) {
    entry = { ok: false, supergraph: null, api: null, errors: [{ code: "INVALID_GRAPHQL", message: String(e.message ?? e) }] };
  }
  entry.ms = Number(process.hrtime.bigint() - started) / 1e6;
  out[c.id] = entry;
}
process.stdout.write(JSON.stringify(out));
