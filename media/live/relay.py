"""Fanning received tracks out to their consumers, and forwarding them to the other person.

Every track a browser sends is drained by exactly one :class:`TrackFanout` task (aiortc queues
frames without bound if nobody reads). Its consumers are synchronous callbacks (the audio tap)
and :class:`FanoutOutput` tracks with a small buffer that drops the oldest frame when a
consumer falls behind. A :class:`ForwardingTrack` is what the server sends in relay mode: it
can be answered in SDP before the other person's media exists, picks it up when attached, and
restamps frames so a reconnecting sender does not make timestamps jump backwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import time
from collections import deque
from collections.abc import Callable

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

log = logging.getLogger("tandem.relay")

Frame = AudioFrame | VideoFrame
VIDEO_CLOCK_HZ = 90_000


class FanoutOutput(MediaStreamTrack):
    def __init__(self, kind: str, max_frames: int, on_stop: Callable[[FanoutOutput], None]) -> None:
        super().__init__()
        self.kind = kind
        self._frames: deque[Frame] = deque(maxlen=max_frames)
        self._ready = asyncio.Event()
        self._ended = False
        self._on_stop = on_stop
        self.dropped = 0

    def push(self, frame: Frame) -> None:
        if len(self._frames) == self._frames.maxlen:
            self.dropped += 1
        self._frames.append(frame)
        self._ready.set()

    def end(self) -> None:
        self._ended = True
        self._ready.set()

    async def recv(self) -> Frame:
        while not self._frames:
            if self._ended or self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        return self._frames.popleft()

    def stop(self) -> None:
        super().stop()
        self._on_stop(self)
        self.end()


class TrackFanout:
    """Drains one received track and hands each frame to its subscribers."""

    def __init__(self, track: MediaStreamTrack, label: str) -> None:
        self.track = track
        self.label = label
        self.kind = track.kind
        self.frames = 0
        self._callbacks: list[Callable[[Frame], None]] = []
        self._outputs: set[FanoutOutput] = set()
        self._task: asyncio.Task[None] | None = None
        self.ended = asyncio.Event()

    def on_frame(self, callback: Callable[[Frame], None]) -> None:
        self._callbacks.append(callback)

    def output(self, max_frames: int = 3) -> FanoutOutput:
        out = FanoutOutput(self.kind, max_frames, self._outputs.discard)
        if self.ended.is_set():
            out.end()
        else:
            self._outputs.add(out)
        return out

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"fanout {self.label}")

    async def _run(self) -> None:
        try:
            while True:
                try:
                    frame = await self.track.recv()
                except MediaStreamError:
                    return
                if not isinstance(frame, AudioFrame | VideoFrame):
                    continue  # encoded packets: never produced by received tracks
                self.frames += 1
                for callback in tuple(self._callbacks):
                    try:
                        callback(frame)
                    except Exception:  # one broken consumer must not stop the others
                        log.exception("%s: consumer failed; it gets no more frames", self.label)
                        self._callbacks.remove(callback)
                for out in tuple(self._outputs):
                    out.push(frame)
        finally:
            for out in tuple(self._outputs):
                out.end()
            self._outputs.clear()
            self.ended.set()

    async def stop(self) -> None:
        self.track.stop()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.ended.set()


class ForwardingTrack(MediaStreamTrack):
    """Sends whatever source is attached, restamped on its own continuous clock."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._source: MediaStreamTrack | None = None
        self._attached = asyncio.Event()
        self._started = time.monotonic()
        self._audio_samples = 0

    @property
    def attached(self) -> bool:
        return self._source is not None

    def attach(self, source: MediaStreamTrack | None) -> None:
        if self._source is not None and self._source is not source:
            self._source.stop()
        self._source = source
        if source is not None:
            self._attached.set()
        else:
            self._attached.clear()

    async def recv(self) -> Frame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            source = self._source
            if source is None:
                self._attached.clear()
                await self._attached.wait()
                continue
            try:
                frame = await source.recv()
            except MediaStreamError:
                if self._source is source:
                    self._source = None
                continue
            if isinstance(frame, AudioFrame | VideoFrame):
                return self._restamp(frame)

    def _restamp(self, frame: Frame) -> Frame:
        if isinstance(frame, AudioFrame):
            frame.pts = self._audio_samples
            frame.time_base = fractions.Fraction(1, frame.sample_rate)
            self._audio_samples += frame.samples
        else:
            frame.pts = int((time.monotonic() - self._started) * VIDEO_CLOCK_HZ)
            frame.time_base = fractions.Fraction(1, VIDEO_CLOCK_HZ)
        return frame

    def stop(self) -> None:
        super().stop()
        if self._source is not None:
            self._source.stop()
            self._source = None
        self._attached.set()  # wake a pending recv so it sees the end
