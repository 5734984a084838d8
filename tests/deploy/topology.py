"""What the code itself says about configuration, read from the source, so the deployment
files can be checked against it instead of against a list kept by hand."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENV_METHODS = {"str", "int", "optional", "bool", "choice"}


def _env_reads(paths: list[Path]) -> dict[str, bool]:
    """Variable name -> required (read with `env.str(NAME)` and no default)."""
    reads: dict[str, bool] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ENV_METHODS
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "env"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                continue
            required = node.func.attr == "str" and len(node.args) == 1 and not node.keywords
            reads[node.args[0].value] = reads.get(node.args[0].value, False) or required
    return reads


@cache
def subgraph_env(service: str) -> dict[str, bool]:
    """Every variable a subgraph process reads: its own package plus the shared one."""
    paths = [*(ROOT / "subgraphs" / "common").rglob("*.py"), *(ROOT / "subgraphs" / service).rglob("*.py")]
    return _env_reads(paths)


@cache
def router_env() -> set[str]:
    """Every variable the router reads: its ROUTER_* settings (named in its code) and the
    `${env.NAME}` references of the shop's router.yaml."""
    import re

    names: set[str] = set()
    for path in (ROOT / "router").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"ROUTER_[A-Z_]+", node.value):
                names.add(node.value)
    names |= set(re.findall(r"\$\{env\.(\w+)", (ROOT / "router" / "router.yaml").read_text()))
    return names
