"""The schema model shared by subgraphs and the composed supergraph.

graphql-core's `GraphQLSchema` drops applied directives and loses which
declaration (definition or `extend`) an element came from; federation needs
both, so we keep a small model of our own. Type references stay strings
(`"[User!]!"`): they are compared, printed and hashed far more often than walked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Iterator

from graphql.language import (
    BooleanValueNode,
    ConstValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    print_ast,
)

OBJECT = "OBJECT"
INTERFACE = "INTERFACE"
UNION = "UNION"
ENUM = "ENUM"
INPUT_OBJECT = "INPUT_OBJECT"
SCALAR = "SCALAR"

BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})
ROOT_KINDS = ("query", "mutation", "subscription")
DEFAULT_ROOT_NAMES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}


# --- type references ------------------------------------------------------------------


def named_type(ref: str) -> str:
    return ref.strip("[]!")


def is_non_null(ref: str) -> bool:
    return ref.endswith("!")


def nullable(ref: str) -> str:
    return ref[:-1] if ref.endswith("!") else ref


def is_list(ref: str) -> bool:
    return nullable(ref).startswith("[")


def list_item(ref: str) -> str:
    return nullable(ref)[1:-1]


# --- applied directives and values --------------------------------------------------------


@dataclass
class Applied:
    """One directive application.

    `spec` is the canonical federation name ("key", "tag", ...) when the directive
    comes from the federation spec, whatever name the subgraph imported it under.
    """

    name: str
    args: dict[str, ConstValueNode] = field(default_factory=dict)
    spec: str | None = None
    in_extension: int = 0  # 0: on the definition, n: on the n-th `extend` of the element's type

    def arg(self, name: str) -> ConstValueNode | None:
        return self.args.get(name)

    def str_arg(self, name: str) -> str | None:
        value = self.args.get(name)
        return value.value if isinstance(value, (StringValueNode, EnumValueNode)) else None

    def bool_arg(self, name: str, default: bool) -> bool:
        value = self.args.get(name)
        return value.value if isinstance(value, BooleanValueNode) else default

    def printed(self) -> str:
        if not self.args:
            return f"@{self.name}"
        args = ", ".join(f"{k}: {print_value(v)}" for k, v in self.args.items())
        return f"@{self.name}({args})"


def print_value(value: ConstValueNode) -> str:
    """Print a literal the way Apollo's printer does (strings always JSON-quoted, never block strings)."""
    if isinstance(value, StringValueNode):
        return json.dumps(value.value, ensure_ascii=False)
    if isinstance(value, ListValueNode):
        return "[" + ", ".join(print_value(v) for v in value.values) + "]"
    if isinstance(value, ObjectValueNode):
        return "{" + ", ".join(f"{f.name.value}: {print_value(f.value)}" for f in value.fields) + "}"
    return print_ast(value)


def value_key(value: ConstValueNode | None) -> object:
    """A hashable, comparable form of a literal: enum and string values of the same text agree."""
    if value is None:
        return None
    if isinstance(value, (StringValueNode, EnumValueNode)):
        return value.value
    if isinstance(value, IntValueNode):
        return int(value.value)
    if isinstance(value, FloatValueNode):
        return float(value.value)
    if isinstance(value, BooleanValueNode):
        return bool(value.value)
    if isinstance(value, NullValueNode):
        return ("null",)
    if isinstance(value, ListValueNode):
        return tuple(value_key(v) for v in value.values)
    if isinstance(value, ObjectValueNode):
        return tuple(sorted((f.name.value, value_key(f.value)) for f in value.fields))
    return print_ast(value)


def same_application(a: Applied, b: Applied) -> bool:
    return a.name == b.name and {k: value_key(v) for k, v in a.args.items()} == {
        k: value_key(v) for k, v in b.args.items()
    }


# --- schema elements -------------------------------------------------------------------------


@dataclass
class InputValue:
    """An argument or an input object field."""

    name: str
    type: str
    default: ConstValueNode | None = None
    description: str | None = None
    directives: list[Applied] = field(default_factory=list)

    @property
    def required(self) -> bool:
        return is_non_null(self.type) and self.default is None


@dataclass
class Field:
    name: str
    type: str
    args: dict[str, InputValue] = field(default_factory=dict)
    description: str | None = None
    directives: list[Applied] = field(default_factory=list)
    in_extension: int = 0

    def fed(self, spec: str) -> list[Applied]:
        return [d for d in self.directives if d.spec == spec]

    def has(self, spec: str) -> bool:
        return any(d.spec == spec for d in self.directives)


@dataclass
class EnumValue:
    name: str
    description: str | None = None
    directives: list[Applied] = field(default_factory=list)


@dataclass
class TypeDef:
    name: str
    kind: str
    description: str | None = None
    directives: list[Applied] = field(default_factory=list)
    fields: dict[str, Field] = field(default_factory=dict)
    input_fields: dict[str, InputValue] = field(default_factory=dict)
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    values: dict[str, EnumValue] = field(default_factory=dict)
    has_definition: bool = False
    has_extension: bool = False

    def fed(self, spec: str) -> list[Applied]:
        return [d for d in self.directives if d.spec == spec]

    def has(self, spec: str) -> bool:
        return any(d.spec == spec for d in self.directives)

    @property
    def is_composite(self) -> bool:
        return self.kind in (OBJECT, INTERFACE, UNION)

    @property
    def is_abstract(self) -> bool:
        return self.kind in (INTERFACE, UNION)


@dataclass
class DirectiveDef:
    """A directive definition written in a subgraph (custom or executable directives)."""

    name: str
    args: dict[str, InputValue]
    locations: list[str]
    repeatable: bool = False
    description: str | None = None


@dataclass
class Schema:
    """Types, directive definitions and root operation types of one schema."""

    types: dict[str, TypeDef] = field(default_factory=dict)
    directive_defs: dict[str, DirectiveDef] = field(default_factory=dict)
    roots: dict[str, str] = field(default_factory=dict)
    description: str | None = None
    schema_directives: list[Applied] = field(default_factory=list)

    def type(self, name: str) -> TypeDef | None:
        return self.types.get(name)

    def field(self, type_name: str, field_name: str) -> Field | None:
        t = self.types.get(type_name)
        return t.fields.get(field_name) if t is not None else None

    def possible_types(self, name: str) -> list[str]:
        """Object types a value of type `name` can have at runtime."""
        t = self.types.get(name)
        if t is None:
            return []
        if t.kind == OBJECT:
            return [name]
        if t.kind == UNION:
            return [m for m in t.members if m in self.types]
        if t.kind == INTERFACE:
            return [o.name for o in self.types.values() if o.kind == OBJECT and name in o.interfaces]
        return []

    def implementations(self, name: str) -> Iterator[TypeDef]:
        for t in self.types.values():
            if t.kind in (OBJECT, INTERFACE) and name in t.interfaces:
                yield t

    def is_root(self, type_name: str) -> bool:
        return type_name in self.roots.values()
