"""The API schema: what clients of the router see (derived in shared/api_schema.py, where the
router derives it too). Schema checks compare API schemas; composition rejects supergraphs
whose API schema would be broken (an @inaccessible type still referenced by a visible field,
and so on).
"""

from __future__ import annotations

from graphql import DocumentNode, GraphQLSchema, build_ast_schema, lexicographic_sort_schema, parse, print_schema
from graphql.language import EnumValueNode, ListValueNode

from shared.api_schema import api_document as shared_api_document

from .errors import Code, CompositionError
from .merge import SupergraphModel
from .model import ENUM, INPUT_OBJECT, INTERFACE, OBJECT, UNION, is_list, is_non_null, list_item, named_type, nullable


def api_document(supergraph_sdl: str) -> DocumentNode:
    """The API schema of any Federation 2 supergraph SDL (ours or Apollo's), as a document."""
    return shared_api_document(parse(supergraph_sdl, no_location=True))


def api_schema(supergraph_sdl: str) -> GraphQLSchema:
    """graphql-core schema of the API: what `supergraph check` diffs and clients introspect."""
    return build_ast_schema(api_document(supergraph_sdl), assume_valid_sdl=True)


def normalized_api(supergraph_sdl: str) -> str:
    """Order-independent printed form of the API schema: equal strings mean structurally equal APIs."""
    return print_schema(lexicographic_sort_schema(api_schema(supergraph_sdl)))


# --- composition-time checks of the API schema -------------------------------------------


def api_errors(sg: SupergraphModel) -> list[CompositionError]:
    """What makes the supergraph's API schema invalid: misuse of @inaccessible, invalid GraphQL."""
    return _inaccessible_errors(sg) or _implementation_errors(sg)


def _is_subtype(sg: SupergraphModel, sub: str, sup: str) -> bool:
    """GraphQL's output subtyping (a field may narrow the type of the interface field it implements)."""
    if is_non_null(sup):
        return is_non_null(sub) and _is_subtype(sg, nullable(sub), nullable(sup))
    if is_non_null(sub):
        return _is_subtype(sg, nullable(sub), sup)
    if is_list(sup):
        return is_list(sub) and _is_subtype(sg, list_item(sub), list_item(sup))
    if is_list(sub):
        return False
    if sub == sup:
        return True
    target = sg.types.get(sup)
    candidate = sg.types.get(sub)
    if target is None or candidate is None:
        return False
    if target.kind == UNION:
        return sub in target.members
    return target.kind == INTERFACE and sup in candidate.interfaces


def _implementation_errors(sg: SupergraphModel) -> list[CompositionError]:
    """Merging can weaken an implementation below its interface (e.g. make a field nullable)."""
    errors = []
    for t in sg.types.values():
        if t.kind not in (OBJECT, INTERFACE):
            continue
        for itf_name in t.interfaces:
            itf = sg.types.get(itf_name)
            if itf is None:
                continue
            for transitive in itf.interfaces:
                if transitive not in t.interfaces and transitive != t.name:
                    errors.append(CompositionError(
                        Code.INVALID_GRAPHQL,
                        f"Type {t.name} must implement {transitive} because it is implemented by {itf_name}.",
                        (), t.name))
            for f in itf.fields.values():
                impl = t.fields.get(f.name)
                if impl is None:
                    continue  # reported as INTERFACE_FIELD_NO_IMPLEM while merging
                if not _is_subtype(sg, impl.type, f.type):
                    errors.append(CompositionError(
                        Code.INVALID_GRAPHQL,
                        f"Interface field {itf_name}.{f.name} expects type {f.type} but {t.name}.{f.name} is type {impl.type}.",
                        (), f"{t.name}.{f.name}"))
                for arg in f.args.values():
                    mine = impl.args.get(arg.name)
                    if mine is None:
                        errors.append(CompositionError(
                            Code.INVALID_GRAPHQL,
                            f"Interface field argument {itf_name}.{f.name}({arg.name}:) expected but {t.name}.{f.name}"
                            " does not provide it.", (), f"{t.name}.{f.name}"))
                    elif mine.type != arg.type:
                        errors.append(CompositionError(
                            Code.INVALID_GRAPHQL,
                            f"Interface field argument {itf_name}.{f.name}({arg.name}:) expects type {arg.type} but"
                            f" {t.name}.{f.name}({arg.name}:) is type {mine.type}.", (), f"{t.name}.{f.name}"))
                for arg in impl.args.values():
                    if arg.name not in f.args and arg.required:
                        errors.append(CompositionError(
                            Code.INVALID_GRAPHQL,
                            f"Object field {t.name}.{f.name} includes required argument {arg.name} that is missing from"
                            f" the Interface field {itf_name}.{f.name}.", (), f"{t.name}.{f.name}"))
    return errors


def _inaccessible_errors(sg: SupergraphModel) -> list[CompositionError]:
    name = sg.merged_specs.get("inaccessible")
    if name is None:
        return []

    def hidden(element: object) -> bool:
        return any(d.name == name for d in getattr(element, "directives", ()))

    errors: list[CompositionError] = []

    def err(code: str, message: str, coordinate: str) -> None:
        errors.append(CompositionError(code, message, (), coordinate))

    hidden_types = {t.name for t in sg.types.values() if hidden(t)}
    query = sg.roots.get("query")
    for t in sg.types.values():
        if t.name in hidden_types:
            if t.name == query:
                err(Code.QUERY_ROOT_TYPE_INACCESSIBLE,
                    f'Type "{t.name}" is @inaccessible but is the root query type, which must be in the API schema.', t.name)
            for other in sg.types.values():
                if other.name in hidden_types:
                    continue
                for f in other.fields.values():
                    if hidden(f):
                        continue
                    if named_type(f.type) == t.name:
                        err(Code.REFERENCED_INACCESSIBLE,
                            f'Type "{t.name}" is @inaccessible but is referenced by "{other.name}.{f.name}", which is in'
                            " the API schema.", t.name)
                    for a in f.args.values():
                        if not hidden(a) and named_type(a.type) == t.name:
                            err(Code.REFERENCED_INACCESSIBLE,
                                f'Type "{t.name}" is @inaccessible but is referenced by "{other.name}.{f.name}({a.name}:)",'
                                " which is in the API schema.", t.name)
                for a in other.input_fields.values():
                    if not hidden(a) and named_type(a.type) == t.name:
                        err(Code.REFERENCED_INACCESSIBLE,
                            f'Type "{t.name}" is @inaccessible but is referenced by "{other.name}.{a.name}", which is in'
                            " the API schema.", t.name)
            continue
        if t.kind in (OBJECT, INTERFACE, INPUT_OBJECT):
            children = list(t.fields.values()) if t.kind != INPUT_OBJECT else list(t.input_fields.values())
            if children and all(hidden(c) for c in children):
                what = "input fields" if t.kind == INPUT_OBJECT else "fields"
                err(Code.ONLY_INACCESSIBLE_CHILDREN,
                    f'Type "{t.name}" is in the API schema but all of its {what} are @inaccessible.', t.name)
        elif t.kind == UNION:
            if t.members and all(m in hidden_types for m in t.members):
                err(Code.ONLY_INACCESSIBLE_CHILDREN,
                    f'Type "{t.name}" is in the API schema but all of its members are @inaccessible.', t.name)
        elif t.kind == ENUM:
            if t.values and all(hidden(v) for v in t.values.values()):
                err(Code.ONLY_INACCESSIBLE_CHILDREN,
                    f'Type "{t.name}" is in the API schema but all of its values are @inaccessible.', t.name)
        if t.kind in (OBJECT, INTERFACE):
            for f in t.fields.values():
                if hidden(f):
                    for itf in t.interfaces:
                        itf_def = sg.types.get(itf)
                        if itf_def is not None and itf not in hidden_types and f.name in itf_def.fields and not hidden(itf_def.fields[f.name]):
                            err(Code.IMPLEMENTED_BY_INACCESSIBLE,
                                f'Field "{t.name}.{f.name}" is @inaccessible but implements the interface field'
                                f' "{itf}.{f.name}", which is in the API schema.', f"{t.name}.{f.name}")
                    continue
                for a in f.args.values():
                    if hidden(a) and a.required:
                        err(Code.REQUIRED_INACCESSIBLE,
                            f'Argument "{t.name}.{f.name}({a.name}:)" is @inaccessible but is a required argument of its'
                            " field.", f"{t.name}.{f.name}({a.name}:)")
        if t.kind == INPUT_OBJECT:
            for a in t.input_fields.values():
                if hidden(a) and a.required:
                    err(Code.REQUIRED_INACCESSIBLE,
                        f'Input field "{t.name}.{a.name}" is @inaccessible but is a required input field of its type.',
                        f"{t.name}.{a.name}")
    # Default values must not use hidden enum values.
    hidden_values = {
        (t.name, v.name) for t in sg.types.values() if t.kind == ENUM for v in t.values.values() if hidden(v)
    }
    if hidden_values:
        for t in sg.types.values():
            if t.name in hidden_types:
                continue
            holders = [(f"{t.name}.{f.name}({a.name}:)", a) for f in t.fields.values() if not hidden(f) for a in f.args.values()]
            holders += [(f"{t.name}.{a.name}", a) for a in t.input_fields.values()]
            for coord, a in holders:
                if hidden(a) or a.default is None:
                    continue
                enum = named_type(a.type)
                for v in _enum_literals(a.default):
                    if (enum, v) in hidden_values:
                        err(Code.DEFAULT_VALUE_USES_INACCESSIBLE,
                            f'Enum value "{enum}.{v}" is @inaccessible but is used in the default value of "{coord}",'
                            " which is in the API schema.", coord)
    return errors


def _enum_literals(value: object) -> list[str]:
    if isinstance(value, EnumValueNode):
        return [value.value]
    if isinstance(value, ListValueNode):
        return [x for v in value.values for x in _enum_literals(v)]
    return []
