"""Operation stage: parse, validate against the API schema, pick the operation, coerce
variables and normalise the selection into per-type collected fields.

Parsing and validation are cached by document text; normalisation is cached by
(document, operation name, values of the variables used by @skip/@include), so a
repeated request costs a couple of dictionary look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLCompositeType,
    GraphQLError,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_composite_type,
    is_list_type,
    is_non_null_type,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from shared.lru import LRU

from . import variable_errors

__all__ = [
    "FieldSel",
    "Sel",
    "Document",
    "Operation",
    "OperationError",
    "DocumentCache",
]


class OperationError(Exception):
    """A request error: nothing is executed; `status` is the GraphQL-over-HTTP status."""

    def __init__(self, errors: list[dict[str, Any]], status: int = 400) -> None:
        super().__init__(errors[0]["message"] if errors else "bad request")
        self.errors = errors
        self.status = status


@dataclass(eq=False)
class FieldSel:
    key: str
    name: str
    arguments: tuple[ArgumentNode, ...]
    directives: tuple[DirectiveNode, ...]  # executable directives other than @skip/@include, forwarded to subgraphs
    type: GraphQLOutputType | None  # of the field in the API schema; None for __typename and introspection
    sub: "Sel | None"
    nonnull: bool
    introspection: bool = False
    denied: bool = False  # removed by authorization: answered null, never fetched


@dataclass(eq=False)
class Sel:
    """The selection at one position, collected per possible concrete type."""

    type: str
    abstract: bool
    by_type: dict[str, list[FieldSel]] = field(default_factory=dict)
    # abstract: the response keys selected on the abstract type itself (no type condition, or
    # the abstract type's own), all an object whose concrete type stays unknown can answer
    untyped: frozenset[str] | None = None


@dataclass(eq=False)
class Document:
    text: str
    ast: DocumentNode
    operations: dict[str | None, OperationDefinitionNode]
    fragments: dict[str, FragmentDefinitionNode]
    condition_vars: dict[str | None, tuple[str, ...]]


@dataclass(eq=False)
class Operation:
    document: Document
    definition: OperationDefinitionNode
    name: str | None
    kind: str  # query | mutation | subscription
    root_type: str
    variables: dict[str, Any]  # raw (as sent) variable values, defaults filled in
    coerced: dict[str, Any]
    condition_key: tuple[bool, ...]


def _err(message: str, code: str, **extra: Any) -> dict[str, Any]:
    e: dict[str, Any] = {"message": message, "extensions": {"code": code}}
    e.update(extra)
    return e


DEFAULT_DOCUMENT_CACHE_BYTES = 64 * 1024 * 1024
_BYTES_PER_TOKEN = 200  # an AST node with its location and token, roughly, in CPython


class DocumentCache:
    """Parse + validate once per document text (LRU bounded by entries and by bytes).

    Distinct documents are free for a client to make up (a padded comment is enough), so
    the cache is bounded by an estimate of the memory each entry holds (the text twice,
    its tokens' nodes), not only by their number. `max_tokens` counts every token the
    lexer reads, comments included, and parsing stops as soon as it is exceeded."""

    def __init__(
        self, schema: GraphQLSchema, max_entries: int = 1000, max_bytes: int = DEFAULT_DOCUMENT_CACHE_BYTES
    ) -> None:
        self.schema = schema
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._docs: LRU[str, Document | OperationError] = LRU(max_entries, max_bytes)

    @property
    def bytes(self) -> int:
        return self._docs.weight

    def get(self, text: str, max_tokens: int | None = None) -> Document:
        got = self._docs.get(text)
        if got is None:
            got = self._load(text, max_tokens)
            self._docs.put(text, got, _weight(text, got))
        if isinstance(got, OperationError):
            raise got
        return got

    def _load(self, text: str, max_tokens: int | None = None) -> Document | OperationError:
        try:
            ast = parse(text, max_tokens=max_tokens)
        except GraphQLError as e:
            if max_tokens is not None and "Document contains more than" in e.message:
                return OperationError([_err(f"Operation has more than {max_tokens} tokens.", "MAX_TOKENS_LIMIT")])
            return OperationError([_err(e.message, "GRAPHQL_PARSE_FAILED", **_locations(e))])
        errors = validate(self.schema, ast)
        if errors:
            return OperationError([_err(e.message, "GRAPHQL_VALIDATION_FAILED", **_locations(e)) for e in errors])
        operations: dict[str | None, OperationDefinitionNode] = {}
        fragments: dict[str, FragmentDefinitionNode] = {}
        for d in ast.definitions:
            if isinstance(d, OperationDefinitionNode):
                operations[d.name.value if d.name else None] = d
            elif isinstance(d, FragmentDefinitionNode):
                fragments[d.name.value] = d
        cond = {k: tuple(sorted(_condition_variables(op, fragments))) for k, op in operations.items()}
        _unlink_tokens(ast)
        return Document(text, ast, operations, fragments, cond)


def _weight(text: str, got: Document | OperationError) -> int:
    """Estimated bytes an entry keeps alive: the text, and for a parsed document its tokens
    (each with a value copied out of the text) and the nodes built over them."""
    if isinstance(got, OperationError):
        return 2 * len(text) + 1024
    tokens = 0
    token = got.ast.loc.start_token if got.ast.loc is not None else None
    while token is not None:
        tokens += 1
        token = token.next
    return 2 * len(text) + tokens * _BYTES_PER_TOKEN


def _unlink_tokens(ast: DocumentNode) -> None:
    """Drops each token's link to the one before it. The lexer links tokens both ways, so a
    cached document is a reference cycle per token pair: once evicted it is freed only by a
    full collection, which the router's collector thresholds (`heap.py`) make rare, and a
    cache that churns (many distinct documents) grew the process by its evictions until one
    ran. Nothing reads `prev` after parsing; with `next` alone the document is freed by
    reference counting as soon as the cache and the requests using it let go."""
    token = ast.loc.start_token if ast.loc is not None else None
    while token is not None:
        token.prev = None
        token = token.next


def _locations(e: GraphQLError) -> dict[str, Any]:
    if e.locations:
        return {"locations": [{"line": loc.line, "column": loc.column} for loc in e.locations]}
    return {}


def _condition_variables(op: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]) -> set[str]:
    out: set[str] = set()
    seen: set[str] = set()

    def walk(ss: SelectionSetNode | None) -> None:
        if ss is None:
            return
        for s in ss.selections:
            for d in s.directives or ():
                if d.name.value in ("skip", "include", "defer"):  # whether a fragment is deferred is in the plan
                    for a in d.arguments or ():
                        if isinstance(a.value, VariableNode):
                            out.add(a.value.name.value)
            if isinstance(s, FragmentSpreadNode):
                if s.name.value not in seen and s.name.value in fragments:
                    seen.add(s.name.value)
                    walk(fragments[s.name.value].selection_set)
            elif isinstance(s, (FieldNode, InlineFragmentNode)):
                walk(s.selection_set)

    walk(op.selection_set)
    return out


def prepare_operation(
    schema: GraphQLSchema, doc: Document, operation_name: str | None, variables: dict[str, Any] | None,
    conditions_only: bool = False,
) -> Operation:
    """The operation to run, its variables coerced. `conditions_only` (for `router plan`) checks
    only the variables that `@skip`/`@include` read: the others never change a plan."""
    if operation_name:
        op = doc.operations.get(operation_name)
        if op is None:
            raise OperationError([_err(f"Unknown operation named \"{operation_name}\".", "OPERATION_RESOLUTION_FAILURE")])
    else:
        if len(doc.operations) != 1:
            if not doc.operations:
                raise OperationError([_err("The document contains no operation.", "OPERATION_RESOLUTION_FAILURE")])
            raise OperationError([_err("Must provide operation name if query contains multiple operations.",
                                       "OPERATION_RESOLUTION_FAILURE")])
        op = next(iter(doc.operations.values()))
    kind = op.operation.value
    root = {"query": schema.query_type, "mutation": schema.mutation_type,
            "subscription": schema.subscription_type}[kind]
    if root is None:
        raise OperationError([_err(f"The schema has no {kind} type.", "GRAPHQL_VALIDATION_FAILED")])
    if variables is not None and not isinstance(variables, dict):
        raise OperationError([_err("Variables must be an object.", "BAD_REQUEST")])
    raw = variables or {}
    defs = op.variable_definitions or ()
    if conditions_only:
        cond_names = doc.condition_vars.get(op.name.value if op.name else None, ())
        defs = tuple(vd for vd in defs if vd.variable.name.value in cond_names)
    coerced: dict[str, Any]
    if defs:
        values = get_variable_values(schema, defs, raw)
        if isinstance(values, list):
            raise OperationError([_err(variable_errors.clean(e.message, raw), "BAD_USER_INPUT", **_locations(e))
                                  for e in values])
        coerced = values.coerced
        sent = {}
        for vd in defs:
            n = vd.variable.name.value
            if n in raw:
                sent[n] = raw[n]
    else:
        coerced = {}
        sent = {}
    op_key = op.name.value if op.name else None
    cond = doc.condition_vars.get(op_key, ())
    condition_key = tuple(bool(coerced.get(v)) for v in cond)
    return Operation(doc, op, op_key, kind, root.name, sent, coerced, condition_key)


# ---------------------------------------------------------------------- normalisation


class Normalizer:
    """Turns an operation into `Sel` trees: fragments inlined, @skip/@include applied,
    fields collected per concrete type in response order (the spec's CollectFields)."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def included(self, node: SelectionNode) -> bool:
        for d in node.directives or ():
            name = d.name.value
            if name not in ("skip", "include"):
                continue
            value: Any = True
            for a in d.arguments or ():
                if a.name.value == "if":
                    v = a.value
                    if isinstance(v, BooleanValueNode):
                        value = v.value
                    elif isinstance(v, VariableNode):
                        value = bool(self.variables.get(v.name.value))
            if name == "skip" and value:
                return False
            if name == "include" and not value:
                return False
        return True

    def selection(self, type_: GraphQLCompositeType, sets: list[SelectionSetNode]) -> Sel:
        concrete: list[GraphQLObjectType]
        if isinstance(type_, GraphQLObjectType):
            abstract = False
            concrete = [type_]
        else:
            abstract = True
            concrete = sorted(self.schema.get_possible_types(type_), key=lambda t: t.name)
        sel = Sel(type_.name, abstract)
        for obj in concrete:
            grouped: dict[str, list[FieldNode]] = {}
            for ss in sets:
                self._collect(obj, ss, grouped, set())
            fields: list[FieldSel] = []
            for key, nodes in grouped.items():
                first = nodes[0]
                fname = first.name.value
                if fname == "__typename":
                    fields.append(FieldSel(key, fname, (), (), None, None, True))
                    continue
                if fname in ("__schema", "__type"):
                    fields.append(FieldSel(key, fname, tuple(first.arguments or ()), (), None, None, False, True))
                    continue
                fdef = obj.fields[fname]
                named = get_named_type(fdef.type)
                sub = None
                if is_composite_type(named):
                    sub = self.selection(named, [n.selection_set for n in nodes if n.selection_set])
                directives = tuple(d for d in first.directives or () if d.name.value not in ("skip", "include"))
                fields.append(FieldSel(key, fname, tuple(first.arguments or ()), directives, fdef.type, sub,
                                       is_non_null_type(fdef.type)))
            sel.by_type[obj.name] = fields
        if abstract:
            keys: dict[str, list[FieldNode]] = {}
            for ss in sets:
                self._collect(type_, ss, keys, set(), exact=True)
            sel.untyped = frozenset(keys)
        return sel

    def _collect(self, obj: GraphQLCompositeType, ss: SelectionSetNode, out: dict[str, list[FieldNode]],
                 visited: set[str], exact: bool = False) -> None:
        """The fields that apply to `obj`; with `exact`, only those without a type condition or
        with `obj`'s own (what applies to an object known only as the abstract type `obj`)."""
        for s in ss.selections:
            if not self.included(s):
                continue
            if isinstance(s, FieldNode):
                key = s.alias.value if s.alias else s.name.value
                out.setdefault(key, []).append(s)
            elif isinstance(s, InlineFragmentNode):
                if s.type_condition is None or self._applies(s.type_condition.name.value, obj, exact):
                    self._collect(obj, s.selection_set, out, visited, exact)
            elif isinstance(s, FragmentSpreadNode):
                name = s.name.value
                if name in visited:
                    continue
                visited.add(name)
                frag = self.fragments.get(name)
                if frag is not None and self._applies(frag.type_condition.name.value, obj, exact):
                    self._collect(obj, frag.selection_set, out, visited, exact)

    def _applies(self, cond: str, obj: GraphQLCompositeType, exact: bool = False) -> bool:
        if cond == obj.name:
            return True
        if exact:
            return False
        t = self.schema.get_type(cond)
        return t is not None and is_abstract_type(t) and self.schema.is_sub_type(t, obj)


def normalize(schema: GraphQLSchema, operation: Operation) -> Sel:
    n = Normalizer(schema, operation.document.fragments, operation.coerced)
    root = schema.get_type(operation.root_type)
    assert isinstance(root, GraphQLObjectType)  # prepare_operation took it from the schema's roots
    return n.selection(root, [operation.definition.selection_set])


def list_depth(t: GraphQLOutputType | None) -> int:
    depth = 0
    while True:
        if is_non_null_type(t):
            t = t.of_type
        elif is_list_type(t):
            depth += 1
            t = t.of_type
        else:
            return depth
