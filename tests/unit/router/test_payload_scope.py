"""Which payload of a deferred answer an error path belongs to (payload_scope.py): the deepest
fragment whose own fields hold it, list levels as indices or "@", the current item only."""

from pathlib import Path

import pytest

from router.operation import DocumentCache, prepare_operation
from router.payload_scope import NOWHERE, PRIMARY, PayloadScope
from router.planner import build_plan
from router.supergraph import Supergraph

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "router" / "supergraph.graphql"


@pytest.fixture(scope="module")
def scope():
    sg = Supergraph(FIXTURE.read_text())
    q = '{ me { id } users { id ... @defer(label: "o") { name ... @defer(label: "i") { reviews { id } } } } }'
    op = prepare_operation(sg.api_schema, DocumentCache(sg.api_schema).get(q), None, None)
    return PayloadScope(build_plan(sg, op).defer)


def test_owner_is_the_deepest_fragment_holding_the_field(scope):
    outer, inner = scope.defer.deferred
    assert scope.owner(["me", "id"]) == PRIMARY and scope.owner(["users", 1, "id"]) == PRIMARY
    assert scope.owner(["users", 1, "name"]) == outer.id == scope.owner(["users", "@", "name"])
    assert scope.owner(["users", 0, "reviews", 2, "id"]) == inner.id


def test_owns_only_the_current_item(scope):
    outer, _ = scope.defer.deferred
    scope.at(outer.id, ["users", 1])
    assert scope.owns(["users", 1, "name"]) and scope.owns(["users", "@", "name"])
    assert not scope.owns(["users", 0, "name"]) and not scope.owns(["users", 1, "id"])
    scope.at(PRIMARY)
    assert scope.owns(["me", "id"]) and not scope.owns(["users", 1, "name"])
    scope.at(NOWHERE)
    assert not scope.owns(["me", "id"])
