"""What we write is `@apollo/composition`'s supergraph to the byte, final newline included
(Apollo's has none): the library result, `supergraph compose --output` and stdout,
`compose_config` (the router's `--compose`), and the checked-in `schema/supergraph.graphql`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from supergraph import compose_config
from supergraph.__main__ import main

from .compare import case_from_config
from .oracle import FIXTURES, ROOT, apollo_compose

SHOP_CONFIG = ROOT / "supergraph" / "supergraph.yaml"


def apollo_supergraph(config: Path) -> str:
    entry = apollo_compose([case_from_config(config)])[config.stem]
    assert entry["ok"], entry["errors"]
    assert not entry["supergraph"].endswith("\n")
    return str(entry["supergraph"])


@pytest.fixture(scope="module")
def fixture_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("config")
    lines = ["federation_version: =2.3.0", "subgraphs:"]
    for f in sorted((FIXTURES / "ok_reviews_products_accounts").glob("*.graphql")):
        lines += [f"  {f.stem}:", f"    routing_url: http://{f.stem}:4000/graphql", "    schema:", f"      file: {f}"]
    config = tmp / "reviews.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def test_the_checked_in_supergraph_is_apollos_composition_to_the_byte() -> None:
    assert (ROOT / "schema" / "supergraph.graphql").read_bytes() == apollo_supergraph(SHOP_CONFIG).encode()


def test_compose_output_file_and_stdout_are_apollos_supergraph(fixture_config: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    expected = apollo_supergraph(fixture_config)
    out = tmp_path / "supergraph.graphql"
    assert main(["compose", "--config", str(fixture_config), "--output", str(out)]) == 0
    assert out.read_bytes() == expected.encode()
    capsys.readouterr()
    assert main(["compose", "--config", str(fixture_config)]) == 0
    assert capsys.readouterr().out == expected


def test_compose_config_is_apollos_supergraph(fixture_config: Path) -> None:
    assert compose_config(str(fixture_config)) == apollo_supergraph(fixture_config)


def test_the_command_writes_the_same_bytes_as_a_separate_process(fixture_config: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "supergraph", "compose", "--config", str(fixture_config)],
        capture_output=True, cwd=ROOT, timeout=60, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == apollo_supergraph(fixture_config).encode()
