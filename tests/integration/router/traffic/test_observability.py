"""/health, /ready, Prometheus /metrics and JSON access logs of a running router."""

from __future__ import annotations

import json
import re

import httpx

from tests.integration.router.harness import post
from tests.support.wait import wait_until

TELEMETRY = """
telemetry:
  metrics: { enabled: true }
  access_log: { enabled: true }
rate_limit:
  per_client: { requests: 5, window: 60 }
"""


def metric(text: str, name: str, labels: str = "") -> float:
    m = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+]+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_health_and_readiness(make_router, stub):
    down = make_router()  # the test supergraph's "legacy" subgraph is not served
    health = httpx.get(down.base + "/health").json()
    assert {k: health[k] for k in ("service", "status", "checks")} == {"service": "router", "status": "ok", "checks": {}}
    assert health["version"] and health["timestamp"]
    resp = httpx.get(down.base + "/ready")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unavailable" and body["checks"]["supergraph"] == "ok"
    assert body["checks"]["subgraph:legacy"] == "down" and body["checks"]["subgraph:reviews"] == "ok"
    assert "127.0.0.1" not in resp.text  # names, never addresses
    up = make_router(f"subgraphs:\n  legacy: {{ url: \"{stub.url}\" }}\n")
    resp = httpx.get(up.base + "/ready")
    assert resp.status_code == 200 and resp.json()["status"] == "ready"
    assert set(resp.json()["checks"].values()) == {"ok"}


def test_readiness_probes_each_subgraph_over_graphql_and_caches_the_answer(make_router, stub):
    r = make_router(f"subgraphs:\n  legacy: {{ url: \"{stub.url}\" }}\nhealth: {{ timeout: 0.5, cache: 30 }}\n")
    assert httpx.get(r.base + "/ready").status_code == 200
    assert [req["body"] for req in stub.requests] == [{"query": "{ __typename }"}]
    stub.mode = "fail"  # cached: no new probe within health.cache, whoever asks
    assert [httpx.get(r.base + "/ready").status_code for _ in range(5)] == [200] * 5
    assert len(stub.requests) == 1


def test_a_frozen_or_failing_subgraph_makes_the_router_unready(make_router, stub):
    r = make_router(f"subgraphs:\n  legacy: {{ url: \"{stub.url}\" }}\nhealth: {{ timeout: 0.3, cache: 0 }}\n")
    stub.delay = 2.0  # accepts the connection, answers too late: TCP alone would say "up"
    frozen = httpx.get(r.base + "/ready", timeout=10)
    assert frozen.status_code == 503 and frozen.json()["checks"]["subgraph:legacy"] == "down"
    stub.delay = 0.0
    stub.mode = "fail"  # answers, but not GraphQL
    failing = httpx.get(r.base + "/ready")
    assert failing.status_code == 503 and failing.json()["checks"]["subgraph:legacy"] == "down"
    stub.mode = "ok"
    assert httpx.get(r.base + "/ready").status_code == 200


def test_bad_health_config_is_named():
    import pytest

    from router.config import ConfigError
    from router.health import parse

    for raw, message in (({"probe": "icmp"}, "health.probe: must be one of graphql, ready, tcp"),
                         ({"ready_path": "ready"}, "health.ready_path"),
                         ({"timeout": 0}, "health.timeout: must be greater than 0"),
                         ({"every": 1}, "health.every: unknown key")):
        with pytest.raises(ConfigError, match=message):
            parse(raw)


def test_metrics_count_requests_errors_fetches_plan_cache_and_rejections(make_router):
    r = make_router(TELEMETRY)
    assert httpx.get(r.base + "/metrics").status_code == 200
    for _ in range(2):
        assert post(r.url, "{ users { id reviews { id } } }").status_code == 200
    post(r.url, "{ legacyStatus }")  # the legacy subgraph is down: a failed fetch
    post(r.url, "{ nope }")  # validation error
    post(r.url, "{ reviews { id } }")
    assert post(r.url, "{ reviews { id } }").status_code == 429  # the 6th request of this client
    text = httpx.get(r.base + "/metrics").text
    assert metric(text, "router_http_requests_total", '{status="200"}') == 5
    assert metric(text, "router_http_requests_total", '{status="429"}') == 1
    assert metric(text, "router_graphql_errors_total", '{code="SUBGRAPH_REQUEST_FAILED"}') == 1
    assert metric(text, "router_graphql_errors_total", '{code="GRAPHQL_VALIDATION_FAILED"}') == 1
    assert metric(text, "router_graphql_errors_total", '{code="RATE_LIMITED"}') == 1
    assert metric(text, "router_rate_limit_rejections_total", '{limit="client"}') == 1
    assert metric(text, "router_http_request_duration_seconds_count") == 6
    assert metric(text, "router_subgraph_fetch_duration_seconds_count", '{subgraph="users"}') == 2
    assert metric(text, "router_subgraph_fetch_duration_seconds_count", '{subgraph="reviews"}') == 3
    assert metric(text, "router_subgraph_fetch_errors_total",
                  '{code="SUBGRAPH_REQUEST_FAILED",subgraph="legacy"}') == 1
    assert metric(text, "router_plan_cache_hits_total") == 1  # the second identical users query
    assert metric(text, "router_plan_cache_misses_total") == 3


def test_one_json_access_line_per_request(make_router, capsys):
    r = make_router(TELEMETRY + "  trusted_proxies: [127.0.0.1/32]\n")
    capsys.readouterr()
    ok = post(r.url, "query Reviews { reviews { id } }", {"x-request-id": "req-42", "x-forwarded-for": "203.0.113.9"})
    assert ok.headers["x-request-id"] == "req-42"
    bad = httpx.post(r.url, content=b"{", headers={"content-type": "application/json"})
    generated = bad.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    forged = post(r.url, "{ reviews { id } }", {"x-request-id": "bad id <script>"})
    assert forged.headers["x-request-id"] != "bad id <script>"
    access: list[dict] = []

    def three_lines() -> bool:  # written once the response is sent
        out = capsys.readouterr().out
        access.extend(x for x in map(json.loads, filter(lambda s: s.startswith("{"), out.splitlines()))
                      if x.get("logger") == "router.access")
        return len(access) >= 3

    wait_until(three_lines, 5)
    assert len(access) == 3
    first = access[0]
    assert first["request_id"] == "req-42" and first["operation"] == "Reviews"
    assert first["client"] == "203.0.113.9" and first["status"] == 200
    assert first["method"] == "POST" and first["path"] == "/graphql" and first["duration_ms"] > 0
    assert access[1]["request_id"] == generated and access[1]["status"] == 400
    assert access[2]["request_id"] == forged.headers["x-request-id"]


def test_metrics_on_a_port_of_their_own(make_router):
    from devstack.store import free_port

    port = free_port()
    r = make_router(f"telemetry:\n  metrics: {{ enabled: true, listen: \"127.0.0.1:{port}\" }}\n")
    assert post(r.url, "{ reviews { id } }").status_code == 200
    assert httpx.get(r.base + "/metrics").status_code == 404  # not on the client port
    scrape = httpx.get(f"http://127.0.0.1:{port}/metrics")
    assert scrape.status_code == 200
    assert metric(scrape.text, "router_http_requests_total", '{status="200"}') >= 1


def test_production_keeps_metrics_off_the_client_port(monkeypatch):
    import pytest

    from router.config import Config, ConfigError, validate_sections
    from router.plugins import telemetry

    section = {"metrics": {"enabled": True}}
    monkeypatch.delenv("ROUTER_ENV", raising=False)
    assert telemetry.build(Config(sections=validate_sections({"telemetry": section}))).cfg.metrics_listen is None
    monkeypatch.setenv("ROUTER_ENV", "production")
    built = telemetry.build(Config(host="0.0.0.0", sections=validate_sections({"telemetry": section})))
    assert built.cfg.metrics_listen == "0.0.0.0:9090"
    main = {"metrics": {"enabled": True, "listen": "main"}}  # explicitly back on the client port
    assert telemetry.build(Config(sections=validate_sections({"telemetry": main}))).cfg.metrics_listen == "main"
    with pytest.raises(ConfigError, match="telemetry.metrics.listen: one port cannot serve 2 workers"):
        telemetry.build(Config(workers=2, sections=validate_sections({"telemetry": section})))
    with pytest.raises(ConfigError, match="telemetry.metrics.listen: expected HOST:PORT"):
        telemetry.build(Config(sections=validate_sections({"telemetry": {"metrics": {"listen": "9090"}}})))
