"""A cached plan's compiled code: made when the plan enters the cache, weighed for the cache's
byte bound, and released when the plan is freed.

The executor compiles a plan's response shape (`shape_code.py`) and each entity call's
gathering (`gather.py`) into generated functions kept on the plan: on BenchQuery about five
times the memory of the plan itself. The plan cache is bounded by an estimate of its entries'
bytes, so that code has to be in the estimate; it is compiled here, as the plan is cached,
instead of on first use, and measured (code objects, their constants, the namespaces and
closures the compilers make), not guessed from the plan's size.

Each generated function's globals are the namespace that holds it: a reference cycle, which
reference counting alone never frees. With the router's collector thresholds (`heap.py`) full
collections are rare, so a plan cache that churns (many distinct operations) grew the process
by every evicted plan's code until one ran. When a plan is freed (evicted and no request
using it), its namespaces are emptied, which frees the code at once.
"""

from __future__ import annotations

import builtins
import sys
import weakref
from types import CellType, CodeType, FunctionType
from typing import Any

from ..planner.plan import Plan
from .gather import compile_gather
from .run import _shaper
from .shape import Shape

GENERATED = "<router "  # the file name of every code object `shape_code.py` and `gather.py` compile
_BUILTINS = builtins.__dict__


def compile_plan(plan: Plan) -> int:
    """Compiles what the executor would on the plan's first use, arranges for it to be released
    with the plan, and returns the bytes it holds."""
    if plan.shape is None:
        plan.shape = _shaper(plan)
    roots: list[Any] = [plan.shape]
    for f in plan.fetches:
        for call in f.calls:
            if call.contexts:  # gathered per distinct context values, not compiled
                continue
            if call.gather is None:
                call.gather = compile_gather(call)
            roots.append(call.gather)
    weakref.finalize(plan, release, roots).atexit = False
    return code_bytes(roots)


def code_bytes(roots: list[Any]) -> int:
    """Bytes held by the generated functions reachable from `roots`: the functions, their code
    objects and constants, their namespaces and closures, and the shapes those refer to.
    Module-level helpers, classes and sentinels are shared by every plan and not counted."""
    seen: set[int] = set()
    total = 0
    todo = list(roots)
    while todo:
        o = todo.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        t = type(o)
        if t is FunctionType:
            if not o.__code__.co_filename.startswith(GENERATED) and o.__closure__ is None:
                continue  # a module's function
            total += sys.getsizeof(o)
            todo += (o.__code__, o.__defaults__, o.__closure__)
            if o.__code__.co_filename.startswith(GENERATED):
                todo.append(o.__globals__)
        elif t is CodeType:
            total += sys.getsizeof(o)
            todo += (o.co_consts, o.co_names, o.co_varnames, o.co_linetable, o.co_exceptiontable)
        elif t is dict:
            if o is _BUILTINS:  # every namespace's `__builtins__`
                continue
            total += sys.getsizeof(o)
            todo += o.keys()
            todo += o.values()
        elif t is tuple or t is list or t is set or t is frozenset:
            total += sys.getsizeof(o)
            todo += o
        elif t is CellType:
            total += sys.getsizeof(o)
            try:
                todo.append(o.cell_contents)
            except ValueError:  # an empty cell
                pass
        elif t is Shape:
            total += sys.getsizeof(o)
            todo += (o.type, o.by_type, o.fallback)
        elif t is str or t is bytes or t is int or t is float:
            total += sys.getsizeof(o)
    return total


def release(roots: list[Any]) -> None:
    """Empties the namespaces of the generated functions reachable from `roots` (the plan they
    belong to has been freed), breaking the cycle between each function and its globals."""
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        o = todo.pop()
        if type(o) is not FunctionType or id(o) in seen:
            continue
        seen.add(id(o))
        if o.__closure__ is not None:
            for cell in o.__closure__:
                try:
                    todo.append(cell.cell_contents)
                except ValueError:
                    pass
        if o.__code__.co_filename.startswith(GENERATED):
            ns = o.__globals__
            todo += ns.values()
            ns.clear()
