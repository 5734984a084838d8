// Composes a one-subgraph supergraph from schema/users.graphql with @apollo/composition (test
// oracle only): argv[2] = users URL. Prints the supergraph SDL.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(new URL("../../node/package.json", import.meta.url));
const { composeServices } = require("@apollo/composition");
const { parse } = require("graphql");

const sdl = readFileSync(new URL("../../../schema/users.graphql", import.meta.url), "utf8");
const result = composeServices([{ name: "users", typeDefs: parse(sdl), url: process.argv[2] }]);
if (result.errors) {
  for (const e of result.errors) console.error(e.message);
  process.exit(1);
}
process.stdout.write(result.supergraphSdl);
