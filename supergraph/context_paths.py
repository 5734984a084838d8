"""What the satisfiability walk needs to know about contexts.

A field with contextual arguments can only be taken on a path that went through a type
setting each of its contexts: the nearest such ancestor on the path (a field taken on a
type setting the context, on a type implementing an interface setting it, or on a member
of a union setting it) provides the value, and the context's selection must be
satisfiable from where that ancestor's field was taken. Then the router comes back to the
field's type through a key, so that type needs a key its subgraph resolves on its own.

The contexts a subgraph sets are read from the supergraph (`@context(name:
"<subgraph>__<name>")`), as Apollo reads them back before this check.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql.language import InlineFragmentNode, SelectionSetNode

from . import fieldset as fs
from .context import ContextSelectionError, context_types, contextual_arguments, selection_node
from .context_rules import extracted_context_types
from .merge import SupergraphModel
from .model import OBJECT, UNION


@dataclass(frozen=True)
class Requirement:
    """One contextual argument of a field in one subgraph."""

    argument: str
    types: frozenset[str]  # the types setting its context in that subgraph
    selection: str


class Contexts:
    def __init__(self, sg: SupergraphModel) -> None:
        self.sg = sg
        self.requirements: dict[tuple[str, str, str], tuple[Requirement, ...]] = {}
        for sub in sg.subgraphs:
            if "fromContext" not in sub.names:
                continue
            extracted = extracted_context_types(sg, sub)
            for t in sub.types.values():
                if t.kind != OBJECT:
                    continue
                for f in t.fields.values():
                    requirements = tuple(
                        Requirement(a.name, frozenset(extracted.get(a.context, ())), a.selection)
                        for a in contextual_arguments(f)
                    )
                    if requirements:
                        self.requirements[(sub.name, t.name, f.name)] = requirements
        self.setters = frozenset(t for types in context_types(sg).values() for t in types)
        self._relevant: dict[str, bool] = {}
        self._selections: dict[tuple[str, str], tuple[fs.Selection, ...] | None] = {}

    def matches(self, parent: str, setter: str) -> bool:
        """Does a field of `parent` pass through a value of type `setter` (itself, an interface, a union)?"""
        if parent == setter:
            return True
        t = self.sg.types.get(parent)
        if t is not None and setter in t.interfaces:
            return True
        u = self.sg.types.get(setter)
        return u is not None and u.kind == UNION and parent in u.members

    def relevant(self, parent: str) -> bool:
        """Whether fields taken on `parent` can provide some context (the walk remembers only those)."""
        known = self._relevant.get(parent)
        if known is None:
            known = bool(self.requirements) and any(self.matches(parent, s) for s in self.setters)
            self._relevant[parent] = known
        return known

    def selection(self, parent: str, text: str) -> tuple[fs.Selection, ...] | None:
        """The context selection read on `parent` (supergraph), fragments on object types it can never be
        dropped; None when it does not bind."""
        key = (parent, text)
        if key not in self._selections:
            try:
                node = selection_node(text)
                self._selections[key] = fs.bind_node(self.sg, parent, self._applicable(parent, node),
                                                     check_fragments=False)
            except (ContextSelectionError, fs.FieldSetError):
                self._selections[key] = None
        return self._selections[key]

    def _applicable(self, parent: str, node: SelectionSetNode) -> SelectionSetNode:
        possible = set(self.sg.possible_types(parent))
        kept = []
        for sel in node.selections:
            if isinstance(sel, InlineFragmentNode) and sel.type_condition is not None:
                condition = self.sg.types.get(sel.type_condition.name.value)
                if condition is not None and condition.kind == OBJECT and condition.name not in possible:
                    continue
            kept.append(sel)
        return SelectionSetNode(selections=tuple(kept))
