"""A clock the test moves, for product code that takes `clock: Callable[[], float]` (rate-limit
windows, circuit breakers, JWKS poll and cooldown): a test advances it past a window instead of
sleeping through one, so it is exact and takes no time."""

from __future__ import annotations

import threading
import time


class FakeClock:
    """Monotonic seconds. Starts at the real monotonic clock's reading (so it is never behind a
    stamp taken before it was injected) and moves a microsecond per reading, as a real clock
    does between two reads; `advance()` moves it on."""

    def __init__(self, start: float | None = None) -> None:
        self.now = time.monotonic() if start is None else start
        self._lock = threading.Lock()  # read from the router's thread, moved from the test's

    def __call__(self) -> float:
        with self._lock:
            self.now += 1e-6
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
