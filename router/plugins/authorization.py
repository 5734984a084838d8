"""Authorization from the supergraph: `@authenticated`, `@requiresScopes`, `@policy`.

The directives come from the supergraph (`https://specs.apollo.dev/authenticated/v0.1`,
`requiresScopes/v0.1`, `policy/v0.1`, under whatever name `@link(as:)`/`import` gives them).
Requirements are per schema coordinate and are checked before planning: a field the caller
may not read is left out of the plan (no subgraph ever sees it) and answered null with an
`UNAUTHORIZED_FIELD_OR_TYPE` error at its path; non-null fields propagate the null as usual.
`mode: reject` refuses the whole operation instead (HTTP 403).

What a field requires, for an object type T and a field f (T is concrete: the operation is
normalised per possible type, so a fragment on a type and a field reached through an
interface are judged by the object type that answers them):
    directives on T.f, and on I.f for each interface I of T declaring f (composition copies
    implementations' requirements onto the interface field, and an @interfaceObject's
    fields live there: honouring them for every implementation never opens a field, at
    the price of closing `... on T { f }` too when only another implementation needs it),
    type-level directives on T and its interfaces (fields selected in a fragment on a
    restricted type inside a union or interface are removed; `__typename` stays, as in
    Apollo Router),
    type-level directives on f's named return type (object, interface, scalar, enum).
Several directives must all hold. `scopes: [["a", "b"], ["c"]]` means (a and b) or c; the
caller's scopes come from a claim (`scope`, a space-separated string or a list). Policies
are decided by a configurable Python hook `module:function(claims, policies)` returning the
granted ones (may be async); without a hook no policy is granted (fail closed).
"""

from __future__ import annotations

import importlib
import inspect
import logging
from dataclasses import dataclass
from typing import Any, Callable, Collection, Literal

from graphql import (
    ConstDirectiveNode,
    EnumTypeDefinitionNode,
    InterfaceTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    value_from_ast_untyped,
)
from pydantic import Field

from shared.lru import LRU

from ..config import Config, ConfigError
from ..operation import Sel, list_depth, normalize
from ..pipeline import Context
from ..settings import Settings
from ..supergraph import Supergraph
from .base import Plugin
from .jwt import claim

log = logging.getLogger("router.authorization")

UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"
ANALYSIS_CACHE_BYTES = 64 << 20
SPECS = {"authenticated": "authenticated", "requiresScopes": "requiresScopes", "policy": "policy"}

Alternatives = tuple[frozenset[str], ...]  # satisfied when any one set is fully held


@dataclass(frozen=True)
class Requirement:
    authenticated: bool = False
    scopes: tuple[Alternatives, ...] = ()  # every entry must be satisfied
    policies: tuple[Alternatives, ...] = ()

    def __and__(self, other: "Requirement") -> "Requirement":
        if not other:
            return self
        if not self:
            return other
        return Requirement(self.authenticated or other.authenticated,
                           _merge(self.scopes, other.scopes), _merge(self.policies, other.policies))

    def __bool__(self) -> bool:
        return self.authenticated or bool(self.scopes) or bool(self.policies)

    def policy_names(self) -> set[str]:
        return {p for alts in self.policies for group in alts for p in group}


NONE = Requirement()


def _merge(a: tuple[Alternatives, ...], b: tuple[Alternatives, ...]) -> tuple[Alternatives, ...]:
    return a + tuple(x for x in b if x not in a)


def _alternatives(value: Any) -> Alternatives | None:
    if not isinstance(value, list) or not all(isinstance(g, list) for g in value):
        return None
    return tuple(frozenset(str(x) for x in g) for g in value)


class Rules:
    """Requirements of one supergraph, per coordinate (computed once, memoised)."""

    def __init__(self, sg: Supergraph) -> None:
        self.sg = sg
        names = {spec: _linked_name(sg, spec) for spec in SPECS}
        self.active = any(names.values())
        self.own_type: dict[str, Requirement] = {}
        self.own_field: dict[tuple[str, str], Requirement] = {}
        self._type: dict[str, Requirement] = {}
        self._coord: dict[tuple[str, str], Requirement] = {}
        if not self.active:
            return
        by_name = {n: spec for spec, n in names.items() if n}
        kinds = (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode, ScalarTypeDefinitionNode,
                 EnumTypeDefinitionNode)
        for d in sg.document.definitions:
            if not isinstance(d, kinds):
                continue
            r = _read(d.directives, by_name, d.name.value)
            if r:
                self.own_type[d.name.value] = r
            for f in getattr(d, "fields", None) or ():
                r = _read(f.directives, by_name, f"{d.name.value}.{f.name.value}")
                if r:
                    self.own_field[(d.name.value, f.name.value)] = r

    def type_requirement(self, name: str) -> Requirement:
        got = self._type.get(name)
        if got is None:
            got = self.own_type.get(name, NONE)
            t = self.sg.types.get(name)
            for i in t.interfaces if t is not None else ():
                got = got & self.own_type.get(i, NONE)
            self._type[name] = got
        return got

    def coordinate(self, type_name: str, field: str) -> Requirement:
        key = (type_name, field)
        got = self._coord.get(key)
        if got is None:
            got = NONE
            t = self.sg.types.get(type_name)
            if field != "__typename" and t is not None:
                got = self.type_requirement(type_name) & self.own_field.get(key, NONE)
                for i in t.interfaces:
                    got = got & self.own_field.get((i, field), NONE)
                fi = t.fields.get(field)
                if fi is not None:
                    got = got & self.type_requirement(fi.named_type)
            self._coord[key] = got
        return got


def _linked_name(sg: Supergraph, spec: str) -> str | None:
    """The directive's name in this supergraph (`@link(as:)` and `import: [{name, as}]`)."""
    return sg.links.linked_directive(spec)


def _read(directives: Collection[ConstDirectiveNode] | None, by_name: dict[str, str], where: str) -> Requirement:
    r = NONE
    for d in directives or ():
        spec = by_name.get(d.name.value)
        if spec is None:
            continue
        if spec == "authenticated":
            r = r & Requirement(authenticated=True)
            continue
        args = {a.name.value: value_from_ast_untyped(a.value) for a in d.arguments or ()}
        arg = "scopes" if spec == "requiresScopes" else "policies"
        alts = _alternatives(args.get(arg))
        if alts is None:
            # a malformed requirement must not open the field: nobody satisfies it
            log.error("supergraph: @%s on %s has no valid %s argument; the field is closed", d.name.value,
                      where, arg)
            alts = ()
        r = r & (Requirement(scopes=(alts,)) if arg == "scopes" else Requirement(policies=(alts,)))
    return r


# ---------------------------------------------------------------------- per operation


class Analysis:
    """What one operation (document, name, @skip/@include values) may need, per coordinate."""

    __slots__ = ("sel", "requirements", "verdicts")

    def __init__(self, sel: Sel, requirements: dict[tuple[str, str], Requirement]) -> None:
        self.sel = sel
        self.requirements = requirements
        self.verdicts: dict[frozenset[Requirement], _Verdict] = {}

    def verdict(self, failing: frozenset[Requirement]) -> _Verdict:
        """(denied coordinates the caller actually reaches, their errors) for a set of
        unmet requirements; memoised (few distinct sets per operation)."""
        got = self.verdicts.get(failing)
        if got is None:
            bad = {c for c, r in self.requirements.items() if r in failing}
            denied: set[tuple[str, str]] = set()
            paths: dict[_Path, None] = {}
            _walk(self.sel, (), bad, denied, paths)
            errors = [{"message": "Unauthorized field or type", "path": list(p),
                       "extensions": {"code": UNAUTHORIZED}} for p in paths]
            got = (frozenset(denied), errors)
            if len(self.verdicts) < 64:
                self.verdicts[failing] = got
        return got


# a response path: keys, "@" for each list level
_Path = tuple[str, ...]
# (coordinates denied to this caller, their UNAUTHORIZED errors)
_Verdict = tuple[frozenset[tuple[str, str]], list[dict[str, Any]]]

_OPEN = Analysis(Sel("", False), {})  # shared by every operation that requires nothing


def _walk(sel: Sel, path: _Path, bad: set[tuple[str, str]], denied: set[tuple[str, str]],
          paths: dict[_Path, None]) -> None:
    for tname, fields in sel.by_type.items():
        for f in fields:
            if f.introspection:
                continue
            here = path + (f.key,)
            if (tname, f.name) in bad:
                denied.add((tname, f.name))
                paths[here] = None
            elif f.sub is not None:
                _walk(f.sub, here + ("@",) * list_depth(f.type), bad, denied, paths)


def _collect(sel: Sel, rules: Rules, out: dict[tuple[str, str], Requirement]) -> None:
    for tname, fields in sel.by_type.items():
        for f in fields:
            if f.introspection:
                continue
            r = rules.coordinate(tname, f.name)
            if r:
                out[(tname, f.name)] = r
            if f.sub is not None:
                _collect(f.sub, rules, out)


# ---------------------------------------------------------------------- the caller


def scopes_of(claims: dict[str, Any] | None, path: str) -> frozenset[str]:
    value = claim(claims, path)
    if isinstance(value, str):
        return frozenset(value.split())
    if isinstance(value, list):
        return frozenset(v for v in value if isinstance(v, str))
    return frozenset()


def _held(alternatives: tuple[Alternatives, ...], held: frozenset[str] | set[str]) -> bool:
    return all(any(group <= held for group in alts) for alts in alternatives)


class AuthorizationSettings(Settings):
    """`authorization:` in router.yaml."""

    enabled: bool = True
    mode: Literal["filter", "reject"] = "filter"  # filter: denied fields answered null; reject: the whole request
    scope_claim: str = "scope"
    policy_hook: str | None = None  # module:function deciding @policy names
    cache_entries: int = Field(2048, ge=0)


class AuthorizationPlugin(Plugin[AuthorizationSettings]):
    section = "authorization"
    settings = AuthorizationSettings

    def __init__(self, mode: str = "filter", scope_claim: str = "scope",
                 policy_hook: Callable[..., Any] | None = None, cache_entries: int = 2048) -> None:
        self.reject = mode == "reject"
        self.scope_claim = scope_claim
        self.policy_hook = policy_hook
        self.cache_entries = cache_entries
        self._sg: Supergraph | None = None
        self._rules: Rules | None = None
        self._ops: LRU[tuple[str, str | None, tuple[bool, ...]], Analysis] = LRU(max(cache_entries, 1), ANALYSIS_CACHE_BYTES)

    @classmethod
    def from_config(cls, s: AuthorizationSettings, config: Config) -> "AuthorizationPlugin | None":
        if not s.enabled:
            return None
        hook = s.policy_hook
        return cls(s.mode, s.scope_claim, load_hook(hook, "authorization.policy_hook") if hook else None,
                   s.cache_entries)

    def rules(self, sg: Supergraph) -> Rules:
        if sg is not self._sg or self._rules is None:
            self._rules = Rules(sg)
            self._ops.clear()
            self._sg = sg
        return self._rules

    def analysis(self, ctx: Context) -> Analysis:
        op = ctx.operation
        assert op is not None
        sg = ctx.state.supergraph
        rules = self.rules(sg)
        key = (op.document.text, op.name, op.condition_key)
        got = self._ops.get(key)
        if got is None:
            sel = normalize(sg.api_schema, op)
            reqs: dict[tuple[str, str], Requirement] = {}
            _collect(sel, rules, reqs)
            got = Analysis(sel, reqs) if reqs else _OPEN
            self._ops.put(key, got, 4 * len(op.document.text) + 2048)  # keyed by the text, holds its selection
        return got

    async def on_operation(self, ctx: Context) -> dict[str, Any] | None:
        if not self.rules(ctx.state.supergraph).active:
            return None  # the supergraph requires nothing
        a = self.analysis(ctx)
        if not a.requirements:
            return None
        distinct = set(a.requirements.values())
        claims = ctx.claims
        authenticated = claims is not None
        scopes: frozenset[str] | None = None
        granted: set[str] | None = None
        failing: set[Requirement] = set()
        for r in distinct:
            ok = authenticated or not r.authenticated
            if ok and r.scopes:
                if scopes is None:
                    scopes = scopes_of(claims, self.scope_claim)
                ok = _held(r.scopes, scopes)
            if ok and r.policies:
                if granted is None:
                    wanted = set().union(*(x.policy_names() for x in distinct))
                    granted = await self.decide_policies(claims, frozenset(wanted))
                ok = _held(r.policies, granted)
            if not ok:
                failing.add(r)
        if not failing:
            return None
        denied, errors = a.verdict(frozenset(failing))
        if not denied:
            return None
        if self.reject:
            ctx.status = 403
            return {"errors": [dict(e, message="Unauthorized field or type: the operation was rejected")
                               for e in errors]}
        ctx.unauthorized = denied
        return None

    async def on_response(self, ctx: Context) -> None:
        op = ctx.operation
        if not ctx.unauthorized or ctx.result is None or op is None:
            return
        key = (op.document.text, op.name, op.condition_key)
        a = self._ops.get(key)
        errors = None
        if a is not None:
            for denied, errs in a.verdicts.values():
                if denied == ctx.unauthorized:
                    errors = errs
                    break
        if errors is None:  # evicted meanwhile: recompute from the denied set
            paths: dict[_Path, None] = {}
            _walk(self.analysis(ctx).sel, (), set(ctx.unauthorized), set(), paths)
            errors = [{"message": "Unauthorized field or type", "path": list(p),
                       "extensions": {"code": UNAUTHORIZED}} for p in paths]
        scope = ctx.payload
        if scope is not None:  # a deferred answer: each error in the payload holding its field, once
            # (the last call: those whose items were never delivered, their parent being null)
            mine = []
            for e in errors:
                path = tuple(e["path"])
                if path not in scope.reported and (scope.owns(e["path"]) or scope.final):
                    scope.reported.add(path)
                    mine.append(e)
            errors = mine
            if not errors:
                return
        result = ctx.result
        result["errors"] = [*errors, *result.get("errors", ())]
        if "data" in result:  # keep errors before data, as the executor does
            result["data"] = result.pop("data")

    async def decide_policies(self, claims: dict[str, Any] | None, policies: frozenset[str]) -> set[str]:
        if self.policy_hook is None or not policies:
            return set()
        try:
            got = self.policy_hook(claims, policies)
            if inspect.isawaitable(got):
                got = await got
        except Exception:  # a broken hook closes the fields, never opens them
            log.exception("authorization.policy_hook failed; no policy granted")
            return set()
        if isinstance(got, dict):
            return {p for p, ok in got.items() if ok is True and p in policies}
        if got is None:
            return set()
        return {p for p in got if p in policies}


def warn_if_unenforced(sg: Supergraph, plugins: list[Plugin[Any]]) -> bool:
    """The supergraph declares authorization requirements but nothing enforces them in the
    router (only the subgraphs' own checks stand): say so loudly at start."""
    if any(isinstance(p, AuthorizationPlugin) for p in plugins) or not Rules(sg).active:
        return False
    log.warning("the supergraph uses @authenticated/@requiresScopes/@policy but router.yaml has no "
                "authorization section: the router does not enforce them")
    return True


def load_hook(spec: str, where: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ConfigError(f"{where}: expected 'module:function', got {spec!r}")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as e:
        raise ConfigError(f"{where}: cannot import {module!r}: {e}") from None
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            raise ConfigError(f"{where}: {module!r} has no attribute {name!r}")
    if not callable(obj):
        raise ConfigError(f"{where}: {spec!r} is not callable")
    hook: Callable[..., Any] = obj
    return hook
