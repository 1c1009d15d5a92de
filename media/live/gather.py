"""Audio chunks joined on the caller's side before they go to a writer thread.

The audio tap emits a chunk per 20 ms frame. Handing each one to a thread's queue wakes that
thread fifty times a second per stream, and each wake-up costs the event loop a GIL hand-off:
profiled at twelve calls, the spool's puts alone took a fifth of the loop's time. Joining
consecutive chunks into pieces of a quarter second wakes the thread four times a second.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio

#: How much audio waits on the caller's side before it is handed on (at most this much is
#: lost with a crash, beside what the writer's queue held).
GATHER_SAMPLES = SAMPLE_RATE_HZ // 4


class Gather:
    """Consecutive (start index, samples) chunks joined into pieces of ``every_samples``
    or more; a chunk that does not follow the last one hands on what was gathered first.
    Safe to flush from another thread (a writer closed while the loop still feeds it)."""

    def __init__(
        self, hand_on: Callable[[int, FloatAudio], None], every_samples: int = GATHER_SAMPLES
    ) -> None:
        self._hand_on = hand_on
        self._every = every_samples
        self._parts: list[FloatAudio] = []
        self._start = 0
        self._held = 0
        self._lock = threading.Lock()  # uncontended but for a close: ~0.1 µs a chunk

    @property
    def held_samples(self) -> int:
        return self._held

    def add(self, start_index: int, samples: FloatAudio) -> None:
        with self._lock:
            if self._parts and start_index != self._start + self._held:
                self._flush()
            if not self._parts:
                self._start = start_index
            self._parts.append(np.array(samples, dtype=np.float32))  # the caller may reuse it
            self._held += len(samples)
            if self._held >= self._every:
                self._flush()

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if not self._parts:
            return
        parts, self._parts = self._parts, []
        start, self._held = self._start, 0
        self._hand_on(start, parts[0] if len(parts) == 1 else np.concatenate(parts))
