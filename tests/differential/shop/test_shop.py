"""The shop's own supergraph through our router and through @apollo/gateway, in front of the
same running shop subgraphs (real store): the same data and the same error paths, for
hand-written operations (anonymous, signed in, another user) and for generated queries.

Both gateways only forward `Authorization` (no router-side authorization), so both see
exactly what the subgraphs decide."""

from __future__ import annotations

import json
import uuid

import pytest
from graphql import print_schema
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import from_schema

from router.supergraph import Supergraph
from tests.support import harness as h
from tests.support.shop import ROOT, events_settled, supergraph_sdl

API = Supergraph((ROOT / "schema" / "supergraph.graphql").read_text()).api_schema


@pytest.fixture(scope="module")
def gateways(shop, tmp_path_factory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("shop-differential")
    supergraph = root / "supergraph.graphql"
    # @apollo/gateway refuses `for: SECURITY` features (only Apollo Router enforces them); the
    # subgraphs enforce the same rules themselves, which is what both gateways then show.
    supergraph.write_text(supergraph_sdl(shop).replace(", for: SECURITY)", ")"))
    config = root / "router.yaml"
    config.write_text("headers:\n  all:\n    - propagate: {named: authorization}\n")
    gateway, port = h.start_node(h.ROUTER_FIXTURES / "gateway.mjs", str(supergraph), "authorization")
    ours = h.RouterServer(str(supergraph), str(config))
    try:
        yield {"theirs": f"http://127.0.0.1:{port}/", "ours": ours.url}
    finally:
        ours.stop()
        h.stop(gateway)


@pytest.fixture(scope="module")
async def world(gql, new_account, mongo, shop):  # type: ignore[no-untyped-def]
    """Alice with three orders (one paid, one cancelled), Bob with none."""
    alice, bob = await new_account(), await new_account()
    orders = []
    for items in ([("kbd-mech-87", 1), ("mouse-wl-2", 2)], [("cable-usbc-1m", 3)], [("desk-mat-xl", 1)]):
        body = await gql(
            "orders",
            "mutation($i: [OrderItemInput!]!) { createOrder(items: $i) { id } }",
            {"i": [{"productId": p, "quantity": q} for p, q in items]},
            token=alice.token,
        )
        orders.append(body["data"]["createOrder"]["id"])
    paid = await gql(
        "payments",
        "mutation($o: ID!, $k: String!) { payOrder(orderId: $o, method: CARD, idempotencyKey: $k) { id } }",
        {"o": orders[0], "k": f"diff-{uuid.uuid4().hex}"},
        token=alice.token,
    )
    await gql("orders", "mutation($id: ID!) { cancelOrder(id: $id) { id } }", {"id": orders[2]}, token=alice.token)
    await events_settled(mongo, shop)  # the payment's confirmation has landed: the data is still
    return {"alice": alice, "bob": bob, "orders": orders, "payment": paid["data"]["payOrder"]["id"]}


def ask(url: str, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return h.post(url, query, variables=variables, headers=headers).json()


def errors(body: dict) -> list[tuple[str, str | None]]:
    return sorted(
        (json.dumps(e.get("path")), (e.get("extensions") or {}).get("code")) for e in body.get("errors") or ()
    )


def same(gateways: dict, query: str, variables: dict | None = None, token: str | None = None) -> dict:
    theirs = ask(gateways["theirs"], query, variables, token)
    ours = ask(gateways["ours"], query, variables, token)
    assert json.dumps(ours.get("data")) == json.dumps(theirs.get("data")), f"{query}\nours:   {ours}\ntheirs: {theirs}"
    assert errors(ours) == errors(theirs), f"{query}\nours:   {ours}\ntheirs: {theirs}"
    return ours


ORDER_FIELDS = """
  id status createdAt updatedAt total { amount currency }
  items { quantity unitPrice { amount currency } lineTotal { amount } product { id name available price { amount } } }
  user { id username email }
  payments { id status method amount { amount currency } order { id status } }
  amountDue { amount currency }
"""

SIGNED_IN = {
    "me": "{ me { __typename id username email createdAt } }",
    "my orders, paginated": """{ me { orders(first: 2) { edges { cursor node { id status total { amount } } }
        pageInfo { hasNextPage endCursor } } } }""",
    "my orders with payments and amountDue (@requires)": "{ me { orders(first: 10) { nodes { %s } } } }" % ORDER_FIELDS,
    "order by id, cycling back through payments": "query($o: ID!) { order(id: $o) { %s } }" % ORDER_FIELDS,
    "payment to order to user to orders": """query($p: ID!) { payment(id: $p) { id status
        order { id amountDue { amount } user { username orders(first: 1, status: CONFIRMED) { nodes { id status } } } } } }""",
    "aliases, fragments, __typename": """query { first: me { ...Who } again: me { id ...Orders }
        catalogue: products { __typename id } }
        fragment Who on User { __typename id username }
        fragment Orders on User { orders { nodes { __typename ... on Order { id total { currency } } } } }""",
    "skip and include": """query($with: Boolean!, $without: Boolean!) { me { id email @include(if: $with)
        orders @skip(if: $without) { nodes { id amountDue @include(if: $with) { amount } } } } }""",
    "filter by status": "{ orders(status: CANCELLED) { nodes { id status payments { id } } } }",
}


@pytest.mark.parametrize("name", sorted(SIGNED_IN))
def test_signed_in_operations(gateways, world, name: str) -> None:  # type: ignore[no-untyped-def]
    variables = {"o": world["orders"][0], "p": world["payment"], "with": True, "without": False}
    body = same(gateways, SIGNED_IN[name], variables, world["alice"].token)
    assert body.get("data") and "errors" not in body, body


def test_how_many_operations_are_compared() -> None:
    """The parametrized comparisons' size: 8 signed-in operations, 4 anonymous or other-user
    ones asked as two callers."""
    assert (len(SIGNED_IN), len(ANONYMOUS_OR_OTHER)) == (8, 4)


def test_the_paid_order_reads_the_same_everywhere(gateways, world) -> None:  # type: ignore[no-untyped-def]
    body = same(gateways, "query($o: ID!) { order(id: $o) { %s } }" % ORDER_FIELDS, {"o": world["orders"][0]}, world["alice"].token)
    order = body["data"]["order"]
    assert order["status"] == "CONFIRMED" and order["amountDue"]["amount"] == 0
    assert [p["status"] for p in order["payments"]] == ["SUCCEEDED"]
    assert order["user"]["username"] == world["alice"].username


ANONYMOUS_OR_OTHER = {
    "catalogue": """{ products { id name available price { amount currency } }
        product(id: "kbd-mech-87") { name } missing: product(id: "no-such") { name } }""",
    "me without a token": "{ me { id username } products { id } }",
    "a user's public fields, and their private orders": "query($u: ID!) { user(id: $u) { id username email orders { nodes { id } } } }",
    "someone else's order and payment": "query($o: ID!, $p: ID!) { order(id: $o) { id } payment(id: $p) { id } }",
}


@pytest.mark.parametrize("name", sorted(ANONYMOUS_OR_OTHER))
@pytest.mark.parametrize("who", ["anonymous", "bob"])
def test_anonymous_and_other_users(gateways, world, name: str, who: str) -> None:  # type: ignore[no-untyped-def]
    variables = {"u": world["alice"].id, "o": world["orders"][0], "p": world["payment"]}
    token = world["bob"].token if who == "bob" else None
    body = same(gateways, ANONYMOUS_OR_OTHER[name], variables, token)
    if name == "catalogue":
        assert body["data"]["product"] and body["data"]["missing"] is None
        return
    # Nothing of Alice's private data leaks, whoever asks through either gateway.
    assert world["orders"][0] not in json.dumps(body) and world["alice"].email not in json.dumps(body)
    if name == "me without a token" and who == "bob":
        assert body["data"]["me"]["id"] == world["bob"].id
    elif name == "someone else's order and payment" and who == "bob":
        assert body == {"data": {"order": None, "payment": None}}
    else:
        assert {code for _, code in errors(body)} & {"UNAUTHENTICATED", "FORBIDDEN"}, body


@pytest.fixture(scope="module")
def alice_token(world) -> str:  # type: ignore[no-untyped-def]
    return world["alice"].token


EXAMPLES = 150


def test_generated_queries_match_apollo_gateway(gateways, alice_token: str) -> None:  # type: ignore[no-untyped-def]
    """Generated documents as Alice through both gateways: a document the oracle refuses must be
    refused by ours too; the others give the same data and errors. Counted at the end."""
    outcomes = {"compared": 0, "both_refused": 0}

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(query=from_schema(print_schema(API), fields=sorted(API.query_type.fields), allow_x00=False, codec="ascii"))
    def check(query: str) -> None:
        theirs = ask(gateways["theirs"], query, token=alice_token)
        ours = ask(gateways["ours"], query, token=alice_token)
        if "data" not in theirs:  # the oracle refused the document itself
            assert ours.get("data") is None and ours.get("errors"), f"{query}\nours:   {ours}\ntheirs: {theirs}"
            outcomes["both_refused"] += 1
            return
        assert json.dumps(ours.get("data")) == json.dumps(theirs.get("data")), f"{query}\nours:   {ours}\ntheirs: {theirs}"
        assert errors(ours) == errors(theirs), f"{query}\nours:   {ours}\ntheirs: {theirs}"
        outcomes["compared"] += 1

    check()
    print(f"generated shop operations: {outcomes}")
    assert outcomes["compared"] >= EXAMPLES * 2 // 3, outcomes
