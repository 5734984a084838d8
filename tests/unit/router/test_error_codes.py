"""The error-code lists in the READMEs are the codes the code sends, both ways: a code added to
the router or a subgraph without a line in the README fails here, and so does a README line for
a code nothing sends any more."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# Upper-case string literals that are codes: SNAKE_CASE ones, and single words given as a code.
SNAKE = re.compile(r"[\"']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)[\"']")
AS_CODE = re.compile(r"code[\"']?\s*[:=]\s*[\"']([A-Z][A-Z_]+)[\"']")
# environment variable names read with os.environ / os.getenv are not codes
ENV = re.compile(r"(?:environ\.get\(|environ\[|getenv\()\s*[\"']([A-Z][A-Z0-9_]+)[\"']")
# SNAKE_CASE literals in the router that are not error codes.
NOT_CODES = {
    "VARIABLE_DEFINITION", "INLINE_FRAGMENT", "FRAGMENT_SPREAD", "FRAGMENT_DEFINITION",  # AST node kinds
    "INTERFACE_OBJECT",  # a query-graph edge kind
}
# Subgraph codes only named by the router's masking defaults (it passes them through, never sends them).
PASSED_THROUGH = {"FORBIDDEN", "CONFLICT"}


def codes_in(folder: str, *, snake: bool) -> set[str]:
    """The router passes codes positionally (`_err(message, "CODE")`), so there every SNAKE_CASE
    literal counts; the subgraphs always name them (`code="..."`, `code = "..."`)."""
    found: set[str] = set()
    for path in (ROOT / folder).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if snake:
            env = set(ENV.findall(text))
            found |= {c for c in SNAKE.findall(text) if not c.startswith("ROUTER_") and c not in env}
        found |= set(AS_CODE.findall(text))
    return found - NOT_CODES


def router_readme_codes() -> set[str]:
    text = (ROOT / "router" / "README.md").read_text(encoding="utf-8")
    table = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    return {code for row in rows for code in re.findall(r"`([A-Z][A-Z_]+)`", row.split("|")[1])}


def shop_readme_codes() -> set[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    errors = text.split("### Errors", 1)[1].split("\n#", 1)[0]
    subgraphs_part = errors.split("The router's own codes", 1)[0]
    return set(re.findall(r"`([A-Z][A-Z_]+)`", subgraphs_part))


def test_router_readme_lists_exactly_the_codes_the_router_sends() -> None:
    sent = codes_in("router", snake=True) - PASSED_THROUGH
    listed = router_readme_codes()
    assert sent - listed == set(), "codes the router sends that router/README.md does not list"
    assert listed - sent == set(), "codes router/README.md lists that nothing sends"
    assert {"RATE_LIMITED", "CSRF_PREVENTION", "GRAPHQL_PARSE_FAILED", "UNAUTHORIZED_FIELD_OR_TYPE"} <= listed


def test_shop_readme_lists_exactly_the_codes_the_subgraphs_send() -> None:
    sent = codes_in("subgraphs", snake=False)
    listed = shop_readme_codes()
    assert sent - listed == set(), "codes the subgraphs send that README.md's Errors section does not list"
    assert listed - sent == set(), "codes README.md's Errors section lists that no subgraph sends"
