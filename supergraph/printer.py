"""Print a supergraph (or any schema of our model) as deterministic SDL.

The layout follows Apollo's supergraph printer exactly (types and directive
definitions sorted the way JavaScript's `localeCompare` sorts them, directives
of a type on their own lines, descriptions as block strings), so a supergraph
composed here diffs cleanly against one composed by rover, and re-composing the
same subgraphs always gives the same bytes.
"""

from __future__ import annotations

import json

from .merge import SupergraphModel
from .model import (
    ENUM,
    INPUT_OBJECT,
    INTERFACE,
    OBJECT,
    SCALAR,
    UNION,
    Applied,
    DirectiveDef,
    InputValue,
    TypeDef,
    print_value,
)
from .specs import LINK_SPEC, MERGED_SPECS, SupergraphSpec, join_spec

INDENT = "  "


def locale_key(name: str) -> tuple[tuple[tuple[int, str], ...], tuple[int, ...]]:
    """Sort key matching `String.prototype.localeCompare` (ICU root collation) on GraphQL names.

    Underscore sorts before digits, digits before letters, letters ignore case first;
    only between otherwise equal names does a lowercase letter come before an uppercase one.
    """
    primary = []
    tertiary = []
    for ch in name:
        if ch == "_":
            primary.append((0, ch))
        elif ch.isdigit():
            primary.append((1, ch))
        else:
            primary.append((2, ch.lower()))
        tertiary.append(1 if ch.isupper() else 0)
    return tuple(primary), tuple(tertiary)


def block_string(value: str, prefer_multiple_lines: bool) -> str:
    single_line = "\n" not in value
    leading_space = value[:1] in (" ", "\t")
    multiple = (not single_line) or value.endswith('"') or value.endswith("\\") or prefer_multiple_lines
    result = ""
    if multiple and not (single_line and leading_space):
        result += "\n"
    result += value
    if multiple:
        result += "\n"
    return '"""' + result.replace('"""', '\\"""') + '"""'


def description(desc: str | None, indentation: str = "", first_in_block: bool = True) -> str:
    if desc is None:
        return ""
    text = block_string(desc, len(desc) > 70)
    prefix = "\n" + indentation if indentation and not first_in_block else indentation
    return prefix + text.replace("\n", "\n" + indentation) + "\n"


def applied_on_new_lines(directives: list[Applied], end_with_newline: bool) -> str:
    if not directives:
        return ""
    joined = ("\n" + INDENT).join(d.printed() for d in directives)
    return "\n" + INDENT + joined + ("\n" if end_with_newline else "")


def applied_inline(directives: list[Applied]) -> str:
    return "".join(" " + d.printed() for d in directives)


def print_arg(arg: InputValue) -> str:
    default = f" = {print_value(arg.default)}" if arg.default is not None else ""
    return f"{arg.name}: {arg.type}{default}{applied_inline(arg.directives)}"


def print_args(args: list[InputValue], indentation: str = "") -> str:
    if not args:
        return ""
    if all(a.description is None for a in args):
        return "(" + ", ".join(print_arg(a) for a in args) + ")"
    lines = [
        description(a.description, INDENT + indentation, i == 0) + INDENT + indentation + print_arg(a)
        for i, a in enumerate(args)
    ]
    return "(\n" + "\n".join(lines) + "\n" + indentation + ")"


def print_directive_def(d: DirectiveDef) -> str:
    repeatable = " repeatable" if d.repeatable else ""
    return f"{description(d.description)}directive @{d.name}{print_args(list(d.args.values()))}{repeatable} on {' | '.join(d.locations)}"


def print_type(t: TypeDef) -> str:
    head = description(t.description)
    if t.kind == SCALAR:
        return f"{head}scalar {t.name}{applied_on_new_lines(t.directives, False)}"
    if t.kind in (OBJECT, INTERFACE):
        keyword = "type" if t.kind == OBJECT else "interface"
        implements = " implements " + " & ".join(t.interfaces) if t.interfaces else ""
        lines = []
        for i, f in enumerate(t.fields.values()):
            lines.append(
                description(f.description, INDENT, i == 0) + INDENT + f"{f.name}{print_args(list(f.args.values()), INDENT)}: {f.type}"
                + applied_inline(f.directives)
            )
        return (
            f"{head}{keyword} {t.name}{implements}"
            + applied_on_new_lines(t.directives, bool(lines))
            + (" " if not t.directives and lines else "")
            + ("{\n" + "\n".join(lines) + "\n}" if lines else "")
        )
    if t.kind == UNION:
        members = " = " + " | ".join(t.members) if t.members else ""
        return f"{head}union {t.name}{applied_on_new_lines(t.directives, bool(t.members))}{members}"
    if t.kind == ENUM:
        lines = [
            description(v.description, INDENT, i == 0) + INDENT + v.name + applied_inline(v.directives)
            for i, v in enumerate(t.values.values())
        ]
        return (
            f"{head}enum {t.name}"
            + applied_on_new_lines(t.directives, bool(lines))
            + (" " if not t.directives and lines else "")
            + ("{\n" + "\n".join(lines) + "\n}" if lines else "")
        )
    assert t.kind == INPUT_OBJECT
    lines = [
        description(f.description, INDENT, i == 0) + INDENT + print_arg(f) for i, f in enumerate(t.input_fields.values())
    ]
    return (
        f"{head}input {t.name}"
        + applied_on_new_lines(t.directives, bool(lines))
        + (" " if not t.directives and lines else "")
        + ("{\n" + "\n".join(lines) + "\n}" if lines else "")
    )


def _link(url: str, purpose: str | None, imports: list[tuple[str, str]] | None = None) -> str:
    args = f"url: {json.dumps(url, ensure_ascii=False)}"
    if purpose:
        args += f", for: {purpose}"
    if imports:
        items = []
        for orig, name in imports:
            items.append(f'"@{orig}"' if orig == name else f'{{name: "@{orig}", as: "@{name}"}}')
        args += f", import: [{', '.join(items)}]"
    return f"@link({args})"


def print_supergraph(sg: SupergraphModel) -> str:
    """The supergraph SDL routers load (link + join specs), without trailing newline."""
    specs: list[SupergraphSpec] = [LINK_SPEC, join_spec(sg.join_minor)]
    links = [_link(LINK_SPEC.url, None), _link(specs[1].url, "EXECUTION")]
    directives: dict[str, str] = {}
    types: dict[str, str] = {}
    grouped: dict[str, list[tuple[str, str]]] = {}  # spec url -> (directive, name in supergraph)
    for directive, name_in_supergraph in sg.merged_specs.items():
        grouped.setdefault(MERGED_SPECS[directive].url, []).append((directive, name_in_supergraph))
    for members in grouped.values():
        spec = MERGED_SPECS[members[0][0]]
        imports = [(d, n) for d, n in members if not (d == spec.name and n == d)]
        links.append(_link(spec.url, spec.purpose, imports))
        # Every directive of a linked spec is defined: the merged ones under their supergraph names,
        # the others under the spec's own (`@cost__listSize` when only @cost is used).
        named = dict(members)
        for directive, text in spec.directives.items():
            default = directive if directive == spec.name else f"{spec.name}__{directive}"
            name_in_supergraph = named.get(directive, default)
            directives[name_in_supergraph] = text.replace(f"directive @{directive}", f"directive @{name_in_supergraph}", 1)
        types.update(spec.types)
    for composed in sg.composed_links:
        links.append(_link(composed.url, None, composed.imports))
    for spec in specs:
        directives.update(spec.directives)
        types.update(spec.types)  # link and join
    for d in sg.directive_defs.values():
        directives[d.name] = print_directive_def(d)
    graph_values = "\n".join(
        f"  {value} @join__graph(name: {json.dumps(name)}, url: {json.dumps(_url(sg, name), ensure_ascii=False)})"
        for name, value in sg.graph_enum.items()
    )
    types["join__Graph"] = "enum join__Graph {\n" + graph_values + "\n}"
    for t in sg.types.values():
        types[t.name] = print_type(t)

    schema_directives = [*links, *(d.printed() for d in sg.schema_directives)]
    roots = [f"{INDENT}{kind}: {sg.roots[kind]}" for kind in ("query", "mutation", "subscription") if kind in sg.roots]
    schema = (
        description(sg.description)
        + "schema\n"
        + "\n".join(INDENT + d for d in schema_directives)
        + "\n{\n"
        + "\n".join(roots)
        + "\n}"
    )
    parts = [schema]
    parts.extend(directives[n] for n in sorted(directives, key=locale_key))
    parts.extend(types[n] for n in sorted(types, key=locale_key))
    return "\n\n".join(parts)


def _url(sg: SupergraphModel, name: str) -> str:
    for s in sg.subgraphs:
        if s.name == name:
            return s.url
    return ""
