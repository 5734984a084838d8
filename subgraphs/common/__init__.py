"""Pieces every shop subgraph shares: app factory, database, identity, errors, logging."""
