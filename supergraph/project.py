"""A composition project as rover's `supergraph.yaml` describes it: each subgraph's SDL (from a
file, inline, git or introspection) and their composition. The library entry point
(`supergraph.compose_config`) and the CLI (`__main__`) both use it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .compose import CompositionResult, SubgraphInput, compose
from .config import ConfigError, SupergraphConfig, load_config
from .errors import CompositionError
from .introspect import IntrospectionError, fetch_sdl


class UsageError(Exception):
    """Bad input from the user: printed without a traceback, exit code 2."""


def read_source(source: str) -> str:
    if source.startswith("git:"):
        _, rev, path = source.split(":", 2)
        proc = subprocess.run(["git", "show", f"{rev}:{path}"], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise UsageError(f"cannot read {path} at {rev} from git: {proc.stderr.strip()}")
        return proc.stdout
    try:
        return Path(source).read_text()
    except OSError as e:
        raise UsageError(f"cannot read {source}: {e.strerror}") from None


def subgraph_inputs(config: SupergraphConfig, overrides: dict[str, str] | None = None) -> list[SubgraphInput]:
    """SDL of each configured subgraph: from its file, inline, or introspected; `overrides` win."""
    out = []
    for s in config.subgraphs:
        if overrides and s.name in overrides:
            sdl = read_source(overrides[s.name])
        elif s.file is not None:
            try:
                sdl = s.file.read_text()
            except OSError as e:
                raise UsageError(f'subgraph "{s.name}": cannot read {s.file}: {e.strerror}') from None
        elif s.sdl is not None:
            sdl = s.sdl
        else:
            try:
                sdl = fetch_sdl(s)
            except IntrospectionError as e:
                raise UsageError(str(e)) from None
        out.append(SubgraphInput(s.name, s.routing_url, sdl))
    unknown = set(overrides or ()) - {s.name for s in config.subgraphs}
    if unknown:
        raise UsageError(f"--subgraph: no subgraph named {', '.join(sorted(unknown))} in {config.path}")
    return out


def format_errors(errors: list[CompositionError]) -> str:
    lines = [f"error[{e.code}]: {e.message}" for e in errors]
    lines.append(f"composition failed with {len(errors)} error{'s' if len(errors) != 1 else ''}")
    return "\n\n".join(lines)


def compose_config_file(config_path: str, overrides: dict[str, str] | None = None) -> CompositionResult:
    try:
        config = load_config(config_path)
    except ConfigError as e:
        raise UsageError(str(e)) from None
    return compose(subgraph_inputs(config, overrides))
