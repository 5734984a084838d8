"""Subgraph selection sets as the planner builds them, and their printing.

A `FetchNode` is the selection set one fetch sends at one position. Fields are keyed by
response key so that a field requested twice (by the client and as a key, say) is sent once.
"""

from __future__ import annotations

from graphql import ArgumentNode, print_ast

from ..operation import Sel


class FetchField:
    __slots__ = ("key", "name", "arguments", "directives", "sub")

    def __init__(self, key: str, name: str, arguments: tuple, directives: tuple, sub: "FetchNode | None") -> None:
        self.key = key
        self.name = name
        self.arguments = arguments
        self.directives = directives
        self.sub = sub


class FetchNode:
    """One selection set in a subgraph query. `user` is the client's selection at the same
    position, consulted so that planner-added fields never take a client's response key."""

    __slots__ = ("fields", "fragments", "typename", "user")

    def __init__(self, user: Sel | None = None) -> None:
        self.fields: dict[str, FetchField] = {}
        self.fragments: dict[str, FetchNode] = {}
        self.typename = False
        self.user = user

    def fragment(self, type_name: str) -> "FetchNode":
        node = self.fragments.get(type_name)
        if node is None:
            node = self.fragments[type_name] = FetchNode(self.user)
        return node

    def add(self, key: str, name: str, arguments: tuple = (), directives: tuple = (),
            composite: bool = False, user: Sel | None = None) -> FetchField:
        f = self.fields.get(key)
        if f is None:
            f = FetchField(key, name, arguments, directives, FetchNode(user) if composite else None)
            self.fields[key] = f
        elif composite and f.sub is not None and f.sub.user is None and user is not None:
            f.sub.user = user
        return f

    def required_key(self, type_name: str, field_name: str) -> str:
        """Response key for a planner-added field: its name unless the client uses that key
        for something else at this position, then a private alias."""
        user = self.user
        key = field_name
        if user is not None:
            taken = {f.key: f for fs in ([user.by_type.get(type_name, ())] if not user.abstract
                                         else user.by_type.values()) for f in fs}
            while key in taken and (taken[key].name != field_name or taken[key].arguments):
                key = "_p_" + key
        return key

    def empty(self) -> bool:
        return not self.fields and not self.typename and all(f.empty() for f in self.fragments.values())

    def print(self, indent: int = 0) -> str:
        return "{" + self._body() + "}"

    def _body(self) -> str:
        parts = []
        if self.typename:
            parts.append("__typename")
        for f in self.fields.values():
            s = f.name if f.key == f.name else f"{f.key}:{f.name}"
            if f.arguments:
                s += "(" + ",".join(print_ast(a) for a in f.arguments) + ")"
            for d in f.directives:
                s += " " + print_ast(d)
            if f.sub is not None:
                s += f.sub.print()
            parts.append(s)
        for t, node in self.fragments.items():
            if not node.empty():
                parts.append(f"...on {t}{node.print()}")
        return " ".join(parts)

    def pretty(self, indent: int) -> list[str]:
        pad = "  " * indent
        lines = []
        if self.typename:
            lines.append(pad + "__typename")
        for f in self.fields.values():
            s = f.name if f.key == f.name else f"{f.key}: {f.name}"
            if f.arguments:
                s += "(" + ", ".join(print_ast(a) for a in f.arguments) + ")"
            for d in f.directives:
                s += " " + print_ast(d)
            if f.sub is not None:
                lines.append(pad + s + " {")
                lines.extend(f.sub.pretty(indent + 1))
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
        from graphql import VariableNode, visit, Visitor

        class _V(Visitor):
            def enter_variable(self, node: VariableNode, *_):
                out.add(node.name.value)

        for f in self.fields.values():
            for a in f.arguments:
                visit(a, _V())
            for d in f.directives:
                visit(d, _V())
            if f.sub is not None:
                f.sub.variables(out)
        for node in self.fragments.values():
            node.variables(out)
        return out


__all__ = ["FetchNode", "FetchField", "ArgumentNode"]
