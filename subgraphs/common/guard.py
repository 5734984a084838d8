"""Depth and cost guard: an operation is measured before it runs and refused when too big.

A subgraph can be reached without the router (its port, a misconfigured network), so it
cannot rely on the router's limits: `order { user { orders(first: 30) { nodes { user {
orders(first: 30) ... } } } } }` is a few hundred bytes and asks for 30^4 orders. The guard
runs before execution, on the parsed document and the request's variables, so a refused
operation costs no database work and the service keeps answering everyone else.

The cost follows the IBM/Apollo demand-control rules in their simplest form: every field of
a composite type costs 1, leaf fields 0; a list multiplies what is under it by its size. The
size of a list is the value of its `first` argument when it has one (its declared default
otherwise); a connection's `edges`/`nodes` are sized by the `first` of the field that
returned the connection; `_entities` is sized by its number of representations; any other
list is assumed to hold ASSUMED_LIST_SIZE items. Fragments are measured once each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
)
from strawberry.extensions import SchemaExtension

DEFAULT_MAX_DEPTH = 20
DEFAULT_MAX_COST = 10_000
ASSUMED_LIST_SIZE = 10
SIZED_BY_PARENT = frozenset({"edges", "nodes"})


@dataclass(frozen=True)
class GuardLimits:
    max_depth: int = DEFAULT_MAX_DEPTH
    max_cost: int = DEFAULT_MAX_COST


@dataclass(frozen=True)
class Measure:
    depth: int
    cost: int


class _Measurer:
    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.memo: dict[tuple[str, int | None], Measure] = {}

    def selection_set(self, parent: Any, selection_set: SelectionSetNode, sized: int | None) -> Measure:
        depth = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                measure = self.field(parent, selection, sized)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                measure = self.selection_set(target or parent, selection.selection_set, sized)
            elif isinstance(selection, FragmentSpreadNode):
                measure = self.spread(selection.name.value, sized)
            else:
                continue
            depth = max(depth, measure.depth)
            cost += measure.cost
        return Measure(depth, cost)

    def spread(self, name: str, sized: int | None) -> Measure:
        key = (name, sized)
        if key in self.memo:
            return self.memo[key]
        fragment = self.fragments.get(name)
        if fragment is None:
            return Measure(0, 0)
        self.memo[key] = Measure(0, 0)  # a cycle (refused by validation anyway) ends here
        target = self.schema.get_type(fragment.type_condition.name.value)
        self.memo[key] = self.selection_set(target, fragment.selection_set, sized)
        return self.memo[key]

    def field(self, parent: Any, node: FieldNode, sized: int | None) -> Measure:
        definition = self._definition(parent, node.name.value)
        if definition is None:  # __typename, introspection: nothing to load
            return Measure(1, 0)
        field_type = get_nullable_type(definition.type)
        first = self._first(node, definition)
        size = 1
        if is_list_type(field_type):
            if first is not None:
                size = first
            elif node.name.value == "_entities":
                size = self._length(node, "representations")
            elif node.name.value in SIZED_BY_PARENT and sized is not None:
                size = sized
            else:
                size = ASSUMED_LIST_SIZE
        named = get_named_type(field_type)
        if not is_composite_type(named) or node.selection_set is None:
            return Measure(1, 0)
        below = self.selection_set(named, node.selection_set, first if not is_list_type(field_type) else None)
        return Measure(1 + below.depth, size * (1 + below.cost))

    def _definition(self, parent: Any, name: str) -> GraphQLField | None:
        fields = getattr(parent, "fields", None)
        if not fields or name.startswith("__"):
            return None
        found: GraphQLField | None = fields.get(name)
        return found

    def _first(self, node: FieldNode, definition: GraphQLField) -> int | None:
        argument = definition.args.get("first")
        if argument is None:
            return None
        for given in node.arguments or ():
            if given.name.value == "first":
                value = self._value(given.value)
                return value if isinstance(value, int) and value >= 0 else ASSUMED_LIST_SIZE
        default = argument.default_value
        return default if isinstance(default, int) else ASSUMED_LIST_SIZE

    def _length(self, node: FieldNode, name: str) -> int:
        for given in node.arguments or ():
            if given.name.value == name:
                if isinstance(given.value, ListValueNode):
                    return len(given.value.values)
                value = self._value(given.value)
                return len(value) if isinstance(value, list) else 1
        return ASSUMED_LIST_SIZE

    def _value(self, value: Any) -> Any:
        if isinstance(value, VariableNode):
            return self.variables.get(value.name.value)
        if isinstance(value, IntValueNode):
            return int(value.value)
        return None


def measure_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None = None,
) -> Measure:
    """Depth (root fields are depth 1) and cost of one operation of a validated document."""
    root: GraphQLObjectType | None = schema.get_root_type(operation.operation)
    return _Measurer(schema, fragments, variables or {}).selection_set(root, operation.selection_set, None)


def refusal(measure: Measure, limits: GuardLimits) -> GraphQLError | None:
    if measure.depth > limits.max_depth:
        return GraphQLError(
            f"Operation is too deep: depth {measure.depth} exceeds the limit of {limits.max_depth}",
            extensions={"code": "MAX_DEPTH_LIMIT"},
        )
    if measure.cost > limits.max_cost:
        return GraphQLError(
            f"Operation is too expensive: estimated cost {measure.cost} exceeds the limit of {limits.max_cost}",
            extensions={"code": "COST_ESTIMATED_TOO_EXPENSIVE", "cost": measure.cost, "maxCost": limits.max_cost},
        )
    return None


class OperationGuard(SchemaExtension):
    """Refuses too deep or too expensive operations before any resolver runs. The limits
    come from the service's settings (`MAX_QUERY_DEPTH`, `MAX_QUERY_COST`)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
            chosen = [
                op for op in operations
                if context.operation_name is None or (op.name is not None and op.name.value == context.operation_name)
            ]
            if len(chosen) == 1:
                measure = measure_operation(context.schema._schema, chosen[0], fragments, context.variables)
                error = refusal(measure, _limits(context.context))
                if error is not None:
                    context.result = ExecutionResult(data=None, errors=[error])
        yield


def _limits(request_context: Any) -> GuardLimits:
    request = getattr(request_context, "request", None)
    settings = getattr(getattr(getattr(request, "app", None), "state", None), "settings", None)
    return GuardLimits(
        max_depth=getattr(settings, "max_query_depth", DEFAULT_MAX_DEPTH),
        max_cost=getattr(settings, "max_query_cost", DEFAULT_MAX_COST),
    )
