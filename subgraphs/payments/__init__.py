"""The payments subgraph: paying orders (idempotently) and refunds."""
