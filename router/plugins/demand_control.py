"""Demand control (`demand_control:`): the static cost of an operation, from the supergraph's
@cost and @listSize (the IBM/Apollo cost specification), measured before planning and, in
`enforce` mode, refused above `max_cost` with `COST_ESTIMATED_TOO_EXPENSIVE`.

A depth limit cannot see that `orders(first: 100) { nodes { items { ... } } }` asks for a
thousand objects while a deeper query asks for ten; the cost can. The rules:
- a mutation costs 10 to begin with (queries and subscriptions 0);
- a field of an object, interface or union type weighs 1, a scalar or enum field 0, unless
  `@cost(weight:)` is on the field or on its type (object, scalar, enum);
- an argument given with `@cost` on its definition adds its weight, once per field, as does
  each input-object field given whose definition has `@cost` (in lists: once per element);
- a list field multiplies its weight and everything under it by its size: the largest value
  among its `@listSize(slicingArguments:)` given (or defaulted) in the operation, else its
  `assumedSize`, else `list_size` from the config;
- with `@listSize(sizedFields:)` the size applies to those child fields instead (a connection:
  `orders(first: 10) { nodes }` is 10 nodes);
- fragments are measured once per place they are spread, introspection costs nothing.
The estimate is in the response's `extensions.cost` (`estimated`, `max`, `mode`) when the
request asks with `x-router-expose-cost: true`, and always in a refusal.

The actual cost is measured by the same rules on the response: each list counts as long as it
is, each null object costs nothing below it. It is never enforced (the work is done), but it is
reported beside the estimate (`actual`) and observed in metrics, so that `@listSize` figures
that are far off show as a gap between the two.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal, Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    IntValueNode,
    ListValueNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SelectionSetNode,
    StringValueNode,
    TypeDefinitionNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    parse,
    value_from_ast,
)
from pydantic import Field

from shared.lru import LRU

from ..config import Config, ConfigError
from ..pipeline import Context
from ..settings import Settings, validate
from . import telemetry
from .base import Plugin

SECTION = "demand_control"
SECTION_TELEMETRY = telemetry.SECTION
MODES = ("measure", "enforce")
MUTATION_WEIGHT = 10
COST_NAMES = ("cost", "federation__cost")
LIST_SIZE_NAMES = ("listSize", "cost__listSize", "federation__listSize")
EXPOSE_HEADER = "x-router-expose-cost"  # "true": the estimate in the response's extensions


@dataclass(frozen=True)
class ListSize:
    assumed_size: int | None
    slicing_arguments: tuple[str, ...]
    sized_fields: tuple[str, ...]


@dataclass(frozen=True)
class CostDirectives:
    """What the supergraph says about costs, by coordinate."""

    field_weights: Mapping[tuple[str, str], int]
    type_weights: Mapping[str, int]
    list_sizes: Mapping[tuple[str, str], ListSize]
    argument_weights: Mapping[tuple[str, str, str], int] = dataclass_field(default_factory=dict)  # (type, field, argument)
    input_field_weights: Mapping[tuple[str, str], int] = dataclass_field(default_factory=dict)  # (input type, field)


def _int(value: ValueNode) -> int | None:
    return int(value.value) if isinstance(value, IntValueNode) else None


def _strings(value: ValueNode) -> tuple[str, ...]:
    if isinstance(value, ListValueNode):
        return tuple(v.value for v in value.values if isinstance(v, StringValueNode))
    if isinstance(value, StringValueNode):
        return (value.value,)
    return ()


def read_directives(sdl: str) -> CostDirectives:
    """@cost and @listSize of a supergraph (or any SDL), whatever the schema's validity."""
    document: DocumentNode = parse(sdl, no_location=True)
    field_weights: dict[tuple[str, str], int] = {}
    type_weights: dict[str, int] = {}
    list_sizes: dict[tuple[str, str], ListSize] = {}
    argument_weights: dict[tuple[str, str, str], int] = {}
    input_field_weights: dict[tuple[str, str], int] = {}
    for definition in document.definitions:
        if not isinstance(definition, (TypeDefinitionNode, ObjectTypeExtensionNode, InterfaceTypeExtensionNode)):
            continue
        type_name = definition.name.value
        for directive in definition.directives or ():
            if directive.name.value in COST_NAMES:
                weight = next((_int(a.value) for a in directive.arguments or () if a.name.value == "weight"), None)
                if weight is not None:
                    type_weights[type_name] = weight
        if isinstance(definition, (InputObjectTypeDefinitionNode, InputObjectTypeExtensionNode)):
            for input_field in definition.fields or ():
                weight = _weight(input_field.directives)
                if weight is not None:
                    input_field_weights[(type_name, input_field.name.value)] = weight
            continue
        if not isinstance(definition, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode,
                                       ObjectTypeExtensionNode, InterfaceTypeExtensionNode)):
            continue
        for field in definition.fields or ():
            coordinate = (type_name, field.name.value)
            for argument in field.arguments or ():
                weight = _weight(argument.directives)
                if weight is not None:
                    argument_weights[(type_name, field.name.value, argument.name.value)] = weight
            for directive in field.directives or ():
                arguments = {a.name.value: a.value for a in directive.arguments or ()}
                if directive.name.value in COST_NAMES and "weight" in arguments:
                    weight = _int(arguments["weight"])
                    if weight is not None:
                        field_weights[coordinate] = weight
                elif directive.name.value in LIST_SIZE_NAMES:
                    assumed = arguments.get("assumedSize")
                    list_sizes[coordinate] = ListSize(
                        _int(assumed) if assumed is not None else None,
                        _strings(arguments["slicingArguments"]) if "slicingArguments" in arguments else (),
                        _strings(arguments["sizedFields"]) if "sizedFields" in arguments else (),
                    )
    return CostDirectives(field_weights, type_weights, list_sizes, argument_weights, input_field_weights)


def _weight(directives: Any) -> int | None:
    for directive in directives or ():
        if directive.name.value in COST_NAMES:
            return next((_int(a.value) for a in directive.arguments or () if a.name.value == "weight"), None)
    return None


class _Estimator:
    """Walks an operation's selections; with `data`, the response's actual values instead of
    the estimated list sizes."""

    def __init__(self, schema: GraphQLSchema, directives: CostDirectives, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: Mapping[str, Any], list_size: int) -> None:
        self.schema = schema
        self.directives = directives
        self.fragments = fragments
        self.variables = variables
        self.list_size = list_size
        self.visiting: set[str] = set()

    def fields(self, parent: Any, selection_set: SelectionSetNode, out: list[tuple[Any, FieldNode]]) -> None:
        """The fields of a selection with the type each is asked on, fragments flattened."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                out.append((parent, selection))
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                self.fields(target or parent, selection.selection_set, out)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in self.visiting:
                    continue
                self.visiting.add(name)
                target = self.schema.get_type(fragment.type_condition.name.value)
                self.fields(target or parent, fragment.selection_set, out)
                self.visiting.discard(name)

    def selection_set(self, parent: Any, selection_set: SelectionSetNode, sized: Mapping[str, int]) -> int:
        found: list[tuple[Any, FieldNode]] = []
        self.fields(parent, selection_set, found)
        return sum(self.field(owner, node, sized.get(node.name.value)) for owner, node in found)

    def _definition(self, parent: Any, node: FieldNode) -> Any:
        name = node.name.value
        fields = getattr(parent, "fields", None)
        if name.startswith("__") or not fields or name not in fields:
            return None
        return fields[name]

    def _weight(self, parent: Any, node: FieldNode, named: Any) -> int:
        weight = self.directives.field_weights.get((parent.name, node.name.value))
        if weight is None:
            weight = self.directives.type_weights.get(named.name, 1 if is_composite_type(named) else 0)
        return weight

    def field(self, parent: Any, node: FieldNode, sized_by_parent: int | None) -> int:
        definition = self._definition(parent, node)
        if definition is None:
            return 0
        field_type = get_nullable_type(definition.type)
        named = get_named_type(field_type)
        weight = self._weight(parent, node, named)
        list_size = self.directives.list_sizes.get((parent.name, node.name.value))
        size = self._size(node, definition, list_size) if is_list_type(field_type) else 1
        if sized_by_parent is not None:
            size = sized_by_parent
        below = 0
        if node.selection_set is not None and is_composite_type(named):
            sized: dict[str, int] = {}
            if list_size is not None and list_size.sized_fields:
                slice_size = self._size(node, definition, list_size)
                sized = {child: slice_size for child in list_size.sized_fields}
            below = self.selection_set(named, node.selection_set, sized)
        return size * (weight + below) + self.arguments(parent, node, definition)

    def arguments(self, parent: Any, node: FieldNode, definition: Any) -> int:
        """What the arguments given to one field add: their own @cost, and that of the input
        fields given inside them."""
        total = 0
        for argument in node.arguments or ():
            name = argument.name.value
            spec = definition.args.get(name)
            if spec is None:
                continue
            total += self.directives.argument_weights.get((parent.name, node.name.value, name), 0)
            if self.directives.input_field_weights:
                total += self._input_cost(spec.type, value_from_ast(argument.value, spec.type, dict(self.variables)))
        return total

    def _input_cost(self, input_type: GraphQLInputType, value: Any) -> int:
        if isinstance(input_type, GraphQLNonNull):
            return self._input_cost(input_type.of_type, value)
        if isinstance(input_type, GraphQLList):
            if isinstance(value, list):
                return sum(self._input_cost(input_type.of_type, item) for item in value)
            return self._input_cost(input_type.of_type, value)
        if not isinstance(input_type, GraphQLInputObjectType) or not isinstance(value, dict):
            return 0
        total = 0
        for name, item in value.items():
            spec = input_type.fields.get(name)
            if spec is None:
                continue
            total += self.directives.input_field_weights.get((input_type.name, name), 0)
            total += self._input_cost(spec.type, item)
        return total

    def _size(self, node: FieldNode, definition: Any, list_size: ListSize | None) -> int:
        if list_size is None:
            return self.list_size
        given = {a.name.value: a.value for a in node.arguments or ()}
        sizes = []
        for argument in list_size.slicing_arguments:
            value: Any = None
            if argument in given:
                raw = given[argument]
                value = self.variables.get(raw.name.value) if isinstance(raw, VariableNode) else _int(raw)
            elif argument in definition.args:
                value = definition.args[argument].default_value
            if isinstance(value, int) and not isinstance(value, bool):
                sizes.append(max(0, value))
        if sizes:
            return max(sizes)
        return list_size.assumed_size if list_size.assumed_size is not None else self.list_size

    # The actual cost: the same weights, over the response's values.

    def actual_selection_set(self, parent: Any, selection_set: SelectionSetNode, value: dict[str, Any]) -> int:
        found: list[tuple[Any, FieldNode]] = []
        self.fields(parent, selection_set, found)
        by_key: dict[str, list[tuple[Any, FieldNode]]] = {}
        for owner, node in found:
            by_key.setdefault((node.alias or node.name).value, []).append((owner, node))
        total = 0
        for key, nodes in by_key.items():
            if key in value:
                total += self.actual_field(nodes, value[key])
        return total

    def actual_field(self, nodes: list[tuple[Any, FieldNode]], value: Any) -> int:
        owner, node = nodes[0]
        definition = self._definition(owner, node)
        if definition is None:
            return 0
        named = get_named_type(definition.type)
        weight = self._weight(owner, node, named)
        total = self.arguments(owner, node, definition)
        # the same response key asked several times (fragments): one selection, each field once
        selections = [sel for _, child in nodes if child.selection_set is not None for sel in child.selection_set.selections]
        below = SelectionSetNode(selections=tuple(selections)) if selections else None
        items = _flatten(value)
        for item in items:
            if item is None:
                continue
            total += weight
            if isinstance(item, dict) and is_composite_type(named) and below is not None:
                concrete = self.schema.get_type(item["__typename"]) if isinstance(item.get("__typename"), str) else None
                total += self.actual_selection_set(concrete or named, below, item)
        return total


def _flatten(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return [value]
    out: list[Any] = []
    for item in value:
        out.extend(_flatten(item))
    return out


def estimate(schema: GraphQLSchema, directives: CostDirectives, operation: Any, fragments: Mapping[str, FragmentDefinitionNode],
             variables: Mapping[str, Any], list_size: int = 10) -> int:
    """Static cost of one operation definition (graphql-core AST) against `schema`."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    estimator = _Estimator(schema, directives, fragments, variables, list_size)
    return _base(operation) + estimator.selection_set(root, operation.selection_set, {})


def actual(schema: GraphQLSchema, directives: CostDirectives, operation: Any, fragments: Mapping[str, FragmentDefinitionNode],
           variables: Mapping[str, Any], data: Any) -> int:
    """The cost of what a response holds: every list as long as it is, nulls cost nothing below."""
    root = schema.get_root_type(operation.operation)
    if root is None or not isinstance(data, dict):
        return _base(operation)
    estimator = _Estimator(schema, directives, fragments, variables, 0)
    return _base(operation) + estimator.actual_selection_set(root, operation.selection_set, data)


def _base(operation: Any) -> int:
    return MUTATION_WEIGHT if operation.operation.value == "mutation" else 0


@dataclass(frozen=True)
class DemandControlConfig:
    mode: str = "measure"
    max_cost: int | None = None
    list_size: int = 10


class DemandControlSettings(Settings):
    """`demand_control:` in router.yaml."""

    mode: Literal["measure", "enforce"] = "measure"
    max_cost: int | None = Field(None, ge=1)
    list_size: int = Field(10, ge=0)  # the size assumed for lists without @listSize


def parse_config(raw: Any) -> DemandControlConfig:
    """A raw section (a test, a tool) read as the plugin reads its validated one."""
    return config_of(validate(DemandControlSettings, SECTION, raw))


def config_of(s: DemandControlSettings) -> DemandControlConfig:
    if s.mode == "enforce" and s.max_cost is None:
        raise ConfigError(f"{SECTION}.max_cost: required in enforce mode")
    return DemandControlConfig(s.mode, s.max_cost, s.list_size)


class DemandControl(Plugin[DemandControlSettings]):
    reads_merged_data = True  # the actual cost of a deferred answer is measured over every part
    section = SECTION
    settings = DemandControlSettings

    @classmethod
    def from_config(cls, s: DemandControlSettings, config: Config) -> "DemandControl":
        observed = config.section(SECTION_TELEMETRY, telemetry.TelemetrySettings)
        metrics = observed is not None and telemetry.config_of(observed).metrics
        return cls(config_of(s), metrics)

    def __init__(self, cfg: DemandControlConfig, metrics: bool = False) -> None:
        self.cfg = cfg
        # the actual cost walks the whole response: measured only when someone reads it (the
        # request asks for it, or the metrics observe it)
        self.metrics = metrics
        self._directives: tuple[str, CostDirectives] | None = None  # (supergraph hash, directives)
        self._estimates: LRU[tuple[str, str | None, str], int] = LRU(4096, 64 << 20)

    def directives(self, ctx: Context) -> CostDirectives:
        digest = ctx.state.supergraph_hash
        if self._directives is None or self._directives[0] != digest:  # a reload brings new costs
            self._directives = (digest, read_directives(ctx.state.supergraph.sdl))
            self._estimates.clear()
        return self._directives[1]

    async def on_operation(self, ctx: Context) -> dict[str, Any] | None:
        op = ctx.operation
        if op is None:
            return None
        directives = self.directives(ctx)
        key = (op.document.text, op.name, hashlib.sha256(repr(sorted(op.coerced.items())).encode()).hexdigest())
        cost = self._estimates.get(key)
        if cost is None:
            cost = estimate(ctx.state.supergraph.api_schema, directives, op.definition, op.document.fragments,
                            op.coerced, self.cfg.list_size)
            self._estimates.put(key, cost, len(op.document.text) + 200)  # keyed by the text
        ctx.cost_estimated = cost
        ctx.cost_directives = directives
        limit = self.cfg.max_cost
        if self.cfg.mode == "enforce" and limit is not None and cost > limit:
            ctx.status = 400
            return {"errors": [{
                "message": f"Operation is too expensive: estimated cost {cost} exceeds the limit of {limit}.",
                "extensions": {"code": "COST_ESTIMATED_TOO_EXPENSIVE", "cost": {"estimated": cost, "max": limit}},
            }], "extensions": self._report(cost)}
        return None

    async def on_response(self, ctx: Context) -> None:
        cost = ctx.cost_estimated
        op = ctx.operation
        if cost is None or op is None or ctx.result is None:
            return
        exposed = ctx.request.headers.get(EXPOSE_HEADER) == "true"
        if not (exposed or self.metrics):
            return
        scope = ctx.payload
        if scope is not None and not scope.final:
            return  # a deferred answer is measured once, over its merged data
        data = scope.data if scope is not None else ctx.result.get("data")
        measured = actual(ctx.state.supergraph.api_schema, ctx.cost_directives,
                          op.definition, op.document.fragments, op.coerced, data)
        ctx.cost_actual = measured
        if exposed:
            ctx.result.setdefault("extensions", {})["cost"] = self._report(cost, measured)["cost"]

    def _report(self, cost: int, measured: int | None = None) -> dict[str, Any]:
        report: dict[str, Any] = {"estimated": cost, "max": self.cfg.max_cost, "mode": self.cfg.mode}
        if measured is not None:
            report["actual"] = measured
            report["delta"] = cost - measured
        return {"cost": report}


def build(config: Config) -> DemandControl | None:
    s = config.section(SECTION, DemandControlSettings)
    return DemandControl.from_config(s, config) if s is not None else None
