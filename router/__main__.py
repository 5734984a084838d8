"""Command line: `router [serve] --supergraph FILE` runs the gateway; `router plan` prints a plan;
`router config schema` prints the JSON Schema of router.yaml."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from typing import Any

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
        doc = DocumentCache(sg.api_schema).get(query)
        op = prepare_operation(sg.api_schema, doc, args.operation_name, variables, conditions_only=True)
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
    from .logs import configure_logging, log_level, supergraph_hash

    level = log_level()
    configure_logging(level)
    # The command line overrides the environment, which overrides the file: one environment
    # handed to load_config, never written back to os.environ.
    overrides: dict[str, str] = {}
    if args.supergraph:
        overrides["ROUTER_SUPERGRAPH"] = os.path.abspath(args.supergraph)
    if args.port is not None:
        overrides["ROUTER_PORT"] = str(args.port)
    if args.host:
        overrides["ROUTER_HOST"] = args.host
    if args.workers is not None:
        overrides["ROUTER_WORKERS"] = str(args.workers)
    config_path = os.path.abspath(args.config) if args.config else os.environ.get("ROUTER_CONFIG")
    if args.compose:
        sdl = _compose(args.compose)
        fd, out = tempfile.mkstemp(prefix="router-composed-", suffix=".graphql")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(sdl)
        overrides["ROUTER_SUPERGRAPH"] = out
    try:
        cfg = load_config(config_path, env={**os.environ, **overrides})
        if not cfg.supergraph_path:
            raise ConfigError("no supergraph: pass --supergraph FILE (or supergraph.path in the config)")
        sdl = _read(cfg.supergraph_path)
        Supergraph(sdl)
        from .plugins import build_plugins

        build_plugins(cfg)  # plugin sections are validated here, before any worker starts
        from . import health

        health.validate(cfg)
        from .subscriptions import settings as subscription_settings

        subscription_settings.load(cfg)
        connections.uvicorn_options(cfg)  # validated before the server starts
    except (ConfigError, SupergraphError, OSError) as e:
        print(f"router: {e}", file=sys.stderr)
        return 2
    from . import workers

    log = logging.getLogger("router")
    about: dict[str, Any] = {
        "url": f"http://{cfg.host}:{cfg.port}/graphql",
        "supergraph": supergraph_hash(sdl),
        "supergraph_path": cfg.supergraph_path,
        "plugins": list(cfg.sections),
        "workers": cfg.workers,
    }

    def started() -> None:
        log.info("router started on %s (supergraph %s; plugins: %s)", about["url"], about["supergraph"],
                 ", ".join(about["plugins"]) or "none", extra=about)

    def stopped() -> None:
        log.info("router stopped on %s", about["url"], extra={"url": about["url"]})

    if cfg.workers > 1:
        code = workers.serve(cfg, level, started)
        stopped()
        return code
    workers.serve_one(cfg, started, stopped)
    return 0


SUBCOMMANDS = """subcommands:
  serve   run the gateway (the default: `router --supergraph FILE` is `router serve --supergraph FILE`)
  plan    print the query plan of an operation: router plan --supergraph FILE QUERY_FILE (`router plan -h`)
  config  `router config schema` prints the JSON Schema of router.yaml (for editors and CI)
"""


def cmd_config(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="router config", description="About router.yaml.")
    p.add_argument("what", choices=["schema"], help="schema: print the JSON Schema of router.yaml")
    p.parse_args(argv)
    from .config_schema import schema

    print(json.dumps(schema(), indent=2))
    return 0


def _plan_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="router plan", description="Print the query plan of an operation.")
    p.add_argument("--supergraph", required=True)
    p.add_argument("query_file", help="file with the operation ('-' for stdin)")
    p.add_argument("--operation-name")
    p.add_argument("--variables", help="JSON object; only the variables @skip/@include read are needed (they alone change a plan)")
    p.add_argument("--label", action="append", help="active progressive-override label")
    p.add_argument("-v", "--verbose", action="store_true", help="also print each subgraph operation")
    return p


def _serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="router",
        usage="router [serve] [--supergraph FILE | --compose YAML] [options]\n       router plan --supergraph FILE QUERY_FILE [options]\n"
              "       router config schema",
        description="Federation v2 router.",
        epilog=SUBCOMMANDS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--supergraph", help="supergraph SDL file")
    p.add_argument("--compose", help="compose a supergraph.yaml at start instead of --supergraph")
    p.add_argument("--config", help="router.yaml")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    return p


def _run(argv: list[str]) -> int:
    if argv and argv[0] == "plan":
        return cmd_plan(_plan_parser().parse_args(argv[1:]))
    if argv and argv[0] == "config":
        return cmd_config(argv[1:])
    if argv and argv[0] == "serve":
        argv = argv[1:]
    return cmd_serve(_serve_parser().parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    try:
        code = _run(list(sys.argv[1:] if argv is None else argv))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except BrokenPipeError:
        # `router plan ... | head`: the reader left; stop quietly as other Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
