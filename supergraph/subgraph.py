"""One subgraph: parse its SDL, resolve its `@link` imports, validate it as GraphQL.

The result is a `Subgraph`: our schema model with every federation directive
tagged by its canonical name (whatever the subgraph imported it as), root
types renamed to Query/Mutation/Subscription, federation plumbing (`_service`,
`_entities`, `_Any`, ...) removed, and the federation facts the merge needs
(keys, external, shareable and used fields) computed once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from graphql import GraphQLError, GraphQLSyntaxError, build_ast_schema, parse, validate_schema
from graphql.language import (
    ConstDirectiveNode,
    DefinitionNode,
    DirectiveDefinitionNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
)
from graphql.validation.validate import validate_sdl

from . import fieldset as fs
from .context import context_uses
from .definitions import FEDERATION_SCALARS, definition_errors
from .errors import Code, CompositionError, CompositionFailed, SyntaxFailed, subgraph_error
from .link import Link, LinkError, parse_link
from .model import (
    DEFAULT_ROOT_NAMES,
    ENUM,
    INPUT_OBJECT,
    INTERFACE,
    OBJECT,
    ROOT_KINDS,
    SCALAR,
    UNION,
    Applied,
    DirectiveDef,
    EnumValue,
    Field,
    InputValue,
    Schema,
    TypeDef,
    named_type,
)
from .specs import (
    FEDERATION1_DIRECTIVES,
    FEDERATION_DIRECTIVES,
    FEDERATION_IDENTITY,
    FEDERATION_TYPE_NAMES,
    FIELD_SET,
    KNOWN_FEDERATION_MINORS,
    LINK_IDENTITY,
    federation_definitions,
)

_KIND_OF_NODE: dict[type, str] = {
    ObjectTypeDefinitionNode: OBJECT,
    ObjectTypeExtensionNode: OBJECT,
    InterfaceTypeDefinitionNode: INTERFACE,
    InterfaceTypeExtensionNode: INTERFACE,
    UnionTypeDefinitionNode: UNION,
    UnionTypeExtensionNode: UNION,
    EnumTypeDefinitionNode: ENUM,
    EnumTypeExtensionNode: ENUM,
    InputObjectTypeDefinitionNode: INPUT_OBJECT,
    InputObjectTypeExtensionNode: INPUT_OBJECT,
    ScalarTypeDefinitionNode: SCALAR,
    ScalarTypeExtensionNode: SCALAR,
}
_DEFINITION_OF_EXTENSION: dict[type, type] = {
    ObjectTypeExtensionNode: ObjectTypeDefinitionNode,
    InterfaceTypeExtensionNode: InterfaceTypeDefinitionNode,
    UnionTypeExtensionNode: UnionTypeDefinitionNode,
    EnumTypeExtensionNode: EnumTypeDefinitionNode,
    InputObjectTypeExtensionNode: InputObjectTypeDefinitionNode,
    ScalarTypeExtensionNode: ScalarTypeDefinitionNode,
}
_FEDERATION_OPERATION_TYPES = ("_Service", "_Entity", "_Any")
_FEDERATION_OPERATION_FIELDS = ("_service", "_entities")


@dataclass
class Key:
    """One `@key` of a type in a subgraph."""

    fields: str
    resolvable: bool
    declaration: int  # 0: on the type definition, n: on its n-th `extend`
    selections: tuple[fs.Selection, ...] = ()


@dataclass
class Subgraph(Schema):
    """A parsed subgraph, ready to be checked against federation rules and merged."""

    name: str = ""
    url: str = ""
    minor: int = 0  # federation 2 minor version linked (upgraded Federation 1 subgraphs count as 2.4)
    fed1: bool = False
    names: dict[str, str] = field(default_factory=dict)  # canonical federation directive -> name in schema
    links: list[Link] = field(default_factory=list)
    # federation facts, computed by `analyse()`
    keys: dict[str, list[Key]] = field(default_factory=dict)
    external: set[tuple[str, str]] = field(default_factory=set)
    fake_external: set[tuple[str, str]] = field(default_factory=set)
    provided: set[tuple[str, str]] = field(default_factory=set)
    shareable: set[tuple[str, str]] = field(default_factory=set)
    used: set[tuple[str, str]] = field(default_factory=set)
    root_errors: list[CompositionError] = field(default_factory=list)  # reported along with federation rules

    def spec_name(self, name_in_schema: str) -> str | None:
        for canonical, name in self.names.items():
            if name == name_in_schema:
                return canonical
        return None

    def is_external(self, type_name: str, field_name: str) -> bool:
        return (type_name, field_name) in self.external

    def is_fully_external(self, type_name: str, field_name: str) -> bool:
        coord = (type_name, field_name)
        return coord in self.external and coord not in self.provided

    def is_interface_object(self, type_name: str) -> bool:
        t = self.types.get(type_name)
        return t is not None and t.kind == OBJECT and t.has("interfaceObject")

    def resolvable_keys(self, type_name: str) -> list[Key]:
        return [k for k in self.keys.get(type_name, ()) if k.resolvable]

    # -- computed facts ---------------------------------------------------------------

    def analyse(self) -> None:
        """Compute keys and the external/shareable/provided/used field sets (after any upgrade)."""
        self.keys = {}
        self.external, self.fake_external, self.provided, self.shareable, self.used = set(), set(), set(), set(), set()
        for t in self.types.values():
            if t.kind not in (OBJECT, INTERFACE):
                continue
            keys = []
            for d in t.fed("key"):
                text = d.str_arg("fields")
                if text is None:
                    continue
                try:
                    selections = fs.bind(self, t.name, text)
                except fs.FieldSetError:
                    selections = ()
                keys.append(Key(text, d.bool_arg("resolvable", True), d.in_extension, selections))
            if keys:
                self.keys[t.name] = keys
        for t in self.types.values():
            if t.kind not in (OBJECT, INTERFACE):
                continue
            extension_like = t.has("extends")
            type_external = not self.fed1 and t.kind == OBJECT and t.has("external")
            key_targets: set[tuple[str, str]] = set()
            for key in self.keys.get(t.name, ()):
                if key.declaration or extension_like:
                    key_targets |= fs.targets(self, key.selections, with_implementations=False)
            for f in t.fields.values():
                coord = (t.name, f.name)
                if f.has("external") or type_external:
                    if coord in key_targets and f.has("external"):
                        self.fake_external.add(coord)
                    else:
                        self.external.add(coord)
        for t in self.types.values():
            for f in t.fields.values():
                for d in f.fed("provides"):
                    target = self.types.get(named_type(f.type))
                    if target is None or not target.is_composite:
                        continue
                    self.used |= fs.lenient_targets(self, target.name, d.str_arg("fields") or "")
                    try:
                        sel = fs.bind(self, target.name, d.str_arg("fields") or "")
                    except fs.FieldSetError:
                        continue
                    self.provided |= fs.targets(self, sel)
                for d in f.fed("requires"):
                    self.used |= fs.lenient_targets(self, t.name, d.str_arg("fields") or "")
        for location, selection in context_uses(self):
            self.used |= fs.lenient_targets_of(self, location, selection)
        for type_name, keys in self.keys.items():
            for key in keys:
                self.used |= fs.lenient_targets(self, type_name, key.fields)
                self.shareable |= fs.targets(self, key.selections)
        for t in self.types.values():
            if t.kind != OBJECT:
                continue
            shareable_declarations = {d.in_extension for d in t.fed("shareable")} if not self.fed1 else set()
            for f in t.fields.values():
                if (not self.fed1 and f.has("shareable")) or f.in_extension in shareable_declarations:
                    self.shareable.add((t.name, f.name))
        self.shareable |= {c for c in self.provided if c in self.external}
        for itf in self.types.values():
            if itf.kind != INTERFACE:
                continue
            for impl_name in self.possible_types(itf.name):
                impl = self.types[impl_name]
                for fname in itf.fields:
                    if fname in impl.fields:
                        self.used.add((impl_name, fname))


def _description(node: object) -> str | None:
    desc = getattr(node, "description", None)
    return desc.value if desc is not None else None


def _type_ref(node: TypeNode) -> str:
    """`[User!]!` from a type node (print_ast's generic visitor is slow for this hot path)."""
    if isinstance(node, NonNullTypeNode):
        return _type_ref(node.type) + "!"
    if isinstance(node, ListTypeNode):
        return "[" + _type_ref(node.type) + "]"
    assert isinstance(node, NamedTypeNode)
    return node.name.value


class _Builder:
    """Turns a validated document into a `Subgraph`, tagging federation directives."""

    def __init__(self, sub: Subgraph) -> None:
        self.sub = sub
        self.reverse = {v: k for k, v in sub.names.items()}

    def applied(self, nodes: tuple[ConstDirectiveNode, ...] | None, declaration: int) -> list[Applied]:
        out = []
        for d in nodes or ():
            name = d.name.value
            out.append(
                Applied(
                    name=name,
                    args={a.name.value: a.value for a in d.arguments or ()},
                    spec=self.reverse.get(name),
                    in_extension=declaration,
                )
            )
        return out

    def input_value(self, node: InputValueDefinitionNode) -> InputValue:
        return InputValue(
            name=node.name.value,
            type=_type_ref(node.type),
            default=node.default_value,
            description=_description(node),
            directives=self.applied(node.directives, 0),
        )

    def field(self, node: FieldDefinitionNode, declaration: int) -> Field:
        return Field(
            name=node.name.value,
            type=_type_ref(node.type),
            args={a.name.value: self.input_value(a) for a in node.arguments or ()},
            description=_description(node),
            directives=self.applied(node.directives, declaration),
            in_extension=declaration,
        )

    def type_node(self, node: TypeDefinitionNode | TypeExtensionNode, declaration: int) -> None:
        name = node.name.value
        kind = _KIND_OF_NODE[type(node)]
        t = self.sub.types.get(name)
        if t is None:
            t = TypeDef(name=name, kind=kind)
            self.sub.types[name] = t
        if declaration:
            t.has_extension = True
        else:
            t.has_definition = True
            t.description = _description(node) or t.description
        t.directives.extend(self.applied(node.directives, declaration))
        for i in getattr(node, "interfaces", None) or ():
            if i.name.value not in t.interfaces:
                t.interfaces.append(i.name.value)
        if kind in (OBJECT, INTERFACE):
            for f in getattr(node, "fields", None) or ():
                t.fields[f.name.value] = self.field(f, declaration)
        elif kind == INPUT_OBJECT:
            for f in getattr(node, "fields", None) or ():
                t.input_fields[f.name.value] = self.input_value(f)
        elif kind == UNION:
            for m in getattr(node, "types", None) or ():
                if m.name.value not in t.members:
                    t.members.append(m.name.value)
        elif kind == ENUM:
            for v in getattr(node, "values", None) or ():
                t.values[v.name.value] = EnumValue(v.name.value, _description(v), self.applied(v.directives, 0))

    def directive_def(self, node: DirectiveDefinitionNode) -> None:
        self.sub.directive_defs[node.name.value] = DirectiveDef(
            name=node.name.value,
            args={a.name.value: self.input_value(a) for a in node.arguments or ()},
            locations=[loc.value for loc in node.locations],
            repeatable=node.repeatable,
            description=_description(node),
        )


def _schema_nodes(doc: DocumentNode) -> list[SchemaDefinitionNode | SchemaExtensionNode]:
    return [d for d in doc.definitions if isinstance(d, (SchemaDefinitionNode, SchemaExtensionNode))]


def _links(doc: DocumentNode) -> list[tuple[Link | None, ConstDirectiveNode, LinkError | None]]:
    out: list[tuple[Link | None, ConstDirectiveNode, LinkError | None]] = []
    for node in _schema_nodes(doc):
        for d in node.directives or ():
            if d.name.value != "link":
                continue
            try:
                out.append((parse_link(d), d, None))
            except LinkError as e:
                out.append((None, d, e))
    return out


def _root_names(doc: DocumentNode) -> dict[str, str]:
    roots: dict[str, str] = {}
    for node in _schema_nodes(doc):
        for op in node.operation_types or ():
            roots[op.operation.value] = op.type.name.value
    return roots


def _without_federation_plumbing(
    doc: DocumentNode, owned_directives: set[str], owned_types: set[str], query_root: str
) -> tuple[DocumentNode, str | None]:
    """`doc` without what federation owns: its directive and type definitions, `_entities`
    and `_service` (as `_service { sdl }` may serve them).

    A query root that held nothing else is returned by name, as it is empty now (and an
    empty object type is invalid GraphQL): kept when it carries directives, else dropped
    together with its entry in `schema { query: ... }`, so the caller puts it back."""
    kept: list[DefinitionNode] = []
    emptied = False
    for d in doc.definitions:
        if isinstance(d, DirectiveDefinitionNode) and d.name.value in owned_directives:
            continue
        if isinstance(d, (TypeDefinitionNode, TypeExtensionNode)) and d.name.value in owned_types:
            continue
        if isinstance(d, (ObjectTypeDefinitionNode, ObjectTypeExtensionNode)) and d.name.value == query_root and d.fields:
            fields = tuple(f for f in d.fields if f.name.value not in _FEDERATION_OPERATION_FIELDS)
            if len(fields) != len(d.fields):
                emptied = emptied or not fields
                if not fields and not d.directives and not getattr(d, "interfaces", None):
                    continue
                d = d.__class__(**{**{k: getattr(d, k) for k in d.keys}, "fields": fields})
        kept.append(d)
    roots = [d for d in kept if isinstance(d, (ObjectTypeDefinitionNode, ObjectTypeExtensionNode)) and d.name.value == query_root]
    if not emptied or any(d.fields for d in roots):
        return DocumentNode(definitions=tuple(kept)), None
    if roots:
        return DocumentNode(definitions=tuple(kept)), query_root
    definitions: list[DefinitionNode] = []
    for d in kept:
        if isinstance(d, (SchemaDefinitionNode, SchemaExtensionNode)):
            operations = tuple(op for op in d.operation_types or () if op.operation.value != "query")
            d = d.__class__(**{**{k: getattr(d, k) for k in d.keys}, "operation_types": operations})
        definitions.append(d)
    return DocumentNode(definitions=tuple(definitions)), query_root


def _with_internal_scalars(
    definitions: list[DirectiveDefinitionNode], scalars: dict[str, str]
) -> tuple[DirectiveDefinitionNode, ...]:
    """Directive definitions with federation's scalars under the internal names we validate with
    (`FieldSet` or `_FieldSet` become `federation__FieldSet`, ...)."""
    renames = {in_schema: internal for internal, in_schema in scalars.items() if in_schema != internal}

    def renamed(node: TypeNode) -> TypeNode:
        if isinstance(node, ListTypeNode):
            return ListTypeNode(type=renamed(node.type))
        if isinstance(node, NonNullTypeNode):
            inner = renamed(node.type)
            assert isinstance(inner, (NamedTypeNode, ListTypeNode))
            return NonNullTypeNode(type=inner)
        assert isinstance(node, NamedTypeNode)
        return NamedTypeNode(name=NameNode(value=renames.get(node.name.value, node.name.value)))

    out = []
    for d in definitions:
        args = tuple(
            InputValueDefinitionNode(**{**{k: getattr(a, k) for k in a.keys}, "type": renamed(a.type)})
            for a in d.arguments or ()
        )
        out.append(DirectiveDefinitionNode(**{**{k: getattr(d, k) for k in d.keys}, "arguments": args}))
    return tuple(out)


def parse_subgraph(name: str, url: str, sdl: str) -> Subgraph:
    """Parse and validate one subgraph as GraphQL; raise CompositionFailed listing every problem."""
    errors: list[CompositionError] = []
    if name == "_" or not name:
        raise CompositionFailed(
            [CompositionError(Code.INVALID_SUBGRAPH_NAME, f"Invalid name {name!r} for a subgraph: this name is reserved", (name,))]
        )
    try:
        doc = parse(sdl, no_location=True)
    except GraphQLSyntaxError as e:
        raise SyntaxFailed([subgraph_error(Code.INVALID_GRAPHQL, name, e.message)]) from None

    sub = Subgraph(name=name, url=url)
    fed_link: Link | None = None
    imported_from: dict[str, str] = {}
    for link, _node, err in _links(doc):
        if err is not None:
            errors.append(subgraph_error(err.code, name, str(err)))
            continue
        assert link is not None
        for element, alias in link.imports.items():
            previous = imported_from.get(alias)
            if previous is not None and previous != link.identity:
                errors.append(subgraph_error(
                    Code.INVALID_LINK_DIRECTIVE_USAGE, name,
                    f'Cannot import "{element}" from feature "{link.identity}" since it was previously imported from'
                    f' feature "{previous}". Please rename the import to avoid conflicts via "as".'))
            imported_from.setdefault(alias, link.identity)
        if link.identity == FEDERATION_IDENTITY:
            fed_link = link
            minor = link.version[1]
            known = {"@" + d for d, spec in FEDERATION_DIRECTIVES.items() if spec.since <= minor} | set(FEDERATION_TYPE_NAMES)
            for element in link.imports:
                if element not in known:
                    errors.append(subgraph_error(Code.INVALID_LINK_DIRECTIVE_USAGE, name, f'Cannot import unknown element "{element}".'))
        elif link.identity != LINK_IDENTITY:
            sub.links.append(link)
    if errors:
        raise CompositionFailed(errors)

    owned_types = {"link__Import", "link__Purpose", "_FieldSet", *_FEDERATION_OPERATION_TYPES}
    unknown_version = False
    if fed_link is not None:
        major, minor = fed_link.version
        if major != 2 or minor not in KNOWN_FEDERATION_MINORS:
            errors.append(subgraph_error(
                Code.UNKNOWN_FEDERATION_LINK_VERSION, name,
                f"Invalid version v{major}.{minor} for the federation feature in @link directive on schema"))
            fed_link = None  # read on without federation directives, to report what else is wrong
            unknown_version = True
    if fed_link is not None:
        sub.minor = minor
        sub.names = {d: fed_link.directive_name(d) for d, spec in FEDERATION_DIRECTIVES.items() if spec.since <= minor}
        owned_types |= {fed_link.type_name(t) for t in FEDERATION_TYPE_NAMES}
    else:
        sub.fed1 = True
        sub.minor = 4
        user_directives = {d.name.value for d in doc.definitions if isinstance(d, DirectiveDefinitionNode)}
        # Federation 1 knows @inaccessible only when the subgraph declares it.
        sub.names = {d: d for d in FEDERATION1_DIRECTIVES if d != "inaccessible" or d in user_directives}
        if unknown_version:
            sub.names = {}
    owned_directives = set(sub.names.values()) | {"link"}
    if fed_link is not None:
        scalars = {internal: fed_link.type_name(internal.split("__")[1]) for internal in FEDERATION_SCALARS}
    else:
        scalars = {FIELD_SET: "_FieldSet"}
    mismatched = definition_errors(name, doc, sub.names, scalars, sub.minor if not sub.fed1 else 0, sub.fed1)
    errors.extend(mismatched)  # reported with the GraphQL errors below; federation rules are not checked then
    # Compatible definitions of federation directives the SDL carries are what its own
    # directive applications are validated against (they may be stricter than the spec's);
    # an incompatible one is replaced by the spec's.
    invalid = {e.coordinate for e in mismatched}
    own_definitions = _with_internal_scalars(
        [d for d in doc.definitions if isinstance(d, DirectiveDefinitionNode) and d.name.value in set(sub.names.values())
         and f"@{d.name.value}" not in invalid],
        scalars,
    )

    declared_roots = _root_names(doc)
    doc, emptied_query = _without_federation_plumbing(doc, owned_directives, owned_types, declared_roots.get("query", "Query"))

    errors.extend(_graphql_errors(name, doc, sub, emptied_query, own_definitions))
    if errors:
        raise CompositionFailed(errors)

    builder = _Builder(sub)
    declarations: dict[str, int] = {}
    for d in doc.definitions:
        if isinstance(d, TypeDefinitionNode):
            builder.type_node(d, 0)
        elif isinstance(d, TypeExtensionNode):
            n = declarations.get(d.name.value, 0) + 1
            declarations[d.name.value] = n
            builder.type_node(d, n)
        elif isinstance(d, DirectiveDefinitionNode):
            builder.directive_def(d)
        elif isinstance(d, (SchemaDefinitionNode, SchemaExtensionNode)):
            if isinstance(d, SchemaDefinitionNode):
                sub.description = _description(d)
            sub.schema_directives.extend(a for a in builder.applied(d.directives, 0) if a.name != "link")
    if emptied_query is not None and emptied_query not in sub.types:
        # The query root held only `_entities`/`_service`: it stays the (empty) query root.
        sub.types[emptied_query] = TypeDef(emptied_query, OBJECT, has_definition=True)
    _set_roots(sub, declared_roots, sub.root_errors)
    if errors:
        raise CompositionFailed(errors)
    if "query" not in sub.roots and "Query" not in sub.types:
        # Every subgraph serves `_service` (and `_entities`) on its query root, so every
        # subgraph has one even when it declares no query of its own.
        sub.types["Query"] = TypeDef("Query", OBJECT, has_definition=True)
        sub.roots["query"] = "Query"
    return sub


@lru_cache(maxsize=64)
def _federation_document(names: tuple[tuple[str, str], ...], minor: int) -> DocumentNode:
    """Federation definitions for validation; parsed once per set of import names."""
    return parse(federation_definitions(dict(names), minor), no_location=True)


def _graphql_errors(
    name: str, doc: DocumentNode, sub: Subgraph, emptied_root: str | None = None,
    own_definitions: tuple[DirectiveDefinitionNode, ...] = (),
) -> list[CompositionError]:
    """Validate the subgraph as GraphQL with graphql-core, federation definitions added
    (`emptied_root`: a root type whose fields were all federation's, empty on purpose)."""
    defined = {d.name.value for d in doc.definitions if isinstance(d, TypeDefinitionNode)}
    definitions: list[DefinitionNode] = []
    for d in doc.definitions:
        ext = _DEFINITION_OF_EXTENSION.get(type(d))
        if ext is not None and isinstance(d, TypeExtensionNode) and d.name.value not in defined:
            # Federation allows extending a type defined in another subgraph.
            d = ext(**{k: getattr(d, k) for k in d.keys if k in getattr(ext, "keys")})
            defined.add(d.name.value)
        definitions.append(d)
    extra = _federation_document(tuple(sorted(sub.names.items())), sub.minor if not sub.fed1 else 0)
    replaced = {d.name.value for d in own_definitions}
    spec_definitions = tuple(
        d for d in extra.definitions if not (isinstance(d, DirectiveDefinitionNode) and d.name.value in replaced)
    )
    full = DocumentNode(definitions=tuple(definitions) + spec_definitions + own_definitions)
    found = validate_sdl(full)
    if not found:
        try:
            schema = build_ast_schema(full, assume_valid_sdl=True)
        except (GraphQLError, TypeError) as e:
            found = [GraphQLError(str(e))]
        else:
            empty = f"Type {emptied_root} must define one or more fields."
            found = [e for e in validate_schema(schema) if not _newer_than_graphql_js(e.message) and e.message != empty]
    return [subgraph_error(Code.INVALID_GRAPHQL, name, _explain(e.message, sub)) for e in found]


def _newer_than_graphql_js(message: str) -> bool:
    """Rules graphql-core adds beyond graphql-js 16 (what Apollo validates with), or that federation waives."""
    return (
        "Query root type must be provided" in message
        or "is not deprecated, so implementation field" in message
    )


def _explain(message: str, sub: Subgraph) -> str:
    """graphql-core's message, plus what a federation user most likely forgot (as Apollo hints)."""
    m = re.match(r"Unknown directive '@(\w+)'", message)
    if m and m.group(1) in FEDERATION_DIRECTIVES and sub.fed1:
        d = m.group(1)
        return (
            f'Unknown directive "@{d}". If you meant the "@{d}" federation 2 directive, note that this schema is a'
            " federation 1 schema. To be a federation 2 schema, it needs to @link to the federation specification v2."
        )
    if m and m.group(1) in FEDERATION_DIRECTIVES and not sub.fed1:
        d = m.group(1)
        return (
            f'Unknown directive "@{d}". If you meant the "@{d}" federation directive, you should use fully-qualified'
            f' name "@federation__{d}" or add "@{d}" to the `import` argument of the @link to the federation'
            " specification."
        )
    return message


def _set_roots(sub: Subgraph, declared: dict[str, str], errors: list[CompositionError]) -> None:
    """Root types take their default names in the supergraph; a clash is an error, as in Apollo."""
    for kind in ROOT_KINDS:
        type_name = declared.get(kind)
        default = DEFAULT_ROOT_NAMES[kind]
        if type_name is None:
            if default in sub.types and sub.types[default].kind == OBJECT:
                sub.roots[kind] = default
            continue
        if type_name != default:
            if default in sub.types:
                code = {"query": Code.ROOT_QUERY_USED, "mutation": Code.ROOT_MUTATION_USED}.get(kind, Code.ROOT_SUBSCRIPTION_USED)
                errors.append(
                    subgraph_error(
                        code, sub.name,
                        f'The schema has a type named "{default}" but it is not set as the {kind} root type '
                        f'("{type_name}" is instead): this is not supported by federation. If a root type does not '
                        "use its default name, there should be no other type with that default name.",
                    )
                )
                continue
            rename_type(sub, type_name, default)
        if default in sub.types:
            sub.roots[kind] = default


def rename_type(schema: Schema, old: str, new: str) -> None:
    """Rename a type and every reference to it (field and argument types, unions, interfaces)."""

    def ref(r: str) -> str:
        return r.replace(old, new) if named_type(r) == old else r

    t = schema.types.pop(old)
    t.name = new
    schema.types[new] = t
    for other in schema.types.values():
        other.interfaces = [new if i == old else i for i in other.interfaces]
        other.members = [new if m == old else m for m in other.members]
        for f in other.fields.values():
            f.type = ref(f.type)
            for a in f.args.values():
                a.type = ref(a.type)
        for a in other.input_fields.values():
            a.type = ref(a.type)
