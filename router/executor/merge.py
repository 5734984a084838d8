"""Placing subgraph results into the working data and walking it along plan paths."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
Path = tuple[Any, ...]  # str keys, "@" for lists, frozensets of __typename


def merge(dst: Obj, src: Obj) -> None:
    """Deep-merge `src` into `dst` (objects merge field by field; lists element-wise)."""
    if dst.keys().isdisjoint(src):
        # nothing to merge into: the common case (an entity's new fields), done in C
        dst.update(src)
        return
    get = dst.get
    for k, v in src.items():
        if v is not None:
            old = get(k)
            if old is not None:
                tv = type(v)
                if tv is dict and type(old) is dict:
                    merge(old, v)
                    continue
                if tv is list and type(old) is list and len(old) == len(v):
                    _merge_list(old, v)
                    continue
        dst[k] = v


def _merge_list(dst: list[Any], src: list[Any]) -> None:
    for i, v in enumerate(src):
        old = dst[i]
        if old is not None and v is not None:
            if type(v) is dict and type(old) is dict:
                merge(old, v)
                continue
            if type(v) is list and type(old) is list and len(old) == len(v):
                _merge_list(old, v)
                continue
        dst[i] = v


def collect(data: Obj, path: Path) -> list[Obj]:
    """Objects found at `path` ('@' flattens a list, a frozenset filters by __typename)."""
    cur: list[Any] = [data]
    for step in path:
        nxt: list[Any] = []
        if step == "@":
            for c in cur:
                if type(c) is list:
                    for x in c:
                        if x is not None:
                            nxt.append(x)
        elif type(step) is frozenset:
            nxt = [c for c in cur if type(c) is dict and c.get("__typename") in step]
        else:
            for c in cur:
                if type(c) is dict:
                    v = c.get(step)
                    if v is not None:
                        nxt.append(v)
        cur = nxt
    return [c for c in cur if type(c) is dict]


def collect_with_ancestor(data: Obj, path: Path, depth: int) -> list[tuple[Obj, Any]]:
    """Like `collect`, with each object's enclosing object `depth` steps down `path`."""
    cur: list[tuple[Any, Any]] = [(data, data)]
    for n, step in enumerate(path):
        if n == depth:
            cur = [(c, c) for c, _ in cur]
        nxt: list[tuple[Any, Any]] = []
        if step == "@":
            for c, a in cur:
                if type(c) is list:
                    nxt.extend((x, a) for x in c if x is not None)
        elif type(step) is frozenset:
            nxt = [(c, a) for c, a in cur if type(c) is dict and c.get("__typename") in step]
        else:
            for c, a in cur:
                if type(c) is dict:
                    v = c.get(step)
                    if v is not None:
                        nxt.append((v, a))
        cur = nxt
    if depth == len(path):
        cur = [(c, c) for c, _ in cur]
    return [(c, a) for c, a in cur if type(c) is dict]


def collect_paths(data: Obj, path: Path) -> list[tuple[Obj, list[Any]]]:
    """Like `collect`, with each object's response path (only used to report errors)."""
    cur: list[tuple[Any, list[Any]]] = [(data, [])]
    for step in path:
        nxt: list[Any] = []
        if step == "@":
            for c, p in cur:
                if type(c) is list:
                    for i, x in enumerate(c):
                        if x is not None:
                            nxt.append((x, p + [i]))
        elif type(step) is frozenset:
            nxt = [(c, p) for c, p in cur if type(c) is dict and c.get("__typename") in step]
        else:
            for c, p in cur:
                if type(c) is dict:
                    v = c.get(step)
                    if v is not None:
                        nxt.append((v, p + [step]))
        cur = nxt
    return [(c, p) for c, p in cur if type(c) is dict]


def read_representation(obj: Obj, reader: tuple[Any, ...], typename: str | None = None) -> Obj | None:
    """The representation fields `reader` names, read from a working-data object (None when a
    field is missing: the entity cannot be asked for). Abstract parts are read per __typename.
    With `typename`, the representation starts with that `__typename` (an entity call's)."""
    rep: Obj = {} if typename is None else {"__typename": typename}
    for name, key, sub in reader:
        v = obj.get(key)
        if v is None:
            if key not in obj:
                return None
        elif sub:
            if type(v) is list:
                v = [_read_value(x, sub) for x in v]
            elif type(v) is dict:
                v = _read_value(v, sub)
                if v is None:
                    return None
        rep[name] = v
    return rep


def _read_value(v: Any, sub: tuple[Any, ...] | dict[str, Any]) -> Any:
    if type(v) is list:
        return [_read_value(x, sub) for x in v]
    if type(v) is not dict:
        return v
    if isinstance(sub, dict):
        r = sub.get(v.get("__typename") or "")
        if r is None:
            return {"__typename": v["__typename"]} if "__typename" in v else {}
        return read_representation(v, r)
    return read_representation(v, sub)
