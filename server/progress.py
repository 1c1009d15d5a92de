"""A terminal progress bar on stderr that stays silent when stderr is not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(
        self, label: str, stream: TextIO | None = None, enabled: bool | None = None
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self.label = label
        self._started = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, done: float, total: float) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last_draw < 0.1 and done < total:
            return
        self._last_draw = now
        fraction = 0.0 if total <= 0 else min(max(done / total, 0.0), 1.0)
        width = 30
        filled = round(fraction * width)
        elapsed = now - self._started
        eta = ""
        if 0.02 < fraction < 1.0:
            eta = f" ~{elapsed * (1 - fraction) / fraction:4.0f}s left"
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {fraction * 100:5.1f}%{eta}   ")
        self.stream.flush()
        self._drawn = True

    def status(self, message: str) -> None:
        """A one-line note (e.g. 'loading model…'), shown only on a terminal."""
        if self.enabled:
            self._clear()
            self.stream.write(message + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 78 + "\r")
            self._drawn = False
