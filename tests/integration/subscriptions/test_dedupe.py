"""`subscriptions.dedupe`: identical client subscriptions share one subgraph subscription and
each event's entity fetches, while what belongs to each client stays its own. On real sockets,
against the tick subgraphs' `pulses(channel)`, a stream the test drives through the subgraph's
`pulse` mutation; the subgraphs count their open subscriptions and resolved entities."""

from __future__ import annotations

import time
from contextlib import ExitStack

import httpx
import jwt as pyjwt
import tick_subgraphs as ticks
from live import sse
from tick_router import JWT, SECRET

from tests.support.wait import wait_until

PULSES = "subscription($ch: String!) { pulses(channel: $ch) { n square } }"
SECRETS = "subscription($ch: String!) { pulses(channel: $ch) { n secret } }"
# no header propagation: clients with different tokens send the subgraph the same request
SHARED_AUTHZ = f"""
jwt:
  secrets: [{{secret: "{SECRET}", algorithms: [HS256]}}]
  algorithms: [HS256]
csrf: {{}}
authorization: {{}}
subscriptions: {{dedupe: true}}
"""


def _token(sub: str, scope: str = "") -> str:
    now = int(time.time())
    return pyjwt.encode({"sub": sub, "exp": now + 300, "iat": now, "scope": scope}, SECRET, algorithm="HS256")


def _pulse(tick_server, channel: str, n: int) -> int:
    r = httpx.post(tick_server.url, json={"query": "mutation($c: String!, $n: Int!) { pulse(channel: $c, n: $n) }",
                                          "variables": {"c": channel, "n": n}})
    count: int = r.json()["data"]["pulse"]
    return count


def _next(events) -> dict:
    kind, data = events.event()
    assert kind == "next", (kind, data)
    return data


def _open(channel_prefix: str) -> int:
    return sum(len(qs) for ch, qs in ticks.PULSES.items() if ch.startswith(channel_prefix))


def test_identical_subscriptions_share_one_subgraph_subscription_and_one_entity_fetch(routers, tick_server):
    r = routers(JWT + "subscriptions: {dedupe: true}\n")
    token = _token("alice")
    with ExitStack() as stack:
        streams = [stack.enter_context(sse(r.url, PULSES, {"ch": "same"}, token))[1] for _ in range(3)]
        assert wait_until(lambda: _open("same") == 1, 30)
        assert _pulse(tick_server, "same", 4) == 1  # three clients, one subscription at the subgraph
        assert [_next(s) for s in streams] == [{"data": {"pulses": {"n": 4, "square": 16}}}] * 3
        before = ticks.RESOLVED["ticks"]
        assert _pulse(tick_server, "same", 5) == 1
        assert [_next(s) for s in streams] == [{"data": {"pulses": {"n": 5, "square": 25}}}] * 3
        assert ticks.RESOLVED["ticks"] - before == 1  # the entity fetch ran once for the three
    assert wait_until(lambda: _open("same") == 0, 30), "the last client left: the subgraph subscription closes"


def test_different_variables_or_forwarded_tokens_get_their_own_subgraph_subscriptions(routers, tick_server):
    r = routers(JWT + "subscriptions: {dedupe: true}\n")
    alice, bob = _token("alice"), _token("bob")
    with sse(r.url, PULSES, {"ch": "vars-a"}, alice) as (_, a), \
            sse(r.url, PULSES, {"ch": "vars-b"}, alice) as (_, b), \
            sse(r.url, PULSES, {"ch": "vars-a"}, bob) as (_, c):
        # the JWT config forwards Authorization: bob's upgrade is not alice's
        assert wait_until(lambda: (_open("vars-a"), _open("vars-b")) == (2, 1), 30)
        assert _pulse(tick_server, "vars-a", 2) == 2
        assert _next(a) == _next(c) == {"data": {"pulses": {"n": 2, "square": 4}}}
        assert _pulse(tick_server, "vars-b", 3) == 1
        assert _next(b) == {"data": {"pulses": {"n": 3, "square": 9}}}


def test_authorization_stays_per_client_and_a_leaving_member_does_not_end_the_others(routers, tick_server):
    r = routers(SHARED_AUTHZ)
    with sse(r.url, SECRETS, {"ch": "authz"}, _token("dora", "ticks:secret")) as (_, dora), \
            sse(r.url, SECRETS, {"ch": "authz"}, _token("eve")) as (_, eve):
        with sse(r.url, SECRETS, {"ch": "authz"}, _token("frank", "ticks:secret")) as (_, frank):
            # dora and frank may read `secret`: one request, one subgraph subscription between
            # them; eve may not, so her plan (without the entity fetch) asks the subgraph less
            assert wait_until(lambda: _open("authz") == 2, 30)
            assert _pulse(tick_server, "authz", 7) == 2
            assert _next(dora) == _next(frank) == {"data": {"pulses": {"n": 7, "secret": "secret-7"}}}
            refused = _next(eve)
            assert refused["data"] == {"pulses": {"n": 7, "secret": None}}
            assert [(e["extensions"]["code"], e["path"]) for e in refused["errors"]] == [
                ("UNAUTHORIZED_FIELD_OR_TYPE", ["pulses", "secret"])]
        assert _open("authz") == 2  # frank left; dora's stream goes on
        assert _pulse(tick_server, "authz", 8) == 2
        assert _next(dora) == {"data": {"pulses": {"n": 8, "secret": "secret-8"}}}


def test_replay_last_gives_a_joining_client_the_latest_event_first(routers, tick_server):
    r = routers(JWT + "subscriptions: {dedupe: replay_last}\n")
    token = _token("alice")
    with sse(r.url, PULSES, {"ch": "replay"}, token) as (_, first):
        assert wait_until(lambda: _open("replay") == 1, 30)
        _pulse(tick_server, "replay", 1)
        _pulse(tick_server, "replay", 2)
        assert [_next(first)["data"]["pulses"]["n"] for _ in range(2)] == [1, 2]
        with sse(r.url, PULSES, {"ch": "replay"}, token) as (_, late):
            assert _next(late) == {"data": {"pulses": {"n": 2, "square": 4}}}  # the latest, at once
            assert _open("replay") == 1
            _pulse(tick_server, "replay", 3)
            assert _next(first) == _next(late) == {"data": {"pulses": {"n": 3, "square": 9}}}


def test_without_dedupe_each_client_has_its_own_subgraph_subscription(routers, tick_server):
    r = routers(JWT)
    token = _token("alice")
    with sse(r.url, PULSES, {"ch": "own"}, token) as (_, a), sse(r.url, PULSES, {"ch": "own"}, token) as (_, b):
        assert wait_until(lambda: _open("own") == 2, 30)
        assert _pulse(tick_server, "own", 4) == 2
        assert _next(a) == _next(b) == {"data": {"pulses": {"n": 4, "square": 16}}}
