"""Recording one participant's audio to Ogg/Opus, only when both people agreed.

Encoding and file writes run on a dedicated thread fed through a bounded queue, so a slow
disk never stalls the call; if the queue overflows, samples are dropped and counted.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

import av
import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio

log = logging.getLogger("tandem.recorder")


class OpusRecorder:
    def __init__(self, path: Path, max_pending_chunks: int = 500) -> None:
        self.path = path
        self.dropped_chunks = 0
        self._queue: queue.Queue[FloatAudio | None] = queue.Queue(maxsize=max_pending_chunks)
        self._thread = threading.Thread(target=self._run, name=f"recorder {path.name}", daemon=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()

    def write(self, _start_index: int, samples: FloatAudio) -> None:
        try:
            self._queue.put_nowait(samples.copy())
        except queue.Full:
            self.dropped_chunks += 1

    def close(self) -> None:
        """Finish the file (blocks until written; call from a worker thread)."""
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        partial = self.path.with_suffix(".partial.ogg")
        container = av.open(str(partial), "w", format="ogg")
        stream = container.add_stream("libopus", rate=SAMPLE_RATE_HZ, layout="mono")
        written = 0
        try:
            while (samples := self._queue.get()) is not None:
                pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
                frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
                frame.sample_rate = SAMPLE_RATE_HZ
                frame.pts = written
                written += frame.samples
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
        except Exception:
            log.exception("recording %s failed", self.path)
        finally:
            container.close()
            partial.replace(self.path)
