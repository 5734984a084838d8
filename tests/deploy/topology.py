"""What the code itself says about configuration, read from the source, so the deployment
files can be checked against it instead of against a list kept by hand."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env_reads(paths: list[Path]) -> dict[str, bool]:
    """Variable name -> required, from the fields of the pydantic-settings models
    (`class X(EnvSettings)`, one field per variable: `Field(default, alias="NAME")`;
    required when the Field has no default)."""
    reads: dict[str, bool] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ClassDef)
                    and any(isinstance(b, ast.Name) and b.id == "EnvSettings" for b in node.bases)):
                continue
            for item in node.body:
                call = item.value if isinstance(item, ast.AnnAssign) else None
                if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Field"):
                    continue
                alias = next((k.value.value for k in call.keywords if k.arg == "alias"
                              and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)), None)
                if alias is None:
                    continue
                required = not call.args and not any(k.arg in ("default", "default_factory") for k in call.keywords)
                reads[alias] = reads.get(alias, False) or required
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
