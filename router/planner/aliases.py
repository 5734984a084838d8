"""Aliases for fields one subgraph query could not otherwise hold together.

GraphQL lets two fields share a response key only if they can be merged: under fragments on
different object types they must have the same response shape (`... on A { f: String! }`
beside `... on B { f: String }` is invalid), elsewhere they must be the same field with the
same arguments. The client's document was valid against the supergraph, but a subgraph may
type a field differently (`@join__field(type:)`), and the planner adds fields of its own.
A later field that cannot merge with an earlier one gets a fresh alias in the query, and a
`Rename` tells the executor to put its value back under the original key as the response
arrives, so the rest of the router never sees the alias.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .selection import QueryField, QuerySel

_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")


class Rename(NamedTuple):
    path: tuple[tuple[str | None, str], ...]  # (typename condition, query key) steps from the fetch's data
    typename: str | None  # only objects of this type (None: all)
    alias: str
    key: str


def fix_conflicts(sel: QuerySel) -> list[Rename]:
    """Aliases what cannot merge in `sel` (in place); renames deepest first."""
    out: list[Rename] = []
    _level([(None, sel)], (), out)
    out.sort(key=lambda r: -len(r.path))
    return out


def _entries(cond: str | None, sel: QuerySel, acc: list[tuple[str | None, QueryField, QuerySel]]) -> None:
    for f in sel.fields.values():
        acc.append((cond, f, sel))
    for t, frag in sel.fragments.items():
        _entries(t, frag, acc)


def _shape(t: str) -> tuple[str, str]:
    """(wrappers, named type) of a printed type: '[String!]' -> ('[!]', 'String')."""
    m = _NAME.search(t)
    if m is None:
        return t, ""
    return t[:m.start()] + t[m.end():], m.group(0)


def _level(sels: list[tuple[str | None, QuerySel]], path: tuple[tuple[str | None, str], ...],
           out: list[Rename]) -> None:
    entries: list[tuple[str | None, QueryField, QuerySel]] = []
    for cond, s in sels:
        _entries(cond, s, entries)
    by_key: dict[str, list[tuple[str | None, QueryField, QuerySel]]] = {}
    for e in entries:
        by_key.setdefault(e[1].key, []).append(e)
    taken = {e[1].key for e in entries}
    for group in list(by_key.values()):
        kept: list[tuple[str | None, QueryField, QuerySel]] = []
        for cond, f, owner in group:
            if all(_merges(c, g, cond, f) for c, g, _ in kept):
                kept.append((cond, f, owner))
                continue
            alias = _fresh(f.out, taken)
            taken.add(alias)
            del owner.fields[f.key]
            f.key = alias
            owner.fields[alias] = f
            out.append(Rename(path, cond, alias, f.out))
            if cond is not None:
                for _, s in sels:
                    s.typename = True  # the rename needs to know each object's type
            by_key.setdefault(alias, []).append((cond, f, owner))
    for key, group in by_key.items():
        subs: list[tuple[str | None, QuerySel]] = [(None, f.sub) for _, f, _ in group if f.sub is not None]
        if subs:
            # fields merged under one key are validated as one: so are their selections
            _level(subs, path + ((None, key),), out)


def _merges(c1: str | None, f1: QueryField, c2: str | None, f2: QueryField) -> bool:
    exclusive = c1 is not None and c2 is not None and c1 != c2
    if not exclusive and (f1.name != f2.name or f1.head() != f2.head()):
        return False
    w1, n1 = _shape(f1.type)
    w2, n2 = _shape(f2.type)
    if w1 != w2:
        return False
    if (f1.sub is None) != (f2.sub is None):
        return False
    return f1.sub is not None or n1 == n2


def _fresh(base: str, taken: set[str]) -> str:
    n = 1
    while f"{base}__{n}" in taken:
        n += 1
    return f"{base}__{n}"
