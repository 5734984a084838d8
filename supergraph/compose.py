"""Compose subgraph SDLs into a supergraph: the library entry point.

Stages, each a plain function over plain data: parse and validate every
subgraph, upgrade Federation 1 ones, check federation rules per subgraph, merge,
check that every query the supergraph allows can be planned (satisfiability),
print. All errors of a stage are reported together; a stage with errors stops
the pipeline, as later stages would only report consequences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .api import api_errors
from .context_rules import extraction_errors
from .errors import CompositionError, CompositionFailed, Hint, SyntaxFailed
from .merge import SupergraphModel, merge_subgraphs
from .printer import print_supergraph
from .rules import validate_subgraph
from .satisfiability import validate_satisfiability
from .subgraph import Subgraph, parse_subgraph
from .upgrade import upgrade_all


@dataclass(frozen=True)
class SubgraphInput:
    """What a user hands us for one subgraph: its name, routing URL and SDL."""

    name: str
    url: str
    sdl: str


@dataclass
class CompositionResult:
    supergraph_sdl: str | None = None
    supergraph: SupergraphModel | None = None
    errors: list[CompositionError] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.supergraph_sdl is not None


def build_subgraphs(inputs: list[SubgraphInput]) -> tuple[list[Subgraph], list[CompositionError]]:
    """Parse, upgrade and validate each subgraph on its own."""
    errors: list[CompositionError] = []
    syntax_errors: list[CompositionError] = []
    subgraphs: list[Subgraph] = []
    seen: set[str] = set()
    for s in inputs:
        if s.name in seen:
            errors.append(CompositionError("INVALID_SUBGRAPH_NAME", f'A subgraph named "{s.name}" is listed twice', (s.name,)))
            continue
        seen.add(s.name)
        try:
            sub = parse_subgraph(s.name, s.url, s.sdl)
        except SyntaxFailed as e:
            syntax_errors.extend(e.errors)
            continue
        except CompositionFailed as e:
            errors.extend(e.errors)
            continue
        sub.analyse()
        errors.extend(sub.root_errors)
        if not sub.fed1:
            # Federation 2 subgraphs are checked on their own, whatever the others contain;
            # Federation 1 ones once upgraded, which needs all the others.
            errors.extend(validate_subgraph(sub))
        subgraphs.append(sub)
    if syntax_errors:
        return subgraphs, syntax_errors
    if errors:
        return subgraphs, errors
    upgraded, errors = upgrade_all(subgraphs)
    if errors:
        return upgraded, errors
    for before, after in zip(subgraphs, upgraded):
        if before.fed1:
            errors.extend(validate_subgraph(after))
    return upgraded, errors


def compose(inputs: list[SubgraphInput], satisfiability: bool = True) -> CompositionResult:
    """Compose; never raises for bad input: problems come back as `errors` with Apollo's codes."""
    subgraphs, errors = build_subgraphs(inputs)
    if errors:
        return CompositionResult(errors=errors)
    supergraph, errors, hints = merge_subgraphs(subgraphs)
    if errors:
        return CompositionResult(errors=errors, hints=hints)
    if satisfiability:
        errors = api_errors(supergraph) or extraction_errors(supergraph, supergraph.subgraphs)
        if errors:
            return CompositionResult(errors=errors, hints=hints)
        errors = validate_satisfiability(supergraph)
        if errors:
            return CompositionResult(errors=errors, hints=hints)
    return CompositionResult(print_supergraph(supergraph), supergraph, [], hints)
