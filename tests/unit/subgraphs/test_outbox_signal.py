"""The relay's wake-up signal after a commit, in a process that runs more than one event loop."""

import asyncio

from subgraphs.common.events import outbox


def test_the_commit_signal_wakes_the_relay_in_each_event_loop() -> None:
    async def commit_wakes_relay() -> None:
        relay = asyncio.ensure_future(outbox.wakeup().wait())
        await asyncio.sleep(0)  # the relay is waiting
        outbox.committed()
        await asyncio.wait_for(relay, 1)
        outbox.wakeup().clear()

    asyncio.run(commit_wakes_relay())
    asyncio.run(commit_wakes_relay())  # a second app in the same process (tests, a restart)
