"""Command line: `router [serve] --supergraph FILE` runs the gateway; `router plan` prints a plan."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile

from . import connections
from .config import ConfigError, load_config
from .supergraph import Supergraph, SupergraphError


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def _compose(path: str) -> str:
    from supergraph import CompositionFailed, compose_config

    try:
        return compose_config(path)
    except CompositionFailed as e:
        raise SystemExit(f"router: composing {path} failed:\n{e}") from None


def cmd_plan(args: argparse.Namespace) -> int:
    from .operation import DocumentCache, OperationError, prepare_operation
    from .planner import PlanningError, build_plan

    try:
        sg = Supergraph(_read(args.supergraph))
    except (OSError, SupergraphError) as e:
        print(f"router: {e}", file=sys.stderr)
        return 2
    query = sys.stdin.read() if args.query_file == "-" else _read(args.query_file)
    variables = json.loads(args.variables) if args.variables else None
    try:
        op = prepare_operation(sg.api_schema, DocumentCache(sg.api_schema).get(query), args.operation_name, variables)
        plan = build_plan(sg, op, frozenset(args.label or ()))
    except OperationError as e:
        for err in e.errors:
            print(f"error: {err['message']}", file=sys.stderr)
        return 1
    except PlanningError as e:
        print(f"planning failed: {e}", file=sys.stderr)
        return 1
    print(plan.print())
    if args.verbose:
        for f in plan.fetches:
            print(f"# fetch {f.id} {f.service} (after {list(f.deps)}): {f.operation}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    logging.basicConfig(level=os.environ.get("ROUTER_LOG", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.supergraph:
        os.environ["ROUTER_SUPERGRAPH"] = os.path.abspath(args.supergraph)
    if args.port is not None:
        os.environ["ROUTER_PORT"] = str(args.port)
    if args.host:
        os.environ["ROUTER_HOST"] = args.host
    if args.workers is not None:
        os.environ["ROUTER_WORKERS"] = str(args.workers)
    if args.config:
        os.environ["ROUTER_CONFIG"] = os.path.abspath(args.config)
    if args.compose:
        sdl = _compose(args.compose)
        fd, out = tempfile.mkstemp(prefix="router-composed-", suffix=".graphql")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(sdl)
        os.environ["ROUTER_SUPERGRAPH"] = out
    try:
        cfg = load_config(os.environ.get("ROUTER_CONFIG"))
        if not cfg.supergraph_path:
            raise ConfigError("no supergraph: pass --supergraph FILE (or supergraph.path in the config)")
        Supergraph(_read(cfg.supergraph_path))
        from .plugins import build_plugins

        build_plugins(cfg)  # plugin sections are validated here, before any worker starts
        server_options = connections.uvicorn_options(cfg)
    except (ConfigError, SupergraphError, OSError) as e:
        print(f"router: {e}", file=sys.stderr)
        return 2
    from . import workers

    if cfg.workers > 1:
        return workers.serve(cfg.host, cfg.port, cfg.workers)
    import uvicorn

    uvicorn.run(workers.APP, host=cfg.host, port=cfg.port, **workers.UVICORN_OPTIONS, **server_options)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "plan":
        p = argparse.ArgumentParser(prog="router plan", description="Print the query plan of an operation.")
        p.add_argument("--supergraph", required=True)
        p.add_argument("query_file", help="file with the operation ('-' for stdin)")
        p.add_argument("--operation-name")
        p.add_argument("--variables", help="JSON object (only @skip/@include variables change a plan)")
        p.add_argument("--label", action="append", help="active progressive-override label")
        p.add_argument("-v", "--verbose", action="store_true", help="also print each subgraph operation")
        return cmd_plan(p.parse_args(argv[1:]))
    if argv and argv[0] == "serve":
        argv = argv[1:]
    p = argparse.ArgumentParser(prog="router", description="Federation v2 router. Subcommands: serve (default), plan.")
    p.add_argument("--supergraph")
    p.add_argument("--compose", help="compose a supergraph.yaml at start instead of --supergraph")
    p.add_argument("--config")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    return cmd_serve(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
