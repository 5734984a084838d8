"""The orders subgraph: the product catalogue and customers' orders."""
