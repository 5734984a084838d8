"""Money as integer minor units plus an ISO 4217 currency code: never floats.

Declared @shareable: every subgraph that returns Money declares the same value type.
"""

from __future__ import annotations

import strawberry


@strawberry.federation.type(shareable=True, description="An amount in minor units (cents) of a currency.")
class Money:
    amount: int = strawberry.field(description="Minor units, e.g. 1999 for 19.99.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. USD.")
