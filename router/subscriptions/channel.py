"""One subgraph subscription and the client subscriptions it feeds.

Without dedupe every client subscription has a channel of its own. With `subscriptions.dedupe`
the client subscriptions that would send the same subgraph the same request (same subgraph
operation and variables after the plugins, same forwarded headers, same supergraph) share one:
the subgraph sees one subscriber instead of thousands, and each of its events runs the rest of
the plan (the entity fetches) once per group of members whose plan and inputs are the same.

What differs per client stays per client: each member's plugins after execution (authorization
by its own claims, masking, cost), its bounded queue and its slow-client close, its token's
expiry, its place in the per-client limits. A member leaving never disturbs the others; the
last one leaving closes the subgraph subscription. A subgraph failure reaches every member,
after the resubscribe policy, the same as without dedupe.

A client that joins an open subscription gets the events that come after it joined ("on", the
way Apollo Router deduplicates), or first the group's latest event ("replay_last"): what a
stream that starts with the current state, such as the shop's `orderUpdated`, would have sent
it on a subscription of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import orjson

from ..errors import SubgraphError
from .upstream import Upstream

if TYPE_CHECKING:
    from .stream import Hub, Subscription

log = logging.getLogger("router.subscriptions")


class Channel:
    def __init__(self, hub: Hub, key: Hashable, first: Subscription, payload: bytes, replay: bool) -> None:
        self.hub = hub
        self.key = key
        self.root = first.root
        # the headers and body every member would send (the key says they are the same)
        self.ctx = first.ctx
        self.payload = payload
        self.replay = replay
        self.members: list[Subscription] = []
        self._joining: dict[Subscription, asyncio.Task[None]] = {}
        self._last: dict[str, Any] | None = None  # the latest event, for "replay_last"
        self._last_results: dict[Hashable, bytes] = {}  # that event executed, per execution key
        self._lock = asyncio.Lock()  # one delivery at a time: every member sees events in order
        self._task: asyncio.Task[None] | None = None
        self.done = False  # the subgraph subscription ended: nobody joins any more

    @property
    def size(self) -> int:
        return len(self.members) + len(self._joining)

    def join(self, sub: Subscription) -> None:
        loop = asyncio.get_running_loop()
        if self._last is not None:
            self._joining[sub] = loop.create_task(self._replay(sub))
        else:
            self.members.append(sub)
        if self._task is None:
            self._task = loop.create_task(self._produce())

    def leave(self, sub: Subscription) -> asyncio.Task[None] | None:
        """Takes `sub` out; when it was the last one, stops the subgraph subscription and returns
        the task to wait for (it closes the socket on its way out)."""
        if sub in self.members:
            self.members.remove(sub)
        replaying = self._joining.pop(sub, None)
        if replaying is not None and replaying is not asyncio.current_task():
            replaying.cancel()
        if self.size:
            return None
        self._retire()
        task = self._task
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()
            return task
        return None

    def _retire(self) -> None:
        self.done = True
        if self.hub.channels.get(self.key) is self:
            del self.hub.channels[self.key]

    async def _replay(self, sub: Subscription) -> None:
        async with self._lock:
            if self._joining.pop(sub, None) is None:
                return
            self.members.append(sub)
            last = self._last
            if last is None:
                return
            cached = self._last_results.get(sub.exec_key)
            if cached is None:
                result = await sub.execute(last)
                self._last_results[sub.exec_key] = orjson.dumps(result)
            else:
                result = orjson.loads(cached)
            await sub.deliver(result)

    async def _produce(self) -> None:
        """Subscribes to the subgraph and hands each of its answers to the members; a lost
        subgraph subscription is opened again per `resubscribe` (the count starts over after
        each event that got through), then ends every member's stream with the error."""
        hub = self.hub
        settings = hub.settings
        attempt = 0
        while True:
            upstream: Upstream | None = None
            try:
                upstream = self._upstream()
                await self._open(upstream)
                if attempt:
                    log.info("subgraph subscription to %s open again after %d attempt(s)", self.root.service, attempt)
                async for answer in upstream.events():
                    attempt = 0
                    await self._fan_out(answer)
                    if not self.size:
                        return
                self._end_all(None)
                return
            except SubgraphError as e:
                retry = upstream is not None and upstream.retryable and not hub.closing
                if retry and attempt < settings.resubscribe_attempts:
                    attempt += 1
                    hub.resubscribed += 1
                    delay = settings.resubscribe_delay(attempt)
                    log.warning("subgraph subscription lost (%s); subscribing again in %.2fs (attempt %d of %d)",
                                e, delay, attempt, settings.resubscribe_attempts)
                    if upstream is not None:
                        await asyncio.shield(upstream.close())
                    upstream = None
                    await asyncio.sleep(delay)
                    continue
                self._retire()
                for sub in self._everyone():
                    await sub.failed(e)
                return
            except asyncio.CancelledError:
                raise
            except Exception:  # a router bug: the clients get a clear end, the log the traceback
                log.exception("subscription failed")
                self._end_all("INTERNAL_SERVER_ERROR")
                return
            finally:
                if upstream is not None:
                    await asyncio.shield(upstream.close())

    def _everyone(self) -> list[Subscription]:
        return [*self.members, *self._joining]

    def _end_all(self, internal_error: str | None) -> None:
        self._retire()
        for sub in self._everyone():
            if internal_error is None:
                sub.finish_complete()
            else:
                sub.finish_internal_error()

    def _upstream(self) -> Upstream:
        service = self.root.service
        client = self.ctx.state.clients.clients.get(service)
        if client is None:
            raise SubgraphError(service, f'unknown subgraph "{service}"')
        return Upstream(service, client.url, self.hub.settings.upstream_timeout)

    async def _open(self, upstream: Upstream) -> None:
        service = self.root.service
        await upstream.open(orjson.loads(self.payload), self.hub.upstream_headers(self.ctx, service))

    async def _fan_out(self, answer: dict[str, Any]) -> None:
        async with self._lock:
            if self.replay:
                self._last = answer
                self._last_results = {}
            members = self.members
            if len(members) == 1:
                sub = members[0]
                await sub.deliver(await sub.execute(answer))
                return
            groups: dict[Hashable, list[Subscription]] = {}
            for sub in members:
                groups.setdefault(sub.exec_key, []).append(sub)
            if len(groups) == 1:
                await self._deliver_group(next(iter(groups.values())), answer)
            else:
                await asyncio.gather(*(self._deliver_group(g, answer) for g in groups.values()))

    async def _deliver_group(self, group: list[Subscription], answer: dict[str, Any]) -> None:
        """The plan run once for the group; each member gets its own copy, since its plugins
        after execution (authorization, masking) edit the result they are given."""
        result = await group[0].execute(answer)
        raw = orjson.dumps(result)
        if self.replay:
            self._last_results[group[0].exec_key] = raw
        last = len(group) - 1
        for i, sub in enumerate(group):
            await sub.deliver(result if i == last else orjson.loads(raw))
