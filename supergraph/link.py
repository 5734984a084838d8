"""`@link`: how a subgraph says which specs it uses and under which names.

A Federation 2 subgraph links `https://specs.apollo.dev/federation/v2.x` and
imports some of its directives (`import: ["@key", {name: "@tag", as: "@label"}]`);
the others stay reachable under the spec's prefix (`@federation__shareable`).
Custom specs are linked the same way so `@composeDirective` can carry them on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from graphql.language import DirectiveNode, ListValueNode, ObjectValueNode, StringValueNode, ValueNode

_URL = re.compile(r"^(?P<identity>.+/(?P<name>[A-Za-z_][A-Za-z0-9_-]*))/v(?P<major>\d+)\.(?P<minor>\d+)/?$")


class LinkError(ValueError):
    """A `@link` application we cannot interpret (bad url, bad import)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Link:
    """One `@link(url:, as:, import:)` application."""

    url: str
    identity: str
    name: str
    version: tuple[int, int]
    alias: str | None = None
    purpose: str | None = None
    imports: dict[str, str] = field(default_factory=dict)  # "@key" -> "@key" | "@myKey"; "FieldSet" -> "FieldSet"

    @property
    def prefix(self) -> str:
        return self.alias or self.name

    def directive_name(self, element: str) -> str:
        """The name directive `@element` of this spec has in the schema (without the @)."""
        imported = self.imports.get("@" + element)
        if imported is not None:
            return imported[1:]
        if element == self.name:
            return self.prefix
        return f"{self.prefix}__{element}"

    def type_name(self, element: str) -> str:
        imported = self.imports.get(element)
        if imported is not None:
            return imported
        return f"{self.prefix}__{element}"


def _string(value: ValueNode | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, StringValueNode):
        return value.value
    raise LinkError("INVALID_LINK_DIRECTIVE_USAGE", f"expected a string, got {value.kind}")


def parse_link(node: DirectiveNode) -> Link:
    """Read one `@link` application; raise LinkError for what Apollo rejects."""
    args = {a.name.value: a.value for a in node.arguments or ()}
    url = _string(args.get("url"))
    if url is None:
        raise LinkError("INVALID_LINK_DIRECTIVE_USAGE", "@link is missing its url argument")
    m = _URL.match(url)
    if not m:
        raise LinkError("INVALID_LINK_IDENTIFIER", f'Invalid url "{url}" for @link: it should end with /vX.Y')
    link = Link(
        url=url,
        identity=m.group("identity"),
        name=m.group("name"),
        version=(int(m.group("major")), int(m.group("minor"))),
        alias=_string(args.get("as")),
    )
    purpose = args.get("for")
    if purpose is not None:
        link.purpose = getattr(purpose, "value", None)
    imports = args.get("import")
    if imports is not None:
        items = imports.values if isinstance(imports, ListValueNode) else (imports,)
        for item in items:
            if isinstance(item, StringValueNode):
                link.imports[item.value] = item.value
            elif isinstance(item, ObjectValueNode):
                fields = {f.name.value: f.value for f in item.fields}
                name = _string(fields.get("name"))
                alias = _string(fields.get("as"))
                if name is None:
                    raise LinkError("INVALID_LINK_DIRECTIVE_USAGE", f"Invalid @link import {item}: missing name")
                if alias is not None and name.startswith("@") != alias.startswith("@"):
                    raise LinkError(
                        "INVALID_LINK_DIRECTIVE_USAGE",
                        f'Invalid @link import renaming: directive "{name}" imported name should start with a "@"'
                        f' character, but got "{alias}".',
                    )
                link.imports[name] = alias or name
            else:
                raise LinkError("INVALID_LINK_DIRECTIVE_USAGE", f"Invalid sub-value {item.kind} for @link(import:)")
    return link
