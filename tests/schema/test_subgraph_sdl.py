"""The checked-in subgraph SDLs in schema/ are what the code serves (run `make schema` to update)."""

from __future__ import annotations

import pytest

from devstack.schema import SCHEMA_DIR, SUBGRAPHS, subgraph_sdl


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_checked_in_sdl_matches_the_code(name: str) -> None:
    path = SCHEMA_DIR / f"{name}.graphql"
    assert path.exists(), f"{path} is missing: run `make schema`"
    assert path.read_text() == subgraph_sdl(name), f"{path} is stale: run `make schema` and commit the result"


def test_no_secret_reaches_any_schema() -> None:
    for name in SUBGRAPHS:
        sdl = subgraph_sdl(name).lower()
        assert "passwordhash" not in sdl and "password_hash" not in sdl
        assert "idempotency_key" not in sdl and "activefor" not in sdl
