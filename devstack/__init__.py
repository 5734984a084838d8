"""Development and test tooling: the embedded store, dev keys, `make dev`, `make schema`.

Never imported by the services themselves. The embedded store (SecantusDB, GPL-2.0) is only
ever run as a separate process through its command line.
"""
