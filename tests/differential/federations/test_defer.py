"""@defer against the oracle: the corpus' query operations with @defer inserted at seeded
random places (fields moved into deferred inline fragments, existing fragments deferred,
labels or none, nested), sent to our router as multipart requests and merged client-side;
the merged data must equal @apollo/gateway's answer to the same operation without @defer.
Only answers without errors are compared there (an error's null stays inside its deferred
fragment by design, so the shapes differ).

With errors and nulls (failing subgraphs, null entities, non-null fields answered null), the
initial payload is compared instead: it must equal the gateway's answer to the operation with
its deferred fragments left out, whatever the deferred fields do (null propagation from a
deferred field stops at its fragment). The tests assert how many were compared."""

from __future__ import annotations

import random
import sys
import zlib
from pathlib import Path

import pytest
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    parse,
    print_ast,
)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "fixtures" / "federations"))
sys.path.insert(0, str(HERE.parents[1] / "fixtures" / "router"))
import federation_harness as harness  # noqa: E402

sys.path.insert(0, str(HERE))
import federation_diff  # noqa: E402
import incremental as inc  # noqa: E402

MIN_COMPARED = 150
MIN_DEFERRED_PARTS = 150
MIN_PRIMARY_COMPARED = 200
MIN_PRIMARY_WITH_ERRORS = 30  # of them, operations whose whole answer has errors or nulls


def _defer(rng: random.Random, labels: list[str]) -> DirectiveNode:
    args = []
    if rng.random() < 0.5:
        labels.append(f"d{len(labels)}")
        args.append(ArgumentNode(name=NameNode(value="label"), value=StringValueNode(value=labels[-1])))
    if rng.random() < 0.15:
        args.append(ArgumentNode(name=NameNode(value="if"), value=BooleanValueNode(value=True)))
    return DirectiveNode(name=NameNode(value="defer"), arguments=tuple(args))


def _insert(ss: SelectionSetNode, rng: random.Random, labels: list[str], count: list[int]) -> SelectionSetNode:
    out = []
    for s in ss.selections:
        if isinstance(s, FieldNode) and s.selection_set is not None:
            s = FieldNode(alias=s.alias, name=s.name, arguments=s.arguments, directives=s.directives,
                          selection_set=_insert(s.selection_set, rng, labels, count))
        elif isinstance(s, InlineFragmentNode):
            directives = s.directives
            if rng.random() < 0.3 and not any(d.name.value == "defer" for d in directives or ()):
                directives = (*(directives or ()), _defer(rng, labels))
                count[0] += 1
            s = InlineFragmentNode(type_condition=s.type_condition, directives=directives,
                                   selection_set=_insert(s.selection_set, rng, labels, count))
        elif isinstance(s, FragmentSpreadNode) and rng.random() < 0.3:
            s = FragmentSpreadNode(name=s.name, directives=(*(s.directives or ()), _defer(rng, labels)))
            count[0] += 1
        out.append(s)
    fields = [i for i, s in enumerate(out) if isinstance(s, FieldNode) and s.name.value != "__typename"]
    if fields and rng.random() < 0.5:
        moved = set(rng.sample(fields, rng.randint(1, len(fields))))
        keep = [s for i, s in enumerate(out) if i not in moved]
        inner = SelectionSetNode(selections=tuple(s for i, s in enumerate(out) if i in moved))
        keep.append(InlineFragmentNode(type_condition=None, directives=(_defer(rng, labels),), selection_set=inner))
        count[0] += 1
        out = keep
    return SelectionSetNode(selections=tuple(out))


def with_defer(query: str, seed: int) -> str | None:
    """The operation with @defer inserted (None when no place was picked)."""
    rng = random.Random(seed)
    doc = parse(query)
    labels: list[str] = []
    count = [0]
    defs = []
    for d in doc.definitions:
        if isinstance(d, OperationDefinitionNode):
            d = OperationDefinitionNode(operation=d.operation, name=d.name, variable_definitions=d.variable_definitions,
                                        directives=d.directives,
                                        selection_set=_insert(d.selection_set, rng, labels, count))
        elif hasattr(d, "selection_set"):
            d = type(d)(name=d.name, type_condition=d.type_condition, directives=d.directives,
                        variable_definitions=getattr(d, "variable_definitions", None),
                        selection_set=_insert(d.selection_set, rng, labels, count))
        defs.append(d)
    if not count[0]:
        return None
    return print_ast(type(doc)(definitions=tuple(defs)))


@pytest.fixture(scope="module")
def stack():
    feds = [harness.load(n) for n in harness.names()]
    feds = [f for f in feds if f.expected is None]  # an oracle must answer
    s = harness.Stack(feds)
    try:
        yield s
    finally:
        s.stop()


def test_deferred_operations_merge_to_the_gateways_answer(stack):
    decisions = federation_diff.load_decisions()
    compared = 0
    parts_seen = 0
    problems: list[str] = []
    for fed in stack.federations.values():
        for op in fed.operations:
            if not op.query.lstrip().startswith(("query", "{")):
                continue  # mutations change the data between the two requests
            apollo, _ = stack.ask("apollo", fed.name, op, read_log=False)
            if apollo.get("errors") or apollo.get("data") is None or apollo.get("__status") != 200:
                continue
            ours, _ = stack.ask("ours", fed.name, op, read_log=False)
            if ours.get("errors"):  # our own errors (an @inaccessible enum value): nulls stay in their items
                continue
            # where oracle_disagreements.yaml decided the gateway is wrong, the decided answer
            # (which our router's own answer is checked against by test_federations.py)
            expected = ours.get("data") if (fed.name, op.name) in decisions else apollo["data"]
            for attempt in range(2):
                deferred = with_defer(op.query, zlib.crc32(f"{fed.name}/{op.name}/{attempt}".encode()))
                if deferred is None:
                    continue
                body = {"query": deferred, "variables": op.variables or {}, "operationName": op.name}
                r = stack.http.post(stack.url("ours", fed.name), json=body, headers={"accept": inc.ACCEPT})
                ctype = r.headers.get("content-type", "")
                if ctype.startswith("multipart/mixed"):
                    parts = inc.parts(r.content, ctype)
                    parts_seen += len(parts) - 1
                    if parts[-1].get("hasNext") is not False or any(p.get("hasNext") is not True for p in parts[:-1]):
                        problems.append(f"{fed.name}/{op.name}: hasNext wrong in {parts}")
                        continue
                    merged = inc.merge(parts)
                else:
                    merged = r.json()
                compared += 1
                if merged.get("errors") or merged.get("data") != expected:
                    problems.append(f"{fed.name}/{op.name}\n{deferred}\nexpected: {expected}\n"
                                    f"merged:   {merged}\nparts: {parts if ctype.startswith('multipart') else None}")
    print(f"deferred operations compared: {compared}, incremental parts: {parts_seen}")
    assert not problems, f"{len(problems)} of {compared} deferred operations differ:\n\n" + "\n\n".join(problems[:10])
    assert compared >= MIN_COMPARED, f"only {compared} deferred operations compared"
    assert parts_seen >= MIN_DEFERRED_PARTS, f"only {parts_seen} incremental parts seen"


class _Empty(Exception):
    """A selection set left with nothing once its deferred fragments are out."""


def _is_deferred(s) -> bool:
    return isinstance(s, (InlineFragmentNode, FragmentSpreadNode)) and any(
        d.name.value == "defer" for d in s.directives or ())


def _strip(ss: SelectionSetNode) -> SelectionSetNode:
    out = []
    for s in ss.selections:
        if _is_deferred(s):
            continue
        if isinstance(s, FieldNode) and s.selection_set is not None:
            s = FieldNode(alias=s.alias, name=s.name, arguments=s.arguments, directives=s.directives,
                          selection_set=_strip(s.selection_set))
        elif isinstance(s, InlineFragmentNode):
            s = InlineFragmentNode(type_condition=s.type_condition, directives=s.directives,
                                   selection_set=_strip(s.selection_set))
        out.append(s)
    if not out:
        raise _Empty
    return SelectionSetNode(selections=tuple(out))


def _spreads(ss: SelectionSetNode, into: set[str]) -> None:
    for s in ss.selections:
        if isinstance(s, FragmentSpreadNode):
            into.add(s.name.value)
        elif getattr(s, "selection_set", None) is not None:
            _spreads(s.selection_set, into)


def without_deferred(query: str) -> str | None:
    """The operation with its deferred fragments left out: what its initial payload holds (None
    when a selection would be left empty)."""
    doc = parse(query)
    try:
        defs = [type(d)(**{**{k: getattr(d, k) for k in d.keys if k != "loc"}, "selection_set": _strip(d.selection_set)})
                if hasattr(d, "selection_set") else d for d in doc.definitions]
    except _Empty:
        return None
    frags = {d.name.value: d for d in defs if isinstance(d, FragmentDefinitionNode)}
    used: set[str] = set()
    todo = [d for d in defs if isinstance(d, OperationDefinitionNode)]
    while todo:
        found: set[str] = set()
        _spreads(todo.pop().selection_set, found)
        for name in found - used:
            used.add(name)
            todo.append(frags[name])
    kept = [d for d in defs if not isinstance(d, FragmentDefinitionNode) or d.name.value in used]
    return print_ast(DocumentNode(definitions=tuple(kept)))


def test_initial_payload_is_the_gateways_answer_without_the_deferred_fragments(stack):
    decisions = federation_diff.load_decisions()
    compared = with_errors = 0
    problems: list[str] = []
    for fed in stack.federations.values():
        for op in fed.operations:
            if not op.query.lstrip().startswith(("query", "{")):
                continue
            whole, _ = stack.ask("apollo", fed.name, op, read_log=False)
            if whole.get("__status") != 200:
                continue
            for attempt in range(4):  # the seeds of the test above and two more
                deferred = with_defer(op.query, zlib.crc32(f"{fed.name}/{op.name}/{attempt}".encode()))
                primary = without_deferred(deferred) if deferred is not None else None
                if primary is None:
                    continue
                primary_op = harness.Operation(op.name, primary, op.variables, op.generated)
                target = "ours" if (fed.name, op.name) in decisions else "apollo"
                expected, _ = stack.ask(target, fed.name, primary_op, read_log=False)
                if expected.get("__status") != 200:
                    continue
                body = {"query": deferred, "variables": op.variables or {}, "operationName": op.name}
                r = stack.http.post(stack.url("ours", fed.name), json=body, headers={"accept": inc.ACCEPT})
                ctype = r.headers.get("content-type", "")
                if not ctype.startswith("multipart/mixed"):
                    continue
                first = inc.parts(r.content, ctype)[0]
                compared += 1
                if whole.get("errors") or whole.get("data") is None:
                    with_errors += 1
                if first.get("data") != expected.get("data"):
                    problems.append(f"{fed.name}/{op.name}\n{deferred}\nexpected: {expected}\ninitial:  {first}")
    print(f"initial payloads compared: {compared}, of operations with errors: {with_errors}")
    assert not problems, f"{len(problems)} of {compared} initial payloads differ:\n\n" + "\n\n".join(problems[:10])
    assert compared >= MIN_PRIMARY_COMPARED, f"only {compared} initial payloads compared"
    assert with_errors >= MIN_PRIMARY_WITH_ERRORS, f"only {with_errors} operations with errors compared"
