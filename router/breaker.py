"""A circuit breaker per subgraph: after N consecutive failed fetches the circuit opens and
fetches fail fast (no connection, no timeout wait) until a cool-down has passed; then one
trial fetch is let through (half-open): success closes the circuit, failure opens it again.

A failure is a fetch that raised `SubgraphError` (no connection, timeout, not a GraphQL
response); a GraphQL response carrying errors is an answer, not a failure."""

from __future__ import annotations

import time
from typing import Callable

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    __slots__ = ("threshold", "cool_down", "clock", "state", "failures", "opened_at", "trial")

    def __init__(self, threshold: int, cool_down: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.cool_down = cool_down
        self.clock = clock
        self.state = CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.trial = False  # the half-open trial fetch is in flight

    def allow(self) -> bool:
        if self.state == CLOSED:
            return True
        if self.state == OPEN:
            if self.clock() - self.opened_at < self.cool_down:
                return False
            self.state = HALF_OPEN
            self.trial = False
        if self.trial:
            return False
        self.trial = True
        return True

    def retry_in(self) -> float:
        return max(0.0, self.opened_at + self.cool_down - self.clock())

    def success(self) -> None:
        self.state = CLOSED
        self.failures = 0
        self.trial = False

    def failure(self) -> None:
        self.failures += 1
        self.trial = False
        if self.state == HALF_OPEN or self.failures >= self.threshold:
            self.state = OPEN
            self.opened_at = self.clock()

    def abandon(self) -> None:
        """The fetch was cancelled (the client went away): it proved nothing either way."""
        self.trial = False
