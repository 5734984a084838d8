"""Database commands counted per request, so the access log shows what a request cost.

A resolver that queries once per parent (an N+1 pattern) shows up as a large `db_queries` on
the request's log line; batched loaders keep it at one query per level of the operation.
The count lives in a context variable set by the request middleware: pymongo calls the
listener in the task that issued the command, and the loaders' batch tasks inherit it.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

from pymongo import monitoring

READS = frozenset({"find", "aggregate", "count", "distinct"})


@dataclass
class Counter:
    reads: int = 0


current: contextvars.ContextVar[Counter | None] = contextvars.ContextVar("db_queries", default=None)


class ReadCounter(monitoring.CommandListener):
    """Counts the read commands of the request in whose context they were issued."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        counter = current.get()
        if counter is not None and event.command_name in READS:
            counter.reads += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass
