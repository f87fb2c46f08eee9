"""Polling for a condition in real time, for tests that cannot await a workflow result
(awaiting results on the time-skipping server would let it skip time)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition not reached in {seconds:.0f}s")
