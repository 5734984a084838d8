"""Compose subgraph SDL files with ours and with `@apollo/composition`, compare byte for byte.

The reusable half of the composition differential tests. A test over a directory of
federations is a few lines:

    CASES = cases_from_directories(FEDERATIONS, "subgraphs/*.graphql")
    # or [case_from_files(name, files)], or [case_from_config(path / "supergraph.yaml")]

    @pytest.fixture(scope="module")
    def compared() -> dict[str, Comparison]:
        return compare_with_apollo(CASES)          # one node process for all of them

    @pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
    def test_same_as_apollo(case: Case, compared: dict[str, Comparison]) -> None:
        compared[case.name].assert_same()

"Same" is: both accept and the supergraphs are equal as strings (no whitespace or
trailing-newline leeway), or both reject with the same set of error codes. From the
command line: `python -m tests.differential.composition.compare DIR [DIR ...]`, one
federation per directory (its `*.graphql` files, each a subgraph named by its stem).
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from supergraph.compose import SubgraphInput, compose
from supergraph.config import load_config
from supergraph.project import subgraph_inputs

from .oracle import Case, apollo_compose, fixture_url


def case_from_files(name: str, files: Iterable[Path], url: Callable[[str], str] = fixture_url) -> Case:
    """A federation from subgraph SDL files: each file one subgraph, named by the file's stem."""
    subgraphs = tuple((f.stem, url(f.stem), f.read_text()) for f in files)
    if not subgraphs:
        raise ValueError(f"federation {name!r}: no subgraph SDL files")
    names = [s[0] for s in subgraphs]
    if len(set(names)) != len(names):
        raise ValueError(f"federation {name!r}: two files give the same subgraph name: {sorted(names)}")
    return Case(name, subgraphs)


def case_from_directory(path: Path, pattern: str = "*.graphql") -> Case:
    """The federation in `path`: its files matching `pattern`, named after the directory."""
    return case_from_files(path.name, sorted(path.glob(pattern)))


def case_from_config(config: Path) -> Case:
    """The federation a rover `supergraph.yaml` names, with its routing URLs, named after the file."""
    inputs = subgraph_inputs(load_config(config))
    return Case(config.stem, tuple((s.name, s.url, s.sdl) for s in inputs))


def cases_from_directories(root: Path, pattern: str = "*.graphql") -> list[Case]:
    """One federation per sub-directory of `root` (sorted), from its files matching `pattern`
    (`"subgraphs/*.graphql"` when the subgraphs sit in a folder of their own)."""
    return [case_from_directory(d, pattern) for d in sorted(root.iterdir()) if d.is_dir()]


@dataclass(frozen=True)
class Outcome:
    """One composer's answer: the supergraph, or the errors as (code, message)."""

    ok: bool
    supergraph: str | None
    errors: tuple[tuple[str, str], ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(sorted({code for code, _ in self.errors}))


@dataclass(frozen=True)
class Comparison:
    case: Case
    ours: Outcome
    apollo: Outcome

    @property
    def same(self) -> bool:
        if self.ours.ok != self.apollo.ok:
            return False
        if self.ours.ok:
            return self.ours.supergraph == self.apollo.supergraph
        return self.ours.codes == self.apollo.codes

    def explain(self) -> str:
        """What differs, readably: a unified diff of the supergraphs or both error lists."""
        head = f"federation {self.case.name!r} (subgraphs: {', '.join(s[0] for s in self.case.subgraphs)})"
        if self.ours.ok and self.apollo.ok:
            ours, theirs = self.ours.supergraph or "", self.apollo.supergraph or ""
            if ours.rstrip() == theirs.rstrip():  # a unified diff shows this badly
                diff = f"only the end differs: apollo ends with {theirs[-20:]!r}, ours with {ours[-20:]!r}\n"
            else:
                diff = "".join(difflib.unified_diff(
                    theirs.splitlines(keepends=True), ours.splitlines(keepends=True), "apollo", "ours", n=2))
            return f"{head}: both compose, the supergraphs differ:\n{diff}"
        lines = [f"{head}: ours {'composes' if self.ours.ok else 'fails'}, apollo {'composes' if self.apollo.ok else 'fails'}"]
        for who, outcome in (("ours", self.ours), ("apollo", self.apollo)):
            for code, message in outcome.errors:
                lines.append(f"  {who}: {code}: {message}")
        return "\n".join(lines)

    def assert_same(self) -> None:
        assert self.same, self.explain()


def ours(case: Case) -> Outcome:
    result = compose([SubgraphInput(*s) for s in case.subgraphs])
    return Outcome(result.ok, result.supergraph_sdl, tuple((e.code, e.message) for e in result.errors))


def compare_with_apollo(cases: Sequence[Case]) -> dict[str, Comparison]:
    """Every case composed by both composers (Apollo's in one node process), by case name."""
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError("case names must be unique")
    theirs = apollo_compose(list(cases))
    out: dict[str, Comparison] = {}
    for case in cases:
        entry = theirs[case.name]
        apollo = Outcome(bool(entry["ok"]), entry["supergraph"], tuple((e["code"], e["message"]) for e in entry["errors"]))
        out[case.name] = Comparison(case, ours(case), apollo)
    return out


def compare_files(*files: Path, name: str = "federation") -> Comparison:
    """One federation from its subgraph files, compared; `compare_files(a, b).assert_same()`."""
    case = case_from_files(name, files)
    return compare_with_apollo([case])[name]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directories", nargs="+", type=Path, help="one federation per directory (*.graphql)")
    args = parser.parse_args()
    compared = compare_with_apollo([case_from_directory(d) for d in args.directories])
    for comparison in compared.values():
        if comparison.same:
            print(f"same: {comparison.case.name} ({'composes' if comparison.ours.ok else 'fails: ' + ' '.join(comparison.ours.codes)})")
        else:
            print(comparison.explain())
    differ = sum(1 for c in compared.values() if not c.same)
    print(f"{len(compared) - differ} same, {differ} differ")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
