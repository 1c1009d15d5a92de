"""A scripted call participant: the same protocol as the browser page, in Python (aiortc).

Used by the call tests and by `tandem bench call`. It joins a session over the WebSocket,
sends a prepared 16 kHz speech signal as its microphone in real time on the uplink, and, in
relay mode, sends a synthetic camera and counts the audio and video frames it receives.

For the network-fault tests it can also lose its packets for stretches of its audio (an
outage: nothing is sent, the timestamps go on as a microphone's would) and answer the
server's ``gap`` requests from its prepared audio, as the call page does from its buffer.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fractions
import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from websockets.asyncio.client import ClientConnection, connect

from media.audio import SAMPLE_RATE_HZ, FloatAudio

FRAME_S = 0.02
RATE_48K = 48_000


def packetize_like_a_browser(ptime_ms: int) -> None:
    """Make this process's aiortc senders emit Opus packets of ``ptime_ms`` (aiortc always
    sends 20 ms; Chrome follows the ptime in Tandem's answer). For the scripted clients only."""
    from aiortc.codecs import opus

    original_init = opus.OpusEncoder.__init__

    def init(self: opus.OpusEncoder) -> None:
        original_init(self)
        samples = RATE_48K * ptime_ms // 1000
        self.codec.options = {"application": "voip", "frame_duration": str(ptime_ms)}
        self.resampler = av.AudioResampler(
            format="s16", layout="stereo", rate=RATE_48K, frame_size=samples
        )

    opus.OpusEncoder.__init__ = init  # type: ignore[method-assign]


Pcm = np.ndarray[Any, np.dtype[np.int16]]
#: "elsewhere" answers a participant follows before giving up (the page follows as many).
MAX_HOPS = 4


def _answers_join(message: dict[str, Any]) -> bool:
    return message["type"] == "welcome" or (
        message["type"] == "error" and message.get("in_reply_to") == "join"
    )


def to_48k_frames(audio_16k: FloatAudio) -> list[Pcm]:
    """20 ms s16 mono frames at 48 kHz, ready to send."""
    frame = av.AudioFrame.from_ndarray(
        (np.clip(audio_16k, -1, 1) * 32767).astype(np.int16).reshape(1, -1),
        format="s16",
        layout="mono",
    )
    frame.sample_rate = SAMPLE_RATE_HZ
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE_48K)
    pcm = np.concatenate(
        [
            f.to_ndarray().reshape(-1)
            for f in (*resampler.resample(frame), *resampler.resample(None))
        ]
    )
    per_frame = int(RATE_48K * FRAME_S)
    pcm = np.pad(pcm, (0, -len(pcm) % per_frame))
    return [pcm[i : i + per_frame] for i in range(0, len(pcm), per_frame)]


@dataclass(frozen=True)
class OpusPackets:
    """Speech encoded once, before any connection, as a browser's encoder sends it: Opus
    packets of ``ptime_ms``. Scripted participants that share it send without encoding: a
    browser's encoder runs on the browser's machine, so a load bench that encoded for 32
    microphones on the server's cores would measure the clients as much as the server."""

    packets: list[bytes]
    #: A packet of silence, sent after the speech (a microphone keeps sending).
    silence: bytes
    ptime_ms: int

    @property
    def ptime_s(self) -> float:
        return self.ptime_ms / 1000


def _opus_encoder(ptime_ms: int) -> tuple[av.AudioCodecContext, av.AudioResampler]:
    from server.calls.sdp import UPLINK_OPUS_BITRATE

    codec = av.CodecContext.create("libopus", "w")
    assert isinstance(codec, av.AudioCodecContext)
    # As aiortc's own encoder, at the bitrate Tandem's answer asks browsers for.
    codec.bit_rate = UPLINK_OPUS_BITRATE
    codec.format = "s16"
    codec.layout = "stereo"
    codec.sample_rate = RATE_48K
    codec.time_base = fractions.Fraction(1, RATE_48K)
    codec.options = {"application": "voip", "frame_duration": str(ptime_ms)}
    samples = RATE_48K * ptime_ms // 1000
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=RATE_48K, frame_size=samples)
    return codec, resampler


def _encode(frames: list[Pcm], ptime_ms: int) -> list[bytes]:
    codec, resampler = _opus_encoder(ptime_ms)
    packets: list[bytes] = []
    for pcm in frames:
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE_48K
        for part in resampler.resample(frame):
            packets += [bytes(p) for p in codec.encode(part)]
    for part in resampler.resample(None):
        packets += [bytes(p) for p in codec.encode(part)]
    packets += [bytes(p) for p in codec.encode(None)]
    return packets


def encode_opus(frames: list[Pcm], ptime_ms: int) -> OpusPackets:
    """``frames`` from :func:`to_48k_frames` as Opus packets of ``ptime_ms``."""
    silence = np.zeros(RATE_48K * ptime_ms // 1000, dtype=np.int16)
    # The encoder's first packets hold its start-up; a later one is steady silence.
    quiet = _encode([silence] * 4, ptime_ms)
    return OpusPackets(_encode(frames, ptime_ms), quiet[2], ptime_ms)


class SpeechTrack(MediaStreamTrack):
    """Plays prepared audio in real time, then silence (or the audio again, looped): PCM
    frames that aiortc encodes as it sends, or Opus packets encoded beforehand."""

    kind = "audio"

    def __init__(
        self,
        frames: list[Pcm] | OpusPackets,
        loop: bool = False,
        paced: bool = True,
        outages: tuple[tuple[float, float], ...] = (),
    ) -> None:
        """``frames`` from :func:`to_48k_frames` or :func:`encode_opus`, prepared before any
        connection is made; during ``outages`` (seconds of the track) nothing is sent, as if
        the network lost it."""
        super().__init__()
        self._source = frames
        self._outages = outages
        #: False sends as fast as the connection takes it (a misbehaving client).
        self._paced = paced
        self._frames: list[Pcm] | list[bytes]
        if isinstance(frames, OpusPackets):
            self._frames, self._frame_s = frames.packets, frames.ptime_s
            self._silence: Pcm | bytes = frames.silence
        else:
            self._frames, self._frame_s = frames, FRAME_S
            self._silence = np.zeros_like(frames[0])
        self._samples = round(RATE_48K * self._frame_s)
        self._repeat = loop
        self._index = 0
        self._began: float | None = None
        self.sent_s = 0.0
        #: Set once the prepared audio has been sent completely (the first time round).
        self.played = asyncio.Event()
        #: A continuation (below) starts where the audio is when it first sends.
        self._resume = False
        #: Timestamps count from this frame.
        self._first_frame = 0

    def continuation(self) -> SpeechTrack:
        """The same microphone on a new connection (a page reconnecting): it plays on from
        wherever the audio is by then (what fell between is lost on the way), its timestamps
        starting again from zero, as a new connection's do."""
        track = SpeechTrack(self._source, self._repeat, self._paced, self._outages)
        track._began = self._began
        track._resume = self._began is not None
        return track

    @property
    def began(self) -> float | None:
        """time.monotonic() when the first frame was sent (the track's time zero)."""
        return self._began

    async def recv(self) -> av.AudioFrame | av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        step = self._frame_s
        if self._index >= len(self._frames):
            self.played.set()
            if self._repeat:
                self._index = 0
        if self._began is None:
            self._began = time.monotonic()
        if self._resume:
            self._resume = False
            self._first_frame = round((time.monotonic() - self._began) / step)
            self.sent_s = self._first_frame * step
            self._index = (
                self._first_frame % len(self._frames) if self._repeat else self._first_frame
            )
        sent = round(self.sent_s / step)
        while any(a <= sent * step < b for a, b in self._outages):
            # Captured but lost on the way: the next frame's timestamp jumps past these.
            self._index += 1
            self.sent_s += step
            sent += 1
        wait = self._began + sent * step - time.monotonic()
        if wait > 0 and self._paced:
            await asyncio.sleep(wait)
        elif not self._paced:
            await asyncio.sleep(0)
        # After the prepared audio, silence: a microphone keeps sending when nobody talks.
        data = self._frames[self._index] if self._index < len(self._frames) else self._silence
        self._index += 1
        self.sent_s += step
        pts = (sent - self._first_frame) * self._samples
        if isinstance(data, bytes):
            packet = av.Packet(data)
            packet.pts = pts
            packet.time_base = fractions.Fraction(1, RATE_48K)
            return packet
        frame = av.AudioFrame.from_ndarray(data.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE_48K
        frame.pts = pts
        frame.time_base = fractions.Fraction(1, RATE_48K)
        return frame


#: The camera stand-in's frames: a bar moving over a dark background.
PATTERN_IMAGES = 8
#: Pre-encoded, the pattern is sent as this many seconds of VP8, looped (a keyframe at its
#: start only, as a camera's stream has few).
PATTERN_LOOP_S = 8


def _pattern_image(k: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    image = np.full((480, 640, 3), 40, dtype=np.uint8)
    position = k % PATTERN_IMAGES
    image[:, position * 80 : position * 80 + 80, :] = (200, 120, 60)
    return image


@functools.cache
def pattern_vp8(fps: int) -> tuple[bytes, ...]:
    """The pattern as VP8 frames, encoded once per process with aiortc's own settings (a
    browser encodes its camera on its own machine; see :class:`OpusPackets`)."""
    codec = av.CodecContext.create("libvpx", "w")
    assert isinstance(codec, av.VideoCodecContext)
    codec.width, codec.height, codec.pix_fmt = 640, 480, "yuv420p"
    codec.bit_rate = 500_000  # aiortc's starting bitrate for VP8
    codec.framerate = fractions.Fraction(fps, 1)
    codec.time_base = fractions.Fraction(1, fps)
    codec.gop_size = 3000
    codec.qmin, codec.qmax = 2, 56
    rate = str(codec.bit_rate)
    codec.options = {
        "bufsize": rate, "cpu-used": "-6", "deadline": "realtime", "lag-in-frames": "0",
        "minrate": rate, "maxrate": rate, "noise-sensitivity": "4", "overshoot-pct": "15",
        "partitions": "0", "static-thresh": "1", "undershoot-pct": "100",
    }  # fmt: skip
    frames: list[bytes] = []
    for k in range(fps * PATTERN_LOOP_S):
        frame = av.VideoFrame.from_ndarray(_pattern_image(k), "rgb24").reformat(format="yuv420p")
        frame.pts = k
        frames += [bytes(p) for p in codec.encode(frame)]
    frames += [bytes(p) for p in codec.encode(None)]
    return tuple(frames)


class PatternTrack(MediaStreamTrack):
    """A 640x480 camera stand-in: a bar moving over a few prepared frames, 15 fps; encoded by
    aiortc as it sends, or (``encoded``) VP8 frames encoded beforehand, looped."""

    kind = "video"

    def __init__(self, fps: int = 15, encoded: bool = False) -> None:
        super().__init__()
        self._fps = fps
        self._count = 0
        self._began: float | None = None
        self._images = [_pattern_image(k) for k in range(PATTERN_IMAGES)]
        self._vp8 = pattern_vp8(fps) if encoded else ()

    async def recv(self) -> av.VideoFrame | av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        if self._began is None:
            self._began = time.monotonic()
        wait = self._began + self._count / self._fps - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        pts = int(self._count * 90_000 / self._fps)
        self._count += 1
        if self._vp8:
            packet = av.Packet(self._vp8[(self._count - 1) % len(self._vp8)])
            packet.pts = pts
            packet.time_base = fractions.Fraction(1, 90_000)
            return packet
        frame = av.VideoFrame.from_ndarray(
            self._images[(self._count - 1) % len(self._images)], "rgb24"
        )
        frame.pts = pts
        frame.time_base = fractions.Fraction(1, 90_000)
        return frame


@dataclass
class Received:
    audio_frames: int = 0
    video_frames: int = 0


@dataclass
class ScriptedParticipant:
    ws_url: str
    cookie: str
    audio_16k: FloatAudio
    loop_audio: bool = False
    paced: bool = True
    record: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)
    received: Received = field(default_factory=Received)
    mode: str = "p2p"
    #: Stretches of the audio (seconds from its start) whose packets never reach the server.
    outages: tuple[tuple[float, float], ...] = ()
    #: Answer the server's ``gap`` requests from the prepared audio (as the page does).
    answer_gaps: bool = False
    #: How far off this participant's reckoning of the session clock is (a page's is off by
    #: its latency): its ``gap-audio`` stamps are late by this much.
    clock_error_s: float = 0.0
    _socket: ClientConnection | None = None
    _pcs: list[RTCPeerConnection] = field(default_factory=list)
    #: The current connection of each leg.
    _legs: dict[str, RTCPeerConnection] = field(default_factory=dict)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _answers: dict[str, asyncio.Future[str]] = field(default_factory=dict)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    #: Set when the server closed the signaling connection.
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    speech: SpeechTrack | None = None
    #: (session clock at the welcome, time.monotonic() it arrived)
    _welcomed: tuple[float, float] | None = None
    #: Sent as the Origin header, as a browser would (None: not a browser).
    origin: str | None = None
    #: The call sockets "elsewhere" answers sent this participant to, in order (several
    #: server processes: the call is held by one of them).
    followed: list[str] = field(default_factory=list)
    #: ``audio_16k`` encoded beforehand (:func:`encode_opus`), shared by participants saying
    #: the same, and in relay mode the camera too (:func:`pattern_vp8`); None: aiortc encodes
    #: both while sending.
    opus: OpusPackets | None = None
    _frames: list[Pcm] | OpusPackets = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # Resampling half an hour of audio takes seconds: done here, before any connection,
        # it cannot stall the event loop (and skew every message timestamp) mid-call.
        self._frames = self.opus if self.opus is not None else to_48k_frames(self.audio_16k)

    async def start(self) -> None:
        welcome = await self._join()
        self.mode = welcome["mode"]
        self._welcomed = (welcome["clock_s"], welcome["_received"])
        self.speech = SpeechTrack(
            self._frames, loop=self.loop_audio, paced=self.paced, outages=self.outages
        )
        await self._connect("uplink", [self.speech])
        if self.mode == "relay":
            await self._connect("relay", [PatternTrack(encoded=self.opus is not None)])

    async def _join(self) -> dict[str, Any]:
        """Join the call, following "elsewhere" answers to the node holding it (as the call
        page does); the welcome."""
        for _ in range(MAX_HOPS + 1):
            headers = {"Cookie": self.cookie}
            if self.origin is not None:
                headers["Origin"] = self.origin
            self._socket = await connect(self.ws_url, additional_headers=headers, max_size=2**22)
            reader = asyncio.create_task(self._read())
            self._tasks.append(reader)
            seen = len(self.messages)
            await self.send({"type": "join", "v": 1, "record": self.record})
            answer = await self._first_after(seen, _answers_join)
            if answer["type"] == "welcome":
                return answer
            if answer.get("code") != "elsewhere":
                raise RuntimeError(f"the join was refused: {answer}")
            self.ws_url = answer["url"]
            self.followed.append(self.ws_url)
            await self._socket.close()
            with contextlib.suppress(Exception):
                await reader
            self.closed = asyncio.Event()  # that socket's end is not the call's
        raise RuntimeError(f"sent elsewhere {MAX_HOPS + 1} times: {self.followed}")

    async def _first_after(
        self, seen: int, wanted: Callable[[dict[str, Any]], bool], within_s: float = 20.0
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within_s
        while True:
            for message in self.messages[seen:]:
                if wanted(message):
                    return message
            self._arrived.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.closed.is_set():
                seen_types = [m["type"] for m in self.messages[seen:]]
                raise TimeoutError(f"no answer to join; got {seen_types}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def send(self, message: dict[str, Any]) -> None:
        assert self._socket is not None
        await self._socket.send(json.dumps(message))

    async def _read(self) -> None:
        assert self._socket is not None
        try:
            await self._read_messages(self._socket)
        finally:
            self.closed.set()

    async def _read_messages(self, socket: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for raw in socket:
                message = json.loads(raw)
                message["_received"] = time.monotonic()  # for latency measurements
                self.messages.append(message)
                self._arrived.set()
                if message["type"] == "answer" and message["leg"] in self._answers:
                    self._answers.pop(message["leg"]).set_result(message["sdp"])
                elif message["type"] == "mode" and message["mode"] == "relay":
                    self.mode = "relay"
                    self._tasks.append(asyncio.create_task(self._relay_later()))
                elif message["type"] == "gap" and self.answer_gaps:
                    self._tasks.append(asyncio.create_task(self._answer_gap(message)))

    async def _relay_later(self) -> None:
        await self._connect("relay", [PatternTrack(encoded=self.opus is not None)])

    async def wait_for(self, kind: str, within_s: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + within_s
        while True:
            for message in self.messages:
                if message["type"] == kind:
                    return message
            self._arrived.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                seen = [m["type"] for m in self.messages]
                raise TimeoutError(f"no {kind!r} message; got {seen}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def _connect(self, leg: str, tracks: list[MediaStreamTrack]) -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._pcs.append(pc)
        self._legs[leg] = pc
        for track in tracks:
            pc.addTrack(track)
        if leg == "relay":
            pc.addTransceiver("audio", direction="recvonly")

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._tasks.append(asyncio.create_task(self._count(track)))

        await pc.setLocalDescription(await pc.createOffer())
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._answers[leg] = future
        await self.send({"type": "offer", "leg": leg, "sdp": pc.localDescription.sdp})
        sdp = await asyncio.wait_for(future, 20)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    def session_now(self) -> float:
        """This participant's reckoning of the session clock."""
        assert self._welcomed is not None
        clock_s, at = self._welcomed
        return clock_s + time.monotonic() - at

    async def _answer_gap(self, request: dict[str, Any]) -> None:
        """Send the asked-for stretch of the prepared audio, as the page sends its buffer."""
        # (The page, too, waits until it has what is asked for.)
        await asyncio.sleep(max(0.0, request["to_s"] - self.session_now()))
        assert self.speech is not None and self.speech.began is not None
        assert self._welcomed is not None
        clock_s, at = self._welcomed
        # Session time of the audio's first sample, as this participant reckons it.
        origin_s = clock_s + (self.speech.began - at) + self.clock_error_s
        first = max(0, round((request["from_s"] - origin_s) * SAMPLE_RATE_HZ))
        last = round((request["to_s"] - origin_s) * SAMPLE_RATE_HZ)
        audio = np.zeros(max(0, last - first), dtype=np.float32)
        held = self.audio_16k[first:last]
        audio[: len(held)] = held
        pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2")
        chunk = 2 * SAMPLE_RATE_HZ
        for at_sample in range(0, max(len(pcm), 1), chunk):
            part = pcm[at_sample : at_sample + chunk]
            await self.send({
                "type": "gap-audio", "id": request["id"],
                "start_s": round(origin_s + (first + at_sample) / SAMPLE_RATE_HZ, 4),
                "pcm": base64.b64encode(part.tobytes()).decode(),
                "last": at_sample + chunk >= len(pcm),
            })  # fmt: skip

    async def _count(self, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()
                if track.kind == "audio":
                    self.received.audio_frames += 1
                else:
                    self.received.video_frames += 1

    async def reconnect(self, leg: str = "uplink") -> None:
        """Replace this leg's connection with a new one and a new offer, as the page does after
        a network fault; the server takes it in place of the old one."""
        old = self._legs.pop(leg, None)
        if old is not None:
            await old.close()
        if leg == "uplink":
            assert self.speech is not None
            self.speech = self.speech.continuation()
            await self._connect("uplink", [self.speech])
        else:
            await self._connect("relay", [PatternTrack(encoded=self.opus is not None)])

    async def wait_sent(self) -> None:
        """Until the prepared audio has been played once."""
        assert self.speech is not None
        await self.speech.played.wait()

    async def close(self, leave: bool = True) -> None:
        if leave and self._socket is not None:
            with contextlib.suppress(Exception):
                await self.send({"type": "leave"})
        for pc in self._pcs:
            await pc.close()
        if self._socket is not None:
            await self._socket.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
