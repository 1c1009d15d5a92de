"""Spooling a participant's live audio to disk for the refinement pass after the call.

Raw 16 kHz s16 little-endian samples in ``NAME.pcm`` with ``NAME.json`` saying where on the
session clock they start. Written by a thread from a bounded queue (the event loop never waits
for the disk), flushed as it goes, so a crashed server leaves usable audio behind. The
refinement pass deletes the files once the refined transcript is stored.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from pathlib import Path

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio

log = logging.getLogger("tandem.spool")


class SpoolWriter:
    def __init__(self, path: Path, speaker: str, max_pending_chunks: int = 2000) -> None:
        self.path = path.with_suffix(".pcm")
        self.speaker = speaker
        self.dropped_chunks = 0
        self._start_index: int | None = None
        self._queue: queue.Queue[tuple[int, FloatAudio] | None] = queue.Queue(max_pending_chunks)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name=f"spool {path.name}", daemon=True)
        self._thread.start()

    def write(self, start_index: int, samples: FloatAudio) -> None:
        try:
            self._queue.put_nowait((start_index, samples.copy()))
        except queue.Full:
            self.dropped_chunks += 1

    def close(self) -> None:
        """Flush and close (blocks; call from a worker thread)."""
        self._queue.put(None)
        self._thread.join(timeout=60)

    def _run(self) -> None:
        written = 0
        with self.path.open("wb") as out:
            while (item := self._queue.get()) is not None:
                start_index, samples = item
                if self._start_index is None:
                    self._start_index = start_index
                    sidecar = {"speaker": self.speaker, "start_index": start_index,
                               "rate_hz": SAMPLE_RATE_HZ}  # fmt: skip
                    self.path.with_suffix(".json").write_text(json.dumps(sidecar))
                expected = self._start_index + written
                if start_index > expected:  # keep the clock: fill what never arrived
                    out.write(np.zeros(start_index - expected, dtype="<i2").tobytes())
                    written += start_index - expected
                pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2")
                out.write(pcm.tobytes())
                written += len(pcm)
                if self._queue.empty():
                    out.flush()


def read_spools(folder: Path) -> dict[str, list[tuple[int, FloatAudio]]]:
    """Per speaker: (start sample index, float32 samples) of every spooled connection."""
    found: dict[str, list[tuple[int, FloatAudio]]] = {}
    for sidecar in sorted(folder.glob("*.json")):
        pcm_path = sidecar.with_suffix(".pcm")
        if not pcm_path.exists():
            continue
        try:
            meta = json.loads(sidecar.read_text())
        except ValueError:
            log.warning("unreadable spool sidecar %s", sidecar)
            continue
        raw = np.frombuffer(pcm_path.read_bytes(), dtype="<i2")
        samples = raw[: len(raw)].astype(np.float32) / 32767.0
        found.setdefault(meta["speaker"], []).append((int(meta["start_index"]), samples))
    return found


def assemble_track(pieces: list[tuple[int, FloatAudio]], total_samples: int) -> FloatAudio:
    """One track on the session clock from a speaker's pieces (reconnects, reloads)."""
    end = max((start + len(samples) for start, samples in pieces), default=0)
    track = np.zeros(max(total_samples, end), dtype=np.float32)
    for start, samples in pieces:
        track[start : start + len(samples)] = samples
    return track
