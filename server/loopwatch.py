"""Event-loop lag: how late a 100 ms sleep wakes up. CPU work on the loop shows here first."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque

import numpy as np


class LoopWatch:
    def __init__(self, interval_s: float = 0.1, keep: int = 6000) -> None:
        self.interval_s = interval_s
        self.lags_ms: deque[float] = deque(maxlen=keep)  # the last ~10 minutes
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="loop watch")

    async def _run(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self.interval_s)
            self.lags_ms.append(max(0.0, (time.monotonic() - before - self.interval_s) * 1000))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def summary(self) -> dict[str, float]:
        if not self.lags_ms:
            return {"p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
        lags = np.fromiter(self.lags_ms, dtype=float)
        return {
            "p50_ms": round(float(np.percentile(lags, 50)), 1),
            "p99_ms": round(float(np.percentile(lags, 99)), 1),
            "max_ms": round(float(lags.max()), 1),
        }
