"""A replaced supergraph's state is retired (its subgraph clients closed) once the last
subscription running on it lets go: `idle()` waits on the one event its users clear and set."""

import asyncio
from pathlib import Path

from router.config import Config
from router.pipeline import RouterState
from router.supergraph import Supergraph

ROOT = Path(__file__).resolve().parents[3]
SDL = (ROOT / "schema" / "supergraph.graphql").read_text()


async def test_idle_returns_once_the_last_user_lets_go():
    state = RouterState(Supergraph(SDL), Config())
    await asyncio.wait_for(state.idle(), 5)  # nobody uses it: idle at once
    first, second = object(), object()
    state.use(first)
    state.use(second)
    waiters = [asyncio.create_task(state.idle()) for _ in range(2)]
    await asyncio.sleep(0)  # one loop turn: both wait
    state.release(first)
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)  # one user left
    state.release(second)
    await asyncio.wait_for(asyncio.gather(*waiters), 5)
    state.use(first)  # used again (a subscription started late): not idle any more
    again = asyncio.create_task(state.idle())
    await asyncio.sleep(0)
    assert not again.done()
    state.release(first)
    await asyncio.wait_for(again, 5)
    await state.clients.aclose()
