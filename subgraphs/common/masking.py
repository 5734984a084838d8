"""Error shaping: clients see domain errors as raised, and a generic message for anything else.

An unexpected exception (a bug, a database outage) reaches the client as
`INTERNAL_SERVER_ERROR` plus the request id, never the exception text, which could reveal
internals (a store outage, which a retry may cure, is `SERVICE_UNAVAILABLE` instead); the
original is logged with its stack trace (`SubgraphSchema.process_errors` runs
before this extension sees the errors).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from pymongo.errors import ConnectionFailure
from strawberry.extensions import SchemaExtension

from .errors import DomainError
from .logging import request_id_var


def shape_error(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None:
        # Parse and validation errors: the message is about the client's own document.
        if not (error.extensions or {}).get("code"):
            error.extensions = {**(error.extensions or {}), "code": "GRAPHQL_VALIDATION_FAILED"}
        return error
    if isinstance(original, DomainError):
        return error
    if isinstance(original, GraphQLError):
        # Raised on purpose by graphql-core / Strawberry for bad input (e.g. an argument
        # that does not coerce): safe to show, the client caused it.
        code = (original.extensions or {}).get("code", "BAD_USER_INPUT")
        error.extensions = {**(error.extensions or {}), "code": code}
        return error
    request_id = request_id_var.get()
    if isinstance(original, ConnectionFailure):
        # The store is unreachable or failing over: a retry may well succeed.
        return GraphQLError(
            "Service temporarily unavailable; try again later",
            nodes=error.nodes,
            path=error.path,
            original_error=None,
            extensions={"code": "SERVICE_UNAVAILABLE", "requestId": request_id},
        )
    return GraphQLError(
        "Internal server error",
        nodes=error.nodes,
        path=error.path,
        original_error=None,
        extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    )


class ErrorShaping(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [shape_error(error) for error in result.errors]
