"""Spooling a participant's live audio to disk for the refinement pass after the call.

Raw 16 kHz s16 little-endian samples in ``NAME.pcm`` with ``NAME.json`` saying where on the
session clock they start. Written by a thread from a bounded queue (the event loop never waits
for the disk), in pieces of a quarter second (media/live/gather.py) straight to the file, so a
crashed server leaves usable audio behind. The refinement pass deletes the files once the
refined transcript is stored.

A write that fails (the disk full, the folder gone) stops this stream's spool cleanly: the
file is cut back to the last whole sample, what was written stays usable, the failure is
logged once and reported to ``on_failure`` once, and the thread goes on draining its queue so
nothing upstream (the audio tap, the live pipeline) ever waits or sees the error.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio
from media.live.gather import Gather

log = logging.getLogger("tandem.spool")

FailureCallback = Callable[[OSError], None]
"""Told once, from the writer thread, why a stream stopped being written."""


def describe(error: OSError) -> str:
    """A short reason for a failed write: "the disk is full" for ENOSPC and EDQUOT."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    return error.strerror or error.__class__.__name__


class SpoolWriter:
    def __init__(
        self,
        path: Path,
        speaker: str,
        max_pending_chunks: int = 160,  # 40 s of quarter-second pieces
        on_failure: FailureCallback | None = None,
    ) -> None:
        self.path = path.with_suffix(".pcm")
        self.speaker = speaker
        self.dropped_chunks = 0
        #: Why writing stopped (None while it goes on): the rest of the stream is not spooled.
        self.failed: OSError | None = None
        #: Samples on disk (gaps filled with silence included).
        self.samples_written = 0
        self._on_failure = on_failure
        self._start_index: int | None = None
        self._queue: queue.Queue[tuple[int, FloatAudio] | None] = queue.Queue(max_pending_chunks)
        self._gather = Gather(self._hand_on)
        self._thread = threading.Thread(target=self._run, name=f"spool {path.name}", daemon=True)
        self._thread.start()

    def write(self, start_index: int, samples: FloatAudio) -> None:
        if self.failed is not None:
            return
        self._gather.add(start_index, samples)

    def _hand_on(self, start_index: int, samples: FloatAudio) -> None:
        try:
            self._queue.put_nowait((start_index, samples))
        except queue.Full:
            self.dropped_chunks += 1

    def close(self) -> None:
        """Flush and close (blocks; call from a worker thread)."""
        self._gather.flush()
        self._queue.put(None)
        self._thread.join(timeout=60)

    def _run(self) -> None:
        try:
            self._spool()
            return  # it saw the end of the queue
        except OSError as error:
            self._fail(error)
        except Exception as error:  # a bug must not reach the audio path either
            log.exception("spool %s failed", self.path)
            self._fail(OSError(errno.EIO, f"{error.__class__.__name__}: {error}"))
        while self._queue.get() is not None:  # let close() through; drop what still comes
            pass

    def _fail(self, error: OSError) -> None:
        self.failed = error
        log.error(
            "spool %s: writing stopped after %.1f s of audio (%s); the refinement pass uses "
            "what was written",
            self.path, self.samples_written / SAMPLE_RATE_HZ, describe(error),
        )  # fmt: skip
        if self._on_failure is not None:
            try:
                self._on_failure(error)
            except Exception:
                log.exception("spool %s: failure callback failed", self.path)

    def _spool(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        written_bytes = 0
        try:
            while (item := self._queue.get()) is not None:
                start_index, samples = item
                if self._start_index is None:
                    self._write_sidecar(start_index)
                    self._start_index = start_index
                expected = self._start_index + self.samples_written
                pieces = []
                if start_index > expected:  # keep the clock: fill what never arrived
                    pieces.append(np.zeros(start_index - expected, dtype="<i2"))
                pieces.append((np.clip(samples, -1.0, 1.0) * 32767).astype("<i2"))
                for pcm in pieces:
                    view = memoryview(pcm.tobytes())
                    while view:
                        count = os.write(fd, view)
                        written_bytes += count
                        view = view[count:]
                    self.samples_written += len(pcm)
        except OSError:
            # A short write may have left half a sample: cut back to whole ones, so what is
            # on disk reads as it was spoken (shrinking a file needs no space).
            with contextlib.suppress(OSError):
                os.ftruncate(fd, written_bytes - written_bytes % 2)
            self.samples_written = written_bytes // 2
            raise
        finally:
            os.close(fd)

    def _write_sidecar(self, start_index: int) -> None:
        sidecar = self.path.with_suffix(".json")
        text = json.dumps({"speaker": self.speaker, "start_index": start_index,
                           "rate_hz": SAMPLE_RATE_HZ})  # fmt: skip
        try:
            sidecar.write_text(text)
        except OSError:
            with contextlib.suppress(OSError):
                sidecar.unlink()  # half a sidecar would only be warned about later
            raise


def write_recovered(path: Path, speaker: str, start_index: int, samples: FloatAudio) -> None:
    """Spool audio put back after the network lost it (media/live/recover.py): one piece,
    written whole (blocks; call from a worker thread). Its sidecar says ``recovered``, so
    :func:`read_spools` lays it over the silence the live spool holds there."""
    pcm_path = path.with_suffix(".pcm")
    pcm_path.parent.mkdir(parents=True, exist_ok=True)
    pcm_path.write_bytes((np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes())
    text = json.dumps({"speaker": speaker, "start_index": start_index, "rate_hz": SAMPLE_RATE_HZ,
                       "recovered": True})  # fmt: skip
    try:
        path.with_suffix(".json").write_text(text)  # last: no sidecar, no piece
    except OSError:
        with contextlib.suppress(OSError):
            path.with_suffix(".json").unlink()
        pcm_path.unlink(missing_ok=True)
        raise


def read_spools(folder: Path) -> dict[str, list[tuple[int, FloatAudio]]]:
    """Per speaker: (start sample index, float32 samples) of every spooled connection, and
    after them the recovered pieces (laid over the silence the connections spooled there)."""
    found: dict[str, list[tuple[int, FloatAudio]]] = {}
    pieces: list[tuple[bool, str, int, FloatAudio]] = []
    for sidecar in sorted(folder.glob("*.json")):
        pcm_path = sidecar.with_suffix(".pcm")
        if not pcm_path.exists():
            continue
        try:
            meta = json.loads(sidecar.read_text())
        except ValueError:
            log.warning("unreadable spool sidecar %s", sidecar)
            continue
        data = pcm_path.read_bytes()
        raw = np.frombuffer(data[: len(data) - len(data) % 2], dtype="<i2")
        samples = raw.astype(np.float32) / 32767.0
        recovered = bool(meta.get("recovered", False))
        pieces.append((recovered, meta["speaker"], int(meta["start_index"]), samples))
    for _, speaker, start, samples in sorted(pieces, key=lambda p: p[0]):  # (stable)
        found.setdefault(speaker, []).append((start, samples))
    return found


def assemble_track(pieces: list[tuple[int, FloatAudio]], total_samples: int) -> FloatAudio:
    """One track on the session clock from a speaker's pieces (reconnects, reloads); a later
    piece is laid over an earlier one where they meet."""
    end = max((start + len(samples) for start, samples in pieces), default=0)
    track = np.zeros(max(total_samples, end), dtype=np.float32)
    for start, samples in pieces:
        track[start : start + len(samples)] = samples
    return track
