"""The `@link`s (or the older `@core`s) of a supergraph: which specs it uses, at which version,
and under which local names their directives and types appear. A supergraph may rename a spec
(`@link(url: ".../join/v0.3", as: "j")`) or import a directive under another name
(`import: [{name: "@inaccessible", as: "@hidden"}]`); the router's model and the API-schema
derivation both read names through here, so the two agree on every renamed supergraph.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from graphql import DocumentNode, ListValueNode, ObjectValueNode, SchemaDefinitionNode, StringValueNode, ValueNode

SPECS_HOST = "https://specs.apollo.dev/"
_VERSION = re.compile(r"^v(\d+)\.(\d+)$")


@dataclass(frozen=True)
class Feature:
    spec: str  # `join`, `inaccessible`, `cost` ...
    alias: str  # the local name: `as:`, else the spec's name
    version: tuple[int, int]  # (0, 0) when the URL carries none


@dataclass(frozen=True)
class Links:
    features: Mapping[str, Feature]  # by spec name; the last `@link` to a spec wins
    imports: Mapping[tuple[str, str], str]  # (spec, imported name without `@`) -> local name
    prefixes: frozenset[str]  # `join__`, `link__` ...: every name so prefixed belongs to a spec
    names: frozenset[str]  # spec names and imported names: `link`, `tag`, `inaccessible` ...
    inaccessible: str  # the local name of @inaccessible

    def linked(self, name: str) -> bool:
        return name in self.names or any(name.startswith(p) for p in self.prefixes)

    def directive(self, spec: str, name: str) -> str:
        """A spec's directive as this supergraph spells it: imported, else `alias__name`
        (or the alias itself for the directive named like its spec, such as @inaccessible)."""
        imported = self.imports.get((spec, name))
        if imported is not None:
            return imported
        feature = self.features.get(spec)
        local = feature.alias if feature is not None else spec
        return local if name == spec else f"{local}__{name}"

    def prefix(self, spec: str) -> str:
        """The prefix of a spec's types (`join__Graph`, `link__Import`)."""
        feature = self.features.get(spec)
        return (feature.alias if feature is not None else spec) + "__"

    def linked_directive(self, spec: str) -> str | None:
        """The local name of the directive named like its spec, or None when the spec is not linked."""
        imported = self.imports.get((spec, spec))
        if imported is not None:
            return imported
        feature = self.features.get(spec)
        return feature.alias if feature is not None else None


def _string(node: ValueNode | None) -> str | None:
    return node.value if isinstance(node, StringValueNode) else None


def read_links(document: DocumentNode) -> Links:
    features: dict[str, Feature] = {}
    imports: dict[tuple[str, str], str] = {}
    prefixes: set[str] = set()
    names: set[str] = {"link", "core"}
    inaccessible = "inaccessible"
    for definition in document.definitions:
        if not isinstance(definition, SchemaDefinitionNode):
            continue
        for application in definition.directives or ():
            if application.name.value not in ("link", "core"):
                continue
            args = {a.name.value: a.value for a in application.arguments or ()}
            url = _string(args.get("url")) or _string(args.get("feature")) or ""
            if not url.startswith(SPECS_HOST):
                continue
            parts = url[len(SPECS_HOST):].rstrip("/").split("/")
            spec = parts[0]
            match = _VERSION.match(parts[1]) if len(parts) > 1 else None
            version = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
            alias = _string(args.get("as")) or spec
            features[spec] = Feature(spec, alias, version)
            prefixes.add(alias + "__")
            names.add(alias)
            listed = args.get("import")
            for item in listed.values if isinstance(listed, ListValueNode) else ():
                if isinstance(item, ObjectValueNode):
                    fields = {f.name.value: _string(f.value) for f in item.fields}
                    name = (fields.get("name") or "").lstrip("@")
                    local = (fields.get("as") or name).lstrip("@")
                else:
                    name = local = (_string(item) or "").lstrip("@")
                imports.setdefault((spec, name), local)
                names.add(local)
                if spec == "inaccessible":
                    inaccessible = local
            if spec == "inaccessible" and alias != "inaccessible":
                inaccessible = alias
    return Links(features, imports, frozenset(prefixes), frozenset(names), inaccessible)
