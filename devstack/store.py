"""The embedded MongoDB-compatible store for dev and tests: SecantusDB as a child process.

Started through its `secantusd-py` command (never imported: it is GPL-2.0). With
`sync_on_commit` every acknowledged write is fsynced, so a crash of the store loses nothing
that a client was told is stored; dev mode uses it, tests may trade it for speed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

from .ports import free_port, wait_for_port


def store_executable() -> str:
    beside_python = Path(sys.executable).parent / "secantusd-py"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("secantusd-py")
    if found is None:
        raise RuntimeError("secantusd-py not found: run `make install` (it comes with the dev dependencies)")
    return found


class EmbeddedStore:
    def __init__(
        self,
        storage_path: Path,
        *,
        port: int | None = None,
        sync_on_commit: bool = True,
        log: IO[bytes] | int | None = subprocess.DEVNULL,
    ) -> None:
        self.storage_path = storage_path
        self.port = port or free_port()
        self.sync_on_commit = sync_on_commit
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self, timeout: float = 60.0) -> "EmbeddedStore":
        self.storage_path.mkdir(parents=True, exist_ok=True)
        command = [
            store_executable(),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--storage-path", str(self.storage_path),
            "--log-level", "WARNING",
            "--cache-size", "256M",
        ]
        if self.sync_on_commit:
            command.append("--sync-on-commit")
        self.process = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.storage_path
        )
        if not wait_for_port(self.port, timeout):
            self.stop()
            raise RuntimeError(f"the embedded store did not start listening on port {self.port}")
        return self

    def stop(self, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Simulates a crash: no shutdown, no flush."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
