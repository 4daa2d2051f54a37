"""A heartbeat on the running event loop: how long the loop was blocked while some async work ran.

Async code that runs a model on the loop stalls every other coroutine; one that hands the model to a
worker (the tasks' async methods, the adapters') does not. The tests of every adapter and
``scripts/bench_async.py`` measure that with this one heartbeat.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

__all__ = ["Heartbeat", "heartbeat"]


class Heartbeat:
    """Ticks every ``interval_s`` on the running loop; ``max_gap`` is the longest time between two ticks (s)."""

    def __init__(self, interval_s: float = 0.005) -> None:
        """Set the tick interval (nothing runs until :meth:`run` is awaited)."""
        self.interval_s = interval_s
        self.max_gap = 0.0
        self.ticks = 0
        self._stop = False

    async def run(self) -> None:
        """Tick until :meth:`stop`, keeping the longest gap."""
        last = time.perf_counter()
        while not self._stop:
            await asyncio.sleep(self.interval_s)
            now = time.perf_counter()
            self.max_gap = max(self.max_gap, now - last)
            self.ticks += 1
            last = now

    def stop(self) -> None:
        """End the ticking after the current tick."""
        self._stop = True


@asynccontextmanager
async def heartbeat(interval_s: float = 0.005) -> AsyncIterator[Heartbeat]:
    """Run a :class:`Heartbeat` beside the body of the ``async with``; read ``max_gap`` after it."""
    beat = Heartbeat(interval_s)
    task = asyncio.create_task(beat.run())
    await asyncio.sleep(0)  # the first tick's clock starts now
    try:
        yield beat
    finally:
        beat.stop()
        await task
