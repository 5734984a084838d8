"""Errors shared by the stages (a leaf module: it imports nothing of the router's)."""

from __future__ import annotations

from typing import Any


class SubgraphError(Exception):
    """A subgraph request failed below GraphQL (connection, timeout, status, bad body)."""

    def __init__(self, service: str, message: str, code: str = "SUBGRAPH_REQUEST_FAILED") -> None:
        super().__init__(message)
        self.service = service
        self.code = code


DEFER_ACCEPT = "multipart/mixed;deferSpec=20220824"  # what a client sends to receive @defer's parts


def defer_not_acceptable() -> dict[str, Any]:
    """The 406 answer to an operation that defers a fragment sent without a multipart Accept."""
    return {"errors": [graphql_error("The operation uses @defer, but the request's Accept header does not allow "
                                     f"multipart responses: send 'Accept: {DEFER_ACCEPT},application/json'.",
                                     "NOT_ACCEPTABLE")]}


def graphql_error(message: str, code: str, **extra: Any) -> dict[str, Any]:
    e: dict[str, Any] = {"message": message, "extensions": {"code": code}}
    e.update(extra)
    return e


def subgraph_error(e: Any, service: str, path: list[Any] | None) -> dict[str, Any]:
    """A subgraph's GraphQL error as the client sees it: re-pathed into the client's response
    (or without a path when it cannot be placed), tagged with the subgraph's name."""
    if not isinstance(e, dict):
        return {"message": str(e), "extensions": {"serviceName": service}}
    out: dict[str, Any] = {"message": e.get("message", f'Error while fetching subquery from service "{service}"')}
    if path is not None:
        out["path"] = path
    ext = dict(e.get("extensions") or {})
    ext["serviceName"] = service
    out["extensions"] = ext
    return out
