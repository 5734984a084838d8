"""Federation v2 composition in Python: subgraph SDLs in, a standard supergraph SDL out."""

from .project import UsageError, compose_config_file, format_errors


class CompositionFailed(Exception):
    """Composition rejected the subgraphs; the message lists every error with its code."""


def compose_config(path: str) -> str:
    """The supergraph SDL for a rover-format `supergraph.yaml`, exactly as `supergraph compose`
    writes it (and as `@apollo/composition` would: no final newline)."""
    try:
        result = compose_config_file(path)
    except UsageError as error:
        raise CompositionFailed(str(error)) from None
    if not result.ok:
        raise CompositionFailed(format_errors(result.errors))
    assert result.supergraph_sdl is not None
    return result.supergraph_sdl
