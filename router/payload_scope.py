"""Which payload of a deferred (multipart) answer the after-execution plugins are looking at.

A one-payload answer runs `Router.respond` once over the whole result. A deferred answer runs
it once per payload: the initial one, each incremental item, and a last call over the merged
data (`final`). A plugin that reports by path (authorization's UNAUTHORIZED errors) asks
`owns(path)` so that each error goes out once, in the payload holding its field; one that
measures the whole answer (demand control's actual cost) waits for `final`.
"""

from __future__ import annotations

from typing import Any

from .planner.defer import DeferPlan

__all__ = ["PayloadScope", "PRIMARY", "NOWHERE"]

PRIMARY = -1  # `current`: the initial payload
NOWHERE = -2  # `current`: a part's own errors, or the final call: no fragment's fields


class PayloadScope:
    __slots__ = ("defer", "current", "item_path", "final", "data", "errors", "reported")

    def __init__(self, defer: DeferPlan) -> None:
        self.defer = defer
        self.current = PRIMARY  # PRIMARY, NOWHERE or the id of the deferred fragment of the item
        self.item_path: list[Any] = []  # the item's path (indices included)
        self.final = False
        self.data: Any = None  # the merged data, for the final call
        self.errors: list[dict[str, Any]] = []  # every error sent so far, for the access log
        self.reported: set[tuple[Any, ...]] = set()  # paths a plugin already reported on

    def at(self, current: int, item_path: list[Any] | None = None) -> None:
        self.current = current
        self.item_path = item_path or []

    def owner(self, path: list[Any]) -> int:
        """The fragment whose own fields hold `path` (PRIMARY: none). List levels may be
        indices or "@" (Apollo's notation for every element)."""
        keys = [p for p in path if isinstance(p, str) and p != "@"]
        best = None
        for d in self.defer.deferred:
            n = len(d.steps)
            if len(keys) > n and all(keys[i] == d.steps[i][0] for i in range(n)) and keys[n] in d.keys:
                if best is None or n >= len(best.steps):
                    best = d
        return PRIMARY if best is None else best.id

    def owns(self, path: list[Any]) -> bool:
        """Whether an error at `path` belongs in the payload being processed: its fragment is
        the current one and the path runs through the current item ("@" matches any index)."""
        if self.current == NOWHERE or self.owner(path) != self.current:
            return False
        if len(path) < len(self.item_path):
            return False
        return all(p == q or (p == "@" and isinstance(q, int)) for p, q in zip(path, self.item_path))
