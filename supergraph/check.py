"""Schema checks: what changed between two API schemas, and whom it breaks.

Every change gets a level:

* BREAKING: an operation that worked may now fail or get data its client cannot
  handle (a field, argument, enum value or type removed; an output field made
  nullable; an argument or input field made required or retyped).
* DANGEROUS: existing operations still validate, but results may change
  (a default value changed; an enum value, union member or interface
  implementation added, which exhaustive clients may not expect).
* SAFE: additions and documentation (fields, types, optional arguments,
  descriptions, deprecations).

With stored client operations (`--operations`), each change lists the
operations that use what changed, and an operation that no longer validates is
broken whatever the change. A breaking change no operation uses is reported
but does not fail the check. An acknowledgement file lists intentional
breaking changes (`CODE coordinate`, one per line) that must not fail CI.
"""

from __future__ import annotations

import glob
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLFieldMap,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    TypeInfo,
    TypeInfoVisitor,
    build_ast_schema,
    get_named_type,
    is_enum_type,
    is_input_object_type,
    is_interface_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    is_scalar_type,
    is_union_type,
    parse,
    print_ast,
    specified_scalar_types,
    validate,
    visit,
)
from graphql.language import (
    ArgumentNode,
    DocumentNode,
    EnumValueNode,
    FieldNode,
    FragmentDefinitionNode,
    InlineFragmentNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    Visitor,
)
from graphql.utilities import ast_from_value

from .api import api_schema
from .compose import SubgraphInput, compose

BREAKING = "BREAKING"
DANGEROUS = "DANGEROUS"
SAFE = "SAFE"
LEVELS = (BREAKING, DANGEROUS, SAFE)


@dataclass
class Change:
    level: str
    code: str
    coordinate: str
    message: str
    operations: list[str] = field(default_factory=list)
    acknowledged: bool = False


@dataclass
class OperationReport:
    name: str  # "path (OperationName)"
    errors: list[str]  # validation errors against the new schema


@dataclass
class CheckResult:
    changes: list[Change]
    operations_checked: int = 0
    broken_operations: list[OperationReport] = field(default_factory=list)
    operation_based: bool = False

    @property
    def failing(self) -> list[Change]:
        """Breaking changes that fail the check."""
        out = []
        for c in self.changes:
            if c.level != BREAKING or c.acknowledged:
                continue
            if self.operation_based and not c.operations:
                continue
            out.append(c)
        return out

    @property
    def passed(self) -> bool:
        return not self.failing and not self.broken_operations

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "summary": {level: sum(1 for c in self.changes if c.level == level) for level in LEVELS},
            "changes": [asdict(c) for c in self.changes],
            "operations": {
                "checked": self.operations_checked,
                "broken": [asdict(o) for o in self.broken_operations],
            }
            if self.operation_based
            else None,
        }


# --- loading schemas -------------------------------------------------------------------------


def is_supergraph(sdl: str) -> bool:
    return "join__Graph" in sdl or "specs.apollo.dev/join/" in sdl


def is_subgraph(sdl: str) -> bool:
    return "specs.apollo.dev/federation/" in sdl or "@key(" in sdl or "_service" in sdl


def load_api_schema(sdl: str) -> GraphQLSchema:
    """The API schema of a supergraph SDL, of a subgraph SDL (composed alone), or any plain SDL."""
    if is_supergraph(sdl):
        return api_schema(sdl)
    if is_subgraph(sdl):
        result = compose([SubgraphInput("subgraph", "http://subgraph.invalid/graphql", sdl)], satisfiability=False)
        if result.ok and result.supergraph_sdl is not None:
            return api_schema(result.supergraph_sdl)
        raise ValueError("; ".join(str(e) for e in result.errors))
    return build_ast_schema(parse(sdl), assume_valid_sdl=True)


# --- diffing ---------------------------------------------------------------------------------


def _kind(t: GraphQLNamedType) -> str:
    for pred, name in (
        (is_object_type, "object type"),
        (is_interface_type, "interface"),
        (is_union_type, "union"),
        (is_enum_type, "enum"),
        (is_input_object_type, "input object type"),
        (is_scalar_type, "scalar"),
    ):
        if pred(t):
            return name
    return "type"


def _safe_output_change(old: Any, new: Any) -> bool:
    """Can a client that handled `old` handle `new`? (the new type may only be narrower)."""
    if is_list_type(old):
        return (is_list_type(new) and _safe_output_change(old.of_type, new.of_type)) or (
            is_non_null_type(new) and _safe_output_change(old, new.of_type)
        )
    if is_non_null_type(old):
        return is_non_null_type(new) and _safe_output_change(old.of_type, new.of_type)
    if is_non_null_type(new):
        return _safe_output_change(old, new.of_type)
    return not is_list_type(new) and get_named_type(old).name == get_named_type(new).name


def _safe_input_change(old: Any, new: Any) -> bool:
    """Is every value a client could send for `old` still accepted by `new`? (new may only be wider)."""
    if is_list_type(old):
        return is_list_type(new) and _safe_input_change(old.of_type, new.of_type)
    if is_non_null_type(old):
        return (is_non_null_type(new) and _safe_input_change(old.of_type, new.of_type)) or (
            not is_non_null_type(new) and _safe_input_change(old.of_type, new)
        )
    return not is_list_type(new) and not is_non_null_type(new) and get_named_type(old).name == get_named_type(new).name


def _default(arg: GraphQLArgument | GraphQLInputField) -> str | None:
    """The default value as GraphQL literal text, whether it came from SDL or from code."""
    from graphql.pyutils import Undefined

    default = getattr(arg, "default", None)
    if default is not None:
        literal = getattr(default, "literal", None)
        if literal is not None:
            return print_ast(literal)
        value = getattr(default, "value", Undefined)
    else:
        value = arg.default_value
    if value is Undefined:
        return None
    node = ast_from_value(value, arg.type)
    return print_ast(node) if node is not None else None


def _required(arg: GraphQLArgument | GraphQLInputField) -> bool:
    return is_non_null_type(arg.type) and _default(arg) is None


def diff_schemas(old: GraphQLSchema, new: GraphQLSchema) -> list[Change]:
    changes: list[Change] = []

    def add(level: str, code: str, coordinate: str, message: str) -> None:
        changes.append(Change(level, code, coordinate, message))

    for kind in ("query", "mutation", "subscription"):
        o = getattr(old, f"{kind}_type")
        n = getattr(new, f"{kind}_type")
        if o is not None and n is None:
            add(BREAKING, "ROOT_TYPE_REMOVED", kind, f"The {kind} root type was removed.")
        elif o is not None and n is not None and o.name != n.name:
            add(BREAKING, "ROOT_TYPE_CHANGED", kind, f'The {kind} root type changed from "{o.name}" to "{n.name}".')
        elif o is None and n is not None:
            add(SAFE, "ROOT_TYPE_ADDED", kind, f'A {kind} root type "{n.name}" was added.')

    def user_types(schema: GraphQLSchema) -> dict[str, GraphQLNamedType]:
        return {
            n: t for n, t in schema.type_map.items() if not n.startswith("__") and n not in specified_scalar_types
        }

    old_types, new_types = user_types(old), user_types(new)
    for name, o in old_types.items():
        n = new_types.get(name)
        if n is None:
            add(BREAKING, "TYPE_REMOVED", name, f'Type "{name}" was removed.')
            continue
        if type(o) is not type(n):
            add(BREAKING, "TYPE_KIND_CHANGED", name, f'"{name}" changed from {_kind(o)} to {_kind(n)}.')
            continue
        if (o.description or None) != (n.description or None):
            add(SAFE, "DESCRIPTION_CHANGED", name, f'Description of "{name}" changed.')
        # o and n are of one class from here on (the kind check above): both narrowed alike
        if isinstance(o, (GraphQLObjectType, GraphQLInterfaceType)) and isinstance(n, (GraphQLObjectType, GraphQLInterfaceType)):
            _diff_fields(o, n, add)
            old_itfs = {i.name for i in o.interfaces}
            new_itfs = {i.name for i in n.interfaces}
            for i in sorted(old_itfs - new_itfs):
                add(BREAKING, "IMPLEMENTED_INTERFACE_REMOVED", name, f'"{name}" no longer implements interface "{i}".')
            for i in sorted(new_itfs - old_itfs):
                add(DANGEROUS, "IMPLEMENTED_INTERFACE_ADDED", name, f'"{name}" now implements interface "{i}".')
        elif isinstance(o, GraphQLUnionType) and isinstance(n, GraphQLUnionType):
            old_m = {t.name for t in o.types}
            new_m = {t.name for t in n.types}
            for m in sorted(old_m - new_m):
                add(BREAKING, "UNION_MEMBER_REMOVED", f"{name}.{m}", f'"{m}" was removed from union "{name}".')
            for m in sorted(new_m - old_m):
                add(DANGEROUS, "UNION_MEMBER_ADDED", f"{name}.{m}", f'"{m}" was added to union "{name}".')
        elif isinstance(o, GraphQLEnumType) and isinstance(n, GraphQLEnumType):
            for v, ov in o.values.items():
                nv = n.values.get(v)
                if nv is None:
                    add(BREAKING, "ENUM_VALUE_REMOVED", f"{name}.{v}", f'Enum value "{name}.{v}" was removed.')
                    continue
                _diff_deprecation(ov, nv, f"{name}.{v}", "Enum value", add)
            for v in n.values:
                if v not in o.values:
                    add(DANGEROUS, "ENUM_VALUE_ADDED", f"{name}.{v}", f'Enum value "{name}.{v}" was added.')
        elif isinstance(o, GraphQLInputObjectType) and isinstance(n, GraphQLInputObjectType):
            for fname, of in o.fields.items():
                coord = f"{name}.{fname}"
                nf = n.fields.get(fname)
                if nf is None:
                    add(BREAKING, "INPUT_FIELD_REMOVED", coord, f'Input field "{coord}" was removed.')
                    continue
                _diff_input_value(of, nf, coord, "Input field", "INPUT_FIELD", add)
            for fname, nf in n.fields.items():
                if fname not in o.fields:
                    coord = f"{name}.{fname}"
                    if _required(nf):
                        add(BREAKING, "REQUIRED_INPUT_FIELD_ADDED", coord, f'Required input field "{coord}" was added.')
                    else:
                        add(SAFE, "OPTIONAL_INPUT_FIELD_ADDED", coord, f'Optional input field "{coord}" was added.')
    for name, n in new_types.items():
        if name not in old_types:
            add(SAFE, "TYPE_ADDED", name, f'{_kind(n).capitalize()} "{name}" was added.')

    old_dirs = {d.name: d for d in old.directives}
    new_dirs = {d.name: d for d in new.directives}
    for name, od in old_dirs.items():
        nd = new_dirs.get(name)
        if nd is None:
            add(BREAKING, "DIRECTIVE_REMOVED", f"@{name}", f'Directive "@{name}" was removed.')
            continue
        for loc in sorted(set(od.locations) - set(nd.locations), key=str):
            add(BREAKING, "DIRECTIVE_LOCATION_REMOVED", f"@{name}", f'Location {loc.name} was removed from "@{name}".')
        for aname, oa in od.args.items():
            na = nd.args.get(aname)
            if na is None:
                add(BREAKING, "DIRECTIVE_ARG_REMOVED", f"@{name}({aname}:)", f'Argument "{aname}" of "@{name}" was removed.')
            elif not _safe_input_change(oa.type, na.type):
                add(BREAKING, "DIRECTIVE_ARG_TYPE_CHANGED", f"@{name}({aname}:)",
                    f'Argument "{aname}" of "@{name}" changed type from "{oa.type}" to "{na.type}".')
        for aname, na in nd.args.items():
            if aname not in od.args and _required(na):
                add(BREAKING, "REQUIRED_DIRECTIVE_ARG_ADDED", f"@{name}({aname}:)", f'Required argument "{aname}" was added to "@{name}".')
    for name in new_dirs:
        if name not in old_dirs:
            add(SAFE, "DIRECTIVE_ADDED", f"@{name}", f'Directive "@{name}" was added.')
    order = {level: i for i, level in enumerate(LEVELS)}
    changes.sort(key=lambda c: (order[c.level], c.coordinate, c.code))
    return changes


# add(level, code, coordinate, message): records one change
_Add = Callable[[str, str, str, str], None]


def _diff_deprecation(o: object, n: object, coord: str, what: str, add: _Add) -> None:
    old_reason = getattr(o, "deprecation_reason", None)
    new_reason = getattr(n, "deprecation_reason", None)
    if old_reason is None and new_reason is not None:
        add(SAFE, "DEPRECATION_ADDED", coord, f'{what} "{coord}" was deprecated ({new_reason}).')
    elif old_reason is not None and new_reason is None:
        add(SAFE, "DEPRECATION_REMOVED", coord, f'{what} "{coord}" is no longer deprecated.')
    elif old_reason != new_reason:
        add(SAFE, "DEPRECATION_REASON_CHANGED", coord, f'Deprecation reason of "{coord}" changed.')


def _diff_input_value(o: GraphQLArgument | GraphQLInputField, n: GraphQLArgument | GraphQLInputField,
                      coord: str, what: str, prefix: str, add: _Add) -> None:
    if str(o.type) != str(n.type):
        if _safe_input_change(o.type, n.type):
            add(SAFE, f"{prefix}_TYPE_CHANGED", coord, f'{what} "{coord}" changed type from "{o.type}" to "{n.type}".')
        else:
            add(BREAKING, f"{prefix}_TYPE_CHANGED", coord, f'{what} "{coord}" changed type from "{o.type}" to "{n.type}".')
    od, nd = _default(o), _default(n)
    if od != nd:
        add(DANGEROUS, f"{prefix}_DEFAULT_CHANGED", coord,
            f'Default value of {what.lower()} "{coord}" changed from {od or "none"} to {nd or "none"}.')
    if (o.description or None) != (n.description or None):
        add(SAFE, "DESCRIPTION_CHANGED", coord, f'Description of "{coord}" changed.')
    _diff_deprecation(o, n, coord, what, add)


def _diff_fields(o: GraphQLObjectType | GraphQLInterfaceType, n: GraphQLObjectType | GraphQLInterfaceType, add: _Add) -> None:
    for fname, of in o.fields.items():
        coord = f"{o.name}.{fname}"
        nf: GraphQLField | None = n.fields.get(fname)
        if nf is None:
            add(BREAKING, "FIELD_REMOVED", coord, f'Field "{coord}" was removed.')
            continue
        if str(of.type) != str(nf.type):
            if _safe_output_change(of.type, nf.type):
                add(SAFE, "FIELD_TYPE_CHANGED", coord, f'Field "{coord}" changed type from "{of.type}" to "{nf.type}".')
            else:
                add(BREAKING, "FIELD_TYPE_CHANGED", coord, f'Field "{coord}" changed type from "{of.type}" to "{nf.type}".')
        if (of.description or None) != (nf.description or None):
            add(SAFE, "DESCRIPTION_CHANGED", coord, f'Description of "{coord}" changed.')
        _diff_deprecation(of, nf, coord, "Field", add)
        for aname, oa in of.args.items():
            acoord = f"{coord}({aname}:)"
            na = nf.args.get(aname)
            if na is None:
                add(BREAKING, "ARG_REMOVED", acoord, f'Argument "{acoord}" was removed.')
                continue
            _diff_input_value(oa, na, acoord, "Argument", "ARG", add)
        for aname, na in nf.args.items():
            if aname in of.args:
                continue
            acoord = f"{coord}({aname}:)"
            if _required(na):
                add(BREAKING, "REQUIRED_ARG_ADDED", acoord, f'Required argument "{acoord}" was added.')
            else:
                add(SAFE, "OPTIONAL_ARG_ADDED", acoord, f'Optional argument "{acoord}" was added.')
    for fname in n.fields:
        if fname not in o.fields:
            add(SAFE, "FIELD_ADDED", f"{o.name}.{fname}", f'Field "{o.name}.{fname}" was added.')


# --- operations ------------------------------------------------------------------------------


@dataclass
class StoredOperation:
    name: str
    document: DocumentNode


def load_operations(patterns: list[str]) -> list[StoredOperation]:
    """Every operation file matching the globs; a file is one document (operations + fragments).

    A glob matching no file is an error: with no operations, every breaking change would pass
    as "unused", so a mistyped path must not switch the check off silently.
    """
    out = []
    for pattern in patterns:
        paths = sorted(glob.glob(pattern, recursive=True))
        if not paths:
            raise FileNotFoundError(f"no file matches {pattern!r}")
        for path in paths:
            text = Path(path).read_text()
            doc = parse(text)
            ops = [d.name.value for d in doc.definitions if isinstance(d, OperationDefinitionNode) and d.name]
            label = f"{path} ({', '.join(ops)})" if ops else path
            out.append(StoredOperation(label, doc))
    return out


def used_coordinates(schema: GraphQLSchema, document: DocumentNode) -> set[str]:
    """What an operation touches: types, fields, arguments, input fields, enum values."""
    used: set[str] = set()
    info = TypeInfo(schema)

    class Collect(Visitor):
        def enter_field(self, node: FieldNode, *_: object) -> None:
            parent = info.get_parent_type()
            if parent is None:
                return
            used.add(parent.name)
            used.add(f"{parent.name}.{node.name.value}")
            field_def = info.get_field_def()
            if field_def is not None:
                out = get_named_type(field_def.type)
                used.add(out.name)
                if isinstance(out, GraphQLEnumType):
                    used.update(f"{out.name}.{v}" for v in out.values)
                if isinstance(out, GraphQLUnionType):
                    used.update(f"{out.name}.{m.name}" for m in out.types)
            if isinstance(parent, GraphQLInterfaceType):
                for impl in schema.get_possible_types(parent):
                    used.add(f"{impl.name}.{node.name.value}")

        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            parent, field_def = info.get_parent_type(), info.get_field_def()
            if parent is not None and field_def is not None:
                used.add(f"{parent.name}.{_field_name(info)}({node.name.value}:)")
            arg_type = info.get_input_type()
            if arg_type is not None:
                used.add(get_named_type(arg_type).name)

        def enter_object_field(self, node: ObjectFieldNode, *_: object) -> None:
            parent = info.get_parent_input_type()
            if parent is not None:
                used.add(f"{get_named_type(parent).name}.{node.name.value}")

        def enter_enum_value(self, node: EnumValueNode, *_: object) -> None:
            t = info.get_input_type()
            if t is not None:
                used.add(f"{get_named_type(t).name}.{node.value}")

        def enter_inline_fragment(self, node: InlineFragmentNode, *_: object) -> None:
            if node.type_condition is not None:
                used.add(node.type_condition.name.value)

        def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: object) -> None:
            used.add(node.type_condition.name.value)

    visit(document, TypeInfoVisitor(info, Collect()))
    # Variables: their input types and all their fields are in use.
    for d in document.definitions:
        if isinstance(d, OperationDefinitionNode):
            for v in d.variable_definitions or ():
                name = print_ast(v.type).strip("[]!")
                _add_input_closure(schema, name, used)
    # Fields selected on a concrete type are also "selected" through the interfaces it implements.
    for t in list(used):
        if "." in t or "(" in t:
            continue
        named = schema.get_type(t)
        if isinstance(named, GraphQLObjectType):
            for i in named.interfaces:
                used.add(i.name)
    return used


def _field_name(info: TypeInfo) -> str:
    f = info.get_field_def()
    parent = info.get_parent_type()
    if f is None or not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
        return ""
    fields: GraphQLFieldMap = parent.fields  # graphql-core's cached_property reads as Any
    for name, candidate in fields.items():
        if candidate is f:
            return name
    return ""


def _add_input_closure(schema: GraphQLSchema, name: str, used: set[str], seen: set[str] | None = None) -> None:
    seen = seen if seen is not None else set()
    if name in seen:
        return
    seen.add(name)
    t = schema.get_type(name)
    if t is None:
        return
    used.add(name)
    if isinstance(t, GraphQLInputObjectType):
        for fname, f in t.fields.items():
            used.add(f"{name}.{fname}")
            _add_input_closure(schema, get_named_type(f.type).name, used, seen)
    if isinstance(t, GraphQLEnumType):
        used.update(f"{name}.{v}" for v in t.values)


def _change_keys(change: Change) -> set[str]:
    """Coordinates whose use by an operation means the operation is affected by the change."""
    keys = {change.coordinate}
    if change.code == "REQUIRED_ARG_ADDED":
        keys = {change.coordinate.split("(")[0]}
    if change.code == "REQUIRED_INPUT_FIELD_ADDED":
        keys = {change.coordinate.split(".")[0]}
    return keys


def check(
    old: GraphQLSchema,
    new: GraphQLSchema,
    operations: list[StoredOperation] | None = None,
    acknowledged: set[tuple[str, str]] | None = None,
) -> CheckResult:
    changes = diff_schemas(old, new)
    result = CheckResult(changes, operation_based=operations is not None)
    for c in changes:
        if acknowledged and (c.code, c.coordinate) in acknowledged:
            c.acknowledged = True
    if operations is None:
        return result
    result.operations_checked = len(operations)
    for op in operations:
        if validate(old, op.document):
            continue  # not a valid operation of the baseline: nothing it could lose
        errors = validate(new, op.document)
        used = used_coordinates(old, op.document)
        for c in changes:
            if _change_keys(c) & used:
                c.operations.append(op.name)
        if errors:
            result.broken_operations.append(OperationReport(op.name, [e.message for e in errors]))
    if acknowledged:
        acked_ops = {o for c in changes if c.acknowledged for o in c.operations}
        result.broken_operations = [o for o in result.broken_operations if o.name not in acked_ops or _unexplained(o, changes)]
    return result


def _unexplained(op: OperationReport, changes: list[Change]) -> bool:
    """An operation broken by some change that is not acknowledged."""
    return any(op.name in c.operations and c.level == BREAKING and not c.acknowledged for c in changes)


# --- acknowledgement file ----------------------------------------------------------------------


def load_acknowledgements(path: str | Path) -> set[tuple[str, str]]:
    """`CODE coordinate  # why` per line: breaking changes that are intended."""
    out: set[tuple[str, str]] = set()
    p = Path(path)
    if not p.exists():
        return out
    for n, raw in enumerate(p.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"{path}:{n}: expected `CODE coordinate`, got {raw!r}")
        out.add((parts[0], parts[1]))
    return out


# --- report --------------------------------------------------------------------------------------


def format_text(result: CheckResult) -> str:
    lines = []
    if not result.changes:
        lines.append("No changes.")
    for c in result.changes:
        marker = c.level
        if c.level == BREAKING and c.acknowledged:
            marker = "BREAKING (acknowledged)"
        elif c.level == BREAKING and result.operation_based and not c.operations:
            marker = "BREAKING (unused)"
        lines.append(f"{marker:<24} {c.code:<32} {c.coordinate}")
        lines.append(f"{'':<24} {c.message}")
        for op in c.operations:
            lines.append(f"{'':<24} used by {op}")
    for broken in result.broken_operations:
        lines.append(f"BROKEN OPERATION {broken.name}:")
        for e in broken.errors:
            lines.append(f"  - {e}")
    counts = {level: sum(1 for c in result.changes if c.level == level) for level in LEVELS}
    summary = f"{counts[BREAKING]} breaking, {counts[DANGEROUS]} dangerous, {counts[SAFE]} safe"
    if result.operation_based:
        summary += f"; {len(result.broken_operations)} of {result.operations_checked} operations broken"
    lines.append("")
    lines.append(("PASSED: " if result.passed else "FAILED: ") + summary)
    return "\n".join(lines)


def format_json(result: CheckResult) -> str:
    return json.dumps(result.to_json(), indent=2)
