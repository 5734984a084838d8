"""`make schema`: writes each subgraph's SDL, exactly as it serves it at `_service { sdl }`,
to `schema/<name>.graphql`. `--check` only compares and exits non-zero on a difference."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

SUBGRAPHS = ("users", "orders", "payments")
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schema"


def subgraph_sdl(name: str) -> str:
    schema = importlib.import_module(f"subgraphs.{name}.schema").schema
    result = schema.execute_sync("{ _service { sdl } }")
    if result.errors:
        raise RuntimeError(f"{name}: {result.errors}")
    sdl: str = result.data["_service"]["sdl"]
    return sdl.rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="compare only; exit 1 when a file is stale")
    args = parser.parse_args(argv)
    stale = []
    for name in SUBGRAPHS:
        path = SCHEMA_DIR / f"{name}.graphql"
        sdl = subgraph_sdl(name)
        current = path.read_text() if path.exists() else None
        if current == sdl:
            continue
        if args.check:
            stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(sdl)
            print(f"wrote {path.relative_to(SCHEMA_DIR.parent)}")
    if stale:
        print("stale schema files (run `make schema`): " + ", ".join(str(p) for p in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
