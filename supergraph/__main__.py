"""`supergraph compose` and `supergraph check`: the command line.

    supergraph compose --config supergraph/supergraph.yaml [--output schema/supergraph.graphql]
    supergraph check --baseline OLD --schema NEW [--operations 'schema/operations/**/*.graphql']
                     [--format json] [--ack FILE]
    supergraph check --config supergraph/supergraph.yaml --subgraph orders=schema/orders.graphql

Exit codes: 0 success; 1 composition errors or unacknowledged breaking changes;
2 bad usage, unreadable input or invalid configuration.
A baseline can also be read from git: `--baseline git:HEAD~1:schema/supergraph.graphql`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from .project import UsageError, compose_config_file, format_errors, read_source

DEFAULT_CONFIG = "supergraph/supergraph.yaml"


def cmd_compose(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    result = compose_config_file(args.config)
    elapsed = time.perf_counter() - started
    if not result.ok:
        if args.format == "json":
            print(json.dumps({"errors": [e.__dict__ | {"subgraphs": list(e.subgraphs)} for e in result.errors]}, indent=2))
        else:
            print(format_errors(result.errors), file=sys.stderr)
        return 1
    assert result.supergraph_sdl is not None
    sdl = result.supergraph_sdl  # exactly Apollo's text: no final newline, to the byte
    if args.output:
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(sdl)
        tmp.replace(out)  # readers (a router watching the file) never see half a supergraph
        print(f"wrote {args.output} ({len(sdl)} bytes, composed in {elapsed * 1000:.0f} ms)", file=sys.stderr)
    else:
        sys.stdout.write(sdl)
    for h in result.hints if args.hints else ():
        print(f"hint[{h.code}]: {h.message}", file=sys.stderr)
    return 0


def _parse_overrides(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        name, sep, path = v.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--subgraph expects NAME=FILE, got {v!r}")
        out[name] = path
    return out


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check, format_json, format_text, load_acknowledgements, load_api_schema, load_operations

    overrides = _parse_overrides(args.subgraph or [])
    if overrides:
        config_path = args.config or DEFAULT_CONFIG
        result = compose_config_file(config_path, overrides)
        if not result.ok:
            print(format_errors(result.errors), file=sys.stderr)
            return 1
        assert result.supergraph_sdl is not None
        new_sdl = result.supergraph_sdl
        if args.baseline:
            old_sdl = read_source(args.baseline)
        else:
            base = compose_config_file(config_path)
            if not base.ok:
                print("the current configuration does not compose; give --baseline", file=sys.stderr)
                print(format_errors(base.errors), file=sys.stderr)
                return 1
            assert base.supergraph_sdl is not None
            old_sdl = base.supergraph_sdl
    else:
        if not args.baseline or not args.schema:
            raise UsageError("check needs --baseline and --schema (or --subgraph NAME=FILE to recompose)")
        old_sdl, new_sdl = read_source(args.baseline), read_source(args.schema)
    try:
        old, new = load_api_schema(old_sdl), load_api_schema(new_sdl)
    except Exception as e:  # graphql-core raises several error types for invalid SDL
        raise UsageError(f"invalid schema: {e}") from None
    operations = None
    if args.operations:
        try:
            operations = load_operations(args.operations)
        except Exception as e:
            raise UsageError(f"cannot read operations: {e}") from None
    try:
        acknowledged = load_acknowledgements(args.ack) if args.ack else set()
    except ValueError as e:
        raise UsageError(str(e)) from None
    report = check(old, new, operations, acknowledged)
    print(format_json(report) if args.format == "json" else format_text(report))
    return 0 if report.passed else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="supergraph", description="Compose Federation 2 subgraphs; check schema changes.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("compose", help="compose the subgraphs of a rover-style supergraph.yaml")
    p.add_argument("--config", default=DEFAULT_CONFIG, help=f"supergraph.yaml (default {DEFAULT_CONFIG})")
    p.add_argument("--output", "-o", help="write the supergraph SDL here instead of stdout")
    p.add_argument("--format", choices=("text", "json"), default="text", help="format of error output")
    p.add_argument("--hints", action="store_true", help="also print composition hints")
    p.set_defaults(func=cmd_compose)

    c = sub.add_parser("check", help="classify changes between two API schemas (BREAKING / DANGEROUS / SAFE)")
    c.add_argument("--baseline", help="old supergraph or API schema (a file, or git:REV:PATH)")
    c.add_argument("--schema", help="new supergraph or API schema (a file, or git:REV:PATH)")
    c.add_argument("--operations", action="append", help="glob of stored client operations (repeatable)")
    c.add_argument("--format", choices=("text", "json"), default="text")
    c.add_argument("--ack", help="acknowledgement file: intentional breaking changes, `CODE coordinate` per line")
    c.add_argument("--config", help=f"supergraph.yaml for --subgraph (default {DEFAULT_CONFIG})")
    c.add_argument("--subgraph", action="append", metavar="NAME=FILE",
                   help="recompose with this subgraph's SDL replaced, and check the result")
    c.set_defaults(func=cmd_check)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
        return code
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `supergraph compose | head`: the reader left; stop quietly as other Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
