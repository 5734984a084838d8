"""Federation rules one subgraph must follow on its own, before any merging.

These are the checks Apollo runs per subgraph: field sets of `@key`,
`@requires` and `@provides` must select existing fields (external ones where
that matters), `@external` fields must be used, keys on interfaces must be on
every implementation, and so on. Each error carries Apollo's code.
"""

from __future__ import annotations

from collections.abc import Callable

from graphql.language import IntValueNode, StringValueNode

from . import fieldset as fs
from .context_rules import validate_contexts
from .errors import Code, CompositionError, subgraph_error
from .model import INTERFACE, OBJECT, Applied, Field, TypeDef, is_list, named_type, print_value
from .specs import ACCESS_CONTROL_DIRECTIVES
from .subgraph import Subgraph


def _directive_str(d: Applied, spec: str) -> str:
    value = d.arg("fields")
    return f"@{spec}(fields: {print_value(value)})" if value is not None else f"@{spec}"


def _check_fieldset(
    sub: Subgraph,
    errors: list[CompositionError],
    spec: str,
    d: Applied,
    parent: str,
    where: str,
    coordinate: str,
) -> tuple[fs.Selection, ...] | None:
    """Bind and check one field set; returns the selections when usable."""
    prefix = f"On {where}, for {_directive_str(d, spec)}: "
    code_prefix = spec.upper()
    value = d.arg("fields")
    if not isinstance(value, StringValueNode):
        errors.append(
            subgraph_error(getattr(Code, f"{code_prefix}_INVALID_FIELDS_TYPE"), sub.name,
                           f'{prefix}Invalid value for argument "fields": must be a string.', coordinate)
        )
        return None
    try:
        selections = fs.bind(sub, parent, value.value, _key_field_check(sub) if spec == "key" else None)
    except fs.FieldSetError as e:
        if e.code_suffix != "INVALID_FIELDS":
            errors.append(subgraph_error(getattr(Code, f"{code_prefix}_{e.code_suffix}"), sub.name, prefix + str(e), coordinate))
            return None
        message = str(e)
        if message.startswith("Cannot query field") and spec != "key":
            message = message[:-1] + (
                " (if the field is defined in another subgraph, you need to add it to this subgraph with @external)."
            )
        elif message.startswith("Cannot query field"):
            message = message[:-1] + (
                " (the field should either be added to this subgraph or, if it should not be resolved by this"
                " subgraph, you need to add it to this subgraph with @external)."
            )
        errors.append(subgraph_error(getattr(Code, f"{code_prefix}_INVALID_FIELDS"), sub.name, prefix + message, coordinate))
        return None
    alias = fs.first_alias(value.value)
    if alias is not None:
        errors.append(subgraph_error(
            getattr(Code, f"{code_prefix}_INVALID_FIELDS"), sub.name,
            f'{prefix}Cannot use alias "{alias[0]}" in "{alias[1]}": aliases are not currently supported in @{spec}',
            coordinate))
        return None
    _check_selections(sub, errors, spec, prefix, coordinate, selections, has_external_parent=False)
    return selections


def _key_field_check(sub: Subgraph) -> Callable[[str, Field], None]:
    """Key fields may not be of interface or union type (checked as each field is resolved, like Apollo)."""

    def check(parent: str, field: Field) -> None:
        base = sub.type(named_type(field.type))
        if base is not None and base.kind in ("UNION", "INTERFACE"):
            kind = "Union" if base.kind == "UNION" else "Interface"
            raise fs.FieldSetError(f'field "{parent}.{field.name}" is a {kind} type which is not allowed in @key',
                                   "FIELDS_SELECT_INVALID_TYPE")

    return check


def _check_selections(
    sub: Subgraph,
    errors: list[CompositionError],
    spec: str,
    prefix: str,
    coordinate: str,
    selections: tuple[fs.Selection, ...],
    has_external_parent: bool,
) -> None:
    code_prefix = spec.upper()
    for s in selections:
        if s.has_directives:
            errors.append(
                subgraph_error(getattr(Code, f"{code_prefix}_HAS_DIRECTIVE_IN_FIELDS_ARGS"), sub.name,
                               f"{prefix}cannot have directive applications in the @{spec}(fields:) argument.", coordinate)
            )
        if s.field is None:
            _check_selections(sub, errors, spec, prefix, coordinate, s.selections, has_external_parent)
            continue
        if s.field == "__typename":
            continue
        field = sub.field(s.parent, s.field)
        assert field is not None
        external = sub.is_external(s.parent, s.field)
        if spec != "requires" and field.args:
            errors.append(
                subgraph_error(getattr(Code, f"{code_prefix}_FIELDS_HAS_ARGS"), sub.name,
                               f"{prefix}field {s.parent}.{s.field} cannot be included because it has arguments"
                               f" (fields with argument are not allowed in @{spec})", coordinate)
            )
        if spec != "key" and not s.selections and not has_external_parent and not external:
            code = getattr(Code, f"{code_prefix}_FIELDS_MISSING_EXTERNAL")
            if (s.parent, s.field) in sub.fake_external:
                why = (
                    f'field "{s.parent}.{s.field}" should not be part of a @{spec} since it is already "effectively" provided'
                    " by this subgraph (while it is marked @external, it is a @key field of an extension type, which are"
                    " not internally considered external for historical/backward compatibility reasons)"
                )
            else:
                why = (
                    f'field "{s.parent}.{s.field}" should not be part of a @{spec} since it is already provided by this'
                    " subgraph (it is not marked @external)"
                )
            errors.append(subgraph_error(code, sub.name, prefix + why, coordinate))
        if s.selections:
            parent_external = has_external_parent or external
            parent_type = sub.type(s.parent)
            if not parent_external and parent_type is not None and parent_type.kind == INTERFACE:
                parent_external = any(sub.is_external(impl, s.field) for impl in sub.possible_types(s.parent))
            _check_selections(sub, errors, spec, prefix, coordinate, s.selections, parent_external)


class _Fatal(Exception):
    """Apollo aborts a subgraph's validation on these: only this error is reported."""

    def __init__(self, error: CompositionError) -> None:
        self.error = error


def validate_subgraph(sub: Subgraph) -> list[CompositionError]:
    """Every federation rule violation of one (Federation 2 or upgraded) subgraph, in Apollo's order."""
    errors: list[CompositionError] = _unsupported(sub)
    if errors:
        return errors
    composite = [t for t in sub.types.values() if t.kind in (OBJECT, INTERFACE)]
    try:
        for t in composite:
            _check_keys(sub, t, errors)
        for t in composite:
            for f in t.fields.values():
                _check_requires(sub, t, f, errors)
        for t in composite:
            for f in t.fields.values():
                _check_provides(sub, t, f, errors)
    except _Fatal as fatal:
        return [fatal.error]
    errors.extend(validate_contexts(sub))
    for t in composite:
        for f in t.fields.values():
            _check_external(sub, t, f, errors)
    for t in composite:
        if t.kind == INTERFACE and t.fed("key"):
            _check_interface_keys(sub, t, errors)
    for t in composite:
        if t.kind == OBJECT and t.has("interfaceObject") and not t.fed("key"):
            errors.append(
                subgraph_error(Code.INTERFACE_OBJECT_USAGE_ERROR, sub.name,
                               f'The @interfaceObject directive can only be applied to entity types but type "{t.name}" has no'
                               " @key in this subgraph.", t.name)
            )
    for t in composite:
        _check_shareable(sub, t, errors)
    _check_demand_control(sub, errors)
    _check_auth_on_interfaces(sub, errors)
    return errors


def _check_demand_control(sub: Subgraph, errors: list[CompositionError]) -> None:
    """@cost and @listSize must describe something a router can actually count."""
    for t in sub.types.values():
        if t.kind not in (OBJECT, INTERFACE):
            continue
        for f in t.fields.values():
            coord = f"{t.name}.{f.name}"
            if t.kind == INTERFACE and f.has("cost"):
                errors.append(subgraph_error(Code.COST_APPLIED_TO_INTERFACE_FIELD, sub.name,
                                             f'@cost cannot be applied to interface "{coord}"', coord))
            for d in f.fed("listSize"):
                sized = [getattr(v, "value", "") for v in getattr(d.arg("sizedFields"), "values", ())]
                if not sized and not is_list(f.type):
                    errors.append(subgraph_error(Code.LIST_SIZE_APPLIED_TO_NON_LIST, sub.name, f'"{coord}" is not a list', coord))
                size = d.arg("assumedSize")
                if isinstance(size, IntValueNode) and int(size.value) < 0:
                    errors.append(subgraph_error(Code.LIST_SIZE_INVALID_ASSUMED_SIZE, sub.name,
                                                 f'Assumed size of "{coord}" cannot be negative', coord))
                for arg_name in (getattr(v, "value", "") for v in getattr(d.arg("slicingArguments"), "values", ())):
                    arg = f.args.get(arg_name)
                    if arg is None:
                        errors.append(subgraph_error(Code.LIST_SIZE_INVALID_SLICING_ARGUMENT, sub.name,
                                                     f'Slicing argument "{arg_name}" is not an argument of "{coord}"', coord))
                    elif arg.type not in ("Int", "Int!"):
                        errors.append(subgraph_error(Code.LIST_SIZE_INVALID_SLICING_ARGUMENT, sub.name,
                                                     f'Slicing argument "{coord}({arg_name}:)" must be Int or Int!', coord))
                if sized:
                    base = sub.type(named_type(f.type))
                    if base is None or not base.is_composite:
                        errors.append(subgraph_error(Code.LIST_SIZE_INVALID_SIZED_FIELD, sub.name,
                                                     f'Sized fields cannot be used because "{f.type}" is not a composite type', coord))
                        continue
                    for sized_name in sized:
                        sized_field = base.fields.get(sized_name)
                        if sized_field is None:
                            errors.append(subgraph_error(Code.LIST_SIZE_INVALID_SIZED_FIELD, sub.name,
                                                         f'Sized field "{sized_name}" is not a field on type "{base.name}"', coord))
                        elif not is_list(sized_field.type):
                            errors.append(subgraph_error(Code.LIST_SIZE_APPLIED_TO_NON_LIST, sub.name,
                                                         f'Sized field "{base.name}.{sized_name}" is not a list', coord))


def _check_auth_on_interfaces(sub: Subgraph, errors: list[CompositionError]) -> None:
    """Authorization requirements belong on the implementations, where they are enforced."""
    for spec in ACCESS_CONTROL_DIRECTIVES:
        name = sub.names.get(spec, spec)
        for t in sub.types.values():
            targets: list[tuple[str, str, list[Applied]]] = []
            if t.kind == INTERFACE or sub.is_interface_object(t.name):
                targets.append(("interface" if t.kind == INTERFACE else "interface object", t.name, t.directives))
            if t.kind == INTERFACE:
                targets.extend(("field", f"{t.name}.{f.name}", f.directives) for f in t.fields.values())
            for kind, coordinate, directives in targets:
                for d in directives:
                    if d.spec == spec:
                        errors.append(subgraph_error(
                            Code.AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE, sub.name,
                            f'Invalid use of @{name} on {kind} "{coordinate}": @{name} cannot be applied on interfaces,'
                            " interface fields and interface objects", coordinate))


UNSUPPORTED = ("cacheTag",)


def _unsupported(sub: Subgraph) -> list[CompositionError]:
    """Federation features we do not compose (yet): refuse them rather than compose them wrong."""
    used: list[str] = []
    for t in sub.types.values():
        elements: list[list[Applied]] = [t.directives]
        for f in t.fields.values():
            elements.append(f.directives)
            elements.extend(a.directives for a in f.args.values())
        for directives in elements:
            used.extend(d.spec for d in directives if d.spec in UNSUPPORTED and d.spec not in used)
    return [
        subgraph_error(Code.UNSUPPORTED_FEATURE, sub.name,
                       f"@{sub.names.get(spec, spec)} is not supported by this composer (yet); remove it or compose with rover")
        for spec in used
    ]


def _check_keys(sub: Subgraph, t: TypeDef, errors: list[CompositionError]) -> None:
    keys = t.fed("key")
    for d in keys:
        if t.kind == INTERFACE and sub.minor < 3:
            errors.append(
                subgraph_error(Code.KEY_UNSUPPORTED_ON_INTERFACE, sub.name,
                               f'Cannot use @key on interface "{t.name}": @key is not yet supported on interfaces', t.name)
            )
        _check_fieldset(sub, errors, "key", d, t.name, f'type "{t.name}"', t.name)


def _check_shareable(sub: Subgraph, t: TypeDef, errors: list[CompositionError]) -> None:
    if t.kind == OBJECT:
        by_declaration: dict[int, int] = {}
        for d in t.fed("shareable"):
            by_declaration[d.in_extension] = by_declaration.get(d.in_extension, 0) + 1
        if any(n > 1 for n in by_declaration.values()):
            errors.append(
                subgraph_error(Code.INVALID_SHAREABLE_USAGE, sub.name,
                               f'Invalid duplicate application of @shareable on the same type declaration of "{t.name}": '
                               "@shareable is only repeatable on types so it can be used simultaneously on a type definition"
                               " and its extensions, but it should not be duplicated on the same definition/extension"
                               " declaration", t.name)
            )
    for f in t.fields.values():
        coord = f"{t.name}.{f.name}"
        if t.kind == INTERFACE and f.has("shareable"):
            errors.append(
                subgraph_error(Code.INVALID_SHAREABLE_USAGE, sub.name,
                               f'Invalid use of @shareable on field "{coord}": only object type fields can be marked with'
                               " @shareable", coord)
            )
        elif sum(1 for d in f.directives if d.spec == "shareable") > 1:
            errors.append(
                subgraph_error(Code.INVALID_SHAREABLE_USAGE, sub.name,
                               f'Invalid duplicate application of @shareable on field "{coord}": @shareable is only repeatable'
                               " on types so it can be used simultaneously on a type definition and its extensions, but it"
                               " should not be duplicated on the same definition/extension declaration", coord)
            )


def _check_interface_keys(sub: Subgraph, itf: TypeDef, errors: list[CompositionError]) -> None:
    for key in itf.fed("key"):
        text = key.str_arg("fields")
        try:
            wanted = fs.print_selections(fs.bind(sub, itf.name, text or ""))
        except fs.FieldSetError:
            continue
        resolvable = key.bool_arg("resolvable", True)
        missing, unresolvable = [], []
        for impl in sub.possible_types(itf.name):
            match = None
            for other in sub.types[impl].fed("key"):
                try:
                    if fs.print_selections(fs.bind(sub, impl, other.str_arg("fields") or "")) == wanted:
                        match = other
                        break
                except fs.FieldSetError:
                    continue
            if match is None:
                missing.append(impl)
            elif resolvable and not match.bool_arg("resolvable", True):
                unresolvable.append(impl)
        label = f'@key(fields: "{text}")'
        if missing:
            names = " and ".join(f'"{m}"' for m in missing) if len(missing) <= 2 else ", ".join(f'"{m}"' for m in missing)
            errors.append(
                subgraph_error(Code.INTERFACE_KEY_NOT_ON_IMPLEMENTATION, sub.name,
                               f'Key {label} on interface type "{itf.name}" is missing on implementation type'
                               f'{"s" if len(missing) > 1 else ""} {names}.', itf.name)
            )
        elif unresolvable:
            errors.append(
                subgraph_error(Code.INTERFACE_KEY_NOT_ON_IMPLEMENTATION, sub.name,
                               f'Key {label} on interface type "{itf.name}" should be resolvable on all implementation'
                               ' types, but is declared with argument "@key(resolvable:)" set to false in type'
                               f'{"s" if len(unresolvable) > 1 else ""} {", ".join(chr(34) + u + chr(34) for u in unresolvable)}.',
                               itf.name)
            )


def _check_requires(sub: Subgraph, t: TypeDef, f: Field, errors: list[CompositionError]) -> None:
    coord = f"{t.name}.{f.name}"
    for d in f.fed("requires"):
        if t.kind == INTERFACE:
            errors.append(
                subgraph_error(Code.REQUIRES_UNSUPPORTED_ON_INTERFACE, sub.name,
                               f'Cannot use @requires on field "{coord}" of parent type "{t.name}": @requires is not yet'
                               " supported within interfaces", coord)
            )
        _check_fieldset(sub, errors, "requires", d, t.name, f'field "{coord}"', coord)


def _check_provides(sub: Subgraph, t: TypeDef, f: Field, errors: list[CompositionError]) -> None:
    coord = f"{t.name}.{f.name}"
    for d in f.fed("provides"):
        if sub.is_external(t.name, f.name):
            raise _Fatal(
                subgraph_error(Code.EXTERNAL_COLLISION_WITH_ANOTHER_DIRECTIVE, sub.name,
                               f'Cannot have both @provides and @external on field "{coord}"', coord)
            )
        base = sub.type(named_type(f.type))
        if base is None or not base.is_composite:
            raise _Fatal(
                subgraph_error(Code.PROVIDES_ON_NON_OBJECT_FIELD, sub.name,
                               f'Invalid @provides directive on field "{coord}": field has type "{f.type}" which is not a'
                               " Composite Type", coord)
            )
        if t.kind == INTERFACE:
            errors.append(
                subgraph_error(Code.PROVIDES_UNSUPPORTED_ON_INTERFACE, sub.name,
                               f'Cannot use @provides on field "{coord}" of parent type "{t.name}": @provides is not yet'
                               " supported within interfaces", coord)
            )
        _check_fieldset(sub, errors, "provides", d, base.name, f'field "{coord}"', coord)


def _check_external(sub: Subgraph, t: TypeDef, f: Field, errors: list[CompositionError]) -> None:
    coord = f"{t.name}.{f.name}"
    if t.kind == INTERFACE and f.has("external"):
        errors.append(
            subgraph_error(Code.EXTERNAL_ON_INTERFACE, sub.name,
                           f'Interface type field "{coord}" is marked @external but @external is not allowed on'
                           " interface fields (it is nonsensical).", coord)
        )
    if sub.is_external(t.name, f.name) and (t.name, f.name) not in sub.used:
        errors.append(
            subgraph_error(Code.EXTERNAL_UNUSED, sub.name,
                           f'Field "{coord}" is marked @external but is not used in any federation directive (@key,'
                           " @provides, @requires) or to satisfy an interface; the field declaration has no use and should"
                           " be removed (or the field should not be @external).", coord)
        )
