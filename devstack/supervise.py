"""Keeping `make dev`'s children alive: a child that dies (a service or the store) is reported
and started again after a backoff that doubles while it keeps dying, so one crash costs a
restart of that child, not the whole stack, and a child crashing at start does not spin."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, Protocol


class Running(Protocol):
    """One started child: wait for its exit (its code), or stop it."""

    async def wait(self) -> int | None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Backoff:
    first: float = 1.0  # seconds before the first restart
    longest: float = 30.0
    stable_after: float = 60.0  # a child that ran this long starts over at `first`

    def delay(self, failures: int) -> float:
        return float(min(self.longest, self.first * 2 ** max(0, failures - 1)))


class Supervised:
    """A child started by `start`, restarted by `watch` each time it exits until `stopping`."""

    def __init__(self, name: str, start: Callable[[], Awaitable[Running]], report: Callable[[str], None],
                 backoff: Backoff = Backoff()) -> None:
        self.name = name
        self.start = start
        self.report = report
        self.backoff = backoff
        self.current: Running | None = None
        self.started_at = 0.0
        self.restarts = 0

    async def first_start(self) -> None:
        self.current = await self.start()
        self.started_at = time.monotonic()

    async def watch(self, stopping: asyncio.Event) -> None:
        failures = 0
        while not stopping.is_set():
            if self.current is None:
                try:
                    self.current = await self.start()
                    self.started_at = time.monotonic()
                except Exception as e:  # a failed start is one more failure, retried after the backoff
                    failures += 1
                    if not await self._pause(f"{self.name} did not start ({e})", failures, stopping):
                        return
                    continue
            code = await _first(self.current.wait(), stopping)
            if stopping.is_set():
                return  # the caller stops the children, in order
            self.current = None
            ran = time.monotonic() - self.started_at
            failures = 1 if ran >= self.backoff.stable_after else failures + 1
            if not await self._pause(f"{self.name} exited with code {code} after {ran:.1f}s", failures, stopping):
                return

    async def _pause(self, what: str, failures: int, stopping: asyncio.Event) -> bool:
        delay = self.backoff.delay(failures)
        self.restarts += 1
        self.report(f"{what}; restarting it in {delay:.1f}s (restart {self.restarts})")
        try:
            await asyncio.wait_for(stopping.wait(), delay)
            return False
        except asyncio.TimeoutError:
            return True

    async def stop(self) -> None:
        if self.current is not None:
            await self.current.stop()


async def _first(exited: Awaitable[int | None], stopping: asyncio.Event) -> int | None:
    """The child's exit code, or None as soon as `stopping` is set."""
    exit_task = asyncio.ensure_future(exited)
    stop_task = asyncio.ensure_future(stopping.wait())
    done, _ = await asyncio.wait({exit_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
    stop_task.cancel()
    if exit_task in done:
        return exit_task.result()
    exit_task.cancel()
    return None
