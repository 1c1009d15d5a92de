"""A preallocated ring buffer of float32 samples addressed by absolute sample index.

Writers append; readers copy out any span still held. Nothing is reallocated per frame, and
memory stays bounded whatever a client sends.
"""

from __future__ import annotations

import threading

import numpy as np

from media.audio import FloatAudio


class SampleRing:
    def __init__(self, capacity_samples: int) -> None:
        self.capacity = capacity_samples
        self._data = np.zeros(capacity_samples, dtype=np.float32)
        #: Absolute index one past the newest sample written.
        self.end = 0
        self._lock = threading.Lock()

    @property
    def start(self) -> int:
        """Absolute index of the oldest sample still held."""
        return max(0, self.end - self.capacity)

    def write(self, samples: FloatAudio) -> None:
        n = len(samples)
        if n == 0:
            return
        with self._lock:
            if n >= self.capacity:
                samples = samples[-self.capacity :]
                self.end += n - self.capacity
                n = self.capacity
            offset = self.end % self.capacity
            first = min(n, self.capacity - offset)
            self._data[offset : offset + first] = samples[:first]
            if first < n:
                self._data[: n - first] = samples[first:]
            self.end += n

    def write_silence(self, n: int) -> None:
        """Advance over a gap (the sender went quiet on the network) with zeros."""
        if n > 0:
            self.write(np.zeros(min(n, self.capacity), dtype=np.float32))
            if n > self.capacity:
                with self._lock:
                    self.end += n - self.capacity

    def read(self, start: int, stop: int) -> FloatAudio:
        """A copy of samples [start, stop) clipped to what is still held."""
        with self._lock:
            start = max(start, self.start)
            stop = min(stop, self.end)
            if stop <= start:
                return np.zeros(0, dtype=np.float32)
            n = stop - start
            offset = start % self.capacity
            first = min(n, self.capacity - offset)
            out = np.empty(n, dtype=np.float32)
            out[:first] = self._data[offset : offset + first]
            out[first:] = self._data[: n - first]
            return out
