"""Run `@apollo/composition` (npm, test-only) on fixture subgraph sets, many per node process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "composition"
NODE_MODULES = ROOT / "tests" / "node" / "node_modules"


@dataclass(frozen=True)
class Case:
    name: str
    subgraphs: tuple[tuple[str, str, str], ...]  # (name, url, sdl)


def fixture_url(subgraph: str) -> str:
    return f"http://{subgraph}.example.internal/graphql"


def load_case(path: Path) -> Case:
    subs = []
    for f in sorted(path.glob("*.graphql")):
        subs.append((f.stem, fixture_url(f.stem), f.read_text()))
    return Case(path.name, tuple(subs))


SHOP_SUBGRAPHS = ("users", "orders", "payments")


def shop_case() -> Case | None:
    """Our own shop: the checked-in SDLs of schema/, exactly as the subgraphs serve them."""
    files = [ROOT / "schema" / f"{name}.graphql" for name in SHOP_SUBGRAPHS]
    if not all(f.exists() for f in files):
        return None
    return Case("ok_shop_schema_files", tuple((f.stem, fixture_url(f.stem), f.read_text()) for f in files))


def load_cases(root: Path = FIXTURES) -> list[Case]:
    cases = [load_case(p) for p in sorted(root.iterdir()) if p.is_dir()]
    shop = shop_case()
    if shop is not None:
        cases.append(shop)
    cases.append(generated_case())
    return cases


def node_available() -> bool:
    return shutil.which("node") is not None and (NODE_MODULES / "@apollo" / "composition").is_dir()


def apollo_compose(cases: list[Case], timeout: float = 300) -> dict[str, dict]:
    """Compose every case with @apollo/composition in one node process."""
    payload = {
        "cases": [
            {"id": c.name, "subgraphs": [{"name": n, "url": u, "sdl": s} for n, u, s in c.subgraphs]} for c in cases
        ]
    }
    proc = subprocess.run(
        ["node", str(HERE / "apollo_compose.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "APOLLO_TELEMETRY_DISABLED": "1"},
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"apollo_compose.mjs failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout)


def generated_case(subgraphs: int = 6) -> Case:
    """A slice of the benchmark's generated federation: many entities, stubs, extensions, @requires."""
    from bench.composition.generate import Shape, generate

    sdls = generate(Shape(subgraphs=subgraphs))
    return Case(f"ok_generated_{subgraphs}_subgraphs", tuple((n, fixture_url(n), s) for n, s in sdls.items()))
