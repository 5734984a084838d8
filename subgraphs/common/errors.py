"""Errors a client may see, each with a stable `extensions.code`.

Resolvers raise these; graphql-core copies an exception's `extensions` into the GraphQL
error, so the code reaches the client unchanged. Anything else is a bug and is masked
(see `masking.py`) so internals never leak.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "BAD_REQUEST"

    def __init__(self, message: str, *, code: str | None = None, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions: dict[str, Any] = {"code": code or self.code, **extensions}


class BadUserInput(DomainError):
    code = "BAD_USER_INPUT"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class ServiceUnavailable(DomainError):
    code = "SERVICE_UNAVAILABLE"
