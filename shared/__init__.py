"""What the router and the subgraphs both need and must do the same way: the JWKS client that
fetches the users service's signing keys, and the router -> subgraph request signature. One
implementation each, so a fix (a single-flight first fetch, a size cap) reaches both sides."""
