"""`devstack/prereqs.sh`, the first step of `make test` and so of `.ci/run`: on a machine that
lacks what the tests need, it names each missing piece and the command that installs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = ROOT / "devstack" / "prereqs.sh"
TOOLS = ("bash", "sort", "head", "id", "printf", "node", "npm")  # what the script itself runs


def bare_machine(tmp_path: Path) -> Path:
    """A PATH with the shell tools and Node, but none of the packages the tests need."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        found = shutil.which(tool)
        assert found, f"{tool} is needed to run this test"
        (bin_dir / tool).symlink_to(found)
    return bin_dir


def run(bin_dir: Path, python: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": str(bin_dir), "PYTHON": python, "PREREQS_INSTALL": "no"}
    return subprocess.run([str(bin_dir / "bash"), str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_missing_packages_are_named_with_the_command_that_installs_them(tmp_path: Path) -> None:
    result = run(bare_machine(tmp_path), sys.executable)
    assert result.returncode == 1
    assert "make test cannot run on this machine yet" in result.stderr
    line = next(x for x in result.stderr.splitlines() if "missing:" in x)
    assert "chromium" in line and "docker-compose" in line
    assert "install with: sudo apt-get install " in line and "chromium docker-compose" in line


def test_a_python_outside_the_supported_range_is_named(tmp_path: Path) -> None:
    bin_dir = bare_machine(tmp_path)
    fake = tmp_path / "python3.14"
    fake.write_text("#!/bin/sh\necho 3.14\n")
    fake.chmod(0o755)
    result = run(bin_dir, str(fake))
    assert result.returncode == 1
    assert "Python 3.11-3.13 is needed" in result.stderr and "is 3.14" in result.stderr


def test_ci_fails_when_pytest_collects_no_test() -> None:
    # not the make variables of a `make test` running this test: they would override PYTEST_ARGS
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    env["PYTEST_ARGS"] = "-q -p no:cacheprovider -k no_test_is_named_like_this_zz9"
    result = subprocess.run([str(ROOT / ".ci" / "run")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert "no tests ran" in result.stdout or "deselected" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
    assert result.returncode != 0
