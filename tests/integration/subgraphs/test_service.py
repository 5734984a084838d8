"""What every subgraph offers besides GraphQL data: health, readiness, request ids, JSON logs,
and clear answers to malformed requests."""

from __future__ import annotations

from datetime import datetime

import orjson
import pytest

from tests.support.shop import Shop, codes

SERVICES = ["users", "orders", "payments"]


@pytest.mark.parametrize("service", SERVICES)
async def test_health_and_ready(http, shop: Shop, service: str) -> None:  # type: ignore[no-untyped-def]
    health = await http.get(f"{shop.base(service)}/health")
    assert health.status_code == 200
    body = health.json()
    assert body["service"] == service and body["status"] == "ok" and body["version"]
    datetime.fromisoformat(body["timestamp"])
    ready = await http.get(f"{shop.base(service)}/ready")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok"}


@pytest.mark.parametrize("service", SERVICES)
async def test_request_id_is_echoed_and_logged_as_json(http, shop: Shop, service: str) -> None:  # type: ignore[no-untyped-def]
    response = await http.post(
        f"{shop.url(service)}", json={"query": "{ __typename }"}, headers={"x-request-id": f"trace-{service}-42"}
    )
    assert response.headers["x-request-id"] == f"trace-{service}-42"
    generated = await http.get(f"{shop.base(service)}/health")
    assert len(generated.headers["x-request-id"]) == 32
    lines = [orjson.loads(line) for line in shop.log_text(service).splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == f"trace-{service}-42" and line["logger"] == "access"]
    assert access and access[0]["status"] == 200 and access[0]["path"] == "/graphql"
    assert access[0]["service"] == service and "duration_ms" in access[0]


async def test_a_spoofed_request_id_is_replaced(http, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    spoofed = "x" * 300 + " <script>"
    response = await http.get(f"{shop.base('users')}/health", headers={"x-request-id": spoofed})
    assert response.headers["x-request-id"] != spoofed
    assert len(response.headers["x-request-id"]) == 32


async def test_errors_are_logged_with_their_code(gql, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    await gql("users", "mutation { login(email: \"ghost@example.com\", password: \"whatever1\") { token } }", headers={"x-request-id": "login-failure-1"})
    lines = [orjson.loads(line) for line in shop.log_text("users").splitlines() if line.startswith("{")]
    errors = [line for line in lines if line.get("request_id") == "login-failure-1" and line["logger"] == "graphql"]
    assert errors and errors[0]["code"] == "UNAUTHENTICATED"
    assert "whatever1" not in shop.log_text("users")


async def test_malformed_requests_get_graphql_errors(http, gql, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    not_json = await http.post(shop.url("orders"), content=b"{bad json", headers={"content-type": "application/json"})
    assert not_json.status_code == 400
    syntax = await gql("orders", "{ products { id ")
    assert syntax["data"] is None and codes(syntax) == ["GRAPHQL_VALIDATION_FAILED"]
    unknown = await gql("orders", "{ nope }")
    assert codes(unknown) == ["GRAPHQL_VALIDATION_FAILED"]
    mutation_over_get = await http.get(shop.url("users"), params={"query": 'mutation { login(email: "a", password: "b") { token } }'})
    assert mutation_over_get.status_code in (400, 405)
    query_over_get = await http.get(shop.url("orders"), params={"query": "{ products { id } }"})
    assert query_over_get.status_code == 200 and query_over_get.json()["data"]["products"]
