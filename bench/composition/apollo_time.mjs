// Times @apollo/composition on subgraph SDLs read as JSON from stdin ({"name": sdl, ...}).
//   node apollo_time.mjs RUNS < subgraphs.json  -> {"ms": [..], "ok": bool, "errors": [...], "bytes": n}
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(new URL("../../tests/node/package.json", import.meta.url));
const { composeServices } = require("@apollo/composition");
const { parse } = require("graphql");

const runs = Number(process.argv[2] ?? 3);
const subgraphs = JSON.parse(readFileSync(0, "utf8"));
const ms = [];
let result;
for (let i = 0; i < runs; i++) {
  const started = process.hrtime.bigint();
  const services = Object.entries(subgraphs).map(([name, sdl]) => ({
    name, url: `http://${name}.example.internal/graphql`, typeDefs: parse(sdl),
  }));
  result = composeServices(services);
  ms.push(Number(process.hrtime.bigint() - started) / 1e6);
}
const errors = (result.errors ?? []).map((e) => `${e.extensions?.code}: ${e.message}`.slice(0, 500));
process.stdout.write(JSON.stringify({ ms, ok: errors.length === 0, errors, supergraph: result.supergraphSdl ?? null }));
