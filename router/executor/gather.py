"""An entity call's representations, gathered by generated code made once per plan.

For each `_entities` call the executor walks every target path through the working data,
reads each entity's representation and de-duplicates them. Done generically (`merge.collect`
then `merge.read_representation`), that is a list per path step and a dict per read plus
calls for every entity; on BenchQuery it was a fifth of the router's CPU. The generated
function walks each path with nested loops (no intermediate lists), reads flat key fields
inline and builds the de-duplication key from the values it just read. Its result is exactly
the generic one: the same representations in the same order, the same objects behind each.

Safety: a name from the supergraph or the operation reaches the source only as the `repr()`
of a `str` (a literal, whatever it holds); readers, typename sets and the rest are constants
in the namespace, referred to as `C[i]`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from ..planner.plan import Call, Target
from .merge import collect, read_representation

Obj = dict[str, Any]
# The working-data objects one representation's answer goes into: the object itself when it is
# the only one (most entities: no list built per entity), else the list of them.
Targets = Obj | list[Obj]
# gather(data) -> (representations, the targets of each)
GatherFn = Callable[[Obj], tuple[list[Obj], list[Targets]]]


def objects(t: Targets) -> list[Obj]:
    """The objects behind one representation, as a list."""
    return t if type(t) is list else [t]  # type: ignore[list-item]

# deeper list nesting than this is walked by `merge.collect` (CPython limits nested loops)
MAX_LOOPS = 15


class _Writer:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: list[Any] = []
        self.indexes: dict[int, str] = {}  # id(spec) -> the local holding its index

    def index(self, spec: tuple[str, Any]) -> str:
        name = self.indexes.get(id(spec))
        if name is None:
            name = self.indexes[id(spec)] = f"index{len(self.indexes)}"
        return name

    def const(self, value: Any) -> str:
        """A string as its `repr()` (always a plain, safe literal), any other value as `C[i]`."""
        if type(value) is str:
            return repr(value)
        self.consts.append(value)
        return f"C[{len(self.consts) - 1}]"

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)


def compile_gather(call: Call) -> GatherFn:
    """The call's gather function (generated; generic for a path too deep to nest)."""
    w = _Writer()
    w.line(0, "def gather(data):")
    w.line(1, "reps = []")
    w.line(1, "targets = []")
    start = len(w.lines)
    for t in call.targets:
        if sum(1 for s in t.path if s == "@") > MAX_LOOPS:
            w.line(1, f"for obj in collect(data, {w.const(t.path)}):")
            _visit(w, t, 2)
        else:
            _walk(w, t, 0, "data", 1, "dict")  # the working data is an object
    w.line(1, "return reps, targets")
    # one index per spec; keys that had to be JSON share one across specs, as they always did
    w.lines[start:start] = [f"    {name} = {{}}" for name in [*w.indexes.values(), "by_json"]]
    ns: dict[str, Any] = {"C": tuple(w.consts), "collect": collect, "read_representation": read_representation,
                          "dumps": orjson.dumps}
    exec(compile("\n".join(w.lines), "<router gather>", "exec"), ns)  # noqa: S102 - source built from constants only
    fn: GatherFn = ns["gather"]
    return fn


def _walk(w: _Writer, t: Target, step: int, cur: str, depth: int, checked: str | None = None) -> None:
    """Code for `collect`'s semantics from path step `step` on, `cur` holding the value there
    (`checked`: the type already tested for it). Each step tests the type it needs, which also
    skips the nulls `collect` drops."""
    need = "list" if step < len(t.path) and t.path[step] == "@" else "dict"
    if checked != need:
        w.line(depth, f"if type({cur}) is {need}:")
        depth += 1
    if step == len(t.path):
        w.line(depth, f"obj = {cur}")
        _visit(w, t, depth)
        return
    s = t.path[step]
    nxt = f"c{step + 1}"
    if s == "@":
        w.line(depth, f"for {nxt} in {cur}:")
        _walk(w, t, step + 1, nxt, depth + 1)
    elif isinstance(s, frozenset):
        w.line(depth, f"if {cur}.get('__typename') in {w.const(s)}:")
        _walk(w, t, step + 1, cur, depth + 1, "dict")
    else:
        w.line(depth, f"{nxt} = {cur}.get({w.const(s)})")
        _walk(w, t, step + 1, nxt, depth)


def _visit(w: _Writer, t: Target, depth: int) -> None:
    """Code reading `obj`'s representation and filing it (what `Execution.fetch` did per object)."""
    inputs = t.inputs
    anytype = inputs.get(None)
    typed = [(tn, spec) for tn, spec in inputs.items() if tn is not None]
    if not typed:
        if anytype is not None:
            _read(w, anytype, depth)
        return
    w.line(depth, "tn = obj.get('__typename')")
    for n, (tn, spec) in enumerate(typed):
        w.line(depth, f"{'if' if n == 0 else 'elif'} tn == {w.const(tn)}:")
        _read(w, spec, depth + 1)
    if anytype is not None:
        w.line(depth, "else:")
        _read(w, anytype, depth + 1)


def _read(w: _Writer, spec: tuple[str, Any], depth: int) -> None:
    """Code filing `obj` under `spec`. Each spec has its own index (the generic walk keyed on
    `id(spec)`), so a one-field key is the value itself; the representation dict is only built
    for an entity not seen before."""
    typename: str | None = spec[0]
    reader = spec[1]
    index = w.index(spec)
    if all(sub is None for _, _, sub in reader) and reader:
        values = [f"v{i}" for i in range(len(reader))]
        present = []
        for i, (_, key, _) in enumerate(reader):
            k = w.const(key)
            w.line(depth, f"v{i} = obj.get({k})")
            present.append(f"(v{i} is not None or {k} in obj)")
        head = [] if typename is None else [w.const(typename)]
        fields = ", ".join([f"'__typename': {t}" for t in head] +
                           [f"{w.const(name)}: v{i}" for i, (name, _, _) in enumerate(reader)])
        w.line(depth, f"if {' and '.join(present)}:")
        depth += 1
        w.line(depth, f"k = {values[0]}" if len(values) == 1 else f"k = ({', '.join(values)})")
        _file(w, depth, index, f"{{{fields}}}", None)
        return
    w.line(depth, f"rep = read_representation(obj, {w.const(reader)}, {w.const(typename)})")
    w.line(depth, "if rep is not None:")
    w.line(depth + 1, "k = tuple(rep.values())")
    _file(w, depth + 1, index, "rep", "rep")


def _file(w: _Writer, depth: int, index: str, rep: str, built: str | None) -> None:
    """Code filing `obj` under key `k`: a new representation (`rep`, an expression) or one more
    object behind a known one. `built`: the variable already holding the representation."""
    w.line(depth, "try:")
    w.line(depth + 1, f"i = {index}.get(k)")
    w.line(depth, "except TypeError:  # a list or object in a key field: the key is its JSON")
    if built is None:
        w.line(depth + 1, f"r = {rep}")
    w.line(depth + 1, f"k = dumps({built or 'r'})")
    _append(w, depth + 1, "by_json", built or "r")
    w.line(depth, "else:")
    _append(w, depth + 1, index, rep)


def _append(w: _Writer, depth: int, index: str, rep: str) -> None:
    if index == "by_json":
        w.line(depth, "i = by_json.get(k)")
    w.line(depth, "if i is None:")
    w.line(depth + 1, f"{index}[k] = len(reps)")
    w.line(depth + 1, f"reps.append({rep})")
    w.line(depth + 1, "targets.append(obj)")
    w.line(depth, "else:")
    w.line(depth + 1, "t = targets[i]")
    w.line(depth + 1, "if type(t) is list:")
    w.line(depth + 2, "t.append(obj)")
    w.line(depth + 1, "else:")
    w.line(depth + 2, "targets[i] = [t, obj]")
