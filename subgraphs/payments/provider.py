"""The payment provider. Here a deterministic simulation; a real one (a card processor) plugs
in behind the same method, called with the payment id as its own idempotency key, so a
retried charge is never taken twice."""

from __future__ import annotations

from dataclasses import dataclass

from .models import PaymentMethod


@dataclass(frozen=True)
class ChargeResult:
    succeeded: bool
    failure_reason: str | None = None


class SimulatedProvider:
    """Approves every charge up to a limit and declines above it, so both outcomes can be exercised."""

    def __init__(self, decline_above: int) -> None:
        self.decline_above = decline_above

    async def charge(self, payment_id: str, amount: int, currency: str, method: PaymentMethod) -> ChargeResult:
        if amount > self.decline_above:
            return ChargeResult(succeeded=False, failure_reason="Declined: amount exceeds the payment limit")
        return ChargeResult(succeeded=True)

    async def refund(self, payment_id: str, amount: int, currency: str) -> None:
        return None
