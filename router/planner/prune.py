"""Removing fields the caller may not read (authorization) before planning: pure.

`denied` holds schema coordinates `(object type, field)`. The planner gets a copy of the selection without
those fields, so no subgraph is ever asked for them; the response shape keeps them, marked,
so they are answered null (with non-null propagation) whatever the subgraphs return, even
when the planner fetched the same field as a key.
"""

from __future__ import annotations

from dataclasses import replace

from ..operation import FieldSel, Sel


def prune(sel: Sel, denied: frozenset[tuple[str, str]]) -> Sel:
    """Returns the selection to plan; marks the denied FieldSel of `sel` (a fresh tree from
    `normalize`) for the response shape. A composite selection left empty is planned as
    `{ __typename }`, so the parent still resolves (and non-null parents stay valid)."""
    out = Sel(sel.type, sel.abstract, untyped=sel.untyped)
    changed = False
    for tname, fields in sel.by_type.items():
        kept: list[FieldSel] = []
        for f in fields:
            if (tname, f.name) in denied and not f.introspection:
                f.denied = True
                changed = True
                continue
            if f.sub is not None:
                sub = prune(f.sub, denied)
                if sub is not f.sub:
                    changed = True
                    f = replace(f, sub=sub)
            kept.append(f)
        out.by_type[tname] = kept
    return out if changed else sel
