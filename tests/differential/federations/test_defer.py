"""@defer against the oracle: the corpus' query operations with @defer inserted at seeded
random places (fields moved into deferred inline fragments, existing fragments deferred,
labels or none, nested), sent to our router as multipart requests and merged client-side;
the merged data must equal @apollo/gateway's answer to the same operation without @defer.
Only answers without errors are compared (an error's null stays inside its deferred
fragment by design, so the shapes differ there); the test asserts how many were compared."""

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
    FieldNode,
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
import federation_harness as harness  # noqa: E402

sys.path.insert(0, str(HERE))
import federation_diff  # noqa: E402

from tests.support import incremental as inc  # noqa: E402

MIN_COMPARED = 150
MIN_DEFERRED_PARTS = 150


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
