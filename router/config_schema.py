"""`router config schema`: the JSON Schema of router.yaml, for editors (VS Code's YAML extension
checks and completes a file against it) and for CI.

It is generated from the same pydantic models the router validates with, so it cannot drift
from what the router accepts. Two things the file may hold besides the typed values are
allowed on top: `extends:` (another router.yaml), and `${env.NAME}` / `${env.NAME:-default}`
in place of any value that is not a string (expanded before validation)."""

from __future__ import annotations

from typing import Any

from .config import router_yaml_model

SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
# What `${env.NAME}` or `${env.NAME:-default}` looks like inside a value.
ENV_REFERENCE: dict[str, Any] = {"type": "string", "pattern": r"\$\{env\.[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}"}
_SCALARS = {"integer", "number", "boolean"}


def schema() -> dict[str, Any]:
    """The JSON Schema of router.yaml."""
    doc = router_yaml_model().model_json_schema(mode="validation")
    doc = {"$schema": SCHEMA_URI, **_allow_env(doc)}
    doc["title"] = "router.yaml"
    doc["description"] = ("Configuration of the federation router (router/README.md). Unknown keys are "
                          "errors; `${env.NAME}` expands an environment variable.")
    return doc


def _allow_env(node: Any) -> Any:
    """Every non-string leaf (number, boolean, enum) also accepts an `${env...}` reference."""
    if isinstance(node, list):
        return [_allow_env(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _allow_env(v) for k, v in node.items()}
    kind = out.get("type")
    if ("enum" in out or "const" in out or kind in _SCALARS) and "properties" not in out:
        keep = {k: out.pop(k) for k in ("title", "description", "default") if k in out}
        return {**keep, "anyOf": [out, ENV_REFERENCE]}
    return out
