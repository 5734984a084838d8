"""The users subgraph's GraphQL surface: thin resolvers over `service.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from ..common.context import RequestContext
from ..common.db import object_id
from ..common.errors import Unauthenticated
from ..common.loaders import load_by_key
from ..common.schema import SubgraphSchema
from .models import UserDocument
from .service import Registration, get_user


def _users(info: Info) -> DataLoader[str, UserDocument | None]:
    context: RequestContext = info.context
    return context.loader("users", lambda: load_by_key(UserDocument, to_db=object_id))


@strawberry.federation.type(keys=["id"], description="A shop customer or administrator.")
class User:
    id: strawberry.ID
    username: str
    created_at: datetime
    _email: strawberry.Private[str]
    # True when this user just proved who they are (register/login) on a request without a token.
    _is_signing_in: strawberry.Private[bool] = False

    @strawberry.field(description="Only visible to the user themself and to administrators; null otherwise.")
    def email(self, info: Info) -> Optional[str]:
        identity = info.context.identity
        if self._is_signing_in:
            return self._email
        if identity is not None and (identity.user_id == self.id or identity.has_scope("users:admin")):
            return self._email
        return None

    @classmethod
    def from_document(cls, document: UserDocument, *, is_signing_in: bool = False) -> "User":
        return cls(
            id=strawberry.ID(str(document.id)),
            username=document.username,
            created_at=document.created_at,
            _email=document.email,
            _is_signing_in=is_signing_in,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Optional["User"]:
        document = await _users(info).load(id)
        return cls.from_document(document) if document else None


@strawberry.type(description="A signed-in session: a bearer token for the Authorization header.")
class AuthPayload:
    token: str
    user: User


@strawberry.input
class RegisterInput:
    username: str
    email: str
    password: str


def _auth_payload(info: Info, document: UserDocument) -> AuthPayload:
    return AuthPayload(
        token=info.context.deps.tokens.issue(document),
        user=User.from_document(document, is_signing_in=True),
    )


@strawberry.type
class Query:
    @strawberry.federation.field(authenticated=True, description="The signed-in user.")
    async def me(self, info: Info) -> User:
        viewer = info.context.viewer()
        document = await get_user(viewer.user_id)
        if document is None:
            # A valid token for a deleted account: the session is over.
            raise Unauthenticated("Account no longer exists")
        return User.from_document(document)

    @strawberry.field(description="A user by id, or null when there is none.")
    async def user(self, info: Info, id: strawberry.ID) -> Optional[User]:
        document = await _users(info).load(id)
        return User.from_document(document) if document else None


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Creates an account and signs it in.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        accounts = info.context.deps.accounts
        document = await accounts.register(
            Registration(username=input.username, email=input.email, password=input.password)
        )
        return _auth_payload(info, document)

    @strawberry.mutation(description="Signs in with e-mail and password.")
    async def login(self, info: Info, email: str, password: str) -> AuthPayload:
        document = await info.context.deps.accounts.authenticate(email, password)
        return _auth_payload(info, document)


schema = SubgraphSchema(query=Query, mutation=Mutation, types=[User])
