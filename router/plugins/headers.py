"""Headers (and claims) sent to subgraphs, by rules.

Rules run in order, first those under `all`, then those under `subgraphs.<name>`, each
adding to or removing from the headers one subgraph request gets:

    propagate: {named: authorization}                          # client header as is
    propagate: {named: x-tenant, rename: x-tenant-id, default: public}
    propagate: {matching: "^x-shop-"}                          # every client header matching
    insert:    {name: x-gateway, value: router}                # a static value
    insert:    {name: x-user-id, claim: sub}                   # a verified JWT claim
    extension: {name: userId, claim: sub}                      # claim into the request's extensions
    remove:    {named: x-debug} | {matching: "^x-internal-"}

Nothing is propagated unless a rule says so. Hop-by-hop headers (RFC 9110 7.6.1:
Connection and what it names, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade,
Proxy-*) and those the router's client sets itself (Host, Content-Length, Content-Type,
Accept, Accept-Encoding, Expect) are never copied, whatever a pattern matches. Values with
control characters or outside latin-1 are dropped, so a claim cannot inject a header.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from pydantic import create_model, model_validator

from ..config import Config, ConfigError
from ..pipeline import Context
from ..settings import Settings, validate
from .base import Hook, Plugin
from .jwt import claim

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade"})
CLIENT_OWNED = frozenset({"host", "content-length", "content-type", "accept", "accept-encoding", "expect"})
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _header_name(where: str, name: str) -> str:
    if not name or not _TOKEN.match(name):
        raise ConfigError(f"{where}: not a valid header name: {name!r}")
    low = name.lower()
    if low in HOP_BY_HOP or low in CLIENT_OWNED:
        raise ConfigError(f"{where}: {name} is set by the router's client or hop-by-hop; it cannot be sent")
    return low


def _regex(where: str, pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as e:
        raise ConfigError(f"{where}: invalid regular expression: {e}") from None


def safe_value(value: Any) -> str | None:
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, (int, float)):
        value = str(value)
    elif isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                         for v in value):
        value = " ".join(str(v) for v in value)
    if not isinstance(value, str) or _BAD_VALUE.search(value):
        return None
    try:
        value.encode("latin-1")
    except UnicodeEncodeError:
        return None
    return value


# A rule is (kind, args); applying one mutates the output headers / extensions.
Rule = tuple[Any, ...]


class PropagateRule(Settings):
    named: str | None = None
    rename: str | None = None
    default: str | None = None
    matching: str | None = None  # a regular expression over header names


class InsertRule(Settings):
    name: str
    value: str | None = None
    claim: str | None = None  # a dotted path into the verified JWT claims


class ExtensionRule(Settings):
    name: str = ""
    claim: str = ""


class RemoveRule(Settings):
    named: str | None = None
    matching: str | None = None


class HeaderRule(Settings):
    """One rule: a mapping with exactly one of its keys (`{propagate: {named: authorization}}`)."""

    propagate: PropagateRule | None = None
    insert: InsertRule | None = None
    extension: ExtensionRule | None = None
    remove: RemoveRule | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "HeaderRule":
        if len(self.model_fields_set) != 1:
            raise ValueError("a rule is one of propagate, insert, extension, remove: {propagate: {...}}")
        return self


class HeadersSettings(Settings):
    """`headers:` in router.yaml."""

    all: list[HeaderRule] = []
    subgraphs: dict[str, list[HeaderRule]] = {}


def parse_rules(where: str, body: Any) -> list[Rule]:
    """Rules from their raw list (the list at `where`, e.g. `headers.all`)."""
    if body is None:
        return []
    parent, key = where.rsplit(".", 1)
    # a one-field model named like the list, so errors name the list's own path
    holder = create_model("Rules", __base__=Settings, **{key: (list[HeaderRule], ...)})  # type: ignore[call-overload]
    checked = validate(holder, parent, {key: body})
    items: list[HeaderRule] = getattr(checked, key)
    return rules_of(where, items)


def rules_of(where: str, items: list[HeaderRule]) -> list[Rule]:
    """Rules from their validated settings; names, values and patterns checked."""
    rules: list[Rule] = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        if (p := item.propagate) is not None:
            if (p.named is None) == (p.matching is None):
                raise ConfigError(f"{at}.propagate: give exactly one of named or matching")
            if p.matching is not None:
                if p.rename is not None or p.default is not None:
                    raise ConfigError(f"{at}.propagate: rename/default go with named, not matching")
                rules.append(("match", _regex(f"{at}.propagate.matching", p.matching)))
            else:
                name = _header_name(f"{at}.propagate.named", p.named or "")
                rename = _header_name(f"{at}.propagate.rename", p.rename) if p.rename is not None else name
                if p.default is not None and safe_value(p.default) is None:
                    raise ConfigError(f"{at}.propagate.default: not a valid header value")
                rules.append(("named", name, rename, p.default))
        elif (ins := item.insert) is not None:
            name = _header_name(f"{at}.insert.name", ins.name)
            if (ins.value is None) == (ins.claim is None):
                raise ConfigError(f"{at}.insert: give exactly one of value or claim")
            if ins.value is not None:
                if safe_value(ins.value) is None:
                    raise ConfigError(f"{at}.insert.value: not a valid header value")
                rules.append(("static", name, ins.value))
            else:
                rules.append(("claim", name, ins.claim))
        elif (ext := item.extension) is not None:
            if not ext.name or not ext.claim:
                raise ConfigError(f"{at}.extension: needs name and claim")
            rules.append(("extension", ext.name, ext.claim))
        elif (rm := item.remove) is not None:
            if (rm.named is None) == (rm.matching is None):
                raise ConfigError(f"{at}.remove: give exactly one of named or matching")
            if rm.named is not None:
                rules.append(("remove", rm.named.lower()))
            else:
                rules.append(("remove_match", _regex(f"{at}.remove.matching", rm.matching or "")))
    return rules


def apply(rules: list[Rule], incoming: dict[str, str], claims: dict[str, Any] | None, out: dict[str, str],
          ext: dict[str, Any]) -> None:
    hop = HOP_BY_HOP
    listed = incoming.get("connection")
    if listed:
        hop = hop | {t.strip().lower() for t in listed.split(",")}
    for rule in rules:
        kind = rule[0]
        if kind == "named":
            _, name, rename, default = rule
            value = incoming.get(name)
            if value is None or name in hop:
                value = default
            if value is not None and safe_value(value) is not None:
                out[rename] = value
        elif kind == "match":
            for name, value in incoming.items():
                if name in hop or name in CLIENT_OWNED or not rule[1].search(name):
                    continue
                if safe_value(value) is not None:
                    out[name] = value
        elif kind == "static":
            out[rule[1]] = rule[2]
        elif kind == "claim":
            value = safe_value(claim(claims, rule[2]))
            if value is not None:
                out[rule[1]] = value
        elif kind == "extension":
            value = claim(claims, rule[2])
            if value is not None:
                ext[rule[1]] = value
        elif kind == "remove":
            out.pop(rule[1], None)
        elif kind == "remove_match":
            for name in [n for n in out if rule[1].search(n)]:
                del out[name]


class HeadersPlugin(Plugin[HeadersSettings]):
    section = "headers"
    settings = HeadersSettings

    def __init__(self, all_rules: list[Rule], per_subgraph: dict[str, list[Rule]]) -> None:
        self.all_rules = all_rules
        self.per_subgraph = per_subgraph
        uses_ext = any(r[0] == "extension" for r in all_rules) or any(
            r[0] == "extension" for rs in per_subgraph.values() for r in rs)
        # only with extension rules does the plugin touch subgraph request bodies
        self._hooks: frozenset[Hook] = frozenset({"on_request", "on_subgraph_request"} if uses_ext
                                                 else {"on_request"})

    def hooks(self) -> frozenset[Hook]:
        return self._hooks

    @classmethod
    def from_config(cls, s: HeadersSettings, config: Config) -> "HeadersPlugin | None":
        all_rules = rules_of("headers.all", s.all)
        per: dict[str, list[Rule]] = {}
        for name, rules in s.subgraphs.items():
            per[str(name)] = rules_of(f"headers.subgraphs.{name}", rules)
        if not all_rules and not any(per.values()):
            return None
        return cls(all_rules, {k: v for k, v in per.items() if v})

    async def on_request(self, ctx: Context) -> dict[str, Any] | None:
        incoming = ctx.request.headers
        claims = ctx.claims
        if not self.per_subgraph:
            ext: dict[str, Any] = {}
            apply(self.all_rules, incoming, claims, ctx.subgraph_headers, ext)
            if ext:
                ctx.subgraph_extensions[None] = ext
            return None
        for name in ctx.state.supergraph.graph_names:
            out: dict[str, str] = {}
            ext = {}
            apply(self.all_rules + self.per_subgraph.get(name, []), incoming, claims, out, ext)
            ctx.service_headers[name] = out
            if ext:
                ctx.subgraph_extensions[name] = ext
        return None

    async def on_subgraph_request(self, ctx: Context, service: str, body: bytes) -> bytes:
        """Adds the extension rules' values to the subgraph request's `extensions`."""
        exts = ctx.subgraph_extensions
        ext = exts.get(service, exts.get(None))
        if not ext:
            return body
        if b'"extensions":' in body:  # someone added extensions already: merge them
            payload = orjson.loads(body)
            payload["extensions"] = {**(payload.get("extensions") or {}), **ext}
            return orjson.dumps(payload)
        # the executor's body is a JSON object without "extensions": splice it in front
        return b'{"extensions":' + orjson.dumps(ext) + b"," + body[1:]
