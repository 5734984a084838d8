"""Selection sets of subgraph queries as the fetch graph builds them, and their printing.

A `QuerySel` is one selection set of one subgraph query: fields by response key, inline
fragments by type condition. A field requested twice (by the client and as a key, say) is
sent once. A field's `out` is the key its value has in the router's working data: the same
as its query key unless the field had to be aliased in the query (see `aliases.py`), in
which case the executor renames it back as the response arrives.
"""

from __future__ import annotations

from graphql import ArgumentNode, DirectiveNode, VariableNode, Visitor, print_ast, visit


class QueryField:
    __slots__ = ("key", "out", "name", "arguments", "directives", "sub", "type")

    def __init__(self, key: str, name: str, arguments: tuple[ArgumentNode, ...],
                 directives: tuple[DirectiveNode, ...], sub: "QuerySel | None", type_: str) -> None:
        self.key = key
        self.out = key
        self.name = name
        self.arguments = arguments
        self.directives = directives
        self.sub = sub
        self.type = type_  # the field's type in the subgraph, printed (for alias decisions)

    def head(self, sep: str = ":") -> str:
        s = self.name if self.key == self.name else f"{self.key}{sep}{self.name}"
        if self.arguments:
            s += "(" + (", " if sep != ":" else ",").join(print_ast(a) for a in self.arguments) + ")"
        for d in self.directives:
            s += " " + print_ast(d)
        return s


class QuerySel:
    __slots__ = ("fields", "fragments", "typename")

    def __init__(self) -> None:
        self.fields: dict[str, QueryField] = {}
        self.fragments: dict[str, QuerySel] = {}
        self.typename = False

    def fragment(self, type_name: str) -> "QuerySel":
        node = self.fragments.get(type_name)
        if node is None:
            node = self.fragments[type_name] = QuerySel()
        return node

    def add(self, key: str, name: str, arguments: tuple[ArgumentNode, ...], directives: tuple[DirectiveNode, ...],
            composite: bool, type_: str) -> QueryField:
        f = self.fields.get(key)
        if f is None:
            f = self.fields[key] = QueryField(key, name, arguments, directives, QuerySel() if composite else None,
                                              type_)
        return f

    def merge(self, other: "QuerySel") -> None:
        self.typename = self.typename or other.typename
        for k, f in other.fields.items():
            mine = self.fields.get(k)
            if mine is None:
                self.fields[k] = f
            elif mine.sub is not None and f.sub is not None:
                mine.sub.merge(f.sub)
        for t, node in other.fragments.items():
            self.fragment(t).merge(node)

    def empty(self) -> bool:
        return not self.fields and not self.typename and all(f.empty() for f in self.fragments.values())

    def print(self) -> str:
        parts = []
        if self.typename:
            parts.append("__typename")
        for f in self.fields.values():
            s = f.head()
            if f.sub is not None:
                s += f.sub.print() if not f.sub.empty() else "{__typename}"
            parts.append(s)
        for t, node in self.fragments.items():
            if not node.empty():
                parts.append(f"...on {t}{node.print()}")
        return "{" + " ".join(parts) + "}"

    def canonical(self) -> str:
        """The selection printed with fields and fragments sorted: equal for selections that
        differ only in order (which one request can then share)."""
        parts = ["__typename"] if self.typename else []
        for k in sorted(self.fields):
            f = self.fields[k]
            parts.append(f.head() + (f.sub.canonical() if f.sub is not None else ""))
        for t in sorted(self.fragments):
            if not self.fragments[t].empty():
                parts.append(f"...on {t}{self.fragments[t].canonical()}")
        return "{" + " ".join(parts) + "}"

    def pretty(self, indent: int) -> list[str]:
        pad = "  " * indent
        lines = []
        if self.typename:
            lines.append(pad + "__typename")
        for f in self.fields.values():
            s = f.head(": ")
            if f.sub is not None:
                lines.append(pad + s + " {")
                lines.extend(f.sub.pretty(indent + 1) if not f.sub.empty() else [pad + "  __typename"])
                lines.append(pad + "}")
            else:
                lines.append(pad + s)
        for t, node in self.fragments.items():
            if not node.empty():
                lines.append(pad + f"... on {t} {{")
                lines.extend(node.pretty(indent + 1))
                lines.append(pad + "}")
        return lines

    def variables(self, out: set[str]) -> set[str]:
        collector = _Variables(out)
        for f in self.fields.values():
            for a in f.arguments:
                visit(a, collector)
            for d in f.directives:
                visit(d, collector)
            if f.sub is not None:
                f.sub.variables(out)
        for node in self.fragments.values():
            node.variables(out)
        return out


class _Variables(Visitor):
    def __init__(self, out: set[str]) -> None:
        super().__init__()
        self.out = out

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.out.add(node.name.value)
