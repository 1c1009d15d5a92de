"""The audio tap: one participant's received audio as 16 kHz mono on the session clock.

Fed frame by frame by the track's fanout (48 kHz stereo s16 from aiortc), it resamples and
places each frame where it was *spoken*, not where it happened to be processed:

- The frame's RTP timestamp (aiortc's ``pts``) is the sender's sample clock, so a stretch of
  frames that reaches us late (a busy event loop, a burst after a network stall) still lands
  at its true place, and frames that never arrived (lost packets, a paused sender) leave a gap
  that is filled with silence. Sample index / 16000 stays the session time.
- The mapping from timestamps to the session clock is anchored on arrival: a frame's first
  sample was captured one packet before it was sent, and aiortc's audio jitter buffer holds
  ``RECEIVE_DELAY_PACKETS`` packets more before handing it on. A frame arriving earlier than
  the mapping allows means the anchor was taken from a delayed frame: the mapping moves
  earlier (never later, which a stall would otherwise pull it to).
- Audio arriving faster than real time (a misbehaving client) is refused; timestamps that jump
  by more than ``resync_s`` (a new stream, a broken sender) are re-anchored on arrival.

Frames without timestamps are placed by arrival: back to back, with a gap filled when packets
stop for longer than ``max_drift_s``. Samples go to a bounded ring buffer and to listeners
(the live pipeline, the spool, the recorder). Per frame this is microseconds of work.

Every filled gap of at least ``min_hole_s`` is also reported to hole listeners (start and end
sample index): audio the sender captured but the server never got (the network dropped it,
or the connection was replaced), which the browser can send again from its own buffer
(server/calls/gaps.py).
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
HoleListener = Callable[[int, int], None]
"""Called with (first, one past the last) sample index of a stretch filled with silence."""

#: Packets aiortc's audio jitter buffer holds before it releases one (``JitterBuffer(capacity
#: =16, prefetch=4)`` in aiortc's RTCRtpReceiver): at 60 ms packets, 240 ms of delay that
#: would otherwise put every saved word a quarter second late.
RECEIVE_DELAY_PACKETS = 4
#: A frame may seem this much earlier than the mapping before the mapping is moved.
EARLY_TOLERANCE_S = 0.02


class AudioTap:
    def __init__(
        self,
        speaker: str,
        clock: SessionClock,
        capacity_s: float = 120.0,
        max_drift_s: float = 0.5,
        max_ahead_s: float = 1.0,
        resync_s: float = 5.0,
        receive_delay_packets: int = RECEIVE_DELAY_PACKETS,
        min_hole_s: float = 0.5,
    ) -> None:
        self.speaker = speaker
        self.clock = clock
        self.ring = SampleRing(int(capacity_s * SAMPLE_RATE_HZ))
        self.max_drift_s = max_drift_s
        self.max_ahead_s = max_ahead_s
        self.resync_s = resync_s
        self.receive_delay_packets = receive_delay_packets
        #: Seconds of audio refused because the sender ran ahead of real time.
        self.refused_s = 0.0
        #: Seconds of silence put in for audio that never arrived.
        self.gap_s = 0.0
        #: Times the timestamp mapping was moved earlier, or re-anchored after a jump.
        self.corrections = 0
        self.resyncs = 0
        self._resampler = Resampler16k(keep_channels=False)
        self._listeners: list[AudioListener] = []
        self._hole_listeners: list[HoleListener] = []
        self.min_hole_s = min_hole_s
        self.first_sample_s: float | None = None
        self.frames = 0
        #: Session time of timestamp zero of the current source; None until its first frame.
        self._anchor_s: float | None = None

    def listen(self, listener: AudioListener) -> None:
        self._listeners.append(listener)

    def on_hole(self, listener: HoleListener) -> None:
        """``listener`` hears of every gap of at least ``min_hole_s`` filled with silence,
        after the silence and before the audio that follows it."""
        self._hole_listeners.append(listener)

    def new_source(self) -> None:
        """A new track feeds this tap (a reconnect): its timestamps start afresh."""
        self._anchor_s = None

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
        rate = frame.sample_rate or 48_000
        duration = frame.samples / rate
        if self.first_sample_s is not None and self.position_s - now > self.max_ahead_s:
            # Faster than real time: no microphone does that. Refusing it keeps memory
            # and the transcription queue bounded whatever a client sends.
            self.refused_s += duration
            return
        if frame.pts is not None and frame.time_base is not None:
            skip = self._place_by_timestamp(now, duration, float(frame.pts * frame.time_base))
        else:
            skip = self._place_by_arrival(now, duration)
        if skip is None:
            self.refused_s += duration  # entirely before what is already placed
            return
        self.refused_s += skip / SAMPLE_RATE_HZ
        self.frames += 1
        frame.pts = None  # the resampler needs no timestamps; placement is done
        for chunk in self._resampler.push(frame):
            samples = chunk[0]
            if skip:
                cut = min(skip, len(samples))
                samples, skip = samples[cut:], skip - cut
                if not len(samples):
                    continue
            start_index = self.ring.end
            self.ring.write(samples)
            self._emit(start_index, samples)

    def _place_by_timestamp(self, now: float, duration: float, pts_s: float) -> int | None:
        """Fill up to where this frame belongs; returns how many of its samples to drop
        (they overlap audio already placed), or None to drop the frame."""
        # When the frame's first sample was spoken, judged by when it arrived.
        spoken_s = now - duration * (1 + self.receive_delay_packets)
        end_s = self.position_s
        if self._anchor_s is None:
            self._anchor_s = max(spoken_s, end_s if self.first_sample_s is not None else 0.0)
            self._anchor_s -= pts_s
        target_s = self._anchor_s + pts_s
        if target_s > now + self.max_ahead_s or target_s < end_s - self.resync_s:
            # The timestamps jumped (a new stream, a broken sender): start again from here.
            self.resyncs += 1
            self._anchor_s = max(spoken_s, end_s) - pts_s
            target_s = self._anchor_s + pts_s
        elif target_s - spoken_s > EARLY_TOLERANCE_S:
            # Here sooner than the mapping allows: the anchor came from a delayed frame.
            self.corrections += 1
            self._anchor_s -= target_s - spoken_s
            target_s = spoken_s
        if self.first_sample_s is None:
            self.first_sample_s = max(0.0, target_s)
            self.ring.end = round(self.first_sample_s * SAMPLE_RATE_HZ)
            return 0
        target = round(target_s * SAMPLE_RATE_HZ)
        if target > self.ring.end:
            self._fill(target - self.ring.end)
            return 0
        overlap = self.ring.end - target
        return overlap if overlap < round(duration * SAMPLE_RATE_HZ) else None

    def _place_by_arrival(self, now: float, duration: float) -> int | None:
        if self.first_sample_s is None:
            self.first_sample_s = max(0.0, now - duration)
            self.ring.end = round(self.first_sample_s * SAMPLE_RATE_HZ)
            return 0
        behind = (now - duration) - self.position_s
        if behind > self.max_drift_s:
            self._fill(round(behind * SAMPLE_RATE_HZ))
        return 0

    def _fill(self, gap: int) -> None:
        if gap <= 0:
            return
        start = self.ring.end
        self._emit(start, np.zeros(gap, dtype=np.float32))
        self.ring.write_silence(gap)
        self.gap_s += gap / SAMPLE_RATE_HZ
        if gap >= self.min_hole_s * SAMPLE_RATE_HZ:
            for listener in tuple(self._hole_listeners):
                try:
                    listener(start, start + gap)
                except Exception:
                    log.exception("%s: hole listener failed; removed", self.speaker)
                    self._hole_listeners.remove(listener)

    def _emit(self, start_index: int, samples: FloatAudio) -> None:
        for listener in tuple(self._listeners):
            try:
                listener(start_index, samples)
            except Exception:
                log.exception("%s: audio listener failed; removed", self.speaker)
                self._listeners.remove(listener)
