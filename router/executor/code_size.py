"""The memory a plan's generated executor code holds, for the plan cache's estimate.

The shape functions (`shape_code.py`) and the representation gathering (`gather.py`) are
compiled on a plan's first use and kept on the plan, so a cached plan carries them: on
BenchQuery a few tens of kB, more than the plan's own fetch texts. The plan cache sizes an
entry when it stores it, before that code exists; this counts it afterwards (code objects,
their bytecode, line tables and constants, the function objects and their namespaces).
"""

from __future__ import annotations

import sys
from types import CodeType, FunctionType
from typing import Any

from ..planner.plan import Plan

# the file names `compile()` gives the generated code
GENERATED = frozenset({"<router shape>", "<router gather>"})


def plan_code_bytes(plan: Plan) -> int:
    """Bytes held by the code generated for `plan` so far (0 before its first execution; the
    full shape functions count once a response has needed them)."""
    namespaces: dict[int, dict[str, Any]] = {}
    roots: list[Any] = [plan.shape]
    roots.extend(c.gather for f in plan.fetches for c in f.calls)
    for fn in roots:
        _namespaces(fn, namespaces)
    return sum(namespace_bytes(ns) for ns in namespaces.values())


def namespace_bytes(ns: dict[str, Any]) -> int:
    """One `exec` namespace: its dict, its generated functions and the constants tuple."""
    total = sys.getsizeof(ns)
    seen: set[int] = set()
    for value in ns.values():
        if type(value) is FunctionType and value.__code__.co_filename in GENERATED:
            total += sys.getsizeof(value) + _code_bytes(value.__code__, seen)
            if value.__defaults__:
                total += sys.getsizeof(value.__defaults__)
        elif type(value) is dict and value is not ns:  # an abstract shape's table of functions
            total += sys.getsizeof(value)
    consts = ns.get("C")
    if type(consts) is tuple:
        total += sys.getsizeof(consts)
    return total


def _namespaces(fn: Any, out: dict[int, dict[str, Any]]) -> None:
    """The generated namespaces behind `fn`: its own, or (the shape wrapper, a closure over
    the fast and full root functions) those of the functions it closes over."""
    if type(fn) is not FunctionType:
        return
    if fn.__code__.co_filename in GENERATED:
        out.setdefault(id(fn.__globals__), fn.__globals__)
        return
    for cell in fn.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        if type(value) is FunctionType and value.__code__.co_filename in GENERATED:
            out.setdefault(id(value.__globals__), value.__globals__)


def _code_bytes(code: CodeType, seen: set[int]) -> int:
    if id(code) in seen:
        return 0
    seen.add(id(code))
    total = sys.getsizeof(code) + sys.getsizeof(code.co_linetable) + sys.getsizeof(code.co_exceptiontable)
    for c in code.co_consts:
        if type(c) is CodeType:
            total += _code_bytes(c, seen)
        elif type(c) is str:
            total += sys.getsizeof(c)
    return total
