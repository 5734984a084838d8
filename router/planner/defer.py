"""`@defer`: which fetches of a plan the initial payload waits for, and what each deferred
fragment waits for and delivers.

The deferred fragments are split out of the client's selection: the *primary* selection is the
operation without them, and each deferred fragment keeps its own selection at its own position
(`split_defer`). `defer_parts.py` then plans each part into fetches of its own, which say whose
they are. When it cannot, the operation is planned as if nothing were deferred and
`assign_shared` decides: a fetch belongs to the primary part when it brings a field the primary
selection asks for (and so do the fetches it waits for); the others only feed deferred
fragments, and the initial payload does not wait for them.

Pure: no I/O. The executor's side is `router/executor/incremental.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionNode,
    SelectionSetNode,
    StringValueNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
)

from ..executor.shape import Shape, compile_shape
from ..operation import Normalizer, Operation, Sel
from .prune import prune

__all__ = ["DeferPlan", "Deferred", "Step", "has_defer", "plan_defer"]

# one field on the way to a deferred fragment: (response key, type conditions the object holding
# the field must satisfy)
Step = tuple[str, tuple[str, ...]]


@dataclass(eq=False)
class Deferred:
    """One deferred fragment: delivered once per object at `path` (one item per list element)."""

    id: int
    label: str | None
    parent: int | None  # the enclosing deferred fragment; None: the primary part
    steps: tuple[Step, ...]  # from the root to the field holding the fragment
    conditions: tuple[str, ...]  # type conditions the object at that position must satisfy
    parent_type: str  # the type of that position
    selection: Sel  # the fragment's fields (deferred fragments inside it left out)
    keys: frozenset[str]  # response keys it selects at its position
    fetches: tuple[int, ...] = ()  # fetches it waits for (their own dependencies included)
    shape: Shape | None = None
    reach: Sel | None = None  # the selection from the root down to the fragment

    @property
    def path_text(self) -> str:
        return "/".join(k for k, _ in self.steps)


@dataclass(eq=False)
class DeferPlan:
    primary: Sel
    primary_shape: Shape
    primary_fetches: tuple[int, ...]
    deferred: list[Deferred] = field(default_factory=list)
    owner: dict[int, int | None] = field(default_factory=dict)  # fetch id -> None (primary) / deferred id

    def print(self, plan: Any) -> str:
        """Apollo's layout: `Defer { Primary {...}, [Deferred(depends: ..., path: ...) {...}] }`."""
        from .plan import _fetch_lines

        by_id = {f.id: f for f in plan.fetches}
        lines = ["QueryPlan {", "  Defer {", "    Primary {"]
        for fid in self.primary_fetches:
            lines.extend(_fetch_lines(by_id[fid], 3))
        lines.append("    }, [")
        for d in self.deferred:
            own = [fid for fid, o in self.owner.items() if o == d.id]
            depends = ", ".join(str(f) for f in d.fetches if f not in own)
            label = f', label: "{d.label}"' if d.label is not None else ""
            parent = f", after: {d.parent}" if d.parent is not None else ""
            lines.append(f'      Deferred(id: {d.id}, depends: [{depends}], path: "{d.path_text}"{label}{parent}) {{')
            fragment = f"... on {d.conditions[-1]} " if d.conditions else ""
            lines.append(f"        {fragment}{{ {' '.join(sorted(d.keys))} }}:")
            for fid in sorted(own):
                lines.extend(_fetch_lines(by_id[fid], 4))
            lines.append("      },")
        lines.extend(["    ]", "  }", "}"])
        return "\n".join(lines)


def _defer_directive(node: SelectionNode) -> DirectiveNode | None:
    for d in node.directives or ():
        if d.name.value == "defer":
            return d
    return None


def has_defer(operation: Operation) -> bool:
    """Whether the operation (its fragments included) has any `@defer`, active or not."""
    doc = operation.document
    seen: set[str] = set()

    def walk(ss: SelectionSetNode | None) -> bool:
        if ss is None:
            return False
        for s in ss.selections:
            if _defer_directive(s) is not None:
                return True
            if isinstance(s, FragmentSpreadNode):
                name = s.name.value
                if name not in seen and name in doc.fragments:
                    seen.add(name)
                    if walk(doc.fragments[name].selection_set):
                        return True
            elif isinstance(s, (FieldNode, InlineFragmentNode)) and walk(s.selection_set):
                return True
        return False

    return walk(operation.definition.selection_set)


@dataclass(eq=False)
class _Found:
    id: int
    label: str | None
    parent: int | None
    wrappers: tuple[FieldNode | InlineFragmentNode, ...]
    type_condition: str | None
    parent_type: GraphQLCompositeType
    body: SelectionSetNode


class _Splitter:
    """Walks the operation, fragments inlined: the selection without its active deferred
    fragments, and each of them (with the ones nested in it split out in turn)."""

    def __init__(self, schema: GraphQLSchema, operation: Operation) -> None:
        self.schema = schema
        self.fragments = operation.document.fragments
        self.variables = operation.coerced
        self.normalizer = Normalizer(schema, self.fragments, operation.coerced)
        self.found: list[_Found] = []

    def active(self, d: DirectiveNode) -> bool:
        for a in d.arguments or ():
            if a.name.value == "if":
                v = a.value
                if isinstance(v, BooleanValueNode):
                    return v.value
                if isinstance(v, VariableNode):
                    return self.variables.get(v.name.value, True) is not False
        return True

    def label(self, d: DirectiveNode) -> str | None:
        for a in d.arguments or ():
            if a.name.value == "label" and isinstance(a.value, StringValueNode):
                return a.value.value
        return None

    def split(self, ss: SelectionSetNode, type_: GraphQLCompositeType,
              wrappers: tuple[FieldNode | InlineFragmentNode, ...], owner: int | None) -> SelectionSetNode:
        out: list[SelectionNode] = []
        for s in ss.selections:
            if not self.normalizer.included(s):
                continue
            if isinstance(s, FieldNode):
                if s.selection_set is None or s.name.value.startswith("__"):
                    out.append(s)
                    continue
                fdef = getattr(type_, "fields", {}).get(s.name.value)
                named = get_named_type(fdef.type) if fdef is not None else None
                if named is None or not is_composite_type(named):
                    out.append(s)
                    continue
                out.append(replace(s, selection_set=self.split(s.selection_set, named, (*wrappers, s), owner)))
                continue
            if isinstance(s, FragmentSpreadNode):
                frag = self.fragments.get(s.name.value)
                if frag is None:
                    continue
                cond: NamedTypeNode | None = frag.type_condition
                body = frag.selection_set
            else:
                assert isinstance(s, InlineFragmentNode)
                cond = s.type_condition
                body = s.selection_set
            inner = self.schema.get_type(cond.name.value) if cond is not None else type_
            assert inner is not None and is_composite_type(inner)
            d = _defer_directive(s)
            kept = tuple(x for x in s.directives or () if x.name.value != "defer")
            if d is not None and self.active(d):
                found = _Found(len(self.found), self.label(d), owner, wrappers,
                               cond.name.value if cond is not None else None, type_, body)
                self.found.append(found)
                marker = InlineFragmentNode(type_condition=cond, directives=(), selection_set=body)
                found.body = self.split(body, inner, (*wrappers, marker), found.id)
                continue
            marker = InlineFragmentNode(type_condition=cond, directives=kept, selection_set=body)
            out.append(replace(marker, selection_set=self.split(body, inner, (*wrappers, marker), owner)))
        return SelectionSetNode(selections=tuple(out))


def _steps(wrappers: tuple[FieldNode | InlineFragmentNode, ...]) -> tuple[tuple[Step, ...], tuple[str, ...]]:
    steps: list[Step] = []
    conds: list[str] = []
    for w in wrappers:
        if isinstance(w, FieldNode):
            steps.append(((w.alias or w.name).value, tuple(conds)))
            conds = []
        elif w.type_condition is not None:
            conds.append(w.type_condition.name.value)
    return tuple(steps), tuple(conds)


def _wrap(wrappers: tuple[FieldNode | InlineFragmentNode, ...], inner: SelectionSetNode) -> SelectionSetNode:
    """The selection from the root down to `inner` through the fields and fragments holding it."""
    for w in reversed(wrappers):
        inner = SelectionSetNode(selections=(replace(w, selection_set=inner),))
    return inner


def split_defer(schema: GraphQLSchema, operation: Operation,
                denied: frozenset[tuple[str, str]] = frozenset()) -> DeferPlan | None:
    """The operation's primary selection and deferred fragments, no fetch assigned yet; None
    when no `@defer` is active (every `if` false: the operation is answered in one payload)."""
    root = schema.get_type(operation.root_type)
    assert isinstance(root, GraphQLObjectType)
    splitter = _Splitter(schema, operation)
    primary_ss = splitter.split(operation.definition.selection_set, root, (), None)
    if not splitter.found:
        return None
    n = splitter.normalizer

    def normalized(type_: GraphQLCompositeType, ss: SelectionSetNode) -> Sel:
        sel = n.selection(type_, [ss])
        if denied:
            prune(sel, denied)
        return sel

    primary = normalized(root, primary_ss)
    out = DeferPlan(primary, compile_shape(primary), ())
    for found in splitter.found:
        steps, conds = _steps(found.wrappers)
        if found.type_condition is not None:
            conds = (*conds, found.type_condition)
        cond_type = schema.get_type(found.type_condition) if found.type_condition else None
        fragment = InlineFragmentNode(
            type_condition=NamedTypeNode(name=NameNode(value=cond_type.name)) if cond_type is not None else None,
            directives=(), selection_set=found.body)
        sel = normalized(found.parent_type, SelectionSetNode(selections=(fragment,)))
        keys = frozenset(f.key for fields in sel.by_type.values() for f in fields)
        reach = normalized(root, _wrap(found.wrappers, SelectionSetNode(selections=(fragment,))))
        d = Deferred(found.id, found.label, found.parent, steps, conds, found.parent_type.name, sel, keys, (),
                     compile_shape(sel), reach)
        out.deferred.append(d)
    return out


def plan_defer(schema: GraphQLSchema, operation: Operation, plan: Any,
               denied: frozenset[tuple[str, str]] = frozenset()) -> DeferPlan | None:
    """The deferred fragments of an operation planned as a whole (as if nothing were
    deferred): each fragment waits for the fetches that bring its fields."""
    out = split_defer(schema, operation, denied)
    if out is None:
        return None
    assign_shared(out, plan)
    return out


def assign_shared(out: DeferPlan, plan: Any) -> None:
    """Which fetches of a plan made for the whole operation each part waits for."""
    fetches = plan.fetches
    closure = _closure(fetches)
    out.primary_fetches = closure({f.id for f in fetches if any(_contributes(node, out.primary) for node in f.nodes)})
    owner: dict[int, int | None] = {fid: None for fid in out.primary_fetches}
    for d in out.deferred:
        assert d.reach is not None
        d.fetches = closure({f.id for f in fetches if any(_contributes(node, d.reach) for node in f.nodes)})
        for fid in d.fetches:
            owner.setdefault(fid, d.id)
    unnamed = [f.id for f in fetches if f.id not in owner]
    if unnamed:  # a fetch no payload named (defensive): every deferred payload waits for it
        for d in out.deferred:
            d.fetches = tuple(sorted({*d.fetches, *unnamed}))
        for fid in unnamed:
            owner[fid] = out.deferred[0].id
    out.owner = owner


def _closure(fetches: Any) -> Any:
    deps = {f.id: f.deps for f in fetches}

    def closure(ids: set[int]) -> tuple[int, ...]:
        todo = list(ids)
        while todo:
            for d in deps[todo.pop()]:
                if d not in ids:
                    ids.add(d)
                    todo.append(d)
        return tuple(sorted(ids))

    return closure


def _contributes(node: Any, target: Sel) -> bool:
    """Whether a fetch node brings a field that `target` (a selection from the root) asks for."""
    positions: list[tuple[Sel, frozenset[str] | None]] = [(target, None)]
    for step in node.path:
        if isinstance(step, frozenset):
            positions = [(s, step) for s, _ in positions]
            continue
        if step == "@":
            continue
        nxt: list[tuple[Sel, frozenset[str] | None]] = []
        for s, types in positions:
            for t, fields in s.by_type.items():
                if types is not None and t not in types:
                    continue
                for f in fields:
                    if f.key == step and f.sub is not None:
                        nxt.append((f.sub, None))
        positions = nxt
        if not positions:
            return False
    qs = node.sel
    for s, types in positions:
        if node.root:
            if _matches(qs, s, types):
                return True
            continue
        for t, frag in qs.fragments.items():
            if _matches(frag, s, frozenset((t,)) if types is None else types):
                return True
        if _matches(qs, s, types):
            return True
    return False


def _matches(qs: Any, sel: Sel, types: frozenset[str] | None) -> bool:
    by_type = sel.by_type
    if types is not None and not types.isdisjoint(by_type):
        chosen = [fields for t, fields in by_type.items() if t in types]
    else:  # an interface (object) the selection knows only by its implementations
        chosen = list(by_type.values())
    # `__typename` counts only where the fetch is what resolves it (an @interfaceObject's
    # entities, whose real type another subgraph tells); elsewhere every fetch brings it
    resolves_type = types is None or types.isdisjoint(by_type)
    wanted: dict[str, list[Any]] = {}
    for fields in chosen:
        for f in fields:
            if f.name != "__typename":
                wanted.setdefault(f.key, []).append(f)
            elif resolves_type and (qs.typename or "__typename" in qs.fields):
                return True
    # a container field counts too: the payload needs to know whether it is null
    if any(qf.out in wanted for qf in qs.fields.values()):
        return True
    for t, frag in qs.fragments.items():
        if _matches(frag, sel, frozenset((t,))):
            return True
    return False


def applies(schema: GraphQLSchema, condition: str, typename: Any) -> bool:
    """Whether an object of `typename` (None: not known, the static type) takes a fragment on
    `condition`."""
    if typename is None or condition == typename:
        return True
    t = schema.get_type(condition)
    o = schema.get_type(typename) if isinstance(typename, str) else None
    return t is not None and o is not None and is_abstract_type(t) and schema.is_sub_type(t, o)
