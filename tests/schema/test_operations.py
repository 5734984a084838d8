"""The shop's client operations (schema/operations/) against the checked-in supergraph.

Every shipped operation must validate against today's API schema, and the README's CI command
(`supergraph check ... --operations 'schema/operations/**/*.graphql'`) must find them and pass
against the previous commit's supergraph: a breaking change that a client operation uses fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, validate

from supergraph.__main__ import main
from supergraph.check import load_api_schema, load_operations
from tests.schema.test_supergraph import ACK, ROOT, SUPERGRAPH, previous_version

OPERATIONS = "schema/operations/**/*.graphql"


def test_the_shop_ships_its_client_operations() -> None:
    names = {
        d.name.value
        for op in load_operations([str(ROOT / OPERATIONS)])
        for d in op.document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name
    }
    assert {"Register", "Login", "Me", "Catalogue", "MyOrders", "OrderDetail", "PlaceOrder", "PayOrder"} <= names


@pytest.mark.parametrize("path", sorted((ROOT / "schema" / "operations").glob("**/*.graphql")), ids=lambda p: p.name)
def test_each_client_operation_validates_against_the_supergraph(path: Path) -> None:
    schema = load_api_schema(SUPERGRAPH.read_text())
    (op,) = load_operations([str(path)])
    errors = validate(schema, op.document)
    assert not errors, f"{path.name}: " + "; ".join(e.message for e in errors)


def test_schema_check_with_the_client_operations_passes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = previous_version()
    base = tmp_path / "baseline.graphql"
    base.write_text(baseline if baseline is not None else SUPERGRAPH.read_text())
    monkeypatch.chdir(ROOT)  # the glob exactly as the README writes it, relative to the repository
    args = ["check", "--baseline", str(base), "--schema", os.fspath(SUPERGRAPH), "--operations", OPERATIONS]
    code = main([*args, "--ack", os.fspath(ACK)])
    out = capsys.readouterr().out
    shipped = len(load_operations([str(ROOT / OPERATIONS)]))
    assert code == 0, out
    assert "PASSED: " in out and f"; 0 of {shipped} operations broken" in out


def test_a_breaking_change_a_client_uses_fails_the_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    changed = tmp_path / "changed.graphql"
    sdl = SUPERGRAPH.read_text()
    assert "  failureReason: String\n" in sdl
    changed.write_text(sdl.replace("  failureReason: String\n", ""))
    monkeypatch.chdir(ROOT)
    assert main(["check", "--baseline", os.fspath(SUPERGRAPH), "--schema", str(changed), "--operations", OPERATIONS]) == 1
    out = capsys.readouterr().out
    assert "Payment.failureReason" in out and "checkout.graphql" in out
