"""The `supergraph` command: compose and check, exit codes, introspection over real HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import strawberry
import uvicorn
from strawberry.asgi import GraphQL

from supergraph.__main__ import main
from supergraph.compose import compose
from supergraph.config import load_config
from supergraph.project import subgraph_inputs
from tests.support.wait import wait_until

from .conftest import FIXTURES, ROOT


def write_config(tmp_path: Path, case: str) -> Path:
    lines = ["federation_version: =2.3.0", "subgraphs:"]
    for f in sorted((FIXTURES / case).glob("*.graphql")):
        lines += [f"  {f.stem}:", f"    routing_url: http://{f.stem}:4000/graphql", "    schema:", f"      file: {f}"]
    path = tmp_path / "supergraph.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_compose_writes_the_supergraph(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ok_reviews_products_accounts")
    out = tmp_path / "out" / "supergraph.graphql"
    assert main(["compose", "--config", str(config), "--output", str(out)]) == 0
    sdl = out.read_bytes().decode()
    assert 'ACCOUNTS @join__graph(name: "accounts", url: "http://accounts:4000/graphql")' in sdl
    assert "wrote" in capsys.readouterr().err
    assert main(["compose", "--config", str(config)]) == 0
    assert capsys.readouterr().out == sdl


def test_compose_output_is_the_library_result_to_the_byte(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No final newline is added: the file is what `compose()` returns, which is Apollo's text."""
    config = write_config(tmp_path, "ok_reviews_products_accounts")
    out = tmp_path / "supergraph.graphql"
    assert main(["compose", "--config", str(config), "--output", str(out)]) == 0
    expected = compose(subgraph_inputs(load_config(config))).supergraph_sdl
    assert expected is not None and out.read_bytes() == expected.encode()
    assert out.read_bytes().endswith(b"}")
    assert main(["compose", "--config", str(config)]) == 0
    assert capsys.readouterr().out == expected


def test_compose_failure_prints_codes_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "err_invalid_field_sharing")
    assert main(["compose", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "error[INVALID_FIELD_SHARING]: Non-shareable field \"T.x\"" in err
    assert "composition failed with 1 error" in err
    assert main(["compose", "--config", str(config), "--format", "json"]) == 1
    assert '"code": "INVALID_FIELD_SHARING"' in capsys.readouterr().out


def test_bad_config_exits_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "supergraph.yaml"
    config.write_text("subgraphs:\n  a:\n    schema:\n      file: a.graphql\n")
    assert main(["compose", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: subgraphs.a.routing_url") and "Traceback" not in err


def test_the_installed_entry_point_runs() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "supergraph", "compose", "--config", str(ROOT / "supergraph" / "supergraph.yaml")],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (ROOT / "schema" / "supergraph.graphql").read_text()


def test_check_schema_files_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ROOT / "schema" / "supergraph.graphql"
    assert main(["check", "--baseline", str(base), "--schema", str(base)]) == 0
    assert "PASSED: 0 breaking" in capsys.readouterr().out
    new = tmp_path / "api.graphql"
    new.write_text("type Query { me: String }\n")
    assert main(["check", "--baseline", str(base), "--schema", str(new), "--format", "json"]) == 1
    out = capsys.readouterr().out
    assert '"passed": false' in out and '"code": "TYPE_REMOVED"' in out
    assert main(["check", "--baseline", str(base)]) == 2


def test_check_with_operations(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.graphql"
    new = tmp_path / "new.graphql"
    old.write_text("type Query { a: Int, b: Int }\n")
    new.write_text("type Query { a: Int }\n")
    ops = tmp_path / "ops"
    ops.mkdir()
    (ops / "a.graphql").write_text("query GetA { a }\n")
    args = ["check", "--baseline", str(old), "--schema", str(new), "--operations", str(ops / "*.graphql")]
    assert main(args) == 0
    assert "BREAKING (unused)" in capsys.readouterr().out
    (ops / "b.graphql").write_text("query GetB { b }\n")
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "used by " + str(ops / "b.graphql") + " (GetB)" in out and "BROKEN OPERATION" in out


def test_check_operations_glob_matching_nothing_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old.graphql"
    new = tmp_path / "new.graphql"
    old.write_text("type Query { a: Int, b: Int }\n")
    new.write_text("type Query { a: Int }\n")
    missing = str(tmp_path / "nowhere" / "**" / "*.graphql")
    assert main(["check", "--baseline", str(old), "--schema", str(new), "--operations", missing]) == 2
    err = capsys.readouterr().err
    assert "no file matches" in err and missing in err


def test_check_one_subgraph_change_recomposes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "ok_reviews_products_accounts")
    reviews = (FIXTURES / "ok_reviews_products_accounts" / "reviews.graphql").read_text()
    changed = tmp_path / "reviews.graphql"
    changed.write_text(reviews.replace("  rating: Int!\n", ""))
    assert main(["check", "--config", str(config), "--subgraph", f"reviews={changed}"]) == 1
    assert "FIELD_REMOVED" in capsys.readouterr().out
    changed.write_text(reviews.replace("  rating: Int!\n", "  rating: Int!\n  stars: Int\n"))
    assert main(["check", "--config", str(config), "--subgraph", f"reviews={changed}"]) == 0
    assert "FIELD_ADDED" in capsys.readouterr().out
    changed.write_text(reviews.replace("username: String! @external", "username: String!"))
    assert main(["check", "--config", str(config), "--subgraph", f"reviews={changed}"]) == 1
    assert "error[PROVIDES_FIELDS_MISSING_EXTERNAL]" in capsys.readouterr().err
    assert main(["check", "--config", str(config), "--subgraph", f"nope={changed}"]) == 2


@strawberry.federation.type(keys=["id"])
class Pet:
    id: strawberry.ID
    name: str = strawberry.federation.field(shareable=True)


@strawberry.type
class Query:
    @strawberry.field
    def pets(self) -> list[Pet]:
        return []


@pytest.fixture(scope="module")
def pet_subgraph() -> Iterator[str]:
    """A real Strawberry subgraph on a free port, for introspection through `_service { sdl }`."""
    app = GraphQL(strawberry.federation.Schema(query=Query))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    assert wait_until(lambda: server.started, 20)
    yield f"http://127.0.0.1:{port}/graphql"
    server.should_exit = True
    thread.join(timeout=10)


def test_compose_introspects_subgraph_urls(tmp_path: Path, pet_subgraph: str, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "supergraph.yaml"
    config.write_text(f"subgraphs:\n  pets:\n    schema:\n      subgraph_url: {pet_subgraph}\n")
    assert main(["compose", "--config", str(config)]) == 0
    sdl = capsys.readouterr().out
    assert f'PETS @join__graph(name: "pets", url: "{pet_subgraph}")' in sdl
    assert "type Pet\n  @join__type(graph: PETS, key: \"id\")" in sdl

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    config.write_text(f"subgraphs:\n  pets:\n    schema:\n      subgraph_url: http://127.0.0.1:{closed}/graphql\n")
    assert main(["compose", "--config", str(config)]) == 2
    assert 'error: subgraph "pets": cannot reach' in capsys.readouterr().err
