"""The start-up check that MongoDB can run transactions: the outbox writes a state change and
its event in one transaction, which a standalone mongod refuses (only replica sets and sharded
clusters have them). Without this check the service would start and fail on the first order;
with it, it refuses to start and says what to do.

An unreachable store is not decided here: the service starts as before and `/ready` says 503
until the store answers."""

from __future__ import annotations

from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

TIMEOUT_MS = 5000
ADVICE = (
    "MONGODB_URI points at a standalone MongoDB, but the services write with transactions (the "
    "outbox), which need a replica set: start mongod with --replSet rs0 and run rs.initiate() once "
    "(a single-node replica set is enough; compose.yaml does this), or leave MONGODB_URI unset for "
    "the embedded store"
)


def problem(hello: dict[str, Any]) -> str | None:
    """What is wrong with a server for transactions, from its `hello` reply; None when fine."""
    if hello.get("setName") or hello.get("msg") == "isdbgrid":  # a replica-set member, or mongos
        return None
    return ADVICE


def check(uri: str) -> str | None:
    client: MongoClient[dict[str, Any]] = MongoClient(uri, serverSelectionTimeoutMS=TIMEOUT_MS, connectTimeoutMS=TIMEOUT_MS)
    try:
        hello = client.admin.command("hello")
    except PyMongoError:
        return None  # not reachable (yet): readiness reports it
    finally:
        client.close()
    return problem(hello)
