"""The audio tap: one participant's received audio as 16 kHz mono on the session clock.

Fed frame by frame by the track's fanout (48 kHz stereo s16 from aiortc), it resamples,
places samples by count (the network jitters; the audio does not) and fills real gaps — when
packets stop for longer than ``max_drift_s`` — with silence so that sample index / 16000 stays
the session time; audio arriving faster than real time (a misbehaving client) is refused.
Samples go to a bounded ring buffer and to listeners (the live pipeline, the
recorder). Per frame this is microseconds of work, fine on the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from av import AudioFrame, VideoFrame

from media.audio import SAMPLE_RATE_HZ, FloatAudio, Resampler16k
from media.live.clock import SessionClock
from media.live.ring import SampleRing

log = logging.getLogger("tandem.tap")

AudioListener = Callable[[int, FloatAudio], None]
"""Called with (absolute sample index on the session clock, samples)."""


class AudioTap:
    def __init__(
        self,
        speaker: str,
        clock: SessionClock,
        capacity_s: float = 120.0,
        max_drift_s: float = 0.5,
        max_ahead_s: float = 1.0,
    ) -> None:
        self.speaker = speaker
        self.clock = clock
        self.ring = SampleRing(int(capacity_s * SAMPLE_RATE_HZ))
        self.max_drift_s = max_drift_s
        self.max_ahead_s = max_ahead_s
        #: Seconds of audio refused because the sender ran ahead of real time.
        self.refused_s = 0.0
        self._resampler = Resampler16k(keep_channels=False)
        self._listeners: list[AudioListener] = []
        self.first_sample_s: float | None = None
        self.frames = 0
        self.gap_s = 0.0

    def listen(self, listener: AudioListener) -> None:
        self._listeners.append(listener)

    @property
    def received_s(self) -> float:
        """Seconds of audio received (gaps filled with silence not counted)."""
        if self.first_sample_s is None:
            return 0.0
        return self.ring.end / SAMPLE_RATE_HZ - self.first_sample_s - self.gap_s

    @property
    def position_s(self) -> float:
        """Session time just after the newest sample."""
        return self.ring.end / SAMPLE_RATE_HZ

    def on_frame(self, frame: AudioFrame | VideoFrame) -> None:
        if not isinstance(frame, AudioFrame):
            return
        now = self.clock.now()
        duration = frame.samples / (frame.sample_rate or 48_000)
        if self.first_sample_s is None:
            self.first_sample_s = max(0.0, now - duration)
            start = round(self.first_sample_s * SAMPLE_RATE_HZ)
            self.ring.end = start
        else:
            behind = (now - duration) - self.position_s
            if -behind > self.max_ahead_s:
                # Faster than real time: no microphone does that. Refusing it keeps memory
                # and the transcription queue bounded whatever a client sends.
                self.refused_s += duration
                return
            if behind > self.max_drift_s:
                gap = round(behind * SAMPLE_RATE_HZ)
                self._emit(self.ring.end, np.zeros(gap, dtype=np.float32))
                self.ring.write_silence(gap)
                self.gap_s += gap / SAMPLE_RATE_HZ
        self.frames += 1
        frame.pts = None  # place by sample count, not by the sender's timestamps
        for chunk in self._resampler.push(frame):
            samples = chunk[0]
            start_index = self.ring.end
            self.ring.write(samples)
            self._emit(start_index, samples)

    def _emit(self, start_index: int, samples: FloatAudio) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(start_index, samples)
            except Exception:
                log.exception("%s: audio listener failed; removed", self.speaker)
                self._listeners.remove(listener)
