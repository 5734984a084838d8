"""The users subgraph: accounts, passwords, and the tokens every other service trusts."""
