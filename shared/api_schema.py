"""The API schema of a Federation 2 supergraph: what clients of the router see, and what
`supergraph check` compares. The composer and the router both derive it here, from any
supergraph SDL (ours or Apollo's), so the two cannot drift apart.

It is the supergraph minus the federation machinery (the definitions and applications of every
spec linked from specs.apollo.dev: `link`, `join`, `inaccessible`, `tag`, `cost` ...), minus
every `@inaccessible` element and whatever refers to a removed type, minus the type-system-only
directive definitions (a directive composed with `@composeDirective` is supergraph metadata).
Applications of `@deprecated`, `@specifiedBy` and `@oneOf` stay.
"""

from __future__ import annotations

from typing import TypeVar

from graphql import (
    ConstDirectiveNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    NamedTypeNode,
    Node,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
)

from .links import read_links

EXECUTABLE_LOCATIONS = frozenset({
    "QUERY", "MUTATION", "SUBSCRIPTION", "FIELD", "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD", "INLINE_FRAGMENT",
    "VARIABLE_DEFINITION",
})
KEPT_APPLICATIONS = frozenset({"deprecated", "specifiedBy", "oneOf"})

_N = TypeVar("_N", bound=Node)


def _named(t: TypeNode) -> str:
    while isinstance(t, (ListTypeNode, NonNullTypeNode)):
        t = t.type
    assert isinstance(t, NamedTypeNode)
    return t.name.value


def api_document(document: DocumentNode) -> DocumentNode:
    """The API schema of a parsed supergraph, as a document to build a schema from."""
    links = read_links(document)

    def hidden(node: object) -> bool:
        return any(d.name.value == links.inaccessible for d in getattr(node, "directives", None) or ())

    def kept(directives: tuple[ConstDirectiveNode, ...] | None) -> tuple[ConstDirectiveNode, ...]:
        return tuple(d for d in directives or () if d.name.value in KEPT_APPLICATIONS)

    removed = {d.name.value for d in document.definitions
               if isinstance(d, TypeDefinitionNode) and (hidden(d) or links.linked(d.name.value))}

    def visible(node: FieldDefinitionNode | InputValueDefinitionNode) -> bool:
        return not hidden(node) and _named(node.type) not in removed

    def copy(node: _N, **changes: object) -> _N:
        return node.__class__(**{**{k: getattr(node, k) for k in node.keys}, **changes})

    out: list[DefinitionNode] = []
    for d in document.definitions:
        if isinstance(d, DirectiveDefinitionNode):
            locations = tuple(loc for loc in d.locations if loc.value in EXECUTABLE_LOCATIONS)
            if not links.linked(d.name.value) and locations:
                out.append(copy(d, locations=locations))
            continue
        if isinstance(d, SchemaDefinitionNode):
            roots = tuple(op for op in d.operation_types if op.type.name.value not in removed)
            out.append(SchemaDefinitionNode(description=d.description, directives=(), operation_types=roots))
            continue
        if not isinstance(d, TypeDefinitionNode) or d.name.value in removed:
            continue
        changes: dict[str, object] = {"directives": kept(d.directives)}
        if isinstance(d, (ObjectTypeDefinitionNode, InterfaceTypeDefinitionNode)):
            changes["interfaces"] = tuple(i for i in d.interfaces or () if i.name.value not in removed)
            changes["fields"] = tuple(
                copy(f, directives=kept(f.directives),
                     arguments=tuple(copy(a, directives=kept(a.directives)) for a in f.arguments or () if visible(a)))
                for f in d.fields or () if visible(f))
        elif isinstance(d, InputObjectTypeDefinitionNode):
            changes["fields"] = tuple(copy(f, directives=kept(f.directives)) for f in d.fields or () if visible(f))
        elif isinstance(d, EnumTypeDefinitionNode):
            changes["values"] = tuple(copy(v, directives=kept(v.directives)) for v in d.values or () if not hidden(v))
        elif isinstance(d, UnionTypeDefinitionNode):
            changes["types"] = tuple(t for t in d.types or () if t.name.value not in removed)
        out.append(copy(d, **changes))
    return DocumentNode(definitions=tuple(out))
