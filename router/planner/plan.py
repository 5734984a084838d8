"""Plans as data: fetches with their own dependencies, each fetch one subgraph request.

A fetch starts when the fetches it depends on (`deps`) are done. Entity fetches of one
subgraph at one depth are sent as one request (one `_entities` call per distinct selection,
representations de-duplicated by the executor): same depth means they wait for nothing the
others do not, so batching never adds a sequential step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import OperationDefinitionNode, print_ast

from ..operation import FieldSel, Sel
from .aliases import Rename, fix_conflicts
from .fetch import ContextInput, FetchGraph, FetchNode, PathStep, Reader, freeze_reader
from .selection import QuerySel


@dataclass(eq=False, slots=True)
class Target:
    path: tuple[PathStep, ...]  # where the entities are in the working data
    inputs: dict[str | None, tuple[str, Reader]]  # data __typename (None: any) -> (rep __typename, reader)


@dataclass(eq=False, slots=True)
class Call:
    alias: str
    variable: str
    targets: list[Target]
    renames: tuple[Rename, ...] = ()
    # @fromContext arguments: the call is sent once per distinct set of their values, as
    # `<alias>_<i>` with variables `<variable>_<i>` (see `Fetch.render`)
    contexts: tuple[ContextInput, ...] = ()
    selection: str = ""
    gather: Any = None  # the executor's compiled representation gathering, made on first use


@dataclass(eq=False, slots=True)
class Fetch:
    id: int
    service: str
    operation: str
    operation_name: str | None
    variables: tuple[str, ...]  # client variables this fetch uses
    deps: tuple[int, ...]
    depth: int
    root: bool
    calls: list[Call] = field(default_factory=list)
    renames: tuple[Rename, ...] = ()  # root fetches
    nodes: list[FetchNode] = field(default_factory=list)  # for printing
    head: str = ""  # "query Name", for `render`
    error_keys: dict[str, str] = field(default_factory=dict)  # query key -> the name errors report
    declarations: tuple[str, ...] = ()  # the client variables' definitions it uses
    part: int | None = None  # @defer: the deferred fragment it was planned for (None: the primary part)

    def render(self, groups: dict[int, int]) -> str:
        """The operation when calls with @fromContext arguments are sent `groups[call index]`
        times (once per distinct set of context values)."""
        decl: list[str] = []
        parts: list[str] = []
        for i, c in enumerate(self.calls):
            if not c.contexts:
                decl.append(f"${c.variable}:[_Any!]!")
                parts.append(f"{c.alias}:_entities(representations:${c.variable}){c.selection}")
                continue
            for k in range(groups.get(i, 0)):
                text = c.selection
                for ctx in c.contexts:
                    text = text.replace(f"${ctx.variable}", f"${ctx.variable}_{k}")
                    decl.append(f"${ctx.variable}_{k}:{ctx.type}")
                decl.append(f"${c.variable}_{k}:[_Any!]!")
                parts.append(f"{c.alias}_{k}:_entities(representations:${c.variable}_{k}){text}")
        decl.extend(self.declarations)
        return f"{self.head}({','.join(decl)}){{{' '.join(parts)}}}"


@dataclass(eq=False)
class Plan:
    kind: str
    fetches: list[Fetch]
    selection: Sel  # the client's selection: the response shape is compiled from it
    root_type: str = "Query"
    introspection: list[FieldSel] = field(default_factory=list)  # root fields the router answers
    shape: Any = None  # compiled by the executor on first use
    children: tuple[tuple[int, ...], ...] = ()
    chain: bool = False  # each fetch waits for the one before it: run in order, no tasks
    defer: Any = None  # the operation's deferred fragments (`defer.DeferPlan`), None without @defer

    def __post_init__(self) -> None:
        kids: list[list[int]] = [[] for _ in self.fetches]
        for f in self.fetches:
            for d in f.deps:
                kids[d].append(f.id)
        self.children = tuple(tuple(k) for k in kids)
        self.chain = all(f.deps == ((i - 1,) if i else ()) for i, f in enumerate(self.fetches))

    @property
    def fetch_count(self) -> int:
        return len(self.fetches)

    @property
    def depth(self) -> int:
        """Sequential fetches on the longest path."""
        return max((f.depth for f in self.fetches), default=0)

    def print(self) -> str:
        return print_plan(self) if self.defer is None else self.defer.print(self)


def emit(graph: FetchGraph, kind: str, op_name: str | None, definition: OperationDefinitionNode) -> list[Fetch]:
    var_defs = {vd.variable.name.value: print_ast(vd) for vd in definition.variable_definitions or ()}
    batches: list[list[FetchNode]] = []
    index: dict[tuple[str, int, int | None], int] = {}
    slot = _slots(graph.ordered())
    for n in sorted(graph.ordered(), key=lambda n: (slot[n], n.id)):
        if n.sel.empty():
            continue
        if n.root:
            batches.append([n])
            continue
        k = (n.subgraph, slot[n], n.part)
        if k in index:
            batches[index[k]].append(n)
        else:
            index[k] = len(batches)
            batches.append([n])
    fetch_of = {n: i for i, b in enumerate(batches) for n in b}
    fetches = []
    for i, batch in enumerate(batches):
        first = batch[0]
        deps = tuple(sorted({fetch_of[p] for n in batch for p in n.parents if p in fetch_of}))
        name = f"{op_name}__{first.subgraph}__{i}" if op_name else None
        if first.root:
            renames = tuple(fix_conflicts(first.sel))
            used = sorted(first.sel.variables(set()))
            text = f"{kind}{' ' + name if name else ''}{_decl(used, var_defs, [])}{first.sel.print()}"
            fetches.append(Fetch(i, first.subgraph, text, name, tuple(used), deps, slot[first], True,
                                 renames=renames, nodes=batch, error_keys=_error_keys(batch, renames),
                                 part=first.part))
            continue
        by_text: dict[str, tuple[list[FetchNode], tuple[Rename, ...]]] = {}
        for n in batch:
            fix = tuple(fix_conflicts(n.sel))
            own = f"\0{n.id}" if n.contexts else ""  # @fromContext variables are a node's own
            by_text.setdefault(n.sel.canonical() + ("\0" + repr(fix) if fix else "") + own, ([], fix))[0].append(n)
        single = len(by_text) == 1
        calls = []
        parts = []
        extra = []
        used_set: set[str] = set()
        for j, (nodes, renames) in enumerate(by_text.values()):
            alias = "_entities" if single else f"_e{j}"
            var = "representations" if single else f"r{j}"
            sel = nodes[0].sel
            contexts = tuple(nodes[0].contexts)
            ctx_vars = {c.variable for c in contexts}
            sel.variables(used_set)
            used_set -= ctx_vars
            targets = [Target(n.path, {t: (rep, freeze_reader(r)) for t, (rep, r) in n.inputs.items()}) for n in nodes]
            text = sel.print()
            calls.append(Call(alias, var, targets, renames, contexts, text))
            extra.append(f"${var}:[_Any!]!")
            head = "_entities" if single else f"{alias}:_entities"
            parts.append(f"{head}(representations:${var}){text}")
        used = sorted(used_set)
        head_text = f"query{' ' + name if name else ''}"
        text = f"{head_text}{_decl(used, var_defs, extra)}{{{' '.join(parts)}}}"
        fetches.append(Fetch(i, first.subgraph, text, name, tuple(used), deps, slot[first], False, calls,
                             nodes=batch, head=head_text,
                             error_keys=_error_keys(batch, tuple(r for c in calls for r in c.renames)),
                             declarations=tuple(var_defs[v] for v in used if v in var_defs), part=first.part))
    return fetches


def _error_keys(nodes: list[FetchNode], renames: tuple[Rename, ...]) -> dict[str, str]:
    """Keys a subgraph's error paths may hold that the client never asked for: the planner's
    own keys (reported as the field's name, as the reference routers do) and aliases."""
    out: dict[str, str] = {}
    for n in nodes:
        out.update(n.private)
    for r in renames:
        out[r.alias] = out.get(r.key, r.key)
    return out


def _slots(nodes: list[FetchNode]) -> dict[FetchNode, int]:
    """The depth at which each entity fetch is sent. A fetch nothing depends on may wait for a
    later fetch to the same subgraph whose dependencies already include all of its own: the
    response waits for that later fetch anyway, so one request fewer costs no latency."""
    from .fetch import _ancestors

    slot = {n: n.depth for n in nodes}
    has_children = {p for n in nodes for p in n.parents}
    ancestors = _ancestors(nodes)
    for n in nodes:
        if n.root or n in has_children:
            continue
        later = [m for m in nodes if not m.root and m.subgraph == n.subgraph and m.depth > n.depth
                 and n.parents <= ancestors[m]]
        if later:
            slot[n] = max(m.depth for m in later)
    return slot


def _decl(used: list[str], var_defs: dict[str, str], extra: list[str]) -> str:
    parts = extra + [var_defs[v] for v in used if v in var_defs]
    return "(" + ",".join(parts) + ")" if parts else ""


# ---------------------------------------------------------------------- printing

def path_text(path: tuple[PathStep, ...]) -> str:
    out = ""
    for p in path:
        if isinstance(p, frozenset):
            out += "|[" + ",".join(sorted(p)) + "]"
        else:
            out += ("." if out else "") + p
    return out


def _reader_text(reader: Reader) -> str:
    parts = []
    for name, key, sub in reader:
        s = name if key == name else f"{name}: {key}"
        if isinstance(sub, dict):
            s += " { " + " ".join(f"... on {t} {{ {_reader_text(r)} }}" for t, r in sorted(sub.items())) + " }"
        elif sub:
            s += " { " + _reader_text(sub) + " }"
        parts.append(s)
    return " ".join(parts)


def print_plan(plan: Plan) -> str:
    """A readable tree: fetches by depth (a Sequence of Parallel levels), each naming the
    fetches it waits for; the executor starts each one as soon as those are done."""
    lines = ["QueryPlan {"]
    levels: dict[int, list[Fetch]] = {}
    for f in plan.fetches:
        levels.setdefault(f.depth, []).append(f)
    seq = len(levels) > 1
    ind = 1
    if seq:
        lines.append("  Sequence {")
        ind = 2
    for depth in sorted(levels):
        fs = levels[depth]
        par = len(fs) > 1
        if par:
            lines.append("  " * ind + "Parallel {")
        base = ind + (1 if par else 0)
        for f in fs:
            lines.extend(_fetch_lines(f, base))
        if par:
            lines.append("  " * ind + "},")
    if seq:
        lines.append("  }")
    lines.append("}")
    return "\n".join(lines)


def _fetch_lines(f: Fetch, ind: int) -> list[str]:
    pad = "  " * ind
    after = f", after: [{', '.join(map(str, f.deps))}]" if f.deps else ""
    out = [f'{pad}Fetch(service: "{f.service}", id: {f.id}{after}) {{']
    if f.root:
        out.append(pad + "  {")
        out.extend(f.nodes[0].sel.pretty(ind + 2))
        out.append(pad + "  }")
    else:
        for call in f.calls:
            sel = next(n for n in f.nodes if any(t.path == n.path for t in call.targets)).sel
            for t in call.targets:
                out.append(f'{pad}  Flatten(path: "{path_text(t.path)}") {{')
                out.append(pad + "    {")
                for _data_type, (rep, reader) in sorted(t.inputs.items(), key=lambda x: x[0] or ""):
                    out.append(f"{pad}      ... on {rep} {{ __typename {_reader_text(reader)} }}")
                out.append(pad + "    } =>")
                out.append(pad + "    {")
                out.extend(sel.pretty(ind + 3))
                out.append(pad + "    }")
                out.append(pad + "  },")
    out.append(pad + "},")
    return out


def plan_shape(plan: Plan) -> list[tuple[str, int, tuple[int, ...], tuple[str, ...]]]:
    """A compact, comparable description: (service, depth, deps, entity paths) per fetch."""
    return [(f.service, f.depth, f.deps, tuple(sorted(path_text(t.path) for c in f.calls for t in c.targets)))
            for f in plan.fetches]


__all__ = ["Plan", "Fetch", "Call", "Target", "emit", "print_plan", "plan_shape", "path_text", "QuerySel"]
