"""One corpus operation through @apollo/gateway, Hive Gateway (Hive Router's planner) and our
router, and what it takes to call the answers equal: the same `data` (exact, key order
included) and the same sorted list of error paths. Where the two oracles disagree, the answer
decided from the spec in oracle_disagreements.yaml is the expected one. Shared by the pytest
file and the report script."""

from __future__ import annotations

import difflib
import hashlib
import json
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "fixtures" / "federations"))
import federation_harness as harness  # noqa: E402
from federation_harness import Federation, Operation, Stack  # noqa: E402

DECISIONS_FILE = HERE / "oracle_disagreements.yaml"
GENERATED_PER_FEDERATION = 20
TARGETS = ("apollo", "hive", "ours")


def error_paths(body: dict) -> list[str]:
    return sorted(json.dumps(e.get("path")) for e in body.get("errors") or () if isinstance(e, dict))


def outcome(body: dict) -> dict | None:
    """What is compared of an answer; None when there is no `data` (a request error)."""
    if "data" not in body:
        return None
    return {"data": body["data"], "error_paths": error_paths(body)}


# Decisions that hold for every operation, not one. Where the expected answer has a null, our
# error at (or below) that null is not counted as a difference, for two kinds of errors the
# GraphQL spec requires in `errors` but the oracles leave out:
# - an enum value the API schema does not have (an @inaccessible one a subgraph returned): both
#   oracles answer null without an error; the spec makes a value that cannot be serialised a
#   field error (Execution, CompleteValue), and we report the error at that path;
# - a null in a non-null position (a field an entity fetch did not bring, say): both propagate
#   the null, but @apollo/gateway 2.14.4 reports the error only in `extensions.valueCompletion`
#   and Hive not at all; the spec (Errors and Non-Null Fields) adds a field error at that path;
# - an object of a type the API schema does not have (an @inaccessible union member or
#   implementation) at an abstract position: both null it (Apollo with the error in
#   `extensions.valueCompletion`); the spec (CompleteValue, ResolveAbstractType must yield a
#   possible type) makes it a field error.
# The data itself, propagated nulls included, is still compared exactly, and an error the
# expected answer names must be there.
SPEC_ERRORS = ("Invalid value found for enum field", "Cannot return null for non-nullable",
               "A value of abstract type")


def spec_outcome(body: dict, expected: dict | None) -> dict | None:
    """Our answer as compared: `outcome`, less the spec's errors (above) under the oracles' nulls."""
    got = outcome(body)
    if got is None or expected is None:
        return got
    named = set(expected["error_paths"])
    kept = []
    for e in body.get("errors") or ():
        if not isinstance(e, dict):
            continue
        p = json.dumps(e.get("path"))
        if (p not in named and str(e.get("message", "")).startswith(SPEC_ERRORS)
                and _null_at(expected["data"], e.get("path"))):
            continue
        kept.append(p)
    return {"data": got["data"], "error_paths": sorted(kept)}


def _null_at(data, path) -> bool:
    """The value at `path` is null, or one of its ancestors is (a propagated null)."""
    cur = data
    for p in path or ():
        if cur is None:
            return True
        try:
            cur = cur[p]
        except (KeyError, IndexError, TypeError):
            return False
    return cur is None


def same(a: dict | None, b: dict | None) -> bool:
    return json.dumps(a) == json.dumps(b)


def pretty(o) -> str:
    return json.dumps(o, indent=1, ensure_ascii=False)


def diff(expected, got) -> str:
    return "\n".join(difflib.unified_diff(pretty(expected).splitlines(), pretty(got).splitlines(),
                                          "expected", "ours", lineterm="", n=2))


# ----------------------------------------------------------------------------- decisions


def load_decisions(path: Path = DECISIONS_FILE) -> dict[tuple[str, str], dict]:
    """(federation, operation) -> {right: apollo|hive|neither, reason, expected?}."""
    entries = yaml.safe_load(path.read_text()) if path.is_file() else None
    out = {}
    for i, e in enumerate(entries or []):
        where = f"{path.name} entry {i + 1}"
        missing = {"federation", "operation", "right", "reason"} - set(e)
        if missing:
            raise ValueError(f"{where}: missing {sorted(missing)}")
        if e["right"] not in ("apollo", "hive", "neither"):
            raise ValueError(f"{where}: right must be apollo, hive or neither")
        if e["right"] == "neither" and "expected" not in e:
            raise ValueError(f"{where}: right: neither needs expected: {{data: ..., error_paths: [...]}}")
        if not str(e["reason"]).strip():
            raise ValueError(f"{where}: the reason (from the spec) is required")
        out[(e["federation"], e["operation"])] = e
    return out


def record_hint(fed: str, op: Operation, apollo: dict, hive: dict) -> str:
    lines = [f"- federation: {fed}", f"  operation: {json.dumps(op.name)}"]
    if op.generated:
        lines.append("  query: " + json.dumps(op.query))
    lines += ["  right: apollo | hive | neither   # decided from the spec",
              "  reason: >-", "    <which spec rule decides it, and why the other oracle is wrong>",
              "  # with right: neither, also  expected: {data: ..., error_paths: [...]}"]
    return (f"@apollo/gateway and Hive disagree on {fed} / {op.name}; decide from the spec and record in "
            f"{DECISIONS_FILE.relative_to(HERE.parents[2])}:\n" + "\n".join(lines)
            + f"\n\napollo: {pretty(apollo)}\nhive:   {pretty(hive)}")


# ----------------------------------------------------------------------------- operations


def generated_operations(fed: Federation, count: int = GENERATED_PER_FEDERATION) -> list[Operation]:
    """Up to `count` distinct queries from the federation's API schema (hypothesis-graphql),
    seeded by the federation's name so each run sends the same ones."""
    from graphql import GraphQLScalarType, StringValueNode, print_schema, specified_scalar_types
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st
    from hypothesis_graphql import from_schema

    from router.supergraph import Supergraph

    api = Supergraph(fed.supergraph).api_schema
    scalars = {name: st.just(StringValueNode(value="x")) for name, t in api.type_map.items()
               if isinstance(t, GraphQLScalarType) and name not in specified_scalar_types}
    queries: list[str] = []

    # Small schemas make small documents: generating them is not slow, but hypothesis counts
    # duplicates against the budget, so only "too_slow" (CI's 2 cores) is let through.
    @settings(max_examples=count * 3, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=[HealthCheck.too_slow])
    @seed(zlib.crc32(fed.name.encode()))
    @given(from_schema(print_schema(api), fields=sorted(api.query_type.fields), custom_scalars=scalars,
                       allow_x00=False, codec="ascii"))
    def collect(query):
        if query not in queries and len(queries) < count:
            queries.append(query)

    collect()
    return [Operation("generated:" + hashlib.sha1(q.encode()).hexdigest()[:10], q, None, True) for q in queries]


def all_operations(fed: Federation) -> list[Operation]:
    return fed.operations + generated_operations(fed)


# ----------------------------------------------------------------------------- comparing


@dataclass
class Result:
    federation: str
    op: Operation
    answers: dict = field(default_factory=dict)  # target -> body
    fetches: dict = field(default_factory=dict)  # target -> subgraph requests it caused
    expected: dict | None = None  # the outcome ours must match; None: not compared
    status: str = ""  # agree | decided | undecided | refused | stale-decision | hand-checked
    problem: str = ""  # why this operation fails the test ("" = fine)

    @property
    def compared(self) -> bool:
        return self.expected is not None

    @property
    def ours_matches(self) -> bool:
        return self.compared and same(spec_outcome(self.answers["ours"], self.expected), self.expected)


def mutation_order(query: str, requests: list[dict]) -> str:
    """Why the subgraph requests of a mutation broke serial execution ("" when they did not):
    the root mutation fields must reach the subgraphs in document order, and each must start
    only after everything sent before it (the previous fields' entity fetches too) has been
    answered (GraphQL spec, Mutation: root fields are executed serially)."""
    from graphql import FieldNode, OperationDefinitionNode, parse

    op = next(d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode))
    if op.operation.value != "mutation":
        return ""
    want = [(s.alias or s.name).value for s in op.selection_set.selections
            if isinstance(s, FieldNode) and s.name.value != "__typename"]
    reqs = sorted(requests, key=lambda r: r["start"])
    sent: list[str] = []
    for i, r in enumerate(reqs):
        if not r["query"].lstrip().startswith("mutation"):
            continue
        mop = next(d for d in parse(r["query"]).definitions if isinstance(d, OperationDefinitionNode))
        sent += [(s.alias or s.name).value for s in mop.selection_set.selections if isinstance(s, FieldNode)]
        early = [p for p in reqs[:i] if p["end"] is None or p["end"] > r["start"]]
        if early:
            return f"mutation request to {r['subgraph']} started before {len(early)} earlier request(s) were answered"
    if sent != [k for k in want if k in sent] or len(set(sent)) != len(sent):
        return f"mutation fields reached the subgraphs in the order {sent}, not {want}"
    return ""


# Whether every answer's subgraph requests are read (the report counts fetches); the test reads
# them only where it checks them (our mutations' order), which saves a request per answer.
READ_LOGS = False


def _is_mutation(op: Operation) -> bool:
    return op.query.lstrip().startswith("mutation")


def _ask(stack: Stack, target: str, fed: Federation, op: Operation) -> tuple[dict, list[dict]]:
    if READ_LOGS:
        return stack.ask(target, fed.name, op)
    if target == "ours" and _is_mutation(op):
        stack.log(fed.name)  # forget what the unread answers before this one caused
        return stack.ask(target, fed.name, op)
    return stack.ask(target, fed.name, op, read_log=False)


def _decided(decision: dict) -> dict:
    return {"data": decision["expected"].get("data"),
            "error_paths": sorted(json.dumps(p) for p in decision["expected"].get("error_paths", []))}


def compare(stack: Stack, fed: Federation, op: Operation, decisions: dict) -> Result:
    res = Result(fed.name, op)
    if fed.expected is not None:  # no oracle supports the feature: the hand-checked answer
        res.answers["ours"], res.fetches["ours"] = _ask(stack, "ours", fed, op)
        for t in ("apollo", "hive"):
            res.answers[t], res.fetches[t] = {}, []
        want = fed.expected["answers"][op.name]
        res.expected = {"data": want.get("data"),
                        "error_paths": sorted(json.dumps(p) for p in want.get("error_paths", []))}
        res.status = "hand-checked"
        ours = spec_outcome(res.answers["ours"], res.expected)
        if not same(ours, res.expected):
            res.problem = (f"our router differs from the hand-checked answer (expected.json) on {fed.name} / "
                           f"{op.name}\n{op.query}\nexpected: {pretty(res.expected)}\nours:     "
                           f"{pretty(res.answers['ours'])}\ndiff (expected -> ours):\n{diff(res.expected, ours)}")
        return res
    for t in TARGETS:
        res.answers[t], res.fetches[t] = _ask(stack, t, fed, op)
    apollo, hive, ours = (outcome(res.answers[t]) for t in TARGETS)
    decision = decisions.get((fed.name, op.name))
    if same(apollo, hive):
        if apollo is None:
            res.status = "refused"
            if not op.generated:  # a hand-written operation must be answerable
                res.problem = (f"both oracles refused {fed.name} / {op.name}:\napollo: {pretty(res.answers['apollo'])}"
                               f"\nhive:   {pretty(res.answers['hive'])}")
            return res
        res.expected = apollo
        res.status = "agree"
        if decision:
            want = _decided(decision)
            if decision["right"] != "neither" or same(want, apollo):
                res.status = "stale-decision"
                res.problem = (f"{DECISIONS_FILE.name} records a decision for {fed.name} / {op.name}, but the "
                               "oracles now agree: remove the entry")
                return res
            res.expected, res.status = want, "decided"  # both oracles wrong in the same way
    elif decision is None:
        res.status = "undecided"
        res.problem = record_hint(fed.name, op, res.answers["apollo"], res.answers["hive"])
        return res
    else:
        res.status = "decided"
        res.expected = (apollo if decision["right"] == "apollo" else hive if decision["right"] == "hive"
                        else _decided(decision))
    ours = spec_outcome(res.answers["ours"], res.expected)
    order = mutation_order(op.query, res.fetches["ours"])
    if order:
        res.problem = f"our router broke serial mutation execution on {fed.name} / {op.name}: {order}\n{op.query}"
        return res
    if not same(ours, res.expected):
        source = "both oracles" if res.status == "agree" else f"the recorded decision ({decision['right']})"
        res.problem = (f"our router differs from {source} on {fed.name} / {op.name}\n{op.query}\n"
                       f"variables: {json.dumps(op.variables)}\n"
                       f"expected: {pretty(res.expected)}\nours:     {pretty(res.answers['ours'])}\n"
                       f"diff (expected -> ours):\n{diff(res.expected, ours)}")
    return res


def run_federation(stack: Stack, fed: Federation, decisions: dict, generated=None) -> list[Result]:
    """The hand-written operations, then the generated ones (`generated`: a future of them,
    from a Generation, else they are generated here)."""
    stack.log(fed.name)  # start from an empty log
    results = [compare(stack, fed, op, decisions) for op in fed.operations]
    if fed.expected is not None:
        return results  # generated operations need an oracle
    ops = generated.result() if generated is not None else generated_operations(fed)
    return results + [compare(stack, fed, op, decisions) for op in ops]


class Generation:
    """Generates every federation's operations in one separate process (spawned: this one runs
    server threads), so that hypothesis' CPU time overlaps the servers' start and the first
    federations' runs instead of adding to them."""

    def __init__(self, feds: list[Federation]) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        self.futures = {f.name: self.pool.submit(generated_operations, f) for f in feds}

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


def our_composition(fed: Federation) -> str:
    """How our composer (supergraph/) does on the federation: "same" as the checked-in
    @apollo/composition output (byte for byte: compose.mjs ends the file with one newline of
    its own, which Apollo's output does not have), "differs", or "error: <codes>"."""
    from supergraph.compose import SubgraphInput, compose

    subs = sorted((fed.dir / "subgraphs").glob("*.graphql"))
    result = compose([SubgraphInput(p.stem, f"{harness.PLACEHOLDER}{fed.name}/{p.stem}/graphql", p.read_text())
                      for p in subs])
    if not result.ok:
        return "error: " + ",".join(sorted({getattr(e, "code", "?") for e in result.errors}))
    apollo = fed.supergraph[:-1] if fed.supergraph.endswith("\n") else fed.supergraph
    return "same" if result.supergraph_sdl == apollo else "differs"


def load_all(only: list[str] | None = None) -> list[Federation]:
    names = harness.names()
    unknown = set(only or ()) - set(names)
    if unknown:
        raise SystemExit(f"no such federation: {sorted(unknown)}")
    return [harness.load(n) for n in names if not only or n in only]


def run_all(stack: Stack, feds: list[Federation], decisions: dict, generation: Generation | None = None,
            workers: int = 3) -> dict[str, list[Result]]:
    """Every federation's results. Federations run side by side (each one's operations one at
    a time, so its request log stays its own): the three servers and this process share the
    cores instead of waiting on each other."""
    from concurrent.futures import ThreadPoolExecutor

    own = generation is None
    generation = generation or Generation(feds)
    try:
        with ThreadPoolExecutor(workers) as pool:
            futures = {f.name: pool.submit(run_federation, stack, f, decisions, generation.futures[f.name])
                       for f in feds}
            return {name: fut.result() for name, fut in futures.items()}
    finally:
        if own:
            generation.close()
