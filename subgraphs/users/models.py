"""What the users service stores. The password hash never leaves this service."""

from __future__ import annotations

from datetime import datetime

from beanie import Document, Indexed


class UserDocument(Document):
    username: str
    # Uniqueness is case-insensitive: "Alice" and "alice" are the same account name.
    username_key: Indexed(str, unique=True)  # type: ignore[valid-type]
    # Stored lower-cased: e-mail addresses compare case-insensitively.
    email: Indexed(str, unique=True)  # type: ignore[valid-type]
    password_hash: str
    roles: list[str] = ["user"]
    created_at: datetime

    class Settings:
        name = "users"
