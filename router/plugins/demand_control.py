"""Demand control (`demand_control:`): the static cost of an operation, from the supergraph's
@cost and @listSize (the IBM/Apollo cost specification), measured before planning and, in
`enforce` mode, refused above `max_cost` with `COST_ESTIMATED_TOO_EXPENSIVE`.

A depth limit cannot see that `orders(first: 100) { nodes { items { ... } } }` asks for a
thousand objects while a deeper query asks for ten; the cost can. The rules:
- a field of an object, interface or union type weighs 1, a scalar or enum field 0, unless
  `@cost(weight:)` is on the field or on its type; a root mutation field weighs 10;
- a list field multiplies its weight and everything under it by its size: the largest value
  among its `@listSize(slicingArguments:)` given (or defaulted) in the operation, else its
  `assumedSize`, else `list_size` from the config;
- with `@listSize(sizedFields:)` the size applies to those child fields instead (a connection:
  `orders(first: 10) { nodes }` is 10 nodes);
- fragments are measured once per place they are spread, introspection costs nothing.
The estimate is in the response's `extensions.cost` (`estimated`, `max`, `mode`) when the
request asks with `x-router-expose-cost: true`, and always in a refusal.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLSchema,
    InlineFragmentNode,
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
)

from ..config import Config, ConfigError
from ..pipeline import Context
from .options import Section

SECTION = "demand_control"
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
    for definition in document.definitions:
        if not isinstance(definition, (TypeDefinitionNode, ObjectTypeExtensionNode, InterfaceTypeExtensionNode)):
            continue
        type_name = definition.name.value
        for directive in definition.directives or ():
            if directive.name.value in COST_NAMES:
                weight = next((_int(a.value) for a in directive.arguments or () if a.name.value == "weight"), None)
                if weight is not None:
                    type_weights[type_name] = weight
        if not isinstance(definition, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode,
                                       ObjectTypeExtensionNode, InterfaceTypeExtensionNode)):
            continue
        for field in definition.fields or ():
            coordinate = (type_name, field.name.value)
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
    return CostDirectives(field_weights, type_weights, list_sizes)


class _Estimator:
    def __init__(self, schema: GraphQLSchema, directives: CostDirectives, fragments: Mapping[str, FragmentDefinitionNode],
                 variables: Mapping[str, Any], list_size: int) -> None:
        self.schema = schema
        self.directives = directives
        self.fragments = fragments
        self.variables = variables
        self.list_size = list_size
        self.visiting: set[str] = set()

    def selection_set(self, parent: Any, selection_set: SelectionSetNode, sized: Mapping[str, int],
                      root_weight: int | None = None) -> int:
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(parent, selection, sized.get(selection.name.value), root_weight)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(target or parent, selection.selection_set, sized, root_weight)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in self.visiting:
                    continue
                self.visiting.add(name)
                target = self.schema.get_type(fragment.type_condition.name.value)
                total += self.selection_set(target or parent, fragment.selection_set, sized, root_weight)
                self.visiting.discard(name)
        return total

    def field(self, parent: Any, node: FieldNode, sized_by_parent: int | None, root_weight: int | None) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None)
        if name.startswith("__") or not fields or name not in fields:
            return 0
        definition = fields[name]
        field_type = get_nullable_type(definition.type)
        named = get_named_type(field_type)
        coordinate = (parent.name, name)
        weight = self.directives.field_weights.get(coordinate)
        if weight is None:
            weight = self.directives.type_weights.get(named.name, 1 if is_composite_type(named) else 0)
        if root_weight is not None:
            weight = max(weight, root_weight)
        list_size = self.directives.list_sizes.get(coordinate)
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
        return size * (weight + below)

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


def estimate(schema: GraphQLSchema, directives: CostDirectives, operation: Any, fragments: Mapping[str, FragmentDefinitionNode],
             variables: Mapping[str, Any], list_size: int = 10) -> int:
    """Static cost of one operation definition (graphql-core AST) against `schema`."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    kind = operation.operation.value
    estimator = _Estimator(schema, directives, fragments, variables, list_size)
    return estimator.selection_set(root, operation.selection_set, {}, MUTATION_WEIGHT if kind == "mutation" else None)


@dataclass(frozen=True)
class DemandControlConfig:
    mode: str = "measure"
    max_cost: int | None = None
    list_size: int = 10


def parse_config(raw: Any) -> DemandControlConfig:
    sec = Section(SECTION, raw)
    mode = sec.string("mode", "measure", MODES)
    max_cost = sec.integer("max_cost", None, minimum=1)
    list_size = sec.integer("list_size", 10, minimum=0)
    sec.done()
    if mode == "enforce" and max_cost is None:
        raise ConfigError(f"{SECTION}.max_cost: required in enforce mode")
    return DemandControlConfig(mode, max_cost, list_size)


class DemandControl:
    def __init__(self, cfg: DemandControlConfig) -> None:
        self.cfg = cfg
        self._directives: tuple[str, CostDirectives] | None = None  # (supergraph hash, directives)
        self._estimates: dict[tuple[str, str | None, str], int] = {}

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
            if len(self._estimates) >= 4096:
                self._estimates.clear()
            self._estimates[key] = cost
        ctx.cost_estimated = cost  # type: ignore[attr-defined]
        limit = self.cfg.max_cost
        if self.cfg.mode == "enforce" and limit is not None and cost > limit:
            ctx.status = 400
            return {"errors": [{
                "message": f"Operation is too expensive: estimated cost {cost} exceeds the limit of {limit}.",
                "extensions": {"code": "COST_ESTIMATED_TOO_EXPENSIVE", "cost": {"estimated": cost, "max": limit}},
            }], "extensions": self._report(cost)}
        return None

    async def on_response(self, ctx: Context) -> None:
        cost = getattr(ctx, "cost_estimated", None)
        if cost is not None and ctx.result is not None and ctx.request.headers.get(EXPOSE_HEADER) == "true":
            ctx.result.setdefault("extensions", {})["cost"] = self._report(cost)["cost"]

    def _report(self, cost: int) -> dict[str, Any]:
        return {"cost": {"estimated": cost, "max": self.cfg.max_cost, "mode": self.cfg.mode}}


def build(config: Config) -> DemandControl | None:
    if SECTION not in config.plugins:
        return None
    return DemandControl(parse_config(config.plugins[SECTION]))
