"""Federated subscriptions: a client's stream over WebSocket, SSE or multipart HTTP, fed by one
subscription to the subgraph owning the root field (graphql-transport-ws); each event it sends
is the plan's root fetch answer, and the rest of the plan runs for it like any query.

One module per concern: `settings` (the `subscriptions:` section), `upstream` (the router as a
graphql-transport-ws client of a subgraph), `stream` (one subscription: pipeline stages, per-event
execution, bounded queue, token expiry, per-client cap, shutdown), and one module per client
protocol: `ws`, `sse` (and `sse_single`), `multipart`; `routes` plugs them into the HTTP stage.
"""
