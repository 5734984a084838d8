// Test oracle helper: one @apollo/gateway per supergraph file, each on its own free port.
//   node gateways.mjs NAME=supergraph.graphql ...   -> prints {"NAME": "http://127.0.0.1:PORT/"} then serves
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(new URL("../../../node/package.json", import.meta.url));
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");
const { ApolloGateway } = require("@apollo/gateway");

const out = {};
const servers = [];
for (const arg of process.argv.slice(2)) {
  const [name, path] = arg.split("=");
  const gateway = new ApolloGateway({ supergraphSdl: readFileSync(path, "utf8") });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  servers.push(server);
  out[name] = url;
}
process.stdout.write("READY " + JSON.stringify(out) + "\n");
const stop = async () => { await Promise.all(servers.map((s) => s.stop())); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
