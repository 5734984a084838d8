"""Account rules, free of GraphQL: registration, sign-in, lookups."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from pymongo.errors import DuplicateKeyError

from ..common.db import now, object_id
from ..common.errors import BadUserInput, Conflict, Unauthenticated
from .models import UserDocument
from .passwords import MAX_PASSWORD_BYTES, PasswordHasher

USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,32}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
INVALID_CREDENTIALS = "Invalid email or password"
REGISTRATION_REFUSED = "Cannot register with this username and email: choose another username, or sign in if you have an account"


@dataclass(frozen=True)
class Registration:
    username: str
    email: str
    password: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def validate(registration: Registration) -> Registration:
    username = registration.username.strip()
    email = normalise_email(registration.email)
    if not USERNAME.match(username):
        raise BadUserInput(
            "Username must be 3-32 characters: letters, digits, '.', '_' or '-'", field="username"
        )
    if len(email) > 254 or not EMAIL.match(email):
        raise BadUserInput("Email address is not valid", field="email")
    if len(registration.password) < MIN_PASSWORD_LENGTH:
        raise BadUserInput(f"Password must be at least {MIN_PASSWORD_LENGTH} characters", field="password")
    if len(registration.password.encode()) > MAX_PASSWORD_BYTES:
        raise BadUserInput(f"Password must be at most {MAX_PASSWORD_BYTES} bytes", field="password")
    return Registration(username=username, email=email, password=registration.password)


class Accounts:
    def __init__(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher

    async def register(self, registration: Registration) -> UserDocument:
        """A taken e-mail and a taken username get one and the same answer (no `field`), so the
        refusal does not say which one exists. The password is hashed first either way, so
        both refusals take as long as a success."""
        try:
            return await self._create(validate(registration), ["user"])
        except DuplicateKeyError:
            raise Conflict(REGISTRATION_REFUSED) from None

    async def _create(self, registration: Registration, roles: list[str]) -> UserDocument:
        user = UserDocument(
            username=registration.username,
            username_key=registration.username.casefold(),
            email=registration.email,
            password_hash=await self.hasher.hash(registration.password),
            roles=roles,
            created_at=now(),
        )
        await user.insert()
        return user

    async def authenticate(self, email: str, password: str) -> UserDocument:
        user = await UserDocument.find_one({"email": normalise_email(email)})
        # Unknown e-mail and wrong password look the same, and take the same time.
        ok = await self.hasher.verify(password, user.password_hash if user else None)
        if user is None or not ok:
            raise Unauthenticated(INVALID_CREDENTIALS)
        return user

    async def ensure_admin(self, email: str, password: str) -> UserDocument:
        """Creates the bootstrap admin on first start; later starts only make sure of the role."""
        user = await UserDocument.find_one({"email": normalise_email(email)})
        if user is None:
            # The username comes from the e-mail's local part, made valid; a taken one gets a
            # suffix, so an existing account can never stop the service from starting.
            base = re.sub(r"[^A-Za-z0-9_.-]", "_", email.split("@")[0])[:24]
            base = base if len(base) >= 3 else "admin"
            for username in (base, *(f"{base}-{secrets.token_hex(3)}" for _ in range(5))):
                try:
                    registration = validate(Registration(username=username, email=email, password=password))
                    return await self._create(registration, ["user", "admin"])
                except DuplicateKeyError as error:
                    if "email" in (error.details or {}).get("keyPattern", {}):
                        raise
            raise Conflict("Could not find a free username for the bootstrap admin", field="username")
        if "admin" not in user.roles:
            user.roles = [*user.roles, "admin"]
            await user.save()
        return user


async def get_user(user_id: str) -> UserDocument | None:
    oid = object_id(user_id)
    return await UserDocument.get(oid) if oid else None
