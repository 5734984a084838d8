"""The per-request context every resolver receives: the caller and request-scoped loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from .errors import Unauthenticated
from .identity import Identity

T = TypeVar("T")


@dataclass
class RequestContext:
    request: Request
    response: Response | None
    identity: Identity | None
    token_error: str | None
    deps: Any
    loaders: dict[str, Any] = field(default_factory=dict)

    def viewer(self) -> Identity:
        """The verified caller, or UNAUTHENTICATED (saying why when a token was sent but refused)."""
        if self.identity is not None:
            return self.identity
        if self.token_error:
            raise Unauthenticated(f"Invalid token: {self.token_error}")
        raise Unauthenticated("Sign in required")

    @property
    def authorization(self) -> str | None:
        return self.request.headers.get("authorization")

    def loader(self, name: str, factory: Callable[[], T]) -> T:
        """A loader shared by all resolvers of this request (so their loads batch together)."""
        if name not in self.loaders:
            self.loaders[name] = factory()
        loader: T = self.loaders[name]
        return loader
