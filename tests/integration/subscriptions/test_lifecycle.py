"""Subscriptions through the router in front of two small Strawberry subgraphs (tests/fixtures/
subscriptions/tick_subgraphs.py) on real sockets: per-event entity fetches with null
propagation and error paths, the protocols' refusals, the per-client cap, a slow client, a
subgraph that goes away, token expiry, keep-alives and shutdown."""

from __future__ import annotations

import time

import httpx
import jwt as pyjwt
import pytest
import tick_subgraphs as ticks
from live import Closed, RawWebSocket, Served, multipart, node_client, serve_router, sse

from tests.support.wait import wait_until

SECRET = "s" * 40
JWT = f"""
jwt:
  secrets: [{{secret: "{SECRET}", algorithms: [HS256]}}]
  algorithms: [HS256]
csrf: {{}}
headers:
  all:
    - propagate: {{named: authorization}}
"""
TICKS = "subscription($c: Int!, $hang: Boolean! = false, $pad: Int! = 0) { ticks(count: $c, hang: $hang, pad: $pad) { n square half strict } }"
HANG = "subscription { ticks(count: 1, hang: true) { n square } }"


def token(sub: str = "alice", ttl: float = 300) -> str:
    now = time.time()
    return pyjwt.encode({"sub": sub, "exp": int(now + ttl), "iat": int(now)}, SECRET, algorithm="HS256")


@pytest.fixture(scope="module")
def extra():
    s = Served(ticks.app(ticks.extra_schema))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def tick_server():
    s = Served(ticks.app(ticks.ticks_schema))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def routers(tick_server, extra, tmp_path_factory):
    made: list[Served] = []
    tmp = tmp_path_factory.mktemp("tick-routers")

    def make(config: str = JWT, ticks_url: str | None = None) -> Served:
        r = serve_router(ticks.supergraph(ticks_url or tick_server.url, extra.url), config, tmp)
        made.append(r)
        return r

    yield make
    for r in made:
        r.stop()


@pytest.fixture(scope="module")
def router(routers):
    return routers()


def _wait_for(check, what: str) -> None:
    assert wait_until(check, 30), what


def test_each_event_gets_its_entity_fields_with_null_propagation_and_error_paths(router):
    with node_client("ws", router.url, TICKS, {"c": 4}, token()) as client:
        events = [client.line() for _ in range(5)]
    assert events[0] == {"next": {"errors": [{"message": "1 is odd",
                                             "path": ["ticks", "half"], "extensions": {"serviceName": "extra"}}],
                                  "data": {"ticks": {"n": 1, "square": 1, "half": None, "strict": 1}}}}
    assert events[1] == {"next": {"data": {"ticks": {"n": 2, "square": 4, "half": 1, "strict": 2}}}}
    third = events[2]["next"]
    assert third["data"] is None  # strict: Int! failed, Tick! is non-null: the event's data is null
    assert sorted(tuple(e["path"]) for e in third["errors"]) == [("ticks", "half"), ("ticks", "strict")]
    assert events[3] == {"next": {"data": {"ticks": {"n": 4, "square": 16, "half": 2, "strict": 4}}}}
    assert events[4] == {"complete": True}


def test_the_subgraph_upgrade_carries_the_forwarded_token(router):
    t = token("carol")
    before = len(ticks.UPGRADES)
    with sse(router.url, TICKS, {"c": 1}, t) as (response, events):
        assert events.event()[0] == "next" and events.event() == ("complete", None)
    assert ticks.UPGRADES[before]["authorization"] == f"Bearer {t}"


def test_protocol_refusals_have_the_protocols_close_codes(router, routers):
    no_protocol = RawWebSocket(router.url, protocol=None)
    with pytest.raises(Closed) as closed:
        no_protocol.message()
    assert closed.value.code == 4406

    early = RawWebSocket(router.url)
    early.send({"type": "subscribe", "id": "1", "payload": {"query": HANG}})
    with pytest.raises(Closed) as closed:
        early.message()
    assert (closed.value.code, closed.value.reason) == (4401, "Unauthorized")

    twice = RawWebSocket(router.url)
    twice.send({"type": "connection_init"})
    assert twice.message() == {"type": "connection_ack"}
    twice.send({"type": "subscribe", "id": "a", "payload": {"query": HANG}})
    twice.send({"type": "subscribe", "id": "a", "payload": {"query": HANG}})
    with pytest.raises(Closed) as closed:
        while True:
            twice.message()
    assert (closed.value.code, closed.value.reason) == (4409, "Subscriber for a already exists")

    garbage = RawWebSocket(router.url)
    garbage.send({"type": "connection_init"})
    garbage.message()
    garbage.send({"nope": 1})
    with pytest.raises(Closed) as closed:
        garbage.message()
    assert closed.value.code == 4400

    slow_init = RawWebSocket(routers(JWT + "subscriptions: {connection_init_timeout: 200ms}\n").url)
    with pytest.raises(Closed) as closed:
        slow_init.message()
    assert (closed.value.code, closed.value.reason) == (4408, "Connection initialisation timeout")

    cross_site = RawWebSocket(router.url, headers={"Origin": "https://evil.example"})
    cross_site.send({"type": "connection_init"})
    cross_site.message()
    cross_site.send({"type": "subscribe", "id": "1", "payload": {"query": HANG}})
    refused = cross_site.message()
    assert refused["type"] == "error" and refused["payload"][0]["extensions"]["code"] == "CSRF_PREVENTION"


def test_a_bad_token_is_refused_at_subscribe_over_sse_and_multipart(router):
    with sse(router.url, HANG, token="x.y.z") as (response, _):
        assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"
        response.read()
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    with multipart(router.url, HANG, token="x.y.z") as (response, _):
        assert response.status_code == 401
    with node_client("sse", router.url, HANG, {}, "x.y.z") as client:
        assert "error" in client.line()


def test_the_per_client_cap_counts_open_subscriptions(routers):
    r = routers(JWT + "subscriptions: {max_per_client: 2}\n")
    alice = token("alice")
    with sse(r.url, HANG, token=alice) as (_, a), sse(r.url, HANG, token=alice) as (_, b):
        assert a.event()[0] == "next" and b.event()[0] == "next"
        with sse(r.url, HANG, token=alice) as (third, _):
            assert third.status_code == 429
            third.read()
            assert third.json()["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_LIMIT_EXCEEDED"
        with node_client("ws", r.url, HANG, {}, alice) as client:
            assert client.line()["error"]["errors"][0]["extensions"]["code"] == "SUBSCRIPTION_LIMIT_EXCEEDED"
        with sse(r.url, HANG, token=token("bob")) as (other, events):  # another client has its own count
            assert other.status_code == 200 and events.event()[0] == "next"
    # both closed: the slots are free again (the router notices the disconnects)
    def reopened() -> bool:
        with sse(r.url, HANG, token=alice) as (again, events):
            return again.status_code == 200 and events.event()[0] == "next"
    _wait_for(reopened, "a closed subscription's slot was not freed")


SLOW = JWT + "subscriptions: {queue_size: 4, max_per_client: 1}\n"
FIREHOSE = "subscription($c: Int!, $pad: Int!) { ticks(count: $c, pad: $pad) { n pad } }"


def _slot_free(r: Served, t: str) -> bool:
    """With max_per_client: 1, a subscribe of the same client succeeds once the router has
    closed its other subscription (a slow one, here)."""
    with sse(r.url, HANG, token=t) as (response, events):
        return response.status_code == 200 and events.event()[0] == "next"


def test_a_slow_websocket_client_is_closed_with_a_reason(routers):
    r = routers(SLOW)
    t = token("slow-ws")
    ws = RawWebSocket(r.url, {"authorization": f"Bearer {t}"}, rcvbuf=4096)
    ws.send({"type": "connection_init"})
    assert ws.message() == {"type": "connection_ack"}
    total = 3000
    ws.send({"type": "subscribe", "id": "1", "payload": {"query": FIREHOSE, "variables": {"c": total, "pad": 16000}}})
    # the client reads nothing: the buffers fill, then the subscription's queue, and the router
    # closes it (its slot is free again); what was buffered still arrives, then the reason
    _wait_for(lambda: _slot_free(r, t), "the slow subscription is still open")
    received = 0
    with pytest.raises(Closed) as closed:
        while True:
            if ws.message()["type"] == "next":
                received += 1
    assert (closed.value.code, closed.value.reason) == (1008, "Subscription queue full: the client reads too slowly")
    assert received < total


def test_a_slow_sse_client_is_dropped(routers):
    import socket

    r = routers(SLOW)
    t = token("slow-sse")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(30)
    sock.connect(("127.0.0.1", r.port))
    body = httpx.Request("POST", "http://x", json={"query": FIREHOSE, "variables": {"c": 3000, "pad": 16000}}).content
    sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nContent-Type: application/json\r\n"
                 + f"Authorization: Bearer {t}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    _wait_for(lambda: _slot_free(r, t), "the slow subscription is still open")
    seen = b""
    while chunk := sock.recv(65536):  # whatever got through, then the end of the connection
        seen += chunk
    assert seen.startswith(b"HTTP/1.1 200")
    assert b"event: complete" not in seen and seen.count(b"event: next") < 3000  # dropped, not completed
    sock.close()


def test_a_subgraph_that_goes_away_ends_the_stream_with_an_error(extra, tmp_path):
    own = Served(ticks.app(ticks.ticks_schema))
    r = serve_router(ticks.supergraph(own.url, extra.url), JWT, tmp_path)
    try:
        with sse(r.url, HANG, token=token()) as (_, events):
            assert events.event() == ("next", {"data": {"ticks": {"n": 1, "square": 1}}})
            own.stop()
            kind, data = events.event()
            assert kind == "next" and data["data"] is None
            assert data["errors"][0]["extensions"] == {"code": "SUBGRAPH_SUBSCRIPTION_CLOSED", "serviceName": "ticks"}
            assert events.event() == ("complete", None)
        with node_client("ws", r.url, HANG, {}, token()) as client:  # and now it cannot be reached
            got = client.line()["next"]
            assert got["errors"][0]["extensions"] == {"code": "SUBGRAPH_REQUEST_FAILED", "serviceName": "ticks"}
            assert client.line() == {"complete": True}
    finally:
        r.stop()


def test_an_expiring_token_closes_the_socket_with_4403_and_ends_sse_with_an_error(router):
    short = token(ttl=4)
    with node_client("ws", router.url, HANG, {}, short, token_in_init=True) as client:
        got = client.line()
        assert got.get("next", {}).get("data") == {"ticks": {"n": 1, "square": 1}}, got
        error = client.line()["error"]
        assert error == {"closeCode": 4403, "reason": "Forbidden: the token has expired"}
    short = token(ttl=4)
    with sse(router.url, HANG, token=short) as (_, events):
        assert events.event()[0] == "next"
        kind, data = events.event()
        assert kind == "next" and data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert events.event() == ("complete", None)


def test_keep_alives_while_nothing_happens(routers):
    r = routers(JWT + "subscriptions: {keep_alive: 100ms}\n")
    ws = RawWebSocket(r.url, {"authorization": f"Bearer {token()}"})
    ws.send({"type": "connection_init"})
    assert ws.message() == {"type": "connection_ack"}
    ws.send({"type": "subscribe", "id": "1", "payload": {"query": HANG}})
    kinds = set()
    while "ping" not in kinds:
        kinds.add(ws.message()["type"])
    ws.close()
    with multipart(r.url, HANG, token=token()) as (_, parts):
        assert parts.payload() == {"payload": {"data": {"ticks": {"n": 1, "square": 1}}}}
        assert parts.part() == {}  # a heartbeat


def test_shutdown_ends_every_stream_with_a_reason(routers, tick_server, extra, tmp_path):
    r = serve_router(ticks.supergraph(tick_server.url, extra.url), JWT, tmp_path)
    ws = RawWebSocket(r.url, {"authorization": f"Bearer {token()}"})
    ws.send({"type": "connection_init"})
    ws.message()
    ws.send({"type": "subscribe", "id": "1", "payload": {"query": HANG}})
    assert ws.message()["type"] == "next"
    with sse(r.url, HANG, token=token()) as (_, events):
        assert events.event()[0] == "next"
        r.server.should_exit = True
        kind, data = events.event()
        assert kind == "next" and data == {"errors": [{"message": "The router is shutting down.",
                                                       "extensions": {"code": "SUBSCRIPTION_SHUTDOWN"}}]}
        assert events.event() == ("complete", None)
    with pytest.raises(Closed) as closed:
        while True:
            ws.message()
    assert closed.value.code in (1001, 1012)  # ours, or uvicorn's own when it got there first
    r.thread.join(20)
    assert not r.thread.is_alive()


def test_graphql_sse_single_connection_mode(router):
    with node_client("sse-single", router.url, TICKS, {"c": 2}, token()) as client:
        first, second, end = client.line(), client.line(), client.line()
    assert first["next"]["data"] == {"ticks": {"n": 1, "square": 1, "half": None, "strict": 1}}
    assert first["next"]["errors"][0]["path"] == ["ticks", "half"]
    assert second == {"next": {"data": {"ticks": {"n": 2, "square": 4, "half": 1, "strict": 2}}}}
    assert end == {"complete": True}
    with node_client("sse-single", router.url, "{ version }", {}, token()) as client:
        assert client.line() == {"next": {"data": {"version": "extra"}}}
        assert client.line() == {"complete": True}
    # a reservation belongs to the Authorization it was made with
    reserved = httpx.put(router.url, headers={"authorization": f"Bearer {token('dora')}"})
    assert reserved.status_code == 201
    stolen = httpx.get(router.url, headers={"x-graphql-event-stream-token": reserved.text,
                                            "accept": "text/event-stream",
                                            "authorization": f"Bearer {token('eve')}"})
    assert stolen.status_code == 404


def test_websockets_count_against_the_connection_caps(routers):
    r = routers(JWT + "connections: {max_connections_per_ip: 2}\n")
    first, second = RawWebSocket(r.url), RawWebSocket(r.url)
    for ws in (first, second):
        assert ws.status == 101
        ws.send({"type": "connection_init"})
        assert ws.message() == {"type": "connection_ack"}
    assert not _answers(r)  # a third connection from the address: 503 and closed
    first.close()
    _wait_for(lambda: _answers(r), "a closed WebSocket still counts against the cap")
    second.close()


def _answers(r: Served) -> bool:
    try:
        return httpx.post(r.url, json={"query": "{ version }"}).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_router_bug_at_subscribe_is_a_clear_error_not_a_stack_trace(router, monkeypatch):
    from router.subscriptions.stream import Hub

    async def broken(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(Hub, "subscribe", broken)
    with sse(router.url, HANG, token=token()) as (response, _):
        assert response.status_code == 500
        response.read()
        assert response.json() == {"errors": [{"message": "Internal router error.",
                                               "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}
    ws = RawWebSocket(router.url, {"authorization": f"Bearer {token()}"})
    ws.send({"type": "connection_init"})
    ws.message()
    ws.send({"type": "subscribe", "id": "1", "payload": {"query": HANG}})
    assert ws.message() == {"type": "error", "id": "1", "payload": [
        {"message": "Internal router error.", "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]}
    ws.send({"type": "ping"})
    assert ws.message() == {"type": "pong"}  # the connection lives on
