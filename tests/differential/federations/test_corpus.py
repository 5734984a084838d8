"""The federation corpus itself (run by default, a few seconds): every federation is in the
documented format and its checked-in supergraph is @apollo/composition's output; and the world
server (server.mjs) answers as the README says, in particular that it catches a gateway that
plans wrongly: wrong or missing @requires data, an @external field asked from the wrong
subgraph, a key that matches nothing, a union member the subgraph does not have."""

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from graphql import parse, validate

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "federations"))
import federation_harness as harness  # noqa: E402

NAMES = harness.names()


def test_supergraphs_are_fresh_compositions():
    r = subprocess.run(["node", str(harness.HERE / "compose.mjs"), "--check"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr + r.stdout


def test_the_corpus_is_large_enough():
    """How many federations the parametrized comparisons (here, test_federations.py and
    test_plans.py) cover: a shrunken corpus fails."""
    assert len(NAMES) >= 60 and len(set(NAMES)) == len(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_our_composer_gives_apollos_supergraph(name):
    """The corpus through supergraph/: the same supergraph as @apollo/composition, byte for byte."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import federation_diff

    assert federation_diff.our_composition(harness.load(name)) == "same"


@pytest.mark.parametrize("name", NAMES)
def test_federation_is_in_the_corpus_format(name):
    from router.supergraph import Supergraph

    fed = harness.load(name)
    d = fed.dir
    assert (d / "README.md").read_text().strip(), "README.md: one paragraph on what it exercises"
    assert sorted(d.joinpath("subgraphs").glob("*.graphql")), "subgraphs/*.graphql"
    world = json.loads((d / "data.json").read_text())
    assert isinstance(world.get("objects"), dict) and "Query" in world["objects"], "data.json: objects.Query"
    for rid, rec in world["objects"].items():
        assert isinstance(rec, dict) and rec.get("__typename"), f"data.json: objects.{rid} needs a __typename"
    dangling = sorted(r for r in refs(world["objects"]) if r not in world["objects"])
    assert not dangling, f"data.json: $ref to missing objects {dangling}"
    assert 4 <= len(fed.operations) <= 10, "4 to 10 hand-written operations"
    api = Supergraph(fed.supergraph).api_schema
    for op in fed.operations:
        errors = validate(api, parse(op.query))
        assert not errors, f"{op.name} is not valid against the API schema: {errors}"
    urls = re.findall(r'@join__graph\(name: "[^"]+", url: "([^"]+)"\)', fed.supergraph)
    assert urls, "supergraph.graphql names no subgraph"
    for url in urls:
        assert url.startswith(f"{harness.PLACEHOLDER}{name}/") and url.endswith("/graphql"), url


def refs(value):
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            yield value["$ref"]
        for v in value.values():
            yield from refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from refs(v)


@pytest.fixture(scope="module")
def world_server():
    proc, port = harness.router_harness.start_node(harness.HERE / "server.mjs", "0", "requires_simple_1",
                                                   "provides_1", "union_members_1", "interface_object_1",
                                                   "entity_key_1", "requires_args_1")
    try:
        yield port
    finally:
        harness.router_harness.stop(proc)


def ask(port, fed, sub, query, variables=None):
    r = httpx.post(f"http://127.0.0.1:{port}/{fed}/{sub}/graphql", json={"query": query, "variables": variables or {}})
    return r.json()


ENTITIES = "query($r: [_Any!]!) { _entities(representations: $r) { %s } }"


def codes(body):
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def test_requires_answers_only_with_the_worlds_values(world_server):
    q = ENTITIES % "... on Product { shippingEstimate }"
    good = ask(world_server, "requires_simple_1", "shipping", q, {"r": [{"__typename": "Product", "upc": "u1", "weight": 1200}]})
    assert good == {"data": {"_entities": [{"shippingEstimate": 6}]}}
    wrong = ask(world_server, "requires_simple_1", "shipping", q, {"r": [{"__typename": "Product", "upc": "u1", "weight": 1}]})
    missing = ask(world_server, "requires_simple_1", "shipping", q, {"r": [{"__typename": "Product", "upc": "u1"}]})
    assert codes(wrong) == codes(missing) == ["REQUIRES_MISMATCH"]
    # a null required value may be sent as null or left out
    for rep in ({"__typename": "Product", "upc": "u3", "weight": None}, {"__typename": "Product", "upc": "u3"}):
        assert ask(world_server, "requires_simple_1", "shipping", q, {"r": [rep]}) == {"data": {"_entities": [{"shippingEstimate": 0}]}}


def test_requires_field_set_arguments_are_honoured(world_server):
    q = ENTITIES % "... on Product { usTax }"
    usd = ask(world_server, "requires_args_1", "tax", q, {"r": [{"__typename": "Product", "id": "a", "price": 1090}]})
    eur = ask(world_server, "requires_args_1", "tax", q, {"r": [{"__typename": "Product", "id": "a", "price": 1000}]})
    assert usd == {"data": {"_entities": [{"usTax": 76}]}}
    assert codes(eur) == ["REQUIRES_MISMATCH"]


def test_nested_requires_are_compared_deeply(world_server):
    q = ENTITIES % "... on Product { boxType }"
    rep = {"__typename": "Product", "upc": "u1", "weight": 1200, "size": {"width": 20, "height": 25}}
    assert ask(world_server, "requires_simple_1", "shipping", q, {"r": [rep]}) == {"data": {"_entities": [{"boxType": "M"}]}}
    rep["size"] = {"width": 20}
    assert codes(ask(world_server, "requires_simple_1", "shipping", q, {"r": [rep]})) == ["REQUIRES_MISMATCH"]


def test_external_fields_only_from_representation_or_provides(world_server):
    provided = ask(world_server, "provides_1", "reviews", "{ reviews { author { username } } }")
    assert provided == {"data": {"reviews": [{"author": {"username": u}} for u in ("ada", "bob", "ada")]}}
    not_provided = ask(world_server, "provides_1", "reviews", "{ reviews { id editor { username } } }")
    assert set(codes(not_provided)) == {"EXTERNAL_FIELD_REQUESTED"}
    asked_back = ask(world_server, "requires_simple_1", "shipping", ENTITIES % "... on Product { weight }",
                     {"r": [{"__typename": "Product", "upc": "u1"}]})
    assert codes(asked_back) == ["EXTERNAL_FIELD_REQUESTED"]


def test_entities_match_keys_exactly_or_answer_null(world_server):
    q = ENTITIES % "... on Product { name }"
    reps = [{"__typename": "Product", "id": "p3"}, {"__typename": "Product", "id": "nope"},
            {"__typename": "Product", "id": "p4"}]  # p4 exists only in the reviews subgraph
    assert ask(world_server, "entity_key_1", "products", q, {"r": reps}) == {"data": {"_entities": [{"name": "Chair"}, None, None]}}


def test_union_members_unknown_to_the_subgraph_are_dropped(world_server):
    body = ask(world_server, "union_members_1", "library", '{ search(term: "sea") { __typename } }')
    assert body == {"data": {"search": [{"__typename": t} for t in ("Book", "Film", "Book")]}}  # no Song
    body = ask(world_server, "union_members_1", "shop", "{ pick { __typename } }")
    assert body == {"data": {"pick": None}}  # a Film, which the shop does not have


def test_interface_object_representations_find_implementations(world_server):
    q = ENTITIES % "... on Media { id stars }"
    body = ask(world_server, "interface_object_1", "ratings", q, {"r": [{"__typename": "Media", "id": "m2"}]})
    assert body == {"data": {"_entities": [{"id": "m2", "stars": 4.8}]}}
    q = ENTITIES % "__typename ... on Book { author }"
    body = ask(world_server, "interface_object_1", "catalog", q, {"r": [{"__typename": "Media", "id": "m3"}]})
    assert body == {"data": {"_entities": [{"__typename": "Book", "author": "Austen"}]}}


def test_arguments_defaults_and_errors(world_server):
    body = ask(world_server, "entity_key_1", "products", "{ a: topProducts { id } b: topProducts(first: 1) { id } "
                                                         "c: topProducts(first: 7) { id price } }")
    assert body["data"] == {"a": [{"id": "p1"}, {"id": "p2"}], "b": [{"id": "p1"}],
                            "c": [{"id": "p1", "price": 899}, {"id": "p2", "price": None}, {"id": "p3", "price": 54}]}
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [(["c", 1, "price"], "PRICE_UNAVAILABLE")]


def test_request_log_per_federation(world_server):
    httpx.get(f"http://127.0.0.1:{world_server}/__log")
    ask(world_server, "entity_key_1", "products", "query One { topProducts { id } }")
    ask(world_server, "provides_1", "reviews", "{ reviews { id } }")
    log = httpx.get(f"http://127.0.0.1:{world_server}/__log", params={"federation": "entity_key_1"}).json()["requests"]
    assert [(r["subgraph"], r["operationName"]) for r in log] == [("products", None)]
    rest = httpx.get(f"http://127.0.0.1:{world_server}/__log").json()["requests"]
    assert [(r["federation"], r["subgraph"]) for r in rest] == [("provides_1", "reviews")]


def test_the_mutation_order_check_catches_what_breaks_serial_execution():
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from federation_diff import mutation_order

    q = "mutation M { a: first { id } b: second { id } }"
    req = lambda sub, query, start, end: {"subgraph": sub, "query": query, "start": start, "end": end}  # noqa: E731
    serial = [req("x", "mutation{a:first{id}}", 0, 5), req("y", "query{_entities{id}}", 6, 9),
              req("x", "mutation{b:second{id}}", 10, 12)]
    assert mutation_order(q, serial) == ""
    # the second field sent while the first one's entity fetch is still out (what Hive does)
    overlapping = [serial[0], req("y", "query{_entities{id}}", 6, 11), serial[2]]
    assert "started before 1 earlier request" in mutation_order(q, overlapping)
    swapped = [req("x", "mutation{b:second{id}}", 0, 5), req("x", "mutation{a:first{id}}", 6, 9)]
    assert "not ['a', 'b']" in mutation_order(q, swapped)
    assert mutation_order("query { a }", overlapping) == ""
