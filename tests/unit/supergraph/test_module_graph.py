"""The composer's modules form no import cycle (none held apart by an import inside a function),
so each can be read, tested and imported on its own."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[3] / "supergraph"


def imports(path: Path, names: set[str]) -> tuple[set[str], list[int]]:
    """Top-level relative imports of a module, and the lines of relative imports inside functions."""
    tree = ast.parse(path.read_text())
    top: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            top |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
    nested = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1
              and n.col_offset > 0 and not _type_checking_only(tree, n)]
    return top & names, nested


def _type_checking_only(tree: ast.Module, node: ast.ImportFrom) -> bool:
    return any(isinstance(n, ast.If) and isinstance(n.test, ast.Name) and n.test.id == "TYPE_CHECKING"
               and node in ast.walk(n) for n in tree.body)


def test_the_composer_has_no_import_cycle_and_no_lazy_imports() -> None:
    modules = {p.stem: p for p in PACKAGE.glob("*.py")}
    graph: dict[str, set[str]] = {}
    lazy: dict[str, list[int]] = {}
    for name, path in modules.items():
        graph[name], nested = imports(path, set(modules))
        if nested and name != "__main__":  # the CLI may import a subcommand's modules when it runs
            lazy[name] = nested
    assert lazy == {}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, " -> ".join([*path, name])
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, [*path, name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    assert len(graph) > 20
