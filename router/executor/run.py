"""Runs a plan: steps in sequence, the fetches of a step in parallel, results merged into
one working tree, then shaped into the client's response."""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable

import orjson

from ..planner.plan import Fetch, Plan
from .merge import collect, collect_paths, merge, read_representation
from .shape import INVALID, null_errors, shape_object

# send(service, body) -> parsed JSON response (dict); raises SubgraphError on transport failure
Send = Callable[[str, bytes], Awaitable[dict]]


class SubgraphError(Exception):
    def __init__(self, service: str, message: str, code: str = "SUBGRAPH_REQUEST_FAILED") -> None:
        super().__init__(message)
        self.service = service
        self.code = code


class Execution:
    __slots__ = ("plan", "variables", "data", "errors", "send")

    def __init__(self, plan: Plan, variables: dict, send: Send) -> None:
        self.plan = plan
        self.variables = variables
        self.data: dict = {}
        self.errors: list[dict] = []
        self.send = send

    async def run(self) -> None:
        for step in self.plan.steps:
            if len(step) == 1:
                await self.fetch(step[0])
            else:
                await asyncio.gather(*(self.fetch(f) for f in step))

    async def fetch(self, f: Fetch) -> None:
        variables = self.variables
        vs: dict[str, Any] = {v: variables[v] for v in f.variables if v in variables}
        if f.root is not None:
            body = _body(f, vs)
            resp = await self._send(f, body)
            if resp is None:
                return
            d = resp.get("data")
            if type(d) is dict:
                merge(self.data, d)
            errs = resp.get("errors")
            if errs:
                for e in errs:
                    self.errors.append(_repath(e, f.service, e.get("path") if isinstance(e, dict) else None))
            return
        # entity fetch: representations per call, de-duplicated
        targets_by_call = []
        any_reps = False
        for call in f.calls:
            reps: list = []
            index: dict[bytes, int] = {}
            targets: list[list[dict]] = []
            for g in call.groups:
                greps = g.reps
                for obj in collect(self.data, g.path):
                    spec = greps.get(obj.get("__typename"))
                    if spec is None:
                        continue
                    rep = read_representation(obj, spec[1])
                    if rep is None:
                        continue
                    rep = {"__typename": spec[0], **rep}
                    k = orjson.dumps(rep)
                    i = index.get(k)
                    if i is None:
                        index[k] = len(reps)
                        reps.append(rep)
                        targets.append([obj])
                    else:
                        targets[i].append(obj)
            vs[call.variable] = reps
            targets_by_call.append(targets)
            any_reps = any_reps or bool(reps)
        if not any_reps:
            return
        resp = await self._send(f, _body(f, vs))
        if resp is None:
            return
        d = resp.get("data")
        for call, targets in zip(f.calls, targets_by_call):
            ents = d.get(call.alias) if type(d) is dict else None
            if type(ents) is not list or len(ents) != len(targets):
                if not resp.get("errors") and targets:
                    self.errors.append({"message": f'Subgraph "{f.service}" returned an invalid _entities '
                                                   f"result (expected {len(targets)} entities)",
                                        "extensions": {"code": "INVALID_SUBGRAPH_RESPONSE",
                                                       "serviceName": f.service}})
                continue
            for e, objs in zip(ents, targets):
                if type(e) is dict:
                    for obj in objs:
                        merge(obj, e)
        errs = resp.get("errors")
        if errs:
            self._entity_errors(f, targets_by_call, errs)

    def _entity_errors(self, f: Fetch, targets_by_call: list, errs: list) -> None:
        paths: dict[int, list] | None = None
        for e in errs:
            if not isinstance(e, dict):
                continue
            p = e.get("path")
            placed = False
            if isinstance(p, list) and len(p) >= 2 and isinstance(p[1], int):
                for call, targets in zip(f.calls, targets_by_call):
                    if p[0] != call.alias or p[1] >= len(targets):
                        continue
                    if paths is None:
                        paths = {}
                        for c in f.calls:
                            for g in c.groups:
                                for obj, op in collect_paths(self.data, g.path):
                                    paths.setdefault(id(obj), op)
                    for obj in targets[p[1]]:
                        base = paths.get(id(obj))
                        self.errors.append(_repath(e, f.service, None if base is None else base + p[2:]))
                    placed = True
                    break
            if not placed:
                self.errors.append(_repath(e, f.service, None))

    async def _send(self, f: Fetch, body: bytes) -> dict | None:
        try:
            return await self.send(f.service, body)
        except SubgraphError as e:
            self.errors.append({"message": str(e), "extensions": {"code": e.code, "serviceName": f.service}})
            return None

    def response(self) -> dict:
        plan = self.plan
        raw: list = []
        out = shape_object(self.data, plan.shape, None, raw)
        result: dict = {}
        errors = self.errors
        if raw and not errors:
            errors = null_errors(raw)
        if errors:
            result["errors"] = errors
        result["data"] = None if out is INVALID else out
        return result


def _body(f: Fetch, variables: dict) -> bytes:
    payload: dict = {"query": f.operation}
    if f.operation_name:
        payload["operationName"] = f.operation_name
    if variables:
        payload["variables"] = variables
    return orjson.dumps(payload)


def _repath(e: Any, service: str, path) -> dict:
    if not isinstance(e, dict):
        return {"message": str(e), "extensions": {"serviceName": service}}
    out = {"message": e.get("message", f'Error while fetching subquery from service "{service}"')}
    if e.get("locations") and False:
        out["locations"] = e["locations"]
    if path is not None:
        out["path"] = path
    ext = dict(e.get("extensions") or {})
    ext["serviceName"] = service
    out["extensions"] = ext
    return out


async def execute(plan: Plan, variables: dict, send: Send, prefill: dict | None = None) -> dict:
    ex = Execution(plan, variables, send)
    if prefill:
        ex.data.update(prefill)
    await ex.run()
    return ex.response()
