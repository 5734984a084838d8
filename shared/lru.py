"""One least-recently-used cache for every bounded cache of the router (documents, plans,
verified tokens, persisted queries, authorization analyses, rate-limit windows, cost estimates).

Bounded by entries and, where entries differ much in size, by a total weight (an estimate of
the bytes an entry holds), so that distinct inputs a client can make up for free (a padded
comment, a new variable value) evict old entries instead of growing the process."""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Iterator, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    __slots__ = ("max_entries", "max_weight", "weight", "_entries")

    def __init__(self, max_entries: int, max_weight: int | None = None) -> None:
        self.max_entries = max_entries
        self.max_weight = max_weight
        self.weight = 0  # of the entries held
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value (now the most recently used), or None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry[0]

    def peek(self, key: K) -> V | None:
        """The value, leaving the order as it is."""
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def put(self, key: K, value: V, weight: int = 1) -> bool:
        """Stores the value as the most recently used, evicting the least recently used ones
        until both bounds hold. An entry heavier than the whole bound is not stored: False."""
        if self.max_weight is not None and weight > self.max_weight:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.weight -= old[1]
        self._entries[key] = (value, weight)
        self.weight += weight
        while len(self._entries) > self.max_entries or (self.max_weight is not None and self.weight > self.max_weight):
            _, (_, dropped) = self._entries.popitem(last=False)
            self.weight -= dropped
        return True

    def pop(self, key: K) -> V | None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return None
        self.weight -= entry[1]
        return entry[0]

    def clear(self) -> None:
        self._entries.clear()
        self.weight = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __iter__(self) -> Iterator[K]:
        return iter(self._entries)
