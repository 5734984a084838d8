"""Response shaping: from the merged working data to the client's response.

Keys in query order, aliases as asked, `__typename` filled in, planner-added fields left
out, and GraphQL null propagation exactly as the spec says: a null in a non-null position
nulls the nearest nullable ancestor. The shape is compiled once per plan.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLEnumType, get_named_type, is_leaf_type, is_list_type, is_non_null_type

from ..operation import Sel

INVALID = object()

DENIED, TYPENAME, LEAF, OBJECT, ENUM = -1, 0, 1, 2, 3

# (response key, kind, non-null, list wrappers' item nullability, sub shape or enum values, field name)
FieldShape = tuple[str, int, bool, tuple[bool, ...], Any, str]
# a response path as a linked list: (parent, key) pairs, None at the root
RPath = Any


class Shape:
    __slots__ = ("type", "abstract", "by_type", "fallback", "fallback_typename")

    def __init__(self, type_: str, abstract: bool) -> None:
        self.type = type_
        self.abstract = abstract
        self.by_type: dict[str, tuple[FieldShape, ...]] = {}
        self.fallback: tuple[FieldShape, ...] = ()
        self.fallback_typename = False


def _wrappers(t: Any) -> tuple[bool, ...]:
    """Nullability of each list level's items, outside in."""
    out: list[bool] = []
    if is_non_null_type(t):
        t = t.of_type
    while is_list_type(t):
        t = t.of_type
        nn = is_non_null_type(t)
        if nn:
            t = t.of_type
        out.append(nn)
    return tuple(out)


def compile_shape(sel: Sel) -> Shape:
    memo: dict[int, Shape] = {}

    def comp(s: Sel) -> Shape:
        got = memo.get(id(s))
        if got is not None:
            return got
        sh = Shape(s.type, s.abstract)
        memo[id(s)] = sh
        for tname, fields in s.by_type.items():
            out: list[FieldShape] = []
            for f in fields:
                if f.denied:
                    out.append((f.key, DENIED, f.nonnull, (), None, f.name))
                elif f.name == "__typename":
                    out.append((f.key, TYPENAME, False, (), None, f.name))
                elif f.introspection:
                    out.append((f.key, LEAF, False, (), None, f.name))
                elif isinstance(named := get_named_type(f.type), GraphQLEnumType):
                    # values the API schema lacks (@inaccessible ones) never reach the client
                    allowed = frozenset(named.values)
                    out.append((f.key, ENUM, f.nonnull, _wrappers(f.type), allowed, f.name))
                elif f.sub is None or is_leaf_type(get_named_type(f.type)):
                    out.append((f.key, LEAF, f.nonnull, _wrappers(f.type), None, f.name))
                else:
                    out.append((f.key, OBJECT, f.nonnull, _wrappers(f.type), comp(f.sub), f.name))
            sh.by_type[tname] = tuple(out)
        if sh.by_type:
            # fields selected on the abstract type itself: what an object whose concrete type
            # is unknown (an @interfaceObject never resolved) can still answer
            lists = list(sh.by_type.values())
            if s.untyped is not None:
                common = set(s.untyped)
            else:  # a selection built by the planner: what every possible type asks
                common = set.intersection(*(set(f[0] for f in fs) for fs in lists))
            sh.fallback = tuple(f for f in lists[0] if f[0] in common)
            sh.fallback_typename = any(f[1] == TYPENAME for f in sh.fallback)
        return sh

    return comp(sel)


def shape_object(src: dict[str, Any], sh: Shape, path: RPath, errors: list[Any]) -> Any:
    if sh.abstract:
        tn: str = src.get("__typename") or ""
        fields = sh.by_type.get(tn)
        if fields is None:
            if tn:
                # a type the API schema does not have (an @inaccessible member): a field error,
                # without naming the hidden type
                errors.append({"message": f"A value of abstract type {sh.type} has a type that is not part of "
                                          "the schema.", "path": path_list(path),
                               "extensions": {"code": "INVALID_GRAPHQL"}})
                return INVALID
            if sh.fallback_typename:
                return INVALID  # no concrete type to report: the object is null
            fields = sh.fallback
    else:
        tn = sh.type
        fields = sh.by_type[tn]
    out: dict[str, Any] = {}
    for key, kind, nonnull, wrappers, sub, fname in fields:
        if kind <= 0:
            if kind == 0:
                out[key] = tn
                continue
            # DENIED: null whatever the subgraphs sent; its error is the authorization's
            if nonnull:
                return INVALID
            out[key] = None
            continue
        v = src.get(key)
        if v is None:
            if nonnull:
                errors.append((path, key, tn, fname))
                return INVALID
            out[key] = None
            continue
        if kind != 2:  # LEAF or ENUM
            if kind == 3:
                v = _enum(v, sub, (path, key), errors, tn, fname)
                if v is None:
                    if nonnull:
                        return INVALID
                    out[key] = None
                    continue
            if wrappers and wrappers[-1] and _has_null(v, len(wrappers)):
                v = _leaf_list(v, wrappers, (path, key), errors, tn, fname)
                if v is INVALID:
                    if nonnull:
                        return INVALID
                    v = None
            out[key] = v
            continue
        if wrappers:
            v = _list(v, wrappers, 0, sub, (path, key), errors, tn, fname)
        elif type(v) is dict:
            v = shape_object(v, sub, (path, key), errors)
        else:
            v = None
        if v is INVALID or v is None:
            if nonnull:
                if v is None:
                    errors.append((path, key, tn, fname))
                return INVALID
            v = None
        out[key] = v
    return out


def _enum(v: Any, allowed: frozenset[str], path: RPath, errors: list[Any], tn: str, fname: str) -> Any:
    """`v` with values outside `allowed` replaced by null, each with an error at its path."""
    if type(v) is list:
        return [None if x is None else _enum(x, allowed, (path, i), errors, tn, fname) for i, x in enumerate(v)]
    if v in allowed:
        return v
    errors.append({"message": f"Invalid value found for enum field {tn}.{fname}: the value is not part of the schema.",
                   "path": path_list(path), "extensions": {"code": "INVALID_GRAPHQL"}})
    return None


def _has_null(v: Any, depth: int) -> bool:
    if type(v) is not list:
        return False
    if depth == 1:
        return None in v
    return any(_has_null(x, depth - 1) for x in v)


def _leaf_list(v: Any, wrappers: tuple[bool, ...], path: RPath, errors: list[Any], tn: str, fname: str) -> Any:
    if type(v) is not list:
        return v
    item_nn = wrappers[0]
    out = []
    for i, x in enumerate(v):
        if x is None:
            if item_nn:
                errors.append((path, i, tn, fname))
                return INVALID
        elif len(wrappers) > 1:
            x = _leaf_list(x, wrappers[1:], (path, i), errors, tn, fname)
            if x is INVALID:
                if item_nn:
                    return INVALID
                x = None
        out.append(x)
    return out


def _list(v: Any, wrappers: tuple[bool, ...], level: int, sub: Shape, path: RPath, errors: list[Any], tn: str,
          fname: str) -> Any:
    if type(v) is not list:
        return None
    item_nn = wrappers[level]
    last = level == len(wrappers) - 1
    out: list[Any] = []
    append = out.append
    for i, x in enumerate(v):
        if x is None:
            if item_nn:
                errors.append(((path, i), None, tn, fname))
                return INVALID
            append(None)
            continue
        if last:
            y = shape_object(x, sub, (path, i), errors) if type(x) is dict else None
        else:
            y = _list(x, wrappers, level + 1, sub, (path, i), errors, tn, fname)
        if y is INVALID or y is None:
            if item_nn:
                return INVALID
            y = None
        append(y)
    return out


def path_list(path: RPath) -> list[Any]:
    out = []
    while path is not None:
        path, key = path
        out.append(key)
    out.reverse()
    return out


def null_errors(raw: list[Any]) -> list[dict[str, Any]]:
    errors = []
    for path, key, tn, fname in raw:  # (enum errors are dicts already: see response())
        p = path_list(path)
        if key is not None:
            p.append(key)
            msg = f"Cannot return null for non-nullable field {tn}.{fname}."
        else:
            msg = f"Cannot return null for non-nullable array element of field {tn}.{fname}."
        errors.append({"message": msg, "path": p, "extensions": {"code": "INVALID_GRAPHQL"}})
    return errors
