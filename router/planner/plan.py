"""Plans as data: steps of parallel fetches, each fetch one subgraph request.

Fetch groups are scheduled by dependency level; every group of one level that goes to the
same subgraph is sent as one request (entity groups with the same selection share one
`_entities` call and their representations are de-duplicated by the executor).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import print_ast

from .builder import Group, Reader


@dataclass(eq=False)
class EntityCall:
    alias: str
    variable: str
    selection: str  # printed selection set of the _entities field
    groups: list[Group]


@dataclass(eq=False)
class Fetch:
    service: str
    operation: str
    operation_name: str | None
    variables: tuple[str, ...]  # client variables this fetch uses
    root: Group | None = None
    calls: list[EntityCall] = field(default_factory=list)


@dataclass(eq=False)
class Plan:
    kind: str
    steps: list[list[Fetch]]
    shape: object = None  # executor.shape.Shape
    introspection: list = field(default_factory=list)  # root FieldSel answered by the router
    root_type: str = "Query"

    @property
    def fetch_count(self) -> int:
        return sum(len(s) for s in self.steps)

    def print(self) -> str:
        return print_plan(self)


def schedule(roots: list[Group], kind: str) -> list[list[list[Group]]]:
    """Dependency levels per segment (a mutation has one segment per root group)."""

    def descendants(g: Group, out: list[Group]) -> list[Group]:
        out.append(g)
        for c in g.children.values():
            descendants(c, out)
        return out

    segments = [[r] for r in roots] if kind == "mutation" else [roots]
    result = []
    for seg in segments:
        groups: list[Group] = []
        for r in seg:
            descendants(r, groups)
        members = set(groups)

        def level(g: Group, stack: set) -> int:
            if g.level >= 0:
                return g.level
            if g in stack:
                raise RuntimeError("cyclic fetch dependencies")
            stack.add(g)
            deps = [d for d in g.deps if d in members and d is not g]
            g.level = 0 if not deps else 1 + max(level(d, stack) for d in deps)
            stack.discard(g)
            return g.level

        for g in groups:
            level(g, set())
        depth = max(g.level for g in groups) + 1 if groups else 0
        levels: list[list[Group]] = [[] for _ in range(depth)]
        for g in groups:
            if g.kind == "root" or not g.sel.empty():
                levels[g.level].append(g)
        result.append([lv for lv in levels if lv])
    return result


def build_fetches(segments: list[list[list[Group]]], op_name: str | None, var_defs: dict[str, str],
                  kind: str) -> list[list[Fetch]]:
    steps: list[list[Fetch]] = []
    counter = 0
    for seg in segments:
        for level in seg:
            by_service: dict[str, list[Group]] = {}
            for g in level:
                by_service.setdefault(g.subgraph, []).append(g)
            step: list[Fetch] = []
            for service in sorted(by_service):
                groups = by_service[service]
                roots = [g for g in groups if g.kind == "root"]
                entities = [g for g in groups if g.kind == "entity"]
                name = f"{op_name}__{service}__{counter}" if op_name else None
                counter += 1
                for r in roots:
                    used = sorted(r.sel.variables(set()))
                    decl = _decl(used, var_defs, [])
                    op_kind = kind if r.kind == "root" else "query"
                    text = f"{op_kind}{' ' + name if name else ''}{decl}{r.sel.print()}"
                    step.append(Fetch(service, text, name, tuple(used), root=r))
                if entities:
                    by_sel: dict[str, list[Group]] = {}
                    for g in entities:
                        by_sel.setdefault(g.sel.print(), []).append(g)
                    calls = []
                    used_set: set[str] = set()
                    for g in entities:
                        g.sel.variables(used_set)
                    used = sorted(used_set)
                    single = len(by_sel) == 1
                    extra = []
                    parts = []
                    for i, (sel_text, gs) in enumerate(by_sel.items()):
                        alias = "_entities" if single else f"_e{i}"
                        var = "representations" if single else f"r{i}"
                        extra.append(f"${var}:[_Any!]!")
                        calls.append(EntityCall(alias, var, sel_text, gs))
                        head = "_entities" if single else f"{alias}:_entities"
                        parts.append(f"{head}(representations:${var}){sel_text}")
                    decl = _decl(used, var_defs, extra)
                    text = f"query{' ' + name if name else ''}{decl}{{{' '.join(parts)}}}"
                    step.append(Fetch(service, text, name, tuple(used), calls=calls))
            steps.append(step)
    return steps


def _decl(used: list[str], var_defs: dict[str, str], extra: list[str]) -> str:
    parts = extra + [var_defs[v] for v in used if v in var_defs]
    return "(" + ",".join(parts) + ")" if parts else ""


# ---------------------------------------------------------------------- printing

def _path_str(path: tuple) -> str:
    out = []
    for p in path:
        if isinstance(p, frozenset):
            out.append("|[" + ",".join(sorted(p)) + "]")
        else:
            out.append(("." if out else "") + p)
    return "".join(out).replace(".|", "|")


def _reader_str(reader: Reader) -> str:
    parts = []
    for name, (key, sub) in reader.items():
        parts.append(name + (" { " + _reader_str(sub) + " }" if sub else ""))
    return " ".join(parts)


def print_plan(plan: Plan) -> str:
    lines = ["QueryPlan {"]
    body: list[tuple[int, str]] = []
    steps = plan.steps
    seq = len(steps) > 1
    ind = 1
    if seq:
        body.append((ind, "Sequence {"))
        ind += 1
    for step in steps:
        par = len(step) > 1
        if par:
            body.append((ind, "Parallel {"))
        for f in step:
            base = ind + (1 if par else 0)
            body.append((base, f'Fetch(service: "{f.service}") {{'))
            if f.root is not None:
                body.append((base + 1, "{"))
                for ln in f.root.sel.pretty(0):
                    body.append((base + 2, ln))
                body.append((base + 1, "}"))
            for call in f.calls:
                for g in call.groups:
                    body.append((base + 1, f'Flatten(path: "{_path_str(g.path)}") {{'))
                    body.append((base + 2, "{"))
                    for data_type, (rep_type, reader) in sorted(g.reps.items()):
                        body.append((base + 3, f"... on {rep_type} {{ __typename {_reader_str(reader)} }}"))
                    body.append((base + 2, "} =>"))
                    body.append((base + 2, "{"))
                    for ln in g.sel.pretty(0):
                        body.append((base + 3, ln))
                    body.append((base + 2, "}"))
                    body.append((base + 1, "}"))
            body.append((base, "},"))
        if par:
            body.append((ind, "},"))
    if seq:
        body.append((1, "}"))
    for i, s in body:
        lines.append("  " * i + s)
    lines.append("}")
    return "\n".join(lines)


def plan_shape(plan: Plan) -> list:
    """A compact, comparable description: [[(service, (paths...)), ...], ...] per step."""
    out = []
    for step in plan.steps:
        s = []
        for f in step:
            if f.root is not None:
                s.append((f.service, ("",)))
            else:
                s.append((f.service, tuple(sorted(_path_str(g.path) for c in f.calls for g in c.groups))))
        out.append(s)
    return out


def variable_definitions(definition) -> dict[str, str]:
    return {vd.variable.name.value: print_ast(vd) for vd in definition.variable_definitions or ()}
