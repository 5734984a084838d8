"""Runs a plan with deferred fragments (`planner/defer.py`) as a stream of payloads in the
incremental delivery format Apollo Router and `@apollo/client` use (deferSpec=20220824):
first `{"data", "errors"?, "hasNext": true}` as soon as the primary part's fetches are done,
then `{"hasNext", "incremental": [{"data", "path", "label"?, "errors"?}]}` as deferred
fragments complete, one item per object at the fragment's position (one per list element).

The plan's fetches run exactly as for a one-payload answer (each as soon as the fetches it
depends on are done); this module only watches them finish and shapes each payload from the
working data when its fetches are in. A null bubbling inside a deferred fragment stays inside
that fragment's item (its `data` becomes null); the payloads already sent are never changed.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from collections.abc import AsyncGenerator
from typing import Any

from graphql import GraphQLSchema

from ..errors import SubgraphError
from ..planner.defer import DeferPlan, Deferred, applies
from ..planner.plan import Fetch, Plan
from .run import Execution, Send
from .shape import INVALID, Shape, null_errors, shape_object

__all__ = ["IncrementalExecution"]


class _Item:
    __slots__ = ("raw", "out", "path")

    def __init__(self, raw: dict[str, Any], out: Any, path: list[Any]) -> None:
        self.raw = raw  # the working-data object at the fragment's position
        self.out = out  # what was delivered there (None: nulled)
        self.path = path


class IncrementalExecution(Execution):
    __slots__ = ("schema", "defer", "finished", "progress", "marks", "_fragments")

    def __init__(self, plan: Plan, variables: dict[str, Any], send: Send, schema: GraphQLSchema) -> None:
        super().__init__(plan, variables, send)
        self.schema = schema
        self.defer: DeferPlan = plan.defer
        self.finished: set[int] = set()
        self.progress = asyncio.Event()
        # (index in self.errors, fetch id): every error from that index on, up to the next mark,
        # was recorded by that fetch (a fetch records its errors without yielding in between)
        self.marks: list[tuple[int, int]] = []
        self._fragments: dict[int, int] = {}  # id() of an incremental item -> its fragment's id

    def fragment_of(self, item: dict[str, Any]) -> int:
        """The deferred fragment an incremental item delivers."""
        return self._fragments[id(item)]

    async def fetch(self, f: Fetch) -> None:
        try:
            await super().fetch(f)
        finally:
            self.finished.add(f.id)
            self.progress.set()

    async def _send(self, f: Fetch, body: bytes) -> dict[str, Any] | None:
        """The base class's send, marking where this fetch's errors start: from here until the
        fetch is done nothing else runs, so every error recorded meanwhile is its own."""
        try:
            resp = await self.send(f.service, body)
        except SubgraphError as e:
            self.marks.append((len(self.errors), f.id))
            self.errors.append({"message": str(e), "extensions": {"code": e.code, "serviceName": f.service}})
            return None
        self.marks.append((len(self.errors), f.id))
        return resp

    def _error_owners(self) -> list[int]:
        """The fetch that recorded each error so far."""
        starts = [start for start, _ in self.marks]
        owners: list[int] = []
        for i in range(len(self.errors)):
            at = bisect_right(starts, i) - 1
            owners.append(self.marks[at][1] if at >= 0 else -1)
        return owners

    async def payloads(self) -> AsyncGenerator[dict[str, Any], None]:
        """The primary payload, then one payload per batch of deferred fragments that complete
        together; the last one has `hasNext: false`."""
        defer = self.defer
        task = asyncio.ensure_future(self.run()) if self.plan.fetches else None
        try:
            await self._until(set(defer.primary_fetches), task)
            sent_errors: set[int] = set()
            primary_errors = self._take(None, sent_errors)
            raw: list[Any] = []
            data = shape_object(self.data, defer.primary_shape, None, raw)
            first: dict[str, Any] = {}
            errors = _with_shape_errors(primary_errors, raw)
            if errors:
                first["errors"] = errors
            first["data"] = None if data is INVALID else data
            first["hasNext"] = bool(defer.deferred) and data is not INVALID
            yield first
            if not first["hasNext"]:
                return
            delivered: dict[int | None, list[_Item]] = {None: [_Item(self.data, data, [])]}
            pending = list(defer.deferred)
            while pending:
                ready = [d for d in pending if d.parent in delivered and self.finished.issuperset(d.fetches)]
                if not ready and task is not None and task.done():
                    ready = [d for d in pending if d.parent in delivered]
                if not ready:
                    await self._until(None, task)
                    continue
                incremental: list[dict[str, Any]] = []
                for d in ready:
                    pending.remove(d)
                    items = self._items(d, delivered[d.parent])
                    delivered[d.id] = items
                    incremental.extend(self._deliver(d, items, sent_errors))
                if task is not None and not pending:
                    await task  # the last payload: every fetch is done
                    leftover = self._take(-1, sent_errors)
                    if leftover and incremental:
                        incremental[-1].setdefault("errors", []).extend(leftover)
                else:
                    leftover = []
                if incremental or not pending:
                    part: dict[str, Any] = {"hasNext": bool(pending)}
                    if incremental:
                        part["incremental"] = incremental
                    elif leftover:
                        part["errors"] = leftover
                    yield part
        finally:
            if task is not None and not task.done():
                task.cancel()

    async def _until(self, fetches: set[int] | None, task: asyncio.Future[None] | None) -> None:
        """Waits until those fetches are done (None: until any fetch finishes)."""
        if task is None:
            return
        while True:
            if fetches is not None and self.finished.issuperset(fetches):
                return
            if task.done():
                task.result()  # a router bug surfaces here
                return
            self.progress.clear()
            waiter = asyncio.ensure_future(self.progress.wait())
            await asyncio.wait((waiter, task), return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if fetches is None:
                return

    def _take(self, owner: int | None, sent: set[int]) -> list[dict[str, Any]]:
        """The errors not yet delivered that belong to `owner` (None: the primary part; -1: all)."""
        owners = self._error_owners()
        out = []
        for i, e in enumerate(self.errors):
            if i in sent:
                continue
            if owner != -1 and self._belongs(e, owners[i]) != owner:
                continue
            sent.add(i)
            out.append(e)
        return out

    def _belongs(self, error: dict[str, Any], fetch_id: int) -> int | None:
        """An error with a path inside a deferred fragment's own fields goes with that fragment,
        whichever fetch reported it; others go with the part their fetch belongs to."""
        path = error.get("path")
        if isinstance(path, list):
            keys = [p for p in path if isinstance(p, str)]
            best: Deferred | None = None
            for d in self.defer.deferred:
                n = len(d.steps)
                if len(keys) > n and all(keys[i] == d.steps[i][0] for i in range(n)) and keys[n] in d.keys:
                    if best is None or n >= len(best.steps):
                        best = d
            if best is not None:
                return best.id
        return self.defer.owner.get(fetch_id)

    def _items(self, d: Deferred, parents: list[_Item]) -> list[_Item]:
        """The objects the fragment is delivered at, found under its parent's delivered items."""
        parent = None if d.parent is None else self.defer.deferred[d.parent]
        start = 0 if parent is None else len(parent.steps)
        rel = d.steps[start:]
        out: list[_Item] = []
        for p in parents:
            if type(p.out) is not dict:
                continue
            self._walk(p.raw, p.out, rel, list(p.path), d, out)
        return out

    def _walk(self, raw: Any, shaped: Any, steps: tuple[tuple[str, tuple[str, ...]], ...], path: list[Any],
              d: Deferred, out: list[_Item]) -> None:
        if type(raw) is not dict or type(shaped) is not dict:
            return
        tn = raw.get("__typename")
        if not steps:
            if all(applies(self.schema, c, tn) for c in d.conditions):
                out.append(_Item(raw, shaped, path))
            return
        (key, conds), rest = steps[0], steps[1:]
        if key not in shaped or not all(applies(self.schema, c, tn) for c in conds):
            return
        self._down(raw.get(key), shaped[key], rest, [*path, key], d, out)

    def _down(self, raw: Any, shaped: Any, rest: tuple[tuple[str, tuple[str, ...]], ...], path: list[Any],
              d: Deferred, out: list[_Item]) -> None:
        if type(shaped) is list:
            if type(raw) is not list:
                return
            for i, (r, s) in enumerate(zip(raw, shaped)):
                self._down(r, s, rest, [*path, i], d, out)
        elif type(shaped) is dict:
            self._walk(raw, shaped, rest, path, d, out)

    def _deliver(self, d: Deferred, items: list[_Item], sent: set[int]) -> list[dict[str, Any]]:
        errors = self._take(d.id, sent)
        shape = d.shape
        assert isinstance(shape, Shape)
        results: list[dict[str, Any]] = []
        for item in items:
            linked: Any = None
            for k in item.path:
                linked = (linked, k)
            raw: list[Any] = []
            data = shape_object(item.raw, shape, linked, raw)
            mine = [e for e in errors if _under(e, item.path)]
            entry: dict[str, Any] = {"data": None if data is INVALID else data, "path": item.path}
            if d.label is not None:
                entry["label"] = d.label
            all_errors = _with_shape_errors(mine, raw)
            if all_errors:
                entry["errors"] = all_errors
            item.out = None if data is INVALID else data  # nested fragments are delivered under this
            results.append(entry)
            self._fragments[id(entry)] = d.id
        placed = {id(e) for r in results for e in r.get("errors", ())}
        rest = [e for e in errors if id(e) not in placed]
        if rest:
            if results:
                results[0].setdefault("errors", []).extend(rest)
            else:  # nothing to deliver at (its objects were null): the last payload carries them
                ids = {id(e) for e in rest}
                sent.difference_update(i for i, e in enumerate(self.errors) if id(e) in ids)
        return results


def _under(error: dict[str, Any], path: list[Any]) -> bool:
    p = error.get("path")
    return isinstance(p, list) and p[: len(path)] == path


def _with_shape_errors(errors: list[dict[str, Any]], raw: list[Any]) -> list[dict[str, Any]]:
    """As `Execution.response`: invalid enum values always, non-null violations only when no
    subgraph error already explains the null."""
    if not raw:
        return errors
    given = [e for e in raw if type(e) is dict]
    nulls = [e for e in raw if type(e) is not dict]
    out = errors + given if given else errors
    if nulls and not out:
        out = null_errors(nulls)
    return out
