"""What a running subscription lives through, on real sockets in front of the tick subgraphs:
its subgraph going away and coming back (`subscriptions.resubscribe`), a hot reload that keeps
it or removes its field, and what the router reports of it (Prometheus metrics, one access
line per subscription end)."""

from __future__ import annotations

import json
import re
import time

import httpx
import tick_subgraphs as ticks
from live import Served, serve_router, sse
from tick_router import HANG, JWT, token

from tests.support.wait import wait_until

TELEMETRY = "telemetry: {metrics: {enabled: true, listen: main}, access_log: {enabled: true}}\n"
STEADY = "subscription { ticks(count: 30, everyMs: 150) { n square } }"
STRICT = "subscription { ticks(count: 30, everyMs: 150) { n strict } }"


def _metric(router: Served, name: str, labels: str = "") -> float:
    text = httpx.get(router.url.replace("/graphql", "/metrics"), timeout=10).text
    found = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.M)
    assert found, f"{name}{labels} not in:\n{text}"
    return float(found.group(1))


def test_a_lost_subgraph_subscription_is_opened_again_then_given_up(extra, tmp_path):
    own = Served(ticks.app(ticks.ticks_schema))
    port = own.port
    policy = "subscriptions: {resubscribe: {attempts: 40, backoff: 50ms, max_backoff: 100ms}}\n"
    r = serve_router(ticks.supergraph(own.url, extra.url), JWT + policy + TELEMETRY, tmp_path)
    back = None
    try:
        with sse(r.url, HANG, token=token()) as (_, events):
            assert events.event() == ("next", {"data": {"ticks": {"n": 1, "square": 1}}})
            own.stop()  # the subgraph goes away mid-stream ...
            # ... the router counts the loss and tries again while nothing listens there ...
            assert wait_until(lambda: _metric(r, "router_subgraph_resubscriptions_total") >= 2, 10)
            back = Served(ticks.app(ticks.ticks_schema), port=port)  # ... and comes back on its address
            # subscribed again: the subgraph's stream starts over, the client's stream goes on
            assert events.event() == ("next", {"data": {"ticks": {"n": 1, "square": 1}}})
            assert _metric(r, "router_subgraph_resubscriptions_total") >= 2
            assert _metric(r, "router_subscriptions_open") == 1
    finally:
        r.stop()
        if back is not None:
            back.stop()

    own = Served(ticks.app(ticks.ticks_schema))
    few = "subscriptions: {resubscribe: {attempts: 2, backoff: 50ms}}\n"
    r = serve_router(ticks.supergraph(own.url, extra.url), JWT + few, tmp_path)
    try:
        with sse(r.url, HANG, token=token()) as (_, events):
            assert events.event()[0] == "next"
            started = time.monotonic()
            own.stop()  # and stays away: two attempts (50 ms, 100 ms), then the stream ends
            kind, data = events.event()
            assert kind == "next" and data["data"] is None
            assert data["errors"][0]["extensions"] == {"code": "SUBGRAPH_REQUEST_FAILED", "serviceName": "ticks"}
            assert "cannot connect" in data["errors"][0]["message"]
            assert events.event() == ("complete", None)
            assert time.monotonic() - started >= 0.15
    finally:
        r.stop()


def test_a_subscription_the_subgraph_completed_is_not_opened_again(routers):
    r = routers(JWT + "subscriptions: {resubscribe: {attempts: 5, backoff: 10ms}}\n")
    once = "subscription { ticks(count: 1) { n square } }"
    with sse(r.url, once, token=token()) as (_, events):  # complete is the end, not a loss
        assert events.event()[0] == "next"
        assert events.event() == ("complete", None)


def test_hot_reload_keeps_a_valid_subscription_and_ends_one_whose_field_is_gone(tick_server, extra, tmp_path):
    config = JWT + TELEMETRY + "supergraph: {poll_interval: 0.1}\n"
    r = serve_router(ticks.supergraph(tick_server.url, extra.url), config, tmp_path, watch=True)
    try:
        with sse(r.url, STEADY, token=token()) as (_, steady), sse(r.url, STRICT, token=token()) as (_, strict):
            assert steady.event() == ("next", {"data": {"ticks": {"n": 1, "square": 1}}})
            assert strict.event() == ("next", {"data": {"ticks": {"n": 1, "strict": 1}}})
            assert r.supergraph_path is not None
            r.supergraph_path.write_text(ticks.supergraph(tick_server.url, extra.url, ticks.lean_extra_schema))
            while True:  # `strict` is gone from the new supergraph: that subscription ends, saying why
                kind, data = strict.event()
                if data.get("errors"):
                    break
                assert kind == "next" and "strict" in data["data"]["ticks"]
            assert kind == "next" and data.get("data") is None
            assert data["errors"][0]["extensions"] == {"code": "SUBSCRIPTION_SCHEMA_CHANGED"}
            assert "Cannot query field 'strict' on type 'Tick'" in data["errors"][0]["message"]
            assert strict.event() == ("complete", None)
            seen = [steady.event()[1]["data"]["ticks"] for _ in range(12)]  # the other one runs on
            assert all(t["square"] == t["n"] ** 2 for t in seen) and seen[-1]["n"] >= 13
            # a new subscription is planned on the new supergraph
        with sse(r.url, STRICT, token=token()) as (response, _):
            assert response.status_code == 400
            response.read()
            assert response.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    finally:
        r.stop()


def test_metrics_and_an_access_line_per_subscription_end(routers, capsys):
    r = routers(JWT + TELEMETRY)
    before = _metric(r, "router_subscription_events_total")
    with sse(r.url, "subscription { ticks(count: 3) { n square } }", token=token("carol")) as (_, events):
        assert [events.event()[0] for _ in range(4)] == ["next", "next", "next", "complete"]
    assert wait_until(lambda: _metric(r, "router_subscriptions_open") == 0, 10, 0.05)
    assert _metric(r, "router_subscription_events_total") == before + 3
    assert _metric(r, "router_subscriptions_ended_total", '{reason="complete"}') >= 1
    with sse(r.url, HANG, token=token("carol")) as (_, events):
        assert events.event()[0] == "next"
        assert _metric(r, "router_subscriptions_open") == 1
    assert wait_until(lambda: _metric(r, "router_subscriptions_open") == 0, 10, 0.05)  # the client left
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"subscription_end"' in x]
    ends = [(x["transport"], x["client"], x["events"], x["end"], x["subgraph"]) for x in lines]
    assert ("sse", "sub:carol", 3, "complete", "ticks") in ends
    assert ("sse", "sub:carol", 1, "client", "ticks") in ends
    assert all(x["logger"] == "router.access" and x["duration_ms"] >= 0 for x in lines)
