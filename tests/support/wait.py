"""Waiting in tests: for a condition (polled until it holds or a deadline passes, never a
fixed sleep that hopes something happened meanwhile)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float = 10.0, interval: float = 0.02) -> T | None:
    """The condition's first truthy value, or None once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)  # the one pause between two looks, in one place


async def wait_for(condition: Callable[[], Awaitable[T] | T], timeout: float = 10.0,
                   interval: float = 0.02) -> T | None:
    """`wait_until` inside a running event loop, which keeps running between two looks; the
    condition may be a coroutine function."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(interval)  # the async twin of the one pause
