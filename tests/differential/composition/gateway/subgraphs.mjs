// Test oracle helper: serves fixture subgraphs (tests/fixtures/composition/<case>/*.graphql)
// with @apollo/subgraph and in-memory data, each on its own free port.
//   node subgraphs.mjs CASE...   -> prints {"CASE": {"subgraph": "http://127.0.0.1:PORT/graphql"}} then serves
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(new URL("../../../node/package.json", import.meta.url));
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");
const { buildSubgraphSchema } = require("@apollo/subgraph");
const { ApolloServerPluginInlineTraceDisabled } = require("@apollo/server/plugin/disabled");
const { parse } = require("graphql");

const FIXTURES = new URL("../../../fixtures/composition/", import.meta.url);

// --- data ------------------------------------------------------------------------------
const users = [
  { id: "1", name: "Ada Lovelace", username: "@ada", birthYear: 1815 },
  { id: "2", name: "Alan Turing", username: "@alan", birthYear: 1912 },
];
const products = [
  { upc: "p1", name: "Table", price: 899, weight: 100 },
  { upc: "p2", name: "Couch", price: 1299, weight: 1000 },
  { upc: "p3", name: "Chair", price: 54, weight: 50 },
];
const reviews = [
  { id: "r1", authorId: "1", upc: "p1", body: "Love it!", rating: 5 },
  { id: "r2", authorId: "1", upc: "p2", body: "Too expensive.", rating: 2 },
  { id: "r3", authorId: "2", upc: "p3", body: "Could be better.", rating: 3 },
  { id: "r4", authorId: "2", upc: "p1", body: "Prefer something else.", rating: 1 },
];
const media = [
  { id: "m1", kind: "Book", title: "Dune", author: "Frank Herbert" },
  { id: "m2", kind: "Movie", title: "Alien", director: "Ridley Scott" },
  { id: "m3", kind: "Book", title: "Emma", author: "Jane Austen" },
];
const mediaReviews = { m1: [{ score: 5, text: "classic" }, { score: 4, text: null }], m2: [{ score: 5, text: "scary" }], m3: [] };
const byId = (list, key = "id") => Object.fromEntries(list.map((x) => [x[key], x]));

// --- resolvers per fixture subgraph -------------------------------------------------------
const RESOLVERS = {
  ok_reviews_products_accounts: {
    accounts: {
      Query: { me: () => users[0], user: (_, { id }) => byId(users)[id] ?? null, users: () => users },
      User: { __resolveReference: (ref) => byId(users)[ref.id] },
    },
    inventory: {
      Product: {
        __resolveReference: (ref) => ({ ...ref, inStock: ref.upc !== "p2" }),
        shippingEstimate: (p) => (p.price > 1000 ? 0 : Math.round(p.weight * 0.5)),
      },
    },
    products: {
      Query: { topProducts: (_, { first }) => products.slice(0, first), product: (_, { upc }) => byId(products, "upc")[upc] ?? null },
      Product: { __resolveReference: (ref) => byId(products, "upc")[ref.upc] },
    },
    reviews: {
      Review: {
        __resolveReference: (ref) => byId(reviews)[ref.id],
        author: (r) => ({ id: r.authorId, username: byId(users)[r.authorId].username }),
        product: (r) => ({ upc: r.upc }),
      },
      User: { reviews: (u) => reviews.filter((r) => r.authorId === u.id) },
      Product: { reviews: (p) => reviews.filter((r) => r.upc === p.upc) },
    },
  },
  ok_interface_object: {
    media: {
      Query: { allMedia: () => media },
      Media: { __resolveReference: (ref) => byId(media)[ref.id], __resolveType: (m) => m.kind },
      Book: { __resolveReference: (ref) => byId(media)[ref.id] },
      Movie: { __resolveReference: (ref) => byId(media)[ref.id] },
    },
    reviews: {
      Query: { topRated: () => [{ id: "m2" }, { id: "m1" }] },
      Media: {
        __resolveReference: (ref) => ({ id: ref.id }),
        reviews: (m) => mediaReviews[m.id] ?? [],
        rating: (m) => {
          const rs = mediaReviews[m.id] ?? [];
          return rs.length ? rs.reduce((a, r) => a + r.score, 0) / rs.length : null;
        },
      },
    },
  },
};

const out = {};
const servers = [];
for (const name of process.argv.slice(2)) {
  const perCase = RESOLVERS[name];
  if (!perCase) throw new Error(`no resolvers for fixture ${name}`);
  out[name] = {};
  for (const [sub, resolvers] of Object.entries(perCase)) {
    const typeDefs = parse(readFileSync(new URL(`${name}/${sub}.graphql`, FIXTURES), "utf8"));
    const server = new ApolloServer({
      schema: buildSubgraphSchema([{ typeDefs, resolvers }]),
      plugins: [ApolloServerPluginInlineTraceDisabled()],
    });
    const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
    servers.push(server);
    out[name][sub] = `${url.replace(/\/$/, "")}/graphql`;
  }
}
process.stdout.write("READY " + JSON.stringify(out) + "\n");
const stop = async () => { await Promise.all(servers.map((s) => s.stop())); process.exit(0); };
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
