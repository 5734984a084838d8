"""Query plan snapshots of the corpus: every hand-written operation's plan as `router plan`
prints it, one file per federation (tests/fixtures/federations/<name>/plans.txt), so a
planner change shows up as a readable diff of plans.

    python -m tests.differential.federations.plans [NAME ...]     rewrites the snapshots
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "federations"))
import federation_harness as harness  # noqa: E402

from router.operation import DocumentCache, prepare_operation  # noqa: E402
from router.planner import build_plan  # noqa: E402
from router.supergraph import Supergraph  # noqa: E402

SNAPSHOT = "plans.txt"


def render(fed: harness.Federation) -> str:
    sg = Supergraph(fed.supergraph)
    docs = DocumentCache(sg.api_schema)
    parts = []
    for op in fed.operations:
        operation = prepare_operation(sg.api_schema, docs.get(op.query), op.name, op.variables)
        parts.append(f"# {op.name}\n{build_plan(sg, operation).print()}\n")
    return "\n".join(parts)


def path(fed: harness.Federation) -> Path:
    return fed.dir / SNAPSHOT


def main(argv: list[str]) -> int:
    for name in argv or harness.names():
        fed = harness.load(name)
        path(fed).write_text(render(fed))
        print(f"wrote {path(fed).relative_to(Path.cwd()) if path(fed).is_relative_to(Path.cwd()) else path(fed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
