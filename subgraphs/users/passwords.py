"""bcrypt hashing, run in a worker thread: a hash takes ~0.25 s at cost 12 and would
otherwise stall every other request on the event loop."""

from __future__ import annotations

import asyncio

import bcrypt

# bcrypt only looks at the first 72 bytes; longer passwords are refused rather than truncated.
MAX_PASSWORD_BYTES = 72


class PasswordHasher:
    def __init__(self, rounds: int) -> None:
        self.rounds = rounds
        # Verified against when the e-mail is unknown, so both failures take the same time.
        self._decoy = bcrypt.hashpw(b"decoy-password", bcrypt.gensalt(rounds))

    async def hash(self, password: str) -> str:
        salt = bcrypt.gensalt(self.rounds)
        hashed = await asyncio.to_thread(bcrypt.hashpw, password.encode(), salt)
        return hashed.decode()

    async def verify(self, password: str, hashed: str | None) -> bool:
        candidate = password.encode()
        usable = hashed is not None and len(candidate) <= MAX_PASSWORD_BYTES
        target = hashed.encode() if hashed else self._decoy
        matches = await asyncio.to_thread(bcrypt.checkpw, candidate[:MAX_PASSWORD_BYTES], target)
        return matches and usable
