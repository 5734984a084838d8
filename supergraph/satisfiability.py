"""Satisfiability: can every query the supergraph API allows be planned across the subgraphs?

We walk the API schema from its root types. For each path of the API (field
after field, type condition after type condition) we keep the set of ways the
subgraphs could serve it: "in subgraph S, at type T". A step keeps the ways
that can take it, either directly in S, or after jumping to another subgraph
through an entity `@key` whose fields S can provide (jumps may chain). A
`@requires` needs its fields from somewhere; `@provides` makes external fields
local on that path only; `@override` takes a field away from its old subgraph.
If no way is left for some path, the supergraph is unsatisfiable and we report
that path as an example query, with the reason each subgraph could not go on.

This follows the semantics of Apollo's composition validation (which walks a
"query graph"); pruning a type already seen with a subset of the same ways
keeps the walk linear in practice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

from . import fieldset as fs
from .context_paths import Contexts, Requirement
from .errors import Code, CompositionError, subgraph_names
from .merge import SupergraphModel
from .model import INTERFACE, OBJECT, UNION, Field, TypeDef, named_type
from .subgraph import Key, Subgraph

Labels = frozenset[tuple[str, bool]]
_TYPENAME = "__typename"


@dataclass(frozen=True)
class Path:
    """One way of serving the current API position: a position in one subgraph."""

    sub: str
    type: str  # type of the position, in the subgraph
    runtime: frozenset[str]  # object types the value can have there
    provided: tuple[fs.Selection, ...] | None = None  # @provides in effect on this position
    top: bool = False  # at the subgraph's root, entered directly: no jumps from here
    via_key: bool = False  # reached by a key jump (its key fields are in the representation)
    # fields taken on the way that can provide a context: (their parent type, the position they were
    # taken from), nearest first, one per parent type
    ancestry: tuple[tuple[str, "Path"], ...] = ()

    def key(self) -> tuple[object, ...]:
        own = (self.sub, self.type, fs.print_selections(self.provided) if self.provided else "")
        if not self.ancestry:
            return own
        return own + tuple((parent, head.key(), head.runtime, head.via_key) for parent, head in self.ancestry)

    def after_field(self, contexts: Contexts, tail: "Path") -> "Path":
        """`tail`, reached by a field taken here, remembering this position if it can provide a context."""
        ancestry = self.ancestry
        if contexts.relevant(self.type):
            ancestry = ((self.type, replace(self, ancestry=())),) + tuple(a for a in ancestry if a[0] != self.type)
        return replace(tail, ancestry=ancestry)


@dataclass(frozen=True)
class Step:
    """One API transition: a field of an object type, or a type condition on an abstract type."""

    parent: str
    field: str | None = None
    cast: str | None = None


@dataclass
class Reason:
    source: str
    details: str


@dataclass
class _Jump:
    target: str
    tail_type: str
    condition: tuple[fs.Selection, ...]
    text: str  # key field set as written


@dataclass
class _FieldEdge:
    field: Field
    tail_type: str
    requires: tuple[fs.Selection, ...] | None = None
    provides: tuple[fs.Selection, ...] | None = None
    label: tuple[str, bool] | None = None


class _Api:
    """The API schema (no @inaccessible elements), as the walk needs it."""

    def __init__(self, sg: SupergraphModel) -> None:
        name = sg.merged_specs.get("inaccessible")

        def hidden(element: object) -> bool:
            return name is not None and any(d.name == name for d in getattr(element, "directives", ()))

        self.types: dict[str, TypeDef] = {n: t for n, t in sg.types.items() if not hidden(t)}
        hidden_types = {n for n, t in sg.types.items() if hidden(t)}
        self.fields: dict[str, list[Field]] = {}
        self.runtime: dict[str, list[str]] = {}
        for t in self.types.values():
            if t.kind == OBJECT:
                self.fields[t.name] = [
                    f for f in t.fields.values() if not hidden(f) and named_type(f.type) not in hidden_types
                ]
                self.runtime[t.name] = [t.name]
            elif t.kind == INTERFACE:
                self.runtime[t.name] = [
                    o.name for o in self.types.values() if o.kind == OBJECT and t.name in o.interfaces
                ]
            elif t.kind == UNION:
                self.runtime[t.name] = [m for m in t.members if m in self.types]

    def is_leaf(self, type_name: str) -> bool:
        t = self.types.get(type_name)
        return t is None or not t.is_composite


class Satisfiability:
    def __init__(self, sg: SupergraphModel) -> None:
        self.sg = sg
        self.subs: dict[str, Subgraph] = {s.name: s for s in sg.subgraphs}
        self.api = _Api(sg)
        self.overridden: dict[tuple[str, str, str], str] = {}  # (sub, type, field) -> overriding subgraph
        self.edge_labels: dict[tuple[str, str, str], tuple[str, bool]] = {}
        self.api_labels: dict[tuple[str, str], str] = {}
        for (type_name, fname), joins in sg.join_fields.items():
            for j in joins:
                if j.override is None or j.graph is None or j.override not in self.subs:
                    continue
                if j.override_label:
                    self.edge_labels[(j.graph, type_name, fname)] = (j.override_label, True)
                    self.edge_labels[(j.override, type_name, fname)] = (j.override_label, False)
                    self.api_labels[(type_name, fname)] = j.override_label
                else:
                    self.overridden[(j.override, type_name, fname)] = j.graph
        self.key_targets: dict[str, list[tuple[str, Key]]] = {}
        self.itf_object_targets: dict[str, list[tuple[str, str, Key]]] = {}
        for s in sg.subgraphs:
            for type_name in s.keys:
                for key in s.resolvable_keys(type_name):
                    self.key_targets.setdefault(type_name, []).append((s.name, key))
                    if s.is_interface_object(type_name):
                        for impl in self.api.runtime.get(type_name, ()):
                            self.itf_object_targets.setdefault(impl, []).append((s.name, type_name, key))
        self.contexts = Contexts(sg)
        self._conditions: dict[tuple[tuple[object, ...], str, frozenset[str], frozenset[str]], bool] = {}
        self._bound: dict[tuple[str, str, str], tuple[fs.Selection, ...] | None] = {}

    # -- subgraph query graph --------------------------------------------------------------

    def bind(self, sub: Subgraph, parent: str, text: str) -> tuple[fs.Selection, ...] | None:
        key = (sub.name, parent, text)
        if key not in self._bound:
            try:
                self._bound[key] = fs.bind(sub, parent, text)
            except fs.FieldSetError:
                self._bound[key] = None
        return self._bound[key]

    def possible(self, sub: Subgraph, type_name: str) -> frozenset[str]:
        if sub.is_interface_object(type_name):
            return frozenset((type_name,))
        return frozenset(sub.possible_types(type_name))

    def directly_provided(self, sub: Subgraph, type_name: str, fname: str) -> bool:
        f = sub.field(type_name, fname)
        return f is not None and not sub.is_external(type_name, fname) and not f.has("requires")

    def field_edge(self, p: Path, fname: str) -> _FieldEdge | None:
        sub = self.subs[p.sub]
        t = sub.types.get(p.type)
        if t is None:
            return None
        provided_children = _provided_field(p.provided, fname)
        f = t.fields.get(fname)
        if f is None:
            return None
        if t.kind == INTERFACE:
            if sub.is_external(t.name, fname):
                return None
            local = [n for n in self.api.runtime.get(t.name, ()) if n in sub.types]
            if any(not self.directly_provided(sub, n, fname) for n in local):
                return None
        elif t.kind == OBJECT:
            if sub.is_external(t.name, fname) and provided_children is None:
                return None
        else:
            return None
        if (p.sub, t.name, fname) in self.overridden:
            return None
        edge = _FieldEdge(f, named_type(f.type), label=self.edge_labels.get((p.sub, t.name, fname)))
        requires = f.fed("requires")
        if requires:
            edge.requires = self.bind(sub, t.name, requires[0].str_arg("fields") or "") or ()
        provides = f.fed("provides")
        if provides:
            edge.provides = self.bind(sub, edge.tail_type, provides[0].str_arg("fields") or "")
        if provided_children:
            edge.provides = tuple(edge.provides or ()) + provided_children
        return edge

    def jumps(self, p: Path) -> Iterable[_Jump]:
        """Key (and root type) edges leaving the position: ways to continue in another subgraph."""
        for target, key in self.key_targets.get(p.type, ()):
            tail = p.type
            yield _Jump(target, tail, key.selections, key.fields)
        sub = self.subs[p.sub]
        for target, itf, key in self.itf_object_targets.get(p.type, ()):
            condition = self.bind(sub, p.type, key.fields)
            if condition is not None:
                yield _Jump(target, itf, condition, key.fields)
        if p.type in sub.roots.values():
            kind = next(k for k, v in sub.roots.items() if v == p.type)
            for other in self.sg.subgraphs:
                if other.name != p.sub and kind in other.roots:
                    yield _Jump(other.name, other.roots[kind], (), "")

    # -- advancing ------------------------------------------------------------------------------

    def runtime_after_field(self, sub: Subgraph, p: Path, fname: str, tail: str) -> frozenset[str]:
        out: set[str] = set()
        for r in p.runtime:
            f = sub.field(r, fname)
            if f is not None:
                out |= self.possible(sub, named_type(f.type))
        if not out and not p.runtime:
            out = set(self.possible(sub, tail))
        return frozenset(out)

    def advance_direct(self, p: Path, step: Step, labels: Labels) -> tuple[list[Path], list[Reason]]:
        sub = self.subs[p.sub]
        if step.field is not None:
            tail_type = sub.types.get(p.type)
            if step.parent != p.type and tail_type is not None and tail_type.is_composite and not sub.is_interface_object(p.type):
                if step.parent in sub.possible_types(p.type) or (
                    sub.types.get(step.parent) is not None and step.parent in self.possible(sub, step.parent)
                    and step.parent in p.runtime
                ):
                    p = Path(p.sub, step.parent, p.runtime & {step.parent}, _provided_cast(p.provided, step.parent),
                             ancestry=p.ancestry)
                else:
                    return [], [Reason(p.sub, f'cannot find field "{step.parent}.{step.field}"')]
            if step.field == _TYPENAME:
                if sub.is_interface_object(p.type):
                    return [], [Reason(p.sub, f'cannot find field "{step.parent}.{_TYPENAME}"')]
                return [Path(p.sub, "String", frozenset())], []
            edge = self.field_edge(p, step.field)
            if edge is None:
                return [], [Reason(p.sub, self.missing_field_details(p, step))]
            if edge.label is not None and edge.label not in labels:
                return [], [Reason(p.sub, f'Unable to take field "{step.parent}.{step.field}" because override condition'
                                          f' "{edge.label[0]}" is {str(not edge.label[1]).lower()}')]
            requirements = self.contexts.requirements.get((p.sub, p.type, step.field))
            if requirements:
                why = self.unsatisfied_contexts(p, step, requirements)
                if why is not None:
                    return [], [Reason(p.sub, why)]
            if edge.requires is not None:
                if not self.can_satisfy(p, edge.requires, frozenset(), frozenset()):
                    return [], [Reason(p.sub, f'cannot satisfy @require conditions on field "{step.parent}.{step.field}"'
                                              + self.external_key_warning(sub, p.type))]
                if not p.via_key and not self.locally_satisfiable_key(sub, p.type):
                    return [], [Reason(p.sub, f'@require condition on field "{step.parent}.{step.field}" can be satisfied'
                                              f' but missing usable key on "{p.type}" in subgraph "{p.sub}" to resume query')]
            runtime = self.runtime_after_field(sub, p, step.field, edge.tail_type)
            return [p.after_field(self.contexts, Path(p.sub, edge.tail_type, runtime, edge.provides))], []
        cast = step.cast
        assert cast is not None
        if p.type == cast:
            return [p], []
        if sub.is_interface_object(p.type):
            if cast in self.api.runtime.get(p.type, ()) and self.can_satisfy(p, _TYPENAME_SELECTION, frozenset(), frozenset()):
                return [Path(p.sub, p.type, p.runtime, None, False, p.via_key, p.ancestry)], []
            return [], [Reason(p.sub, f'no subgraph can be reached to resolve the implementation type of @interfaceObject'
                                      f' type "{p.type}"')]
        t = sub.types.get(p.type)
        target = sub.types.get(cast)
        if t is None or target is None or not target.is_composite:
            return [], [Reason(p.sub, f'cannot find type "{cast}"')]
        if t.kind == OBJECT:
            # `... on Shape` inside a Circle: an abstract type condition the object matches keeps the position.
            if p.type in sub.possible_types(cast):
                return [p], []
            return [], [Reason(p.sub, f'cannot find type "{cast}"')]
        if t.is_abstract:
            # Down to an implementation, or to another abstract type sharing implementations
            # (`... on Polygon` inside a Shape, as fragments on interfaces in @requires may be).
            overlap = self.possible(sub, cast) & frozenset(sub.possible_types(p.type))
            if overlap:
                return [Path(p.sub, cast, p.runtime & self.possible(sub, cast), _provided_cast(p.provided, cast),
                             ancestry=p.ancestry)], []
        return [], [Reason(p.sub, f'cannot find type "{cast}"')]

    def unsatisfied_contexts(self, p: Path, step: Step, requirements: tuple[Requirement, ...]) -> str | None:
        """Why the contextual arguments of the field cannot be filled on this path, if they cannot: each needs
        an ancestor setting its context, its selection satisfiable from there, and the field's type a key
        its subgraph resolves on its own (the router comes back to it with the values)."""
        coordinate = f"{step.parent}.{step.field}"
        for requirement in requirements:
            ancestor = next(((parent, head) for parent, head in p.ancestry
                             if any(self.contexts.matches(parent, t) for t in requirement.types)), None)
            if ancestor is None:
                return f'could not find a match for required context for field "{coordinate}"'
            selections = self.contexts.selection(ancestor[0], requirement.selection)
            if selections is None or not self.can_satisfy(ancestor[1], selections, frozenset(), frozenset()):
                return f'cannot satisfy @require conditions on field "{coordinate}"'
        if not self.locally_satisfiable_key(self.subs[p.sub], p.type):
            return (f'@require condition on field "{coordinate}" can be satisfied but missing usable key on "{p.type}"'
                    f' in subgraph "{p.sub}" to resume query')
        return None

    def missing_field_details(self, p: Path, step: Step) -> str:
        sub = self.subs[p.sub]
        coordinate = f"{step.parent}.{step.field}"
        if sub.types.get(step.parent) is None and p.type != step.parent:
            return (f'cannot find implementation type "{step.parent}" (supergraph interface "{p.type}" is declared with'
                    f' @interfaceObject in "{p.sub}")')
        owner = self.overridden.get((p.sub, p.type, step.field or ""))
        if owner is not None:
            return f'field "{coordinate}" is not resolvable because it is overridden by subgraph "{owner}"'
        f = sub.field(p.type, step.field or "")
        if f is not None and sub.is_external(p.type, f.name):
            return f'field "{coordinate}" is not resolvable because marked @external'
        return f'cannot find field "{coordinate}"'

    def external_key_warning(self, sub: Subgraph, type_name: str) -> str:
        """A common mistake behind unsatisfiable @requires: key fields marked @external."""
        names: list[str] = []
        for key in sub.keys.get(type_name, ()):
            for s in key.selections:
                f = sub.field(type_name, s.field or "")
                if f is not None and f.has("external") and f.name not in names:
                    names.append(f.name)
        if not names:
            return ""
        which = "field" if len(names) == 1 else "fields"
        return f" (please ensure that this is not due to key {which} {', '.join(chr(34) + n + chr(34) for n in names)} being accidentally marked @external)"

    def locally_satisfiable_key(self, sub: Subgraph, type_name: str) -> bool:
        for key in sub.keys.get(type_name, ()):
            if not any(s.field and sub.is_external(s.parent, s.field) for top in key.selections for s in top.walk()):
                return True
        return False

    def indirect(
        self, p: Path, excluded: frozenset[str], excluded_conditions: frozenset[str], reasons: list[Reason] | None
    ) -> list[Path]:
        """Positions reachable from `p` by jumping through keys (possibly several), never back to p's subgraph."""
        if p.top:
            return []
        original = p.sub
        best: dict[str, tuple[Path, int]] = {}
        queue: list[tuple[Path, int]] = [(p, 0)]
        while queue:
            queue.sort(key=lambda x: x[1])
            current, size = queue.pop(0)
            for jump in self.jumps(current):
                target = jump.target
                if target in excluded or target == original:
                    continue
                if target in best and best[target][1] <= size + 1:
                    continue
                condition_key = f"{jump.tail_type}:{jump.text}"
                if condition_key in excluded_conditions:
                    continue
                if self.can_satisfy(current, jump.condition, excluded | {target}, excluded_conditions | {condition_key}):
                    target_sub = self.subs[target]
                    new = Path(target, jump.tail_type, self.possible(target_sub, jump.tail_type), None, False, True,
                               current.ancestry)
                    best[target] = (new, size + 1)
                    if target != current.sub:
                        queue.append((new, size + 1))
                elif reasons is not None:
                    reasons.append(Reason(current.sub,
                                          f'cannot move to subgraph "{target}" using @key(fields: "{jump.text}") of'
                                          f' "{jump.tail_type}", the key field(s) cannot be resolved from subgraph'
                                          f' "{current.sub}"'))
        return [b[0] for b in best.values()]

    def can_satisfy(
        self, p: Path, selections: tuple[fs.Selection, ...], excluded: frozenset[str], excluded_conditions: frozenset[str]
    ) -> bool:
        """Can the fields of a key or @requires be fetched starting from position `p`?"""
        if not selections:
            return True
        # A condition is fetched from where it is needed, on a path of its own: no context from above.
        start = Path(p.sub, p.type, p.runtime, p.provided, False, p.via_key)
        cache_key = (start.key(), fs.print_selections(selections), excluded, excluded_conditions)
        cached = self._conditions.get(cache_key)
        if cached is not None:
            return cached
        self._conditions[cache_key] = False  # a condition that needs itself is not satisfiable
        result = self._resolve([start], selections, excluded, excluded_conditions)
        self._conditions[cache_key] = result
        return result

    def _resolve(
        self, options: list[Path], selections: tuple[fs.Selection, ...], excluded: frozenset[str], excluded_conditions: frozenset[str]
    ) -> bool:
        return all(self._resolve_one(options, s, excluded, excluded_conditions) for s in selections)

    def _resolve_one(
        self, options: list[Path], s: fs.Selection, excluded: frozenset[str], excluded_conditions: frozenset[str]
    ) -> bool:
        """Can selection `s` (with everything under it) be fetched from one of `options`?"""
        advanced: list[Path] = []
        for o in options:
            if s.field is not None:
                step = Step(o.type, field=s.field)
            else:
                step = Step(s.parent, cast=s.type_condition)
            direct, _ = self.advance_direct(o, step, _NO_LABELS)
            advanced.extend(direct)
            if direct and (s.field is not None and not s.selections):
                continue
            for ip in self.indirect(o, excluded, excluded_conditions, None):
                d, _ = self.advance_direct(ip, step, _NO_LABELS)
                advanced.extend(d)
        if advanced and (not s.selections or self._resolve(_dedupe(advanced), s.selections, excluded, excluded_conditions)):
            return True
        if s.field is None or s.field == _TYPENAME:
            return False
        # A field of an interface the subgraph cannot serve on the interface itself (an
        # implementation has it @external, say) is still served by casting to every
        # implementation possible there, each taking the field its own way.
        for o in options:
            t = self.subs[o.sub].types.get(o.type)
            if t is None or not t.is_abstract or self.subs[o.sub].is_interface_object(o.type) or not o.runtime:
                continue
            branches = [
                Path(o.sub, r, frozenset((r,)), _provided_cast(o.provided, r), False, o.via_key, o.ancestry)
                for r in sorted(o.runtime)
            ]
            if all(self._resolve_one([b], s, excluded, excluded_conditions) for b in branches):
                return True
        return False

    def advance(self, p: Path, step: Step, labels: Labels, explain: bool = False) -> tuple[list[Path], list[Reason]] | None:
        """All ways to take an API step from position `p`; None when the step cannot happen at runtime there.

        Reasons for dead ends are only worked out (`explain`) once a step turned out unsatisfiable.
        """
        sub = self.subs[p.sub]
        if step.cast is not None:
            sub_type = sub.types.get(p.type)
            parent_is_interface = self.api.types[step.parent].kind == INTERFACE
            if not (parent_is_interface and sub_type is not None and sub_type.kind == OBJECT):
                if not set(self.api.runtime.get(step.cast, ())) & p.runtime:
                    return None
        options, reasons = self.advance_direct(p, step, labels)
        target = self.target_type(step)
        if options and self.api.is_leaf(target):
            return options, []
        jump_reasons: list[Reason] = []
        for ip in self.indirect(p, frozenset(), frozenset(), jump_reasons if explain else None):
            d, r = self.advance_direct(ip, step, labels)
            options.extend(d)
            reasons.extend(r)
        if options or not explain:
            return options, []
        reasons.extend(jump_reasons)
        if step.field is not None:
            reasons.extend(self.unreachable_reasons(p, step, {r.source for r in reasons}))
        return [], reasons

    def unreachable_reasons(self, p: Path, step: Step, seen: set[str]) -> list[Reason]:
        out = []
        coordinate = f"{step.parent}.{step.field}"
        for s in self.sg.subgraphs:
            if s.name == p.sub or s.name in seen:
                continue
            if s.field(step.parent, step.field or "") is None:
                continue
            t = s.types.get(p.type)
            if t is None:
                out.append(Reason(p.sub,
                                  f'cannot move to subgraph "{s.name}", which has field "{coordinate}", because interface'
                                  f' "{p.type}" is not defined in this subgraph (to jump to "{s.name}", it would need to both'
                                  f' define interface "{p.type}" and have a @key on it)'))
                continue
            keys = s.keys.get(p.type, [])
            kind = "type" if p.type == step.parent else "interface"
            if not keys:
                why = f'{kind} "{p.type}" has no @key defined in subgraph "{s.name}"'
            elif all(not k.resolvable for k in keys):
                why = (f'none of the @key defined on {kind} "{p.type}" in subgraph "{s.name}" are resolvable (they are all'
                       ' declared with their "resolvable" argument set to false)')
            else:
                continue
            out.append(Reason(p.sub, f'cannot move to subgraph "{s.name}", which has field "{coordinate}", because {why}'))
        return out

    def target_type(self, step: Step) -> str:
        if step.cast is not None:
            return step.cast
        parent = self.api.types[step.parent]
        return named_type(parent.fields[step.field].type) if step.field in parent.fields else "String"

    # -- the walk over the API -------------------------------------------------------------------

    def steps(self, type_name: str) -> list[Step]:
        t = self.api.types[type_name]
        if t.kind == OBJECT:
            return [Step(type_name, field=f.name) for f in self.api.fields[type_name]]
        if t.kind in (INTERFACE, UNION):
            return [Step(type_name, cast=c) for c in self.api.runtime[type_name]]
        return []

    def validate(self) -> list[CompositionError]:
        errors: list[CompositionError] = []
        stack: list[tuple[str, tuple[Step, ...], list[Path], Labels]] = []
        for kind in ("query", "mutation", "subscription"):
            root = self.sg.roots.get(kind)
            if root is None or root not in self.api.types:
                continue
            options = [
                Path(s.name, s.roots[kind], frozenset((s.roots[kind],)), None, True)
                for s in self.sg.subgraphs
                if kind in s.roots and s.types[s.roots[kind]].fields
            ]
            stack.append((root, (), options, frozenset()))
        visited: dict[str, list[tuple[frozenset[tuple[object, ...]], Labels]]] = {}
        while stack:
            type_name, path, options, labels = stack.pop()
            keys = frozenset(o.key() for o in options)
            previous = visited.setdefault(type_name, [])
            if any(prev <= keys and prev_labels <= labels for prev, prev_labels in previous):
                continue
            previous.append((keys, labels))
            for step in self.steps(type_name):
                label = self.api_labels.get((step.parent, step.field or ""))
                if label is None or any(other == label for other, _ in labels):
                    branches = [labels]
                else:
                    branches = [labels | {(label, True)}, labels | {(label, False)}]
                for branch in branches:
                    result = self.take(step, options, branch)
                    if result is None:
                        continue
                    new_options, reasons = result
                    new_path = path + (step,)
                    if not new_options:
                        errors.append(self.error(new_path, reasons))
                        continue
                    target = self.target_type(step)
                    if step.field is not None:
                        mismatch = self.runtime_mismatch(step, new_options, new_path)
                        if mismatch is not None:
                            errors.append(mismatch)
                            continue
                    if not self.api.is_leaf(target):
                        stack.append((target, new_path, _dedupe(new_options), branch))
        return errors

    def take(self, step: Step, options: list[Path], labels: Labels) -> tuple[list[Path], list[Reason]] | None:
        new_options: list[Path] = []
        for o in options:
            r = self.advance(o, step, labels)
            if r is None:
                return None
            new_options.extend(r[0])
        if new_options:
            return new_options, []
        reasons: list[Reason] = []
        for o in options:
            r = self.advance(o, step, labels, explain=True)
            if r is not None:
                reasons.extend(r[1])
        return [], reasons

    def runtime_mismatch(self, step: Step, options: list[Path], path: tuple[Step, ...]) -> CompositionError | None:
        """A shared field returning an abstract type must agree on some runtime type across subgraphs."""
        target = self.target_type(step)
        api_type = self.api.types.get(target)
        if api_type is None or not api_type.is_abstract or len(options) < 2:
            return None
        joins = self.sg.join_fields.get((step.parent, step.field or ""))
        if joins is None:
            shareable = len(self.sg.join_types.get(step.parent, ())) > 1
        else:
            shareable = sum(1 for j in joins if not j.external and not j.used_overridden) > 1
        if not shareable:
            return None
        all_runtime = sorted(self.api.runtime.get(target, ()))
        per: dict[str, list[str]] = {}
        for o in options:
            t = self.subs[o.sub].types.get(o.type)
            if t is None or not t.is_abstract:
                continue
            names = sorted(o.runtime)
            if len(names) == 1 and names[0] not in all_runtime:
                continue
            per.setdefault(o.sub, names)
        if len(per) < 2 or all(not v for v in per.values()):
            return None
        common = set(all_runtime)
        for v in per.values():
            common &= set(v)
        if common:
            return None
        parent = self.api.types[step.parent]
        field_type = parent.fields[step.field].type if step.field in parent.fields else target
        lines = []
        grouped: dict[str, list[str]] = {}
        for sub_name, names in per.items():
            if names:
                desc = ("types " if len(names) > 1 else "type ") + _join_quoted(names)
            else:
                desc = "no runtime type is defined"
            grouped.setdefault(desc, []).append(sub_name)
        for desc, subs in grouped.items():
            lines.append(f" - in {subgraph_names(subs)}, {desc}")
        message = (
            f"For the following supergraph API query:\n{self.witness(path)}\n"
            f'Shared field "{step.parent}.{step.field}" return type "{field_type}" has a non-intersecting set of possible'
            " runtime types across subgraphs. Runtime types in subgraphs are:\n" + ";\n".join(lines) + ".\n"
            "This is not allowed as shared fields must resolve the same way in all subgraphs, and that implies at least"
            " some common runtime types between the subgraphs."
        )
        return CompositionError(Code.SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES, message, tuple(per), f"{step.parent}.{step.field}")

    # -- error reporting ----------------------------------------------------------------------------

    def witness(self, path: tuple[Step, ...]) -> str:
        """A query reaching the unsatisfiable position, printed like graphql-js prints operations."""
        lines: list[str] = []
        depth = 1
        for step in path:
            pad = "  " * depth
            if step.cast is not None:
                lines.append(f"{pad}... on {step.cast} {{")
            else:
                parent = self.api.types[step.parent]
                f = parent.fields.get(step.field or "")
                args = ""
                if f is not None and f.args:
                    args = "(" + ", ".join(f"{a.name}: {self.witness_value(a.type)}" for a in f.args.values()) + ")"
                leaf = f is None or self.api.is_leaf(named_type(f.type))
                lines.append(f"{pad}{step.field}{args}" + ("" if leaf else " {"))
                if leaf:
                    depth -= 1
                    break
            depth += 1
        else:
            lines.append("  " * depth + "...")
        opened = len([line for line in lines if line.endswith("{")])
        for i in range(opened, 0, -1):
            lines.append("  " * i + "}")
        return "{\n" + "\n".join(lines) + "\n}"

    def witness_value(self, type_ref: str) -> str:
        base = named_type(type_ref)
        if type_ref.rstrip("!").startswith("["):
            return "[]"
        scalars = {"Int": "0", "Float": "3.14", "Boolean": "true", "String": '"A string value"', "ID": '"<any id>"'}
        if base in scalars:
            return scalars[base]
        t = self.sg.types.get(base)
        if t is not None and t.kind == "ENUM" and t.values:
            return next(iter(t.values))
        if t is not None and t.kind == "INPUT_OBJECT":
            fields = [f"{f.name}: {self.witness_value(f.type)}" for f in t.input_fields.values() if f.required]
            return "{" + ", ".join(fields) + "}"
        return '"<some value>"'

    def error(self, path: tuple[Step, ...], reasons: list[Reason]) -> CompositionError:
        by_source: dict[str, list[str]] = {}
        for r in reasons:
            details = by_source.setdefault(r.source, [])
            if r.details not in details:
                details.append(r.details)
        parts = []
        for source, details in by_source.items():
            if len(details) == 1:
                parts.append(f'- from subgraph "{source}": {details[0]}.')
            else:
                parts.append(f'- from subgraph "{source}":' + "".join(f"\n  - {d}." for d in details))
        message = (
            f"The following supergraph API query:\n{self.witness(path)}\n"
            "cannot be satisfied by the subgraphs because:\n" + "\n".join(parts)
        )
        last = path[-1]
        coordinate = f"{last.parent}.{last.field}" if last.field else last.cast
        return CompositionError(Code.SATISFIABILITY_ERROR, message, tuple(by_source), coordinate)


_TYPENAME_SELECTION = (fs.Selection("", _TYPENAME, None, ()),)


# Inside key and @requires conditions no override label is decided, so fields under progressive
# override cannot serve as conditions (as in Apollo's validation).
_NO_LABELS: Labels = frozenset()


def _provided_field(provided: tuple[fs.Selection, ...] | None, fname: str) -> tuple[fs.Selection, ...] | None:
    if not provided:
        return None
    for s in provided:
        if s.field == fname:
            return s.selections
    return None


def _provided_cast(provided: tuple[fs.Selection, ...] | None, type_name: str) -> tuple[fs.Selection, ...] | None:
    if not provided:
        return None
    out: list[fs.Selection] = []
    for s in provided:
        if s.field is None and s.type_condition == type_name:
            out.extend(s.selections)
    return tuple(out) or None


def _dedupe(paths: list[Path]) -> list[Path]:
    seen: set[tuple[tuple[object, ...], frozenset[str], bool, bool]] = set()
    out = []
    for p in paths:
        k = (p.key(), p.runtime, p.via_key, p.top)
        if k not in seen:
            seen.add(k)
            out.append(p)
    return out


def _join_quoted(names: list[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def validate_satisfiability(sg: SupergraphModel) -> list[CompositionError]:
    return Satisfiability(sg).validate()
