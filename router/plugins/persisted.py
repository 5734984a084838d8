"""Persisted operations: automatic persisted queries (APQ) and trusted documents.

APQ (Apollo's protocol): a client sends `extensions.persistedQuery = {version: 1,
sha256Hash}` without the query; if the router knows the hash it runs the stored document,
else it answers `PERSISTED_QUERY_NOT_FOUND` and the client retries with the query and the
hash, which the router checks (`PERSISTED_QUERY_HASH_MISMATCH`) and stores (bounded LRU).

Trusted documents: a manifest in Apollo's persisted query manifest format
(`{"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id",
"body", "name", "type"}]}`). Its operations can always be run by id (same extension). With
`safelist: true` nothing else runs: an unknown id is `PERSISTED_QUERY_NOT_IN_LIST`, a
free-form document not in the manifest (compared ignoring whitespace, commas and comments)
is `QUERY_NOT_IN_SAFELIST`, and with `require_id: true` even listed documents must be sent
by id (`PERSISTED_QUERY_ID_REQUIRED`). `log_unknown: true` only logs what safelisting would refuse (to roll it out).
APQ registration is off in safelist mode: it would let anyone add documents.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from typing import Any

from graphql import GraphQLError, parse, print_ast
from pydantic import Field

from shared.lru import LRU

from ..config import Config, ConfigError
from ..pipeline import Context
from ..settings import Settings
from .base import Plugin

log = logging.getLogger("router.persisted")

APQ_CACHE_BYTES = 64 << 20  # registered query texts kept, whatever `apq_entries` says
CHECKED_CACHE_BYTES = 16 << 20  # free-form texts already compared with the manifest
_HASH = re.compile(r"^[0-9a-fA-F]{64}$")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(text: str) -> str | None:
    """The document without ignored tokens' differences (whitespace, commas, comments)."""
    try:
        return print_ast(parse(text, no_location=True))
    except GraphQLError:
        return None


def _error(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def load_manifest(path: str) -> dict[str, str]:
    """id -> body; raises ConfigError naming what is wrong."""
    where = f"persisted_queries.manifest ({path})"
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise ConfigError(f"{where}: cannot read: {e.strerror}") from None
    except ValueError as e:
        raise ConfigError(f"{where}: not JSON: {e}") from None
    if not isinstance(doc, dict) or doc.get("format") != "apollo-persisted-query-manifest":
        raise ConfigError(f'{where}: "format" must be "apollo-persisted-query-manifest"')
    if doc.get("version") != 1:
        raise ConfigError(f'{where}: unsupported "version" {doc.get("version")!r} (expected 1)')
    ops = doc.get("operations")
    if not isinstance(ops, list):
        raise ConfigError(f'{where}: "operations" must be a list')
    out: dict[str, str] = {}
    for i, op in enumerate(ops):
        if not isinstance(op, dict) or not isinstance(op.get("id"), str) or not isinstance(op.get("body"), str):
            raise ConfigError(f"{where}: operations[{i}] needs string id and body")
        if canonical(op["body"]) is None:
            raise ConfigError(f"{where}: operations[{i}] ({op['id']}): body does not parse")
        if op["id"] in out and out[op["id"]] != op["body"]:
            raise ConfigError(f"{where}: operations[{i}]: id {op['id']} appears twice with different bodies")
        out[op["id"]] = op["body"]
    return out


class ApqSettings(Settings):
    enabled: bool | None = None  # default: on, unless safelist
    cache_entries: int = Field(1000, ge=1)


class PersistedSettings(Settings):
    """`persisted_queries:` in router.yaml."""

    enabled: bool = True
    apq: ApqSettings = ApqSettings()
    manifest: str | None = None  # path of a persisted query manifest (JSON)
    safelist: bool = False
    require_id: bool = False
    log_unknown: bool = False


class PersistedPlugin(Plugin[PersistedSettings]):
    section = "persisted_queries"
    settings = PersistedSettings
    resolves_persisted_queries = True  # http.py lets hash-only requests through

    def __init__(self, apq: bool = True, apq_entries: int = 1000, manifest: dict[str, str] | None = None,
                 safelist: bool = False, require_id: bool = False, log_unknown: bool = False) -> None:
        self.apq = apq
        self.apq_entries = apq_entries
        # by bytes too: an APQ registration or a free-form text can be as large as a request
        self.cache: LRU[str, str] = LRU(max(apq_entries, 1), APQ_CACHE_BYTES)
        self.manifest = manifest or {}
        self.safelist = safelist
        self.require_id = require_id
        self.log_unknown = log_unknown
        self.listed_bodies = set(self.manifest.values())
        self.listed_canonical = {canonical(b) for b in self.manifest.values()}
        self._checked: LRU[str, bool] = LRU(4096, CHECKED_CACHE_BYTES)

    @classmethod
    def from_config(cls, s: PersistedSettings, config: Config) -> "PersistedPlugin | None":
        if not s.enabled:
            return None
        manifest_path = s.manifest
        safelist = s.safelist
        require_id = s.require_id
        if (safelist or require_id) and not manifest_path:
            raise ConfigError("persisted_queries.safelist: needs persisted_queries.manifest")
        if require_id and not safelist:
            raise ConfigError("persisted_queries.require_id: only applies with safelist: true")
        apq_enabled = s.apq.enabled if s.apq.enabled is not None else not safelist
        if apq_enabled and safelist:
            raise ConfigError("persisted_queries.apq.enabled: APQ registration cannot be on with safelist: true")
        manifest = load_manifest(manifest_path) if manifest_path else None
        return cls(apq_enabled, s.apq.cache_entries, manifest, safelist, require_id, s.log_unknown)

    async def on_request(self, ctx: Context) -> dict[str, Any] | None:
        req = ctx.request
        ext = req.extensions
        pq = ext.get("persistedQuery") if isinstance(ext, dict) else None
        if pq is None:
            if self.safelist and not self.allowed_free_form(req.query):
                if self.require_id:
                    return self.refuse(ctx, "PERSISTED_QUERY_ID_REQUIRED",
                                       "Only persisted queries, sent by id, may run", req.query)
                return self.refuse(ctx, "QUERY_NOT_IN_SAFELIST", "Query not in the safelist", req.query)
            return None
        if not isinstance(pq, dict):
            ctx.status = 400
            return _error("extensions.persistedQuery must be an object", "BAD_REQUEST")
        if pq.get("version") != 1:
            ctx.status = 400
            return _error("Unsupported persisted query version", "PERSISTED_QUERY_UNSUPPORTED_VERSION")
        digest = pq.get("sha256Hash")
        if not isinstance(digest, str) or not _HASH.match(digest):
            ctx.status = 400
            return _error("extensions.persistedQuery.sha256Hash must be a SHA-256 hex digest", "BAD_REQUEST")
        digest = digest.lower()
        if req.query:
            # a document and its hash: check, then (APQ) remember it
            if sha256(req.query) != digest:
                ctx.status = 400
                return _error("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH")
            if self.safelist and self.manifest.get(digest) != req.query and not self.allowed_free_form(req.query):
                return self.refuse(ctx, "QUERY_NOT_IN_SAFELIST", "Query not in the safelist", req.query)
            if self.apq:
                self.remember(digest, req.query)
            return None
        body = self.manifest.get(digest)
        if body is None and self.apq:
            body = self.cache.get(digest)
        if body is None:
            if self.apq:
                return _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")  # 200: the client retries
            ctx.status = 400
            return _error(f"Persisted query '{digest}' not found in the persisted query list",
                          "PERSISTED_QUERY_NOT_IN_LIST")
        req.query = body
        return None

    def remember(self, digest: str, query: str) -> None:
        self.cache.put(digest, query, len(query) + 100)

    def allowed_free_form(self, text: str) -> bool:
        if self.require_id:
            return False
        if text in self.listed_bodies:
            return True
        got = self._checked.get(text)
        if got is None:
            got = canonical(text) in self.listed_canonical
            self._checked.put(text, got, len(text) + 100)
        return got

    def refuse(self, ctx: Context, code: str, message: str, text: str) -> dict[str, Any] | None:
        if self.log_unknown:
            log.warning("persisted_queries: would refuse (%s) an operation not in the manifest, sha256 %s",
                        code, sha256(text or ""))
            return None
        ctx.status = 400
        return _error(message, code)
