// Hive Gateway for the live benchmark: subscriptions to the subgraphs over graphql-transport-ws
// (as our router does), at each subgraph's own GraphQL path.
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  transportEntries: {
    '*.http': { options: { subscriptions: { kind: 'ws' } } },
  },
});
