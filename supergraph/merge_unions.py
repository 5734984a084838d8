"""The merge of unions: the union of members, each with the subgraphs that know it.

Part of the composer's `Merger` (merge.py), which calls it as `self.unions`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .merge_model import (
    Sources,
    _e,
    _s,
)
from .model import (
    Applied,
    TypeDef,
)

if TYPE_CHECKING:
    from .merge import Merger


class UnionMerger:
    def __init__(self, m: "Merger") -> None:
        self.m = m

    def merge_union(self, sources: Sources[TypeDef], dest: TypeDef) -> None:
        for src in sources.values():
            if src is None:
                continue
            for m in src.members:
                if m not in dest.members:
                    dest.members.append(m)
        for m in dest.members:
            for idx, src in sources.items():
                if src is not None and m in src.members:
                    dest.directives.append(Applied("join__unionMember", {"graph": _e(self.m.graph(idx)), "member": _s(m)}))
            if any(src is not None and m not in src.members for src in sources.values()):
                self.m.hint("INCONSISTENT_UNION_MEMBER",
                          f'Union type "{dest.name}" includes member type "{m}" in some but not all defining subgraphs.')
