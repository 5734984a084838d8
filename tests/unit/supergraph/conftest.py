from __future__ import annotations

from pathlib import Path

import pytest

from supergraph.compose import SubgraphInput

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "composition"


def fixture_inputs(case: str) -> list[SubgraphInput]:
    return [
        SubgraphInput(f.stem, f"http://{f.stem}.example.internal/graphql", f.read_text())
        for f in sorted((FIXTURES / case).glob("*.graphql"))
    ]


def fed2(body: str, *imports: str, version: str = "2.3") -> str:
    names = ", ".join(f'"@{i}"' for i in imports)
    return f'extend schema @link(url: "https://specs.apollo.dev/federation/v{version}", import: [{names}])\n{body}'


@pytest.fixture
def shop_inputs() -> list[SubgraphInput]:
    return fixture_inputs("ok_shop_users_orders_payments")
