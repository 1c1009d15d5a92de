"""Voice activity with the Silero VAD model that ships inside faster-whisper.

One ONNX session per process (it is thread-safe); each audio stream keeps its own recurrent
state in a :class:`SpeechDetector`, so the same code serves a whole file and a live track fed
frame by frame. Speech intervals come out unpadded: they measure talk, and the transcriber adds
its own margin around them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio

WINDOW_SAMPLES = 512  # what the Silero v6 model scores at 16 kHz (32 ms)
_CONTEXT_SAMPLES = 64  # the model sees the tail of the previous window before each window
WINDOW_S = WINDOW_SAMPLES / SAMPLE_RATE_HZ

_session_lock = threading.Lock()
_session: Any = None


def _silero_session() -> Any:
    global _session
    with _session_lock:
        if _session is None:
            from faster_whisper.vad import get_vad_model

            _session = get_vad_model().session
        return _session


@dataclass(frozen=True)
class VadOptions:
    #: A window with speech probability at or above this starts (or continues) speech.
    threshold: float = 0.5
    #: Below this a window counts as silence; between the two, the current state holds.
    neg_threshold: float = 0.35
    #: Speech shorter than this is dropped (clicks, breaths).
    min_speech_s: float = 0.12
    #: Silence this long ends a stretch of speech.
    min_silence_s: float = 0.3


@dataclass(frozen=True)
class Interval:
    """A stretch of speech on one track, in seconds from the start of that track."""

    start_s: float
    end_s: float


class SpeechDetector:
    """Streaming voice activity for one track: push audio, get finished speech intervals."""

    def __init__(self, options: VadOptions | None = None, start_s: float = 0.0) -> None:
        self.options = options or VadOptions()
        self._session = _silero_session()
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT_SAMPLES, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._origin_s = start_s
        self._windows_seen = 0
        self._speech_start_window: int | None = None
        self._silence_start_window: int | None = None

    @property
    def position_s(self) -> float:
        """How far into the track the detector has scored, in seconds."""
        return self._origin_s + self._windows_seen * WINDOW_S

    @property
    def in_speech(self) -> bool:
        return self._speech_start_window is not None

    @property
    def open_start_s(self) -> float | None:
        """Start of the speech that is still going on, if any."""
        if self._speech_start_window is None:
            return None
        return self._origin_s + self._speech_start_window * WINDOW_S

    def push(self, audio: FloatAudio) -> list[Interval]:
        """Score ``audio`` (16 kHz mono float32) and return the intervals it closed."""
        return self.classify(self.score(audio))

    def score(self, audio: FloatAudio) -> FloatAudio:
        """The speech probability of each whole window ``audio`` completes (the rest waits for
        the next call). Scoring and :meth:`classify` touch separate state: a worker thread
        may score while the event loop classifies what was scored before."""
        if self._pending.size:
            audio = np.concatenate((self._pending, audio))
        usable = (len(audio) // WINDOW_SAMPLES) * WINDOW_SAMPLES
        self._pending = audio[usable:].copy()
        if usable == 0:
            return np.zeros(0, dtype=np.float32)
        return self._score(audio[:usable])

    def classify(self, probs: FloatAudio) -> list[Interval]:
        """Advance over scored windows; returns the intervals they closed."""
        return self._classify(probs) if len(probs) else []

    def flush(self) -> list[Interval]:
        """End of the track: score the remainder and close any open speech."""
        closed: list[Interval] = []
        if self._pending.size:
            padded = np.zeros(WINDOW_SAMPLES, dtype=np.float32)
            padded[: self._pending.size] = self._pending
            self._pending = np.zeros(0, dtype=np.float32)
            closed.extend(self._classify(self._score(padded)))
        if self._speech_start_window is not None:
            end = self._silence_start_window
            if end is None:
                end = self._windows_seen
            closed.extend(self._close(end))
        return closed

    def _score(self, audio: FloatAudio) -> FloatAudio:
        windows = audio.reshape(-1, WINDOW_SAMPLES)
        contexts = np.empty((len(windows), _CONTEXT_SAMPLES), dtype=np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -_CONTEXT_SAMPLES:]
        self._context = windows[-1, -_CONTEXT_SAMPLES:].copy()
        batch = np.concatenate((contexts, windows), axis=1)
        probs, self._h, self._c = self._session.run(
            None, {"input": batch, "h": self._h, "c": self._c}
        )
        return np.asarray(probs, dtype=np.float32).reshape(-1)

    def _classify(self, probs: FloatAudio) -> list[Interval]:
        opts = self.options
        min_silence_windows = max(1, round(opts.min_silence_s / WINDOW_S))
        closed: list[Interval] = []
        for prob in probs:
            i = self._windows_seen
            self._windows_seen += 1
            if self._speech_start_window is None:
                if prob >= opts.threshold:
                    self._speech_start_window = i
                    self._silence_start_window = None
                continue
            if prob >= opts.threshold:
                self._silence_start_window = None
            elif prob < opts.neg_threshold and self._silence_start_window is None:
                self._silence_start_window = i
            if (
                self._silence_start_window is not None
                and self._windows_seen - self._silence_start_window >= min_silence_windows
            ):
                closed.extend(self._close(self._silence_start_window))
        return closed

    def _close(self, end_window: int) -> list[Interval]:
        start_window = self._speech_start_window
        self._speech_start_window = None
        self._silence_start_window = None
        if (
            start_window is None
            or (end_window - start_window) * WINDOW_S < self.options.min_speech_s
        ):
            return []
        return [
            Interval(
                start_s=self._origin_s + start_window * WINDOW_S,
                end_s=self._origin_s + end_window * WINDOW_S,
            )
        ]


def detect_speech(audio: FloatAudio, options: VadOptions | None = None) -> list[Interval]:
    """All speech intervals of a whole track (16 kHz mono float32)."""
    detector = SpeechDetector(options)
    intervals: list[Interval] = []
    # Bounded batches keep the ONNX input small for hour-long tracks.
    step = WINDOW_SAMPLES * 2048
    for offset in range(0, len(audio), step):
        intervals.extend(detector.push(audio[offset : offset + step]))
    intervals.extend(detector.flush())
    return intervals
