"""Security of a running subscription, through real routers in front of the tick subgraphs: a
field the caller's scopes do not allow is nulled with an error in every event (as in a query),
an expiring token ends a multipart stream with a last error, subscribing counts against the
rate limit on every transport, and an SSE GET (what EventSource sends) follows the CSRF rule
for GET."""

from __future__ import annotations

import time

import httpx
import jwt as pyjwt
from live import RawWebSocket, multipart, sse
from tick_router import HANG, JWT, SECRET

AUTHZ = JWT + "authorization: {}\n"
SECRETS = "subscription { ticks(count: 3) { n secret } }"


def scoped(scope: str, ttl: float = 300) -> str:
    now = time.time()
    return pyjwt.encode({"sub": "dora", "exp": int(now + ttl), "iat": int(now), "scope": scope}, SECRET,
                        algorithm="HS256")


def test_a_field_the_scopes_do_not_allow_is_nulled_in_every_event(routers):
    r = routers(AUTHZ)
    with sse(r.url, SECRETS, token=scoped("ticks:read")) as (_, events):
        got = [events.event() for _ in range(4)]
    assert got[-1] == ("complete", None)
    for n, (kind, data) in enumerate(got[:3], start=1):
        assert kind == "next"
        assert data["data"] == {"ticks": {"n": n, "secret": None}}
        assert [(e["extensions"]["code"], e["path"]) for e in data["errors"]] == [
            ("UNAUTHORIZED_FIELD_OR_TYPE", ["ticks", "secret"])]
    with sse(r.url, SECRETS, token=scoped("ticks:read ticks:secret")) as (_, events):
        allowed = [events.event() for _ in range(4)]
    assert [d for _, d in allowed[:3]] == [{"data": {"ticks": {"n": n, "secret": f"secret-{n}"}}} for n in (1, 2, 3)]


def test_an_expiring_token_ends_a_multipart_stream_with_a_last_error(routers):
    r = routers(AUTHZ)
    with multipart(r.url, HANG, token=scoped("", ttl=3)) as (_, parts):
        assert parts.payload() == {"payload": {"data": {"ticks": {"n": 1, "square": 1}}}}
        while True:
            part = parts.part()
            if part != {}:  # heartbeats until the token expires
                break
        assert part["payload"] is None  # the protocol's transport-level error: the stream is over
        assert part["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "expired" in part["errors"][0]["message"]


def test_subscribing_counts_against_the_rate_limit_on_every_transport(routers):
    r = routers(JWT + "rate_limit: {per_client: {requests: 2, window: 15m}}\n")
    token = scoped("")
    with sse(r.url, HANG, token=token) as (response, events):
        assert response.status_code == 200 and events.event()[0] == "next"
    ws = RawWebSocket(r.url, {"authorization": f"Bearer {token}"})
    ws.send({"type": "connection_init"})
    assert ws.message() == {"type": "connection_ack"}
    ws.send({"type": "subscribe", "id": "1", "payload": {"query": HANG}})
    assert ws.message()["type"] == "next"  # the second subscribe of this client
    ws.send({"type": "subscribe", "id": "2", "payload": {"query": HANG}})
    refused = ws.message()
    assert refused["type"] == "error" and refused["id"] == "2"
    assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
    ws.close()
    with sse(r.url, HANG, token=token) as (response, _):
        assert response.status_code == 429 and "retry-after" in response.headers
        response.read()
        assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


def test_an_sse_get_needs_what_any_get_needs_against_csrf(routers):
    r = routers(JWT)
    params = {"query": HANG}
    headers = {"accept": "text/event-stream", "authorization": f"Bearer {scoped('')}"}
    refused = httpx.get(r.url, params=params, headers=headers, timeout=10)  # what a cross-site page could send
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_PREVENTION"
    with httpx.stream("GET", r.url, params=params, headers={**headers, "apollo-require-preflight": "true"},
                      timeout=10) as allowed:
        assert allowed.status_code == 200 and allowed.headers["content-type"].startswith("text/event-stream")
        assert any(line.startswith("event: next") for line in _first_lines(allowed, 3))


def _first_lines(response: httpx.Response, n: int) -> list[str]:
    lines = []
    for line in response.iter_lines():
        lines.append(line)
        if len(lines) >= n:
            break
    return lines
