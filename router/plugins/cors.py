"""CORS for browsers on other origins (Starlette's CORSMiddleware, configured here).

Without a `cors` section no cross-origin browser may read the router's answers. Origins are
listed exactly or matched by a regular expression; `"*"` cannot go with credentials (that
would let any site call the router with the user's cookies and read the answer)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from ..config import Config, ConfigError
from ..settings import Settings, StringList
from .base import Plugin
from .csrf import DEFAULT_HEADERS

DEFAULT_ALLOW_HEADERS = ("content-type", "accept", "authorization", *DEFAULT_HEADERS)


class CorsSettings(Settings):
    """`cors:` in router.yaml."""

    enabled: bool = True
    origins: StringList = []
    origin_regex: str | None = None
    allow_credentials: bool = False
    allow_headers: StringList = list(DEFAULT_ALLOW_HEADERS)
    expose_headers: StringList = []
    methods: StringList = ["GET", "POST"]
    max_age: int = Field(600, ge=0)


class CorsPlugin(Plugin[CorsSettings]):
    """Contributes an ASGI middleware (no pipeline hooks)."""

    section = "cors"
    settings = CorsSettings

    def __init__(self, origins: list[str], origin_regex: str | None, allow_credentials: bool,
                 allow_headers: list[str], expose_headers: list[str], methods: list[str], max_age: int) -> None:
        self.kwargs: dict[str, Any] = dict(allow_origins=origins, allow_origin_regex=origin_regex,
                           allow_credentials=allow_credentials, allow_headers=allow_headers,
                           expose_headers=expose_headers, allow_methods=methods, max_age=max_age)

    @classmethod
    def from_config(cls, s: CorsSettings, config: Config) -> "CorsPlugin | None":
        if not s.enabled:
            return None
        origins = s.origins
        regex = s.origin_regex
        if regex is not None:
            try:
                re.compile(regex)
            except re.error as e:
                raise ConfigError(f"cors.origin_regex: invalid regular expression: {e}") from None
        for o in origins:
            if o != "*" and not re.match(r"^https?://[^/\s]+$", o):
                raise ConfigError(f"cors.origins: {o!r} is not an origin (scheme://host[:port], no path)")
        credentials = s.allow_credentials
        if credentials and "*" in origins:
            raise ConfigError("cors.origins: '*' cannot be combined with allow_credentials: true")
        if not origins and regex is None:
            raise ConfigError("cors: give origins or origin_regex (or remove the section)")
        methods = [m.upper() for m in s.methods]
        for m in methods:
            if m not in ("GET", "POST", "OPTIONS", "HEAD"):
                raise ConfigError(f"cors.methods: {m!r} is not served by the router")
        return cls(origins, regex, credentials, s.allow_headers, s.expose_headers, methods, s.max_age)

    def middleware(self) -> list[Middleware]:
        return [Middleware(CORSMiddleware, **self.kwargs)]
