"""Runs a plan: each fetch starts as soon as the fetches it depends on are done, its result
merged into one working tree, which is then shaped into the client's response."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any, Awaitable, Callable, NamedTuple

import orjson
from graphql import FieldNode, InlineFragmentNode, OperationDefinitionNode, SelectionSetNode, parse

from ..errors import SubgraphError, subgraph_error
from ..planner.aliases import Rename
from ..planner.plan import Call, Fetch, Plan
from .gather import Targets, compile_gather, objects
from .merge import collect_paths, collect_with_ancestor, merge, read_representation
from .shape import INVALID, compile_shape, null_errors, shape_object
from .shape_code import ShapeFn, compile_shape_code

# send(service, body) -> parsed JSON response (dict); raises SubgraphError on transport failure
Send = Callable[[str, bytes], Awaitable[dict[str, Any]]]

__all__ = ["Execution", "SubgraphError"]


class Execution:
    __slots__ = ("plan", "variables", "data", "errors", "send")

    def __init__(self, plan: Plan, variables: dict[str, Any], send: Send) -> None:
        self.plan = plan
        self.variables = variables
        self.data: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self.send = send

    async def run(self) -> None:
        fetches = self.plan.fetches
        n = len(fetches)
        if n == 0:
            return
        if n == 1:
            await self.fetch(fetches[0])
            return
        if self.plan.chain:
            for f in fetches:  # a chain: no tasks needed
                await self.fetch(f)
            return
        await self._run_graph(fetches)

    async def _run_graph(self, fetches: list[Fetch]) -> None:
        loop = asyncio.get_running_loop()
        children = self.plan.children
        waiting = [len(f.deps) for f in fetches]
        done: asyncio.Future[None] = loop.create_future()
        tasks: list[asyncio.Task[None]] = []
        remaining = len(fetches)

        def start(i: int) -> None:
            t = loop.create_task(self.fetch(fetches[i]))
            t.add_done_callback(partial(finished, i))  # noqa: F821 (deleted after use)
            tasks.append(t)

        def finished(i: int, t: asyncio.Task[None]) -> None:
            nonlocal remaining
            if done.done():
                return
            if t.cancelled():
                done.cancel()
                return
            exc = t.exception()
            if exc is not None:
                done.set_exception(exc)
                return
            remaining -= 1
            for c in children[i]:
                waiting[c] -= 1
                if waiting[c] == 0:
                    start(c)  # noqa: F821 (deleted after use)
            if remaining == 0:
                done.set_result(None)

        for i, w in enumerate(waiting):
            if w == 0:
                start(i)
        try:
            await done
        finally:
            for t in tasks:
                if not t.done():
                    t.cancel()
            # start and finished reach each other (and this execution's data) through their
            # closures: unlinked here, the whole response is freed by reference counting
            # instead of surviving into the cyclic collector's oldest generation
            tasks.clear()
            del start, finished

    async def fetch(self, f: Fetch) -> None:
        variables = self.variables
        vs: dict[str, Any] = {v: variables[v] for v in f.variables if v in variables}
        if f.root:
            resp = await self._send(f, _body(f, vs))
            if resp is None:
                self._place_failure(f, [])
                return
            d = resp.get("data")
            if type(d) is dict:
                if f.renames:
                    _rename(d, f.renames)
                merge(self.data, d)
            errs = resp.get("errors")
            if errs:
                keys = f.error_keys
                for e in errs:
                    p = e.get("path") if isinstance(e, dict) else None
                    if keys and isinstance(p, list):
                        p = [keys.get(x, x) if type(x) is str else x for x in p]
                    self.errors.append(subgraph_error(e, f.service, p))
            return
        # entity fetch: representations per call, de-duplicated
        sent: list[_Sent] = []
        groups: dict[int, int] = {}
        for ci, call in enumerate(f.calls):
            if call.contexts:
                batches = self._context_batches(call)
                groups[ci] = len(batches)
                for n, batch in enumerate(batches):
                    vs[f"{call.variable}_{n}"] = batch.reps
                    for ctx, value in zip(call.contexts, batch.values):
                        vs[f"{ctx.variable}_{n}"] = value
                    sent.append(_Sent(f"{call.alias}_{n}", batch.reps, batch.targets, call))
                continue
            gather = call.gather
            if gather is None:
                gather = call.gather = compile_gather(call)
            reps, targets = gather(self.data)
            vs[call.variable] = reps
            sent.append(_Sent(call.alias, reps, targets, call))
        if not any(s.reps for s in sent):
            return
        body = _body(f, vs) if not groups else _body(f, vs, f.render(groups))
        resp = await self._send(f, body)
        if resp is None:
            self._place_failure(f, sent)
            return
        d = resp.get("data")
        for s in sent:
            targets = s.targets
            ents = d.get(s.alias) if type(d) is dict else None
            if type(ents) is not list or len(ents) != len(targets):
                if not resp.get("errors") and targets:
                    self.errors.append({"message": f'Subgraph "{f.service}" returned an invalid _entities '
                                                   f"result (expected {len(targets)} entities)",
                                        "extensions": {"code": "INVALID_SUBGRAPH_RESPONSE",
                                                       "serviceName": f.service}})
                continue
            renames = s.call.renames
            for e, t in zip(ents, targets):
                if type(e) is dict:
                    if renames:
                        _rename(e, renames)
                    if type(t) is dict:  # one object (merge's own first test, inlined)
                        if t.keys().isdisjoint(e):
                            t.update(e)
                        else:
                            merge(t, e)
                        continue
                    objs: list[dict[str, Any]] = t  # type: ignore[assignment]  # not a dict: a list
                    for obj in objs:
                        if obj.keys().isdisjoint(e):
                            obj.update(e)
                        else:
                            merge(obj, e)
        errs = resp.get("errors")
        if errs:
            self._entity_errors(f, sent, errs)

    def _context_batches(self, call: Call) -> list[_Batch]:
        """The call's entities grouped by the values of their @fromContext arguments (read from
        each entity's enclosing object): one `_entities` call per group."""
        by_values: dict[bytes, _Batch] = {}
        for t in call.targets:
            inputs = t.inputs
            anytype = inputs.get(None)
            depth = call.contexts[0].depth
            for obj, outer in collect_with_ancestor(self.data, t.path, depth):
                spec = inputs.get(obj.get("__typename")) or anytype
                if spec is None:
                    continue
                rep = read_representation(obj, spec[1], spec[0])
                if rep is None:
                    continue
                values = tuple(_context_value(outer if ctx.depth == depth else None, ctx.keys) for ctx in call.contexts)
                key = orjson.dumps(values)
                batch = by_values.get(key)
                if batch is None:
                    batch = by_values[key] = _Batch(values, [], [], {})
                k = orjson.dumps(rep)
                i = batch.seen.get(k)
                if i is None:
                    batch.seen[k] = len(batch.reps)
                    batch.reps.append(rep)
                    batch.targets.append([obj])
                else:
                    batch.targets[i].append(obj)  # type: ignore[union-attr]  # a batch's targets are lists
        return list(by_values.values())

    def _entity_errors(self, f: Fetch, sent: list["_Sent"], errs: list[Any]) -> None:
        paths: dict[int, list[Any]] | None = None
        for e in errs:
            if not isinstance(e, dict):
                continue
            p = e.get("path")
            placed = False
            if isinstance(p, list) and len(p) >= 2 and isinstance(p[1], int):
                for s in sent:
                    if p[0] != s.alias or p[1] >= len(s.targets):
                        continue
                    if paths is None:
                        paths = {}
                        for c in f.calls:
                            for t in c.targets:
                                for obj, op in collect_paths(self.data, t.path):
                                    paths.setdefault(id(obj), op)
                    rest = p[2:]
                    if f.error_keys:
                        rest = [f.error_keys.get(x, x) if type(x) is str else x for x in rest]
                    for obj in objects(s.targets[p[1]]):
                        base = paths.get(id(obj))
                        self.errors.append(subgraph_error(e, f.service, None if base is None else base + rest))
                    placed = True
                    break
            if not placed:
                self.errors.append(subgraph_error(e, f.service, None))

    def _place_failure(self, f: Fetch, sent: list["_Sent"]) -> None:
        """A failed fetch's error (the last one recorded) points at what it would have filled:
        the first root field it asked for, or the first field of the first entity it was asked
        about. Failures are rare, so the fetch's operation is parsed only here."""
        error = self.errors[-1]
        operation = next((d for d in parse(f.operation, no_location=True).definitions
                          if isinstance(d, OperationDefinitionNode)), None)
        if operation is None:
            return
        if f.root:
            key = _first_field(operation.selection_set, None)
            if key is not None:
                error["path"] = [f.error_keys.get(key, key)]
            return
        found = next(((s, objects(t)[0]) for s in sent for t in s.targets), None)
        if found is None:
            return
        s, first = found
        path = next((path for c in f.calls for t in c.targets
                     for obj, path in collect_paths(self.data, t.path) if obj is first), None)
        if path is None:
            return
        entities = next((sel for sel in operation.selection_set.selections
                         if isinstance(sel, FieldNode) and (sel.alias or sel.name).value == s.alias), None)
        key = None
        if entities is not None and entities.selection_set is not None:
            key = _first_field(entities.selection_set, first.get("__typename"))
        error["path"] = path if key is None else [*path, f.error_keys.get(key, key)]

    async def _send(self, f: Fetch, body: bytes) -> dict[str, Any] | None:
        try:
            return await self.send(f.service, body)
        except SubgraphError as e:
            self.errors.append({"message": str(e), "extensions": {"code": e.code, "serviceName": f.service}})
            return None

    def response(self) -> dict[str, Any]:
        plan = self.plan
        shaper = plan.shape
        if shaper is None:
            shaper = plan.shape = _shaper(plan)
        raw: list[Any] = []
        out = shaper(self.data, None, raw)
        result: dict[str, Any] = {}
        errors = self.errors
        if raw:
            given = [e for e in raw if type(e) is dict]  # invalid enum values
            nulls = [e for e in raw if type(e) is not dict]
            if given:
                errors = errors + given
            if nulls and not errors:
                errors = null_errors(nulls)
        if errors:
            result["errors"] = errors
        result["data"] = None if out is INVALID else out
        return result


def _shaper(plan: Plan) -> ShapeFn:
    """The plan's response shape as a function: generated code (`shape_code.py`), or the
    interpreter for a selection too large to compile. Kept on the plan, so the plan cache
    bounds it."""
    shape = compile_shape(plan.selection)
    fn = compile_shape_code(shape)
    if fn is not None:
        return fn
    return lambda data, path, errors: shape_object(data, shape, path, errors)


class _Sent(NamedTuple):
    """One `_entities` call as sent: its alias, representations, and the working-data objects
    each representation's answer is merged into."""

    alias: str
    reps: list[dict[str, Any]]
    targets: list[Targets]
    call: Call


class _Batch(NamedTuple):
    values: tuple[Any, ...]
    reps: list[dict[str, Any]]
    targets: list[Targets]
    seen: dict[bytes, int]


def _context_value(outer: Any, keys: tuple[str, ...]) -> Any:
    v = outer
    for k in keys:
        if type(v) is not dict:
            return None
        v = v.get(k)
    return v


def _body(f: Fetch, variables: dict[str, Any], operation: str | None = None) -> bytes:
    payload: dict[str, Any] = {"query": operation or f.operation}
    if f.operation_name:
        payload["operationName"] = f.operation_name
    if variables:
        payload["variables"] = variables
    return orjson.dumps(payload)


def _rename(data: dict[str, Any], renames: tuple[Rename, ...]) -> None:
    """Puts aliased fields back under their own keys (deepest first)."""
    for r in renames:
        objs: list[Any] = [data]
        for _, key in r.path:
            nxt: list[Any] = []
            for o in objs:
                if type(o) is dict:
                    v = o.get(key)
                    if v is not None:
                        nxt.append(v)
            objs = _flatten(nxt)
        for o in objs:
            if type(o) is dict and r.alias in o and (r.typename is None or o.get("__typename") == r.typename):
                o[r.key] = o.pop(r.alias)


def _flatten(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if type(v) is list:
            out.extend(_flatten(v))
        else:
            out.append(v)
    return out


def _first_field(selection_set: SelectionSetNode, typename: str | None, exact: bool = True) -> str | None:
    """The response key of the first field (not `__typename`) a selection asks of an object of
    `typename` (None: any): in inline fragments on that type or on no type, else (the fragment's
    condition being an interface or union the fetch does not name) in the first fragment."""
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            if sel.name.value != "__typename":
                return (sel.alias or sel.name).value
        elif isinstance(sel, InlineFragmentNode):
            condition = sel.type_condition
            if not exact or typename is None or condition is None or condition.name.value == typename:
                key = _first_field(sel.selection_set, typename, exact)
                if key is not None:
                    return key
    return _first_field(selection_set, typename, False) if exact and typename is not None else None
