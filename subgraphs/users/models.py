"""What the users service stores. The password hash never leaves this service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from beanie import Document, Indexed


class UserDocument(Document):
    username: str
    # Uniqueness is case-insensitive: "Alice" and "alice" are the same account name.
    username_key: Annotated[str, Indexed(unique=True)]
    # Stored lower-cased: e-mail addresses compare case-insensitively.
    email: Annotated[str, Indexed(unique=True)]
    password_hash: str
    roles: list[str] = ["user"]
    created_at: datetime

    class Settings:
        name = "users"
