"""CI schema checks for the composed supergraph (see README, "Schema checks").

* composing `supergraph/supergraph.yaml` (the checked-in subgraph SDLs) gives exactly
  `schema/supergraph.graphql`: run `supergraph compose --config supergraph/supergraph.yaml
  --output schema/supergraph.graphql` after changing a subgraph;
* against the version of `schema/supergraph.graphql` at the previous commit (HEAD^1, i.e. the
  previous commit of main when CI runs on main), `supergraph check` finds no breaking change
  that is not listed in `schema/acknowledged-breaking-changes.txt`.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from supergraph.check import check, format_text, load_acknowledgements, load_api_schema
from supergraph.compose import compose
from supergraph.config import load_config
from supergraph.project import subgraph_inputs

ROOT = Path(__file__).resolve().parents[2]
SUPERGRAPH = ROOT / "schema" / "supergraph.graphql"
ACK = ROOT / "schema" / "acknowledged-breaking-changes.txt"
CONFIG = ROOT / "supergraph" / "supergraph.yaml"


def test_checked_in_supergraph_is_the_composition_of_the_checked_in_subgraphs() -> None:
    result = compose(subgraph_inputs(load_config(CONFIG)))
    assert result.ok, "\n".join(str(e) for e in result.errors)
    assert SUPERGRAPH.read_text() == result.supergraph_sdl, (
        "schema/supergraph.graphql is stale: run "
        "`supergraph compose --config supergraph/supergraph.yaml --output schema/supergraph.graphql`"
    )


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def previous_version() -> str | None:
    """schema/supergraph.graphql at the previous commit; None when that commit did not have it."""
    rel = SUPERGRAPH.relative_to(ROOT).as_posix()
    if git("rev-parse", "--is-shallow-repository").stdout.strip() == "true":
        git("fetch", "--quiet", "--deepen=1")  # a shallow CI clone: get the previous commit
        assert git("rev-parse", "--verify", "--quiet", "HEAD^1").returncode == 0, (
            "shallow clone without the previous commit: the schema check needs it (clone with --depth 2 or more)"
        )
    parent = git("rev-parse", "--verify", "--quiet", "HEAD^1")
    if parent.returncode != 0:
        return None  # the first commit has no previous version to break
    shown = git("show", f"HEAD^1:{rel}")
    return shown.stdout if shown.returncode == 0 else None


def test_no_unacknowledged_breaking_change_since_the_previous_commit() -> None:
    inside = git("rev-parse", "--is-inside-work-tree")
    assert inside.stdout.strip() == "true", "schema checks need the git history of the repository"
    acknowledged = load_acknowledgements(ACK)
    baseline = previous_version()
    if baseline is None:
        return
    result = check(load_api_schema(baseline), load_api_schema(SUPERGRAPH.read_text()), acknowledged=acknowledged)
    assert result.passed, (
        "breaking schema changes since the previous commit; if intended, add `CODE coordinate` lines to "
        f"{ACK.relative_to(ROOT)}:\n" + format_text(result)
    )


def test_acknowledgement_file_is_well_formed() -> None:
    assert ACK.exists(), f"{ACK} is missing"
    for code, coordinate in load_acknowledgements(ACK):
        assert code.isupper() and coordinate
