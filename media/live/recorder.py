"""Recording one participant's audio to Ogg/Opus, only when both people agreed.

Encoding and file writes run on a dedicated thread fed through a bounded queue, in pieces of a
quarter second (media/live/gather.py), so a slow disk never stalls the call; if the queue
overflows, samples are dropped and counted.

A failed write (the disk full) stops this recording cleanly: the file is closed as far as it
goes (Ogg pages already written stay playable) and kept under its final name, the failure is
logged once and reported to ``on_failure`` once, and the thread drains its queue so the audio
path never waits or sees the error.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import queue
import threading
from pathlib import Path

import av
import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio
from media.live.gather import Gather
from media.live.spool import FailureCallback, describe

log = logging.getLogger("tandem.recorder")


class OpusRecorder:
    def __init__(
        self,
        path: Path,
        max_pending_chunks: int = 120,  # 30 s of quarter-second pieces
        on_failure: FailureCallback | None = None,
    ) -> None:
        self.path = path
        self.dropped_chunks = 0
        #: Why recording stopped early (None while it goes on).
        self.failed: OSError | None = None
        self.samples_encoded = 0
        self._on_failure = on_failure
        self._queue: queue.Queue[FloatAudio | None] = queue.Queue(maxsize=max_pending_chunks)
        self._gather = Gather(self._hand_on)
        self._thread = threading.Thread(target=self._run, name=f"recorder {path.name}", daemon=True)
        self._thread.start()

    def write(self, start_index: int, samples: FloatAudio) -> None:
        if self.failed is not None:
            return
        self._gather.add(start_index, samples)

    def _hand_on(self, _start_index: int, samples: FloatAudio) -> None:
        try:
            self._queue.put_nowait(samples)
        except queue.Full:
            self.dropped_chunks += 1

    def close(self) -> None:
        """Finish the file (blocks until written; call from a worker thread)."""
        self._gather.flush()
        self._queue.put(None)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            self._record()
            return  # it saw the end of the queue
        except OSError as error:
            self._fail(error)
        except Exception as error:
            log.exception("recording %s failed", self.path)
            self._fail(OSError(errno.EIO, f"{error.__class__.__name__}: {error}"))
        while self._queue.get() is not None:  # let close() through; drop what still comes
            pass

    def _fail(self, error: OSError) -> None:
        self.failed = error
        log.error(
            "recording %s: stopped after %.1f s (%s); what was written is kept",
            self.path, self.samples_encoded / SAMPLE_RATE_HZ, describe(error),
        )  # fmt: skip
        if self._on_failure is not None:
            try:
                self._on_failure(error)
            except Exception:
                log.exception("recording %s: failure callback failed", self.path)

    def _record(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial.ogg")
        # An unbuffered file and a small muxer buffer: Ogg pages reach the disk about once a
        # second (FFmpeg's own file output held 256 KB, half a minute of speech), so a crash
        # or a full disk keeps all but the last second, and a write error comes back here.
        handle = partial.open("wb", buffering=0)
        closed = False
        try:
            container = av.open(handle, "w", format="ogg", buffer_size=4096)
            try:
                stream = container.add_stream("libopus", rate=SAMPLE_RATE_HZ, layout="mono")
                while (samples := self._queue.get()) is not None:
                    pcm = (np.clip(samples, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
                    frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
                    frame.sample_rate = SAMPLE_RATE_HZ
                    frame.pts = self.samples_encoded
                    self.samples_encoded += frame.samples
                    for packet in stream.encode(frame):
                        container.mux(packet)
                for packet in stream.encode(None):
                    container.mux(packet)
                container.close()  # writes what is buffered: it can fail too
                closed = True
            finally:
                if not closed:
                    # After a failed write the rest cannot be written either: close as far
                    # as it goes. The pages on disk are a playable (shorter) recording.
                    with contextlib.suppress(Exception):
                        container.close()
        finally:
            handle.close()
            with contextlib.suppress(OSError):
                if partial.stat().st_size == 0:
                    partial.unlink()  # nothing reached the disk: no recording to keep
                else:
                    partial.replace(self.path)
