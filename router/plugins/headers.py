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

from ..config import Config, ConfigError
from ..pipeline import Context
from .jwt import claim
from .section import Section

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                        "proxy-connection", "te", "trailer", "trailers", "transfer-encoding", "upgrade"})
CLIENT_OWNED = frozenset({"host", "content-length", "content-type", "accept", "accept-encoding", "expect"})
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _header_name(s: Section, key: str) -> str:
    name: str = s.get(key, str)
    if not name or not _TOKEN.match(name):
        raise ConfigError(f"{s.path(key)}: not a valid header name: {name!r}")
    low = name.lower()
    if low in HOP_BY_HOP or low in CLIENT_OWNED:
        raise ConfigError(f"{s.path(key)}: {name} is set by the router's client or hop-by-hop; it cannot be sent")
    return low


def _regex(s: Section, key: str) -> re.Pattern[str]:
    try:
        return re.compile(s.get(key, str), re.IGNORECASE)
    except re.error as e:
        raise ConfigError(f"{s.path(key)}: invalid regular expression: {e}") from None


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


def parse_rules(where: str, body: Any) -> list[Rule]:
    if body is None:
        return []
    if not isinstance(body, list):
        raise ConfigError(f"{where}: expected a list of rules")
    rules: list[Rule] = []
    for i, item in enumerate(body):
        at = f"{where}[{i}]"
        if not isinstance(item, dict) or len(item) != 1:
            raise ConfigError(f"{at}: a rule is one of propagate, insert, extension, remove: {{propagate: {{...}}}}")
        (kind, args), = item.items()
        if kind == "propagate":
            s = Section(f"{at}.propagate", args, ("named", "rename", "default", "matching"))
            if ("named" in s) == ("matching" in s):
                raise ConfigError(f"{at}.propagate: give exactly one of named or matching")
            if "matching" in s:
                if "rename" in s or "default" in s:
                    raise ConfigError(f"{at}.propagate: rename/default go with named, not matching")
                rules.append(("match", _regex(s, "matching")))
            else:
                name = _header_name(s, "named")
                rename = _header_name(s, "rename") if "rename" in s else name
                default = s.get("default", str)
                if default is not None and safe_value(default) is None:
                    raise ConfigError(f"{s.path('default')}: not a valid header value")
                rules.append(("named", name, rename, default))
        elif kind == "insert":
            s = Section(f"{at}.insert", args, ("name", "value", "claim"))
            name = _header_name(s, "name")
            if ("value" in s) == ("claim" in s):
                raise ConfigError(f"{at}.insert: give exactly one of value or claim")
            if "value" in s:
                value = s.get("value", str)
                if safe_value(value) is None:
                    raise ConfigError(f"{s.path('value')}: not a valid header value")
                rules.append(("static", name, value))
            else:
                rules.append(("claim", name, s.get("claim", str)))
        elif kind == "extension":
            s = Section(f"{at}.extension", args, ("name", "claim"))
            name, claim = s.get("name", str), s.get("claim", str)
            if not name or not claim:
                raise ConfigError(f"{at}.extension: needs name and claim")
            rules.append(("extension", name, claim))
        elif kind == "remove":
            s = Section(f"{at}.remove", args, ("named", "matching"))
            if ("named" in s) == ("matching" in s):
                raise ConfigError(f"{at}.remove: give exactly one of named or matching")
            if "named" in s:
                rules.append(("remove", s.get("named", str).lower()))
            else:
                rules.append(("remove_match", _regex(s, "matching")))
        else:
            raise ConfigError(f"{at}: unknown rule {kind!r} (known: propagate, insert, extension, remove)")
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


class HeadersPlugin:
    def __init__(self, all_rules: list[Rule], per_subgraph: dict[str, list[Rule]]) -> None:
        self.all_rules = all_rules
        self.per_subgraph = per_subgraph
        uses_ext = any(r[0] == "extension" for r in all_rules) or any(
            r[0] == "extension" for rs in per_subgraph.values() for r in rs)
        if uses_ext:
            # only then does the plugin touch subgraph request bodies
            self.on_subgraph_request = self._add_extensions

    @classmethod
    def from_config(cls, body: Any, config: Config) -> "HeadersPlugin | None":
        s = Section("headers", body, ("all", "subgraphs"))
        all_rules = parse_rules("headers.all", s.get("all", list))
        per: dict[str, list[Rule]] = {}
        for name, rules in (s.get("subgraphs", dict) or {}).items():
            per[str(name)] = parse_rules(f"headers.subgraphs.{name}", rules)
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

    async def _add_extensions(self, ctx: Context, service: str, body: bytes) -> bytes:
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
