"""The session clock: seconds since a call session started, the same for every participant."""

from __future__ import annotations

import time
from datetime import UTC, datetime


class SessionClock:
    def __init__(self, started_at: datetime) -> None:
        started = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
        # Wall time fixes the origin (it survives a server restart); the monotonic clock
        # measures from there, so clock adjustments during the call cannot bend it.
        self._origin = time.monotonic() - (time.time() - started.timestamp())
        self.started_at = started

    def now(self) -> float:
        return time.monotonic() - self._origin
