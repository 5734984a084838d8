"""Asks the orders service about an order, on behalf of the caller.

The caller's own bearer token is forwarded, so the orders service applies its ownership
rules: a user can only pay an order the orders service shows them. Amounts always come from
the orders service, never from the client.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import orjson

from shared.signing import HEADER, signature

from ..common.errors import ServiceUnavailable

ORDER_QUERY = """
query PaymentOrder($id: ID!) {
  order(id: $id) { id status total { amount currency } user { id } }
}
"""


@dataclass(frozen=True)
class OrderFacts:
    id: str
    status: str
    total: int
    currency: str
    user_id: str


class OrdersClient:
    def __init__(self, url: str, client: httpx.AsyncClient | None = None, signing_secret: str | None = None) -> None:
        self.url = url
        self.client = client or httpx.AsyncClient(timeout=httpx.Timeout(5.0))
        # With ROUTER_SIGNING_SECRET, orders answers only signed requests: payments shares it.
        self.signing_secret = signing_secret

    async def order(self, order_id: str, authorization: str, request_id: str | None = None) -> OrderFacts | None:
        headers = {"authorization": authorization}
        if request_id:
            headers["x-request-id"] = request_id
        body = orjson.dumps({"query": ORDER_QUERY, "variables": {"id": order_id}})
        headers["content-type"] = "application/json"
        if self.signing_secret:
            headers[HEADER] = signature(self.signing_secret, body, int(time.time()))
        try:
            response = await self.client.post(self.url, content=body, headers=headers)
            answer = response.json()
        except (httpx.HTTPError, ValueError):
            raise ServiceUnavailable("The orders service is unavailable; try again") from None
        if answer.get("errors") or response.status_code != 200:
            raise ServiceUnavailable("The orders service could not confirm the order; try again")
        order = (answer.get("data") or {}).get("order")
        if order is None:
            return None
        return OrderFacts(
            id=order["id"],
            status=order["status"],
            total=order["total"]["amount"],
            currency=order["total"]["currency"],
            user_id=order["user"]["id"],
        )

    async def aclose(self) -> None:
        await self.client.aclose()
