"""Federation 1 subgraphs (no `@link`): read them the way Federation 2 does.

A Federation 1 subgraph extends entities with `extend type` or `@extends`,
marks key fields of those extensions `@external`, and shares value types and
fields freely. Before merging we rewrite it into the equivalent Federation 2
subgraph, following the upgrade rules of Apollo's composer: external key
fields of extensions are local, inactive `@provides`/`@requires` selections go,
unused externals go, and fields or value types also defined elsewhere become
`@shareable`.
"""

from __future__ import annotations

import copy

from . import fieldset as fs
from .errors import Code, CompositionError, subgraph_error
from .model import INTERFACE, OBJECT, Applied, Schema, TypeDef, named_type, same_application
from .specs import FEDERATION_DIRECTIVES
from .subgraph import Subgraph

_UPGRADED_MINOR = 4


def _is_extension_like(t: TypeDef) -> bool:
    """Apollo's "federation type extension": only `extend` blocks, or `@extends`, on an object/interface."""
    has_extends = t.has("extends")
    return t.kind in (OBJECT, INTERFACE) and (t.has_extension or has_extends) and (has_extends or not t.has_definition)


def _is_root_extension(sub: Schema, t: TypeDef) -> bool:
    return t.kind == OBJECT and sub.is_root(t.name) and (t.has("extends") or (t.has_extension and not t.has_definition))


def upgrade_all(subgraphs: list[Subgraph]) -> tuple[list[Subgraph], list[CompositionError]]:
    """Upgrade every Federation 1 subgraph of the list; Federation 2 ones pass unchanged."""
    if all(not s.fed1 for s in subgraphs):
        return subgraphs, []
    originals = {s.name: s for s in subgraphs}
    out: list[Subgraph] = []
    errors: list[CompositionError] = []
    interface_key_types: dict[str, list[str]] = {}
    for s in subgraphs:
        if not s.fed1:
            out.append(s)
            continue
        upgraded, errs, itf_keys = _upgrade(s, originals)
        errors.extend(errs)
        out.append(upgraded)
        for name in itf_keys:
            interface_key_types.setdefault(name, []).append(s.name)
    for s in subgraphs:
        if s.fed1:
            continue
        for t in s.types.values():
            if t.kind == OBJECT and t.has("interfaceObject") and t.name in interface_key_types:
                errors.append(
                    CompositionError(
                        Code.INTERFACE_OBJECT_USAGE_ERROR,
                        f'The @interfaceObject directive is used on type "{t.name}" in subgraph "{s.name}", which requires'
                        " other subgraphs to resolve its type name via an interface @key. However, @key on an interface in"
                        " a federation 1 subgraph does not mean it can fulfill the __typename-resolution requirement that"
                        f" @interfaceObject depends on. For subgraph \"{interface_key_types[t.name][0]}\", either upgrade"
                        " them to federation 2 subgraphs or remove @key from the type.",
                        (s.name,),
                    )
                )
    return out, errors


def _upgrade(original: Subgraph, originals: dict[str, Subgraph]) -> tuple[Subgraph, list[CompositionError], set[str]]:
    sub = copy.deepcopy(original)
    errors: list[CompositionError] = []
    others = [o for o in originals.values() if o.name != sub.name]

    # An extension needs a definition somewhere.
    for t in sub.types.values():
        if _is_root_extension(sub, t) or not _is_extension_like(t):
            continue
        if not any((ot := o.types.get(t.name)) is not None and ot.kind in (OBJECT, INTERFACE) and ot.has_definition for o in others):
            errors.append(
                subgraph_error(Code.EXTENSION_WITH_NO_BASE, sub.name,
                               f'Type "{t.name}" is an extension type, but there is no type definition for "{t.name}" in any subgraph.',
                               t.name)
            )
    if errors:
        return sub, errors, set()

    _coerce_fields_arguments(sub)
    for t in sub.types.values():
        if t.kind == INTERFACE:
            for f in t.fields.values():
                f.directives = [d for d in f.directives if d.spec != "external"]
        if t.kind == OBJECT:
            t.directives = [d for d in t.directives if d.spec != "external"]
    _remove_external_on_extensions(sub, originals)
    sub.analyse()
    _remove_inactive_provides_and_requires(sub)
    for t in sub.types.values():
        if _is_extension_like(t) or _is_root_extension(sub, t):
            t.has_definition, t.has_extension = True, False
            for d in t.directives:
                d.in_extension = 0
            for f in t.fields.values():
                f.in_extension = 0
                for d in f.directives:
                    d.in_extension = 0
    interface_keys: set[str] = set()
    for t in sub.types.values():
        if t.kind == INTERFACE:
            if t.has("key"):
                interface_keys.add(t.name)
            t.directives = [d for d in t.directives if d.spec != "key"]
            for f in t.fields.values():
                f.directives = [d for d in f.directives if d.spec not in ("provides", "requires")]
        if t.kind == OBJECT:
            for f in t.fields.values():
                base = sub.type(named_type(f.type))
                if base is None or not base.is_composite:
                    f.directives = [d for d in f.directives if d.spec != "provides"]
    sub.analyse()
    errors.extend(_remove_unused_externals(sub))
    sub.analyse()
    _add_shareable(sub, original, others)
    _remove_tag_on_external(sub, others)

    sub.fed1 = False
    sub.minor = _UPGRADED_MINOR
    sub.names = {d: d for d, spec in FEDERATION_DIRECTIVES.items() if spec.since <= _UPGRADED_MINOR}
    sub.analyse()
    return sub, errors, interface_keys


def _coerce_fields_arguments(sub: Subgraph) -> None:
    """Federation 1 tolerated `fields: ["a", "b"]` and unquoted `fields: id`; make them strings."""
    from graphql.language import EnumValueNode, ListValueNode, StringValueNode

    def fix(d: Applied) -> None:
        if d.spec not in ("key", "requires", "provides"):
            return
        value = d.args.get("fields")
        if isinstance(value, ListValueNode):
            names = [v.value for v in value.values if isinstance(v, StringValueNode)]
            if len(names) == len(value.values):
                d.args["fields"] = StringValueNode(value=" ".join(names))
        elif isinstance(value, EnumValueNode):
            d.args["fields"] = StringValueNode(value=value.value)

    for t in sub.types.values():
        for d in t.directives:
            fix(d)
        for f in t.fields.values():
            for d in f.directives:
                fix(d)


def _remove_external_on_extensions(sub: Subgraph, originals: dict[str, Subgraph]) -> None:
    """Key fields of an extension are provided by the subgraph itself: they are not external."""
    for t in sub.types.values():
        if not (_is_extension_like(t) or _is_root_extension(sub, t)):
            continue
        if t.fed("key"):
            for key in t.fed("key"):
                try:
                    sel = fs.bind(sub, t.name, key.str_arg("fields") or "")
                except fs.FieldSetError:
                    continue
                for s in sel:
                    if s.field and s.field in t.fields:
                        f = t.fields[s.field]
                        f.directives = [d for d in f.directives if d.spec != "external"]
        else:
            for other in originals.values():
                if other.name == sub.name:
                    continue
                ot = other.types.get(t.name)
                if ot is None or not ot.fed("key"):
                    continue
                try:
                    sel = fs.bind(other, ot.name, ot.fed("key")[0].str_arg("fields") or "")
                except fs.FieldSetError:
                    continue
                for s in sel:
                    if s.field and s.field in t.fields:
                        f = t.fields[s.field]
                        f.directives = [d for d in f.directives if d.spec != "external"]


def _raw_external(sub: Subgraph, type_name: str, field_name: str) -> bool:
    f = sub.field(type_name, field_name)
    if f is not None and f.has("external"):
        return True
    t = sub.type(type_name)
    if t is not None and t.kind == INTERFACE:
        return any((g := sub.field(impl, field_name)) is not None and g.has("external") for impl in sub.possible_types(type_name))
    return False


def _without_local_leaves(sub: Subgraph, selections: tuple[fs.Selection, ...]) -> tuple[fs.Selection, ...]:
    out = []
    for s in selections:
        if s.field is not None and s.field != "__typename" and _raw_external(sub, s.parent, s.field):
            out.append(s)
            continue
        if s.selections:
            kept = _without_local_leaves(sub, s.selections)
            if kept:
                out.append(fs.Selection(s.parent, s.field, s.type_condition, kept, s.has_arguments, s.has_directives, s.alias))
    return tuple(out)


def _remove_inactive_provides_and_requires(sub: Subgraph) -> None:
    """Drop the parts of `@provides`/`@requires` that select fields the subgraph resolves anyway."""
    from graphql.language import StringValueNode

    for t in sub.types.values():
        if t.kind not in (OBJECT, INTERFACE):
            continue
        for f in t.fields.values():
            kept: list[Applied] = []
            for d in f.directives:
                if d.spec not in ("provides", "requires"):
                    kept.append(d)
                    continue
                parent = named_type(f.type) if d.spec == "provides" else t.name
                try:
                    sel = fs.bind(sub, parent, d.str_arg("fields") or "")
                except fs.FieldSetError:
                    kept.append(d)
                    continue
                updated = _without_local_leaves(sub, sel)
                if fs.print_selections(updated) == fs.print_selections(sel):
                    kept.append(d)
                elif updated:
                    kept.append(Applied(d.name, {"fields": StringValueNode(value=fs.print_selections(updated))}, d.spec, d.in_extension))
            f.directives = kept


def _is_referenced(sub: Subgraph, name: str) -> bool:
    for t in sub.types.values():
        if name in t.members or name in t.interfaces:
            return True
        for f in t.fields.values():
            if named_type(f.type) == name:
                return True
    return False


def _remove_unused_externals(sub: Subgraph) -> list[CompositionError]:
    errors = []
    for t in list(sub.types.values()):
        if t.kind not in (OBJECT, INTERFACE):
            continue
        for name in list(t.fields):
            if sub.is_external(t.name, name) and (t.name, name) not in sub.used:
                del t.fields[name]
        if not t.fields and not sub.is_root(t.name):
            if _is_referenced(sub, t.name):
                errors.append(
                    subgraph_error(Code.TYPE_WITH_ONLY_UNUSED_EXTERNAL, sub.name,
                                   f"Type {t.name} contains only external fields and all those fields are all unused (they do"
                                   " not appear in any @key, @provides or @requires).", t.name)
                )
            else:
                del sub.types[t.name]
    return errors


def _add_shareable(sub: Subgraph, original: Subgraph, others: list[Subgraph]) -> None:
    """Federation 1 shared everything; Federation 2 wants it said with `@shareable`."""
    subscription = sub.roots.get("subscription")
    for t in sub.types.values():
        if t.kind != OBJECT or t.name == subscription:
            continue
        if t.fed("key") or sub.is_root(t.name):
            for f in t.fields.values():
                if (t.name, f.name) in original.shareable:
                    continue
                elsewhere = [
                    o for o in others
                    if (ot := o.types.get(t.name)) is not None and ot.kind in (OBJECT, INTERFACE) and f.name in ot.fields
                    and (not o.is_external(t.name, f.name) or (t.name, f.name) in o.provided)
                ]
                if elsewhere and not f.has("shareable"):
                    f.directives.append(Applied("shareable", {}, "shareable", f.in_extension))
        else:
            if any((ot := o.types.get(t.name)) is not None and ot.kind in (OBJECT, INTERFACE) for o in others) and not t.has("shareable"):
                t.directives.append(Applied("shareable", {}, "shareable", 0))


def _remove_tag_on_external(sub: Subgraph, others: list[Subgraph]) -> None:
    for t in sub.types.values():
        for f in t.fields.values():
            if not f.has("external"):
                continue
            kept = []
            for d in f.directives:
                if d.spec == "tag":
                    elsewhere = [
                        g for o in others
                        if (g := o.field(t.name, f.name)) is not None and not g.has("external")
                    ]
                    if any(same_application(d, other) for g in elsewhere for other in g.fed("tag")):
                        continue
                kept.append(d)
            f.directives = kept
