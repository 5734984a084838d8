"""What the docs promise a newcomer agrees with the files that decide it."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def python_range() -> tuple[str, str]:
    """(lowest supported, first unsupported) minor version from pyproject's requires-python."""
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = re.search(r">=\s*(3\.\d+)", spec)
    below = re.search(r"<\s*(3\.\d+)", spec)
    assert low and below, f"requires-python {spec!r} should read >=3.X,<3.Y"
    return low.group(1), below.group(1)


def test_readme_and_prereqs_state_the_python_range_of_pyproject() -> None:
    low, below = python_range()
    highest = f"3.{int(below.split('.')[1]) - 1}"
    readme = (ROOT / "README.md").read_text()
    assert f"Python {low}–{highest}" in readme
    assert not re.search(r"Python 3\.\d+\+", readme), "README says 'Python 3.x+' but pyproject has an upper bound"
    prereqs = (ROOT / "devstack" / "prereqs.sh").read_text()
    assert f'version_ok "$py" {low} {below}' in prereqs and f"Python {low}-{highest} is needed" in prereqs


def test_no_doc_or_code_points_at_an_issue_number() -> None:
    """"the plugins of issue 5" means nothing to a reader of the repository."""
    found = subprocess.run(
        ["git", "grep", "-n", "-i", "-E", r"\bissues? #?[0-9]+\b", "--", ".", ":!router/graphiql/assets"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert found.returncode in (0, 1), found.stderr
    hits = [line for line in found.stdout.splitlines() if not line.startswith("tests/unit/test_docs.py:")]
    assert not hits, "\n".join(hits)
