"""@defer through a real router in front of the real test subgraphs: the multipart parts as
they arrive (labels, paths, hasNext), @apollo/client merging them, and a slow subgraph that
the initial payload does not wait for."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fixtures" / "router"))
import incremental as inc  # noqa: E402
import router_harness as h  # noqa: E402

MULTIPART = 'multipart/mixed;boundary="graphql";deferSpec=20220824'


def deferred(url: str, query: str, variables: dict | None = None) -> tuple[httpx.Response, list[dict]]:
    resp = httpx.post(url, json={"query": query, "variables": variables or {}}, headers={"accept": inc.ACCEPT},
                      timeout=30)
    assert resp.status_code == 200, resp.text
    return resp, inc.parts(resp.content, resp.headers["content-type"])


def plain(url: str, query: str, variables: dict | None = None) -> dict:
    return httpx.post(url, json={"query": query, "variables": variables or {}}, timeout=30).json()


def test_deferred_list_fragment_one_item_per_element(make_router):
    r = make_router()
    q = '{ products(first: 3) { upc name ... @defer(label: "rev") { reviews { body rating } } } }'
    resp, parts = deferred(r.url, q)
    assert resp.headers["content-type"] == MULTIPART
    first, *rest = parts
    assert first["hasNext"] is True
    products = first["data"]["products"]
    assert products and all(set(p) == {"upc", "name"} for p in products)
    assert rest[-1]["hasNext"] is False and all(p["hasNext"] for p in rest[:-1])
    items = [i for p in rest for i in p.get("incremental", ())]
    assert [i["path"] for i in items] == [["products", n] for n in range(len(products))]
    assert {i["label"] for i in items} == {"rev"}
    assert all(set(i["data"]) == {"reviews"} for i in items)
    assert inc.merge(parts) == plain(r.url, q.replace('@defer(label: "rev")', ""))


def test_same_fetch_fragment_arrives_right_after_the_primary(make_router):
    r = make_router()
    q = "{ products(first: 2) { upc ... @defer { name } } }"
    _, parts = deferred(r.url, q)
    assert len(parts) == 2 and parts[0]["data"]["products"][0] == {"upc": parts[0]["data"]["products"][0]["upc"]}
    assert all("label" not in i for i in parts[1]["incremental"])
    assert inc.merge(parts) == plain(r.url, q.replace("@defer", ""))


def test_nested_defers_deliver_inner_after_outer(make_router):
    r = make_router()
    q = ('{ users { id ... @defer(label: "outer") { name ... @defer(label: "inner") { reviews { id } } } } }')
    _, parts = deferred(r.url, q)
    labels = [i["label"] for p in parts[1:] for i in p.get("incremental", ())]
    assert "outer" in labels and "inner" in labels
    assert labels.index("inner") > max(n for n, x in enumerate(labels) if x == "outer")
    expected = plain(r.url, q.replace('@defer(label: "outer")', "").replace('@defer(label: "inner")', ""))
    assert inc.merge(parts) == expected


def test_if_false_and_if_variable(make_router):
    r = make_router()
    q = "query($d: Boolean!) { products(first: 2) { upc ... @defer(if: $d, label: \"x\") { name } } }"
    off = httpx.post(r.url, json={"query": q, "variables": {"d": False}}, headers={"accept": inc.ACCEPT})
    assert off.headers["content-type"].startswith("application/json")  # nothing deferred: one answer
    assert off.json() == plain(r.url, "{ products(first: 2) { upc ... { name } } }")
    _, parts = deferred(r.url, q, {"d": True})
    assert len(parts) == 2 and parts[1]["incremental"][0]["label"] == "x"
    assert inc.merge(parts) == off.json()
    inline = httpx.post(r.url, json={"query": "{ products(first: 1) { upc ... @defer(if: false) { name } } }"},
                        headers={"accept": inc.ACCEPT})
    assert inline.headers["content-type"].startswith("application/json") and "name" in inline.json()["data"]["products"][0]


def test_null_inside_a_deferred_fragment_stays_in_its_item(make_router):
    """strictFlaky (String!) fails for low ratings: without @defer the null bubbles up to the
    whole `users` list; deferred, only the items of the users with such a review are null, each
    with its error, and the initial payload is whole."""
    r = make_router()
    q = '{ users { id ... @defer(label: "s") { reviews { id rating strictFlaky } } } }'
    _, parts = deferred(r.url, q)
    first = parts[0]
    assert "errors" not in first and first["data"]["users"]
    items = [i for p in parts[1:] for i in p.get("incremental", ())]
    assert [i["path"] for i in items] == [["users", n] for n in range(len(first["data"]["users"]))]
    failing = [i for i in items if i["data"] is None]
    ok = [i for i in items if i["data"] is not None]
    assert failing and ok
    for i in failing:
        assert "FLAKY" in {e["extensions"]["code"] for e in i["errors"]}
        assert all(e["path"][: len(i["path"])] == i["path"] for e in i["errors"])
    for i in ok:
        assert "errors" not in i and all(rv["rating"] >= 3 for rv in i["data"]["reviews"])
    whole = plain(r.url, q.replace('@defer(label: "s")', ""))
    assert whole["data"] is None  # what @defer spared the initial payload


def test_a_failed_deferred_fetch_reports_in_its_part(make_router):
    """The legacy subgraph is down: the deferred fragment's items carry the fetch error, the
    initial payload has none."""
    r = make_router()
    _, parts = deferred(r.url, '{ users { id ... @defer(label: "l") { legacyScore } } }')
    assert "errors" not in parts[0] and parts[0]["data"]["users"]
    items = [i for p in parts[1:] for i in p.get("incremental", ())]
    assert all(i["data"] == {"legacyScore": None} for i in items)
    codes = {e["extensions"]["code"] for i in items for e in i.get("errors", ())}
    assert codes == {"SUBGRAPH_REQUEST_FAILED"}


def test_error_masking_covers_deferred_items(make_router):
    r = make_router("error_masking:\n  mode: safe_codes\n")
    _, parts = deferred(r.url, '{ users { id ... @defer(label: "s") { reviews { id strictFlaky } } } }')
    errors = [e for p in parts[1:] for i in p.get("incremental", ()) for e in i.get("errors", ())]
    assert errors
    assert all(e["extensions"]["code"] == "INTERNAL_SERVER_ERROR" and "requestId" in e["extensions"]
               and "strictFlaky" not in e["message"] for e in errors)


def test_mutation_with_deferred_fragment(make_router, subgraphs):
    r = make_router()
    try:
        q = 'mutation { updateName(id: "u1", name: "Ada L") { id ... @defer(label: "m") { name reviews { id } } } }'
        _, parts = deferred(r.url, q)
        assert parts[0]["data"] == {"updateName": {"id": "u1"}}
        item = parts[-1]["incremental"][0]
        assert item["path"] == ["updateName"] and item["data"]["name"] == "Ada L"
        assert item["data"]["reviews"] == plain(r.url, '{ user(id: "u1") { reviews { id } } }')["data"]["user"]["reviews"]
    finally:
        h.reset(subgraphs)


def test_refusals(make_router):
    r = make_router()
    q = "{ products(first: 1) { upc ... @defer { name } } }"
    no_accept = httpx.post(r.url, json={"query": q}, headers={"accept": "application/json"})
    assert no_accept.status_code == 406
    assert no_accept.json()["errors"][0]["extensions"]["code"] == "NOT_ACCEPTABLE"
    root = httpx.post(r.url, json={"query": 'mutation { ... @defer { updateName(id: "u1", name: "x") { id } } }'},
                      headers={"accept": inc.ACCEPT})
    assert root.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    twice = httpx.post(r.url, json={"query": '{ products { ... @defer(label: "a") { upc } ... @defer(label: "a") '
                                              "{ name } } }"}, headers={"accept": inc.ACCEPT})
    assert twice.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_query_plan_shows_primary_and_deferred(make_router):
    r = make_router("plan:\n  expose_query_plan: true\n")
    q = '{ products(first: 2) { upc ... @defer(label: "rev") { reviews { body } } } }'
    resp = httpx.post(r.url, json={"query": q}, headers={"accept": inc.ACCEPT, "x-router-expose-plan": "true"})
    plan = inc.parts(resp.content, resp.headers["content-type"])[0]["extensions"]["queryPlan"]
    assert "Defer {" in plan and "Primary {" in plan
    assert 'Deferred(id: 0, depends: [0], path: "products", label: "rev")' in plan
    primary, deferred_part = plan.split("Deferred(", 1)
    assert 'service: "products"' in primary and 'service: "reviews"' not in primary
    assert 'service: "reviews"' in deferred_part


def test_apollo_client_merges_the_deferred_parts(make_router):
    r = make_router()
    q = ('query Shelf { products(first: 3) { upc ... @defer(label: "rev") { name reviews { body '
         '... @defer(label: "author") { author { name } } } } } }')
    out = subprocess.run(["node", str(h.HERE / "defer_client.mjs")], input=json.dumps({"url": r.url, "query": q}),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert len(got["chunks"]) >= 2 and got["chunks"][0]["hasNext"] is True
    assert got["chunks"][-1]["hasNext"] is False
    assert all("name" not in p for p in got["results"][0]["data"]["products"])  # the first result, before merging
    expected = plain(r.url, q.replace('@defer(label: "rev")', "").replace('@defer(label: "author")', ""))
    assert got["final"] == expected["data"]


class _HeldSubgraph:
    """A proxy in front of one subgraph that holds every request until released: the test
    decides when the slow fetch finishes."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.answered = threading.Event()
        self.bodies: list[bytes] = []

        async def handle(request: Request) -> Response:
            body = await request.body()
            self.bodies.append(body)
            self.arrived.set()
            await asyncio.to_thread(self.release.wait, 30)
            async with httpx.AsyncClient() as c:
                resp = await c.post(self.target, content=body, headers={"content-type": "application/json"})
            self.answered.set()
            return Response(resp.content, media_type="application/json")

        self.server = h.AppServer(Starlette(routes=[Route("/graphql", handle, methods=["POST"])]))


def test_initial_payload_does_not_wait_for_a_slow_subgraph(subgraphs, tmp_path):
    held = _HeldSubgraph(f"http://127.0.0.1:{subgraphs}/reviews/graphql")
    sdl = h.supergraph_for(subgraphs, h.closed_port()).replace(
        f"http://127.0.0.1:{subgraphs}/reviews/graphql", f"{held.server.base}/graphql")
    path = tmp_path / "supergraph.graphql"
    path.write_text(sdl)
    r = h.RouterServer(path)
    try:
        q = '{ products(first: 2) { upc name ... @defer(label: "slow") { reviews { body } } } }'
        with httpx.stream("POST", r.url, json={"query": q}, headers={"accept": inc.ACCEPT}, timeout=30) as resp:
            assert resp.headers["content-type"] == MULTIPART
            chunks = resp.iter_raw()
            buf = b""
            first = None
            while first is None:
                buf += next(chunks)
                head, _, payload = buf.partition(b"\r\n\r\n")
                try:
                    first = json.loads(payload)
                except ValueError:
                    continue
            # the initial payload is here while the reviews fetch is still held
            assert held.arrived.wait(10) and not held.answered.is_set()
            assert first["hasNext"] is True and [p["upc"] for p in first["data"]["products"]]
            assert b"_entities" in held.bodies[0]
            held.release.set()
            rest = buf + b"".join(chunks)
        assert held.answered.is_set()
        parts = inc.parts(rest, MULTIPART)
        assert parts[0] == first and parts[-1]["hasNext"] is False
        assert inc.merge(parts)["data"]["products"][0]["reviews"]
    finally:
        held.release.set()
        r.stop()
        held.server.stop()


def items_of(parts: list[dict]) -> list[dict]:
    return [i for p in parts[1:] for i in p.get("incremental", ())]


def _first_part(chunks) -> tuple[dict, bytes]:
    """Reads the stream until the first part is whole: (that part, the bytes read)."""
    buf = b""
    while True:
        buf += next(chunks)
        _, _, payload = buf.partition(b"\r\n\r\n")
        try:
            return json.loads(payload.split(b"\r\n--graphql")[0]), buf
        except ValueError:
            continue


def test_the_request_timeout_ends_a_deferred_stream(make_router, subgraphs):
    """The deferred reviews fetch never answers: at limits.request_timeout the stream gets a
    last part with REQUEST_TIMEOUT (the code a timed-out query answers) and closes."""
    held = _HeldSubgraph(f"http://127.0.0.1:{subgraphs}/reviews/graphql")
    r = make_router(f"limits:\n  request_timeout: 0.5\nsubgraphs:\n  reviews:\n    url: {held.server.base}/graphql\n")
    try:
        q = '{ products(first: 2) { upc ... @defer(label: "slow") { reviews { body } } } }'
        with httpx.stream("POST", r.url, json={"query": q}, headers={"accept": inc.ACCEPT}, timeout=30) as resp:
            assert resp.status_code == 200 and resp.headers["content-type"] == MULTIPART
            body = resp.read()
        assert held.arrived.is_set() and not held.answered.is_set()  # closed while the fetch was held
        first, last = inc.parts(body, MULTIPART)
        assert first["hasNext"] is True and [p["upc"] for p in first["data"]["products"]]
        assert last == {"hasNext": False, "errors": [{"message": "Request timed out after 0.5 s.",
                                                      "extensions": {"code": "REQUEST_TIMEOUT"}}]}
        # a query that times out answers the same code (504)
        plain_resp = httpx.post(r.url, json={"query": "{ products(first: 1) { reviews { body } } }"}, timeout=30)
        assert plain_resp.status_code == 504
        assert plain_resp.json()["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
    finally:
        held.release.set()
        held.server.stop()


def test_a_timeout_before_the_initial_payload_is_the_queries_504(make_router, subgraphs):
    held = _HeldSubgraph(f"http://127.0.0.1:{subgraphs}/reviews/graphql")
    r = make_router(f"limits:\n  request_timeout: 0.5\nsubgraphs:\n  reviews:\n    url: {held.server.base}/graphql\n")
    try:
        q = "{ products(first: 2) { upc reviews { body } ... @defer { name } } }"
        resp = httpx.post(r.url, json={"query": q}, headers={"accept": inc.ACCEPT}, timeout=30)
        assert resp.status_code == 504 and resp.headers["content-type"].startswith("application/json")
        assert resp.json()["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
    finally:
        held.release.set()
        held.server.stop()


def test_telemetry_counts_a_deferred_request_once_until_its_last_part(make_router, subgraphs, capsys):
    """One request in the metrics and one access line, written after the last part, with the
    whole duration; the deferred parts' fetches and errors are counted too."""
    from tests.integration.router.traffic.test_observability import metric
    from tests.support.wait import wait_until

    held = _HeldSubgraph(f"http://127.0.0.1:{subgraphs}/reviews/graphql")
    r = make_router("telemetry:\n  metrics: { enabled: true }\n  access_log: { enabled: true }\n"
                    f"subgraphs:\n  reviews:\n    url: {held.server.base}/graphql\n")
    access: list[dict] = []

    def lines() -> int:
        out = capsys.readouterr().out
        access.extend(x for x in map(json.loads, filter(lambda s: s.startswith("{"), out.splitlines()))
                      if x.get("logger") == "router.access")
        return len(access)

    try:
        lines()
        q = ('query Slow { users { id ... @defer(label: "slow") { reviews { body } } '
             '... @defer(label: "down") { legacyScore } } }')
        with httpx.stream("POST", r.url, json={"query": q}, headers={"accept": inc.ACCEPT}, timeout=30) as resp:
            chunks = resp.iter_raw()
            first, buf = _first_part(chunks)
            got_first = time.perf_counter()
            assert first["hasNext"] is True and held.arrived.wait(10)
            assert lines() == 0  # the request is not over while a part is still to come
            released = time.perf_counter()
            held.release.set()
            rest = buf + b"".join(chunks)
        parts = inc.parts(rest, MULTIPART)
        assert parts[-1]["hasNext"] is False
        assert wait_until(lambda: lines() >= 1, 5)
        [line] = access
        assert line["operation"] == "Slow" and line["status"] == 200
        assert line["duration_ms"] >= (released - got_first) * 1000
        assert line["errors"] == ["SUBGRAPH_REQUEST_FAILED"]  # the deferred legacy fetch failed
        text = httpx.get(r.base + "/metrics").text
        assert metric(text, "router_http_requests_total", '{status="200"}') == 1
        assert metric(text, "router_http_request_duration_seconds_count") == 1
        sent = [e for i in items_of(parts) for e in i.get("errors", ())]
        assert sent and {e["extensions"]["code"] for e in sent} == {"SUBGRAPH_REQUEST_FAILED"}
        assert metric(text, "router_graphql_errors_total", '{code="SUBGRAPH_REQUEST_FAILED"}') == len(sent)
        assert metric(text, "router_subgraph_fetch_duration_seconds_count", '{subgraph="users"}') == 1
        assert metric(text, "router_subgraph_fetch_duration_seconds_count", '{subgraph="reviews"}') == 1
        assert metric(text, "router_subgraph_fetch_errors_total",
                      '{code="SUBGRAPH_REQUEST_FAILED",subgraph="legacy"}') == 1
    finally:
        held.release.set()
        held.server.stop()


# ---------------------------------------------------------------- nulls stop at the fragment
# strictFlaky (String!) fails for reviews rated below 3 (r4, r6); review r4 is user u3's.

def _items(parts: list[dict]) -> dict[tuple, dict]:
    return {tuple(i["path"]): i for p in parts[1:] for i in p.get("incremental", ())}


def test_a_failing_deferred_field_fetched_with_the_parent_spares_the_initial_payload(make_router):
    """Without @defer the subgraph nulls the review and `reviews: [Review!]!` takes the whole
    data with it; deferred, the field has a fetch of its own and only the failing items are null."""
    r = make_router()
    q = "{ reviews { id rating ... @defer { strictFlaky } } }"
    _, parts = deferred(r.url, q)
    first = parts[0]
    assert "errors" not in first and first["hasNext"] is True
    whole = plain(r.url, "{ reviews { id rating } }")
    assert first["data"] == whole["data"]
    items = _items(parts)
    assert set(items) == {("reviews", n) for n in range(len(whole["data"]["reviews"]))}
    for n, review in enumerate(whole["data"]["reviews"]):
        item = items[("reviews", n)]
        if review["rating"] < 3:
            assert item["data"] is None
            assert [e["path"] for e in item["errors"]] == [["reviews", n, "strictFlaky"]]
            assert item["errors"][0]["extensions"]["code"] == "FLAKY"
        else:
            assert item == {"data": {"strictFlaky": f"ok-{review['id']}"}, "path": ["reviews", n]}
    assert plain(r.url, q.replace("... @defer", "..."))["data"] is None  # what @defer spared


def test_a_failing_deferred_field_two_entity_levels_down(make_router):
    r = make_router()
    q = "{ users { id reviews { id rating ... @defer(label: \"s\") { strictFlaky } } } }"
    _, parts = deferred(r.url, q)
    assert "errors" not in parts[0]
    assert parts[0]["data"] == plain(r.url, "{ users { id reviews { id rating } } }")["data"]
    items = _items(parts)
    failing = {p: i for p, i in items.items() if i["data"] is None}
    assert list(failing) == [("users", 2, "reviews", 0)]
    assert failing[("users", 2, "reviews", 0)]["errors"][0]["path"] == ["users", 2, "reviews", 0, "strictFlaky"]
    assert all(i["label"] == "s" for i in items.values())
    assert plain(r.url, q.replace('... @defer(label: "s")', "..."))["data"] is None


def test_a_null_stops_at_the_nearest_nullable_field_inside_the_fragment(make_router):
    """`review(id:)` is nullable: the failing non-null field under it nulls it, the item keeps
    its data, and the root fields of the initial payload are whole."""
    r = make_router()
    q = '{ me { id } ... @defer(label: "top") { review(id: "r4") { id strictFlaky } ok: review(id: "r1") { id } } }'
    _, parts = deferred(r.url, q)
    assert parts[0] == {"data": {"me": {"id": "u1"}}, "hasNext": True}
    [item] = _items(parts).values()
    assert item["path"] == [] and item["label"] == "top"
    assert item["data"] == {"review": None, "ok": {"id": "r1"}}
    assert [e["path"] for e in item["errors"]] == [["review", "strictFlaky"]]
    assert inc.merge(parts) == plain(r.url, q.replace('... @defer(label: "top")', "..."))


class _NullingSubgraph:
    """A proxy in front of one subgraph that answers null (and no error) for every
    `strictFlaky` in `_entities` answers: a subgraph breaking its own schema."""

    def __init__(self, target: str) -> None:
        async def handle(request: Request) -> Response:
            body = await request.body()
            async with httpx.AsyncClient() as c:
                resp = await c.post(target, content=body, headers={"content-type": "application/json"})
            out = resp.json()
            for entity in (out.get("data") or {}).get("_entities") or ():
                if isinstance(entity, dict) and "strictFlaky" in entity:
                    entity["strictFlaky"] = None
            out.pop("errors", None)
            return Response(json.dumps(out), media_type="application/json")

        self.server = h.AppServer(Starlette(routes=[Route("/graphql", handle, methods=["POST"])]))


def test_a_null_without_error_for_a_deferred_non_null_field(make_router, subgraphs):
    nulling = _NullingSubgraph(f"http://127.0.0.1:{subgraphs}/reviews/graphql")
    r = make_router(f"subgraphs:\n  reviews:\n    url: {nulling.server.base}/graphql\n")
    try:
        _, parts = deferred(r.url, "{ reviews { id rating ... @defer { body strictFlaky } } }")
        reviews = parts[0]["data"]["reviews"]
        assert "errors" not in parts[0] and len(reviews) > 1
        items = _items(parts)
        assert set(items) == {("reviews", n) for n in range(len(reviews))}
        for n, review in enumerate(reviews):
            item = items[("reviews", n)]
            assert item["data"] is None
            [error] = item["errors"]
            # a failing review comes back a null entity (its error dropped): its first field is reported
            assert error["path"] == ["reviews", n, "strictFlaky" if review["rating"] >= 3 else "body"]
    finally:
        nulling.server.stop()


def test_apollo_client_keeps_the_initial_data_when_a_deferred_field_fails(make_router):
    """What an @apollo/client user sees (errorPolicy: all): every review in the first result;
    then the deferred field merged where it succeeded, and where it failed the item's null
    (the client writes it at the item's path) with its error."""
    r = make_router()
    q = "query Flaky { reviews { id rating ... @defer { strictFlaky } } }"
    out = subprocess.run(["node", str(h.HERE / "defer_client.mjs")], input=json.dumps({"url": r.url, "query": q}),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    whole = plain(r.url, "{ reviews { id rating } }")["data"]["reviews"]
    assert got["results"][0]["data"]["reviews"] == whole and not got["results"][0].get("errors")
    final = got["final"]["reviews"]
    assert len(final) == len(whole)
    failing = [n for n, x in enumerate(whole) if x["rating"] < 3]
    assert failing
    for n, review in enumerate(whole):
        assert final[n] == (None if n in failing else {**review, "strictFlaky": f"ok-{review['id']}"})
    errors = got["results"][-1]["errors"]
    assert [e["path"] for e in errors] == [["reviews", n, "strictFlaky"] for n in failing]
