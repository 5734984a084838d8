"""`make dev`'s supervisor: a child that dies is reported and started again after a backoff,
the embedded store included, and Ctrl-C (the stopping event) stops them without a restart."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pymongo

from devstack.dev import ServiceChild, start_store
from devstack.ports import wait_for_port
from devstack.store import EmbeddedStore
from devstack.supervise import Backoff, Supervised
from tests.support.wait import wait_for

FAST = Backoff(first=0.05, longest=0.2, stable_after=60.0)

# First run exits with 3 at once; the runs after it stay up until stopped.
CHILD = """
import pathlib, sys, time
runs = pathlib.Path(sys.argv[1])
runs.write_text(str(int(runs.read_text() or 0) + 1) if runs.exists() else "1")
if runs.read_text() == "1":
    sys.exit(3)
time.sleep(600)
"""


async def wait_until(predicate, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    return bool(await wait_for(predicate, timeout))


async def test_a_crashed_child_is_reported_and_restarted(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    reports: list[str] = []

    async def start() -> ServiceChild:
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", CHILD, str(runs))
        return ServiceChild(spec=None, process=process)  # type: ignore[arg-type]

    child = Supervised("orders", start, reports.append, FAST)
    stopping = asyncio.Event()
    await child.first_start()
    watcher = asyncio.ensure_future(child.watch(stopping))
    try:
        assert await wait_until(lambda: runs.exists() and runs.read_text() == "2")
        assert child.restarts == 1
        assert len(reports) == 1 and reports[0].startswith("orders exited with code 3") and "restarting it in" in reports[0]
        current = child.current
        assert isinstance(current, ServiceChild) and current.process.returncode is None
    finally:
        stopping.set()
        await watcher
        assert isinstance(child.current, ServiceChild)
        child.current.process.kill()
        await child.current.process.wait()
    assert child.restarts == 1  # stopping is not a crash: nothing restarted it


async def test_a_killed_store_is_restarted_with_its_data(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store", sync_on_commit=True)
    reports: list[str] = []
    child = Supervised("store", lambda: start_store(store), reports.append, FAST)
    stopping = asyncio.Event()
    await child.first_start()
    watcher = asyncio.ensure_future(child.watch(stopping))
    try:
        with pymongo.MongoClient(store.uri, serverSelectionTimeoutMS=10_000) as client:
            client.shop.things.insert_one({"_id": 1, "kept": True})
        first = store.process
        store.kill()
        assert await wait_until(lambda: child.restarts == 1 and store.process is not first and child.current is not None)
        assert await asyncio.to_thread(wait_for_port, store.port, 30.0)
        assert reports[0].startswith("store exited with code -9")
        with pymongo.MongoClient(store.uri, serverSelectionTimeoutMS=10_000) as client:
            assert client.shop.things.find_one({"_id": 1}) == {"_id": 1, "kept": True}
    finally:
        stopping.set()
        await watcher
        await child.stop()
    assert store.process is not None and store.process.poll() is not None
