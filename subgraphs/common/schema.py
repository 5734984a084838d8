"""The Strawberry pieces every subgraph uses: schema class, error logging, ASGI endpoint."""

from __future__ import annotations

import logging
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.asgi import GraphQL
from strawberry.federation.schema import FederationAny
from strawberry.types import ExecutionContext, Info

from .context import RequestContext
from .errors import BadUserInput, DomainError
from .guard import OperationGuard
from .identity import InvalidToken, TokenVerifier, bearer_token
from .masking import ErrorShaping

logger = logging.getLogger("graphql")


class SubgraphSchema(strawberry.federation.Schema):
    """A federation schema whose errors are logged as JSON lines before they are masked."""

    def __init__(self, **kwargs: Any) -> None:
        extensions = [*kwargs.pop("extensions", ()), OperationGuard, ErrorShaping]
        super().__init__(extensions=extensions, **kwargs)

    def entities_resolver(self, info: Info, representations: list[FederationAny]) -> list[FederationAny]:
        """A representation whose fields don't match the entity's key is the caller's mistake
        (BAD_USER_INPUT naming the type), not an internal error."""
        typenames = [r.get("__typename") if isinstance(r, dict) else None for r in representations]
        results = super().entities_resolver(info, representations)
        return [
            FederationAny(BadUserInput(f"Invalid representation for {typename}: its fields do not match a key", index=index))
            if isinstance(result, TypeError)
            else result
            for index, (typename, result) in enumerate(zip(typenames, results))
        ]

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        for error in errors:
            original = error.original_error
            extra = {"path": error.path, "operation": getattr(execution_context, "operation_name", None)}
            if original is None or isinstance(original, (DomainError, GraphQLError)):
                code = (getattr(original, "extensions", None) or error.extensions or {}).get("code")
                logger.info("graphql error: %s", error.message, extra={**extra, "code": code})
            else:
                logger.error(
                    "unexpected error in resolver",
                    exc_info=(type(original), original, original.__traceback__),
                    extra={**extra, "code": "INTERNAL_SERVER_ERROR"},
                )


class SubgraphGraphQL(GraphQL):
    """The `/graphql` endpoint: builds the request context from a verified bearer token."""

    async def get_context(self, request: Request, response: Response) -> RequestContext:  # type: ignore[override]
        state = request.app.state
        identity = None
        token_error = None
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is not None:
                verifier: TokenVerifier = state.verifier
                identity = await verifier.verify(token)
        except InvalidToken as error:
            token_error = str(error)
        return RequestContext(
            request=request,
            response=response,
            identity=identity,
            token_error=token_error,
            deps=state.deps,
        )
