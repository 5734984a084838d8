"""The `router` command line as a user runs it: installed entry point, real pipes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from router.__main__ import main

ROOT = Path(__file__).resolve().parents[3]
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
ORDER_DETAIL = """
query OrderDetail($id: ID!, $withPayments: Boolean!) {
  order(id: $id) {
    id
    total { amount currency }
    payments @include(if: $withPayments) { id status }
  }
}
"""


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "plan" in out and "serve" in out and "router plan --supergraph FILE QUERY_FILE" in out


def test_plan_needs_only_the_variables_skip_and_include_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "q.graphql"
    query.write_text(ORDER_DETAIL)
    # $id is required but never changes a plan: no value needed.
    assert main(["plan", "--supergraph", str(SUPERGRAPH), str(query), "--variables", '{"withPayments": true}']) == 0
    with_payments = capsys.readouterr().out
    assert 'service: "payments"' in with_payments
    assert main(["plan", "--supergraph", str(SUPERGRAPH), str(query), "--variables", '{"withPayments": false}']) == 0
    assert 'service: "payments"' not in capsys.readouterr().out


def test_plan_still_asks_for_a_missing_skip_include_variable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    query = tmp_path / "q.graphql"
    query.write_text(ORDER_DETAIL)
    assert main(["plan", "--supergraph", str(SUPERGRAPH), str(query)]) == 1
    assert "withPayments" in capsys.readouterr().err


@pytest.mark.parametrize(
    "command",
    [
        ["router", "plan", "--supergraph", str(SUPERGRAPH), "-v", "QUERY"],
        ["supergraph", "compose", "--config", str(ROOT / "supergraph" / "supergraph.yaml")],
    ],
    ids=["router plan", "supergraph compose"],
)
def test_output_piped_into_a_reader_that_leaves_prints_no_traceback(tmp_path: Path, command: list[str]) -> None:
    query = tmp_path / "q.graphql"
    query.write_text("{ products { id name price { amount currency } } }")
    bin_dir = Path(sys.executable).parent
    argv = [str(bin_dir / command[0]), *(str(query) if a == "QUERY" else a for a in command[1:])]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head` having read what it wanted: nobody reads any more
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert proc.returncode in (0, 141)
