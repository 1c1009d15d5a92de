"""Decoding recordings and resampling them to what Whisper and the VAD want: 16 kHz float32.

The live path feeds aiortc frames through :class:`Resampler16k`; the file importer decodes with
:func:`decode_file`. Both use PyAV's resampler, so the two paths hear the same audio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

SAMPLE_RATE_HZ = 16_000

FloatAudio = npt.NDArray[np.float32]


class AudioError(Exception):
    """A recording that cannot be used; the message is meant for the person who gave it."""


@dataclass(frozen=True)
class DecodedAudio:
    """One recording at 16 kHz: ``channels[i]`` is channel i as float32 in [-1, 1]."""

    channels: tuple[FloatAudio, ...]
    source_rate_hz: int
    source_channels: int

    @property
    def duration_s(self) -> float:
        return len(self.channels[0]) / SAMPLE_RATE_HZ if self.channels else 0.0


class Resampler16k:
    """Converts decoded frames of any format to 16 kHz float32, mono or per channel."""

    def __init__(self, keep_channels: bool, layout: str = "stereo") -> None:
        self._keep_channels = keep_channels
        self._resampler = av.AudioResampler(
            format="fltp" if keep_channels else "flt",
            layout=layout if keep_channels else "mono",
            rate=SAMPLE_RATE_HZ,
        )

    def push(self, frame: av.AudioFrame | None) -> list[FloatAudio]:
        """Resample one frame (None flushes); returns arrays shaped (channels, samples)."""
        out: list[FloatAudio] = []
        for resampled in self._resampler.resample(frame):
            array = np.asarray(resampled.to_ndarray(), dtype=np.float32)
            out.append(array.reshape(array.shape[0] if self._keep_channels else 1, -1))
        return out


def decode_file(path: Path, keep_channels: bool = False) -> DecodedAudio:
    """Decode the first audio stream of ``path``; mixed down to mono unless ``keep_channels``.

    Raises :class:`AudioError` with a one-line reason for a missing, unreadable, undecodable or
    empty file.
    """
    if not path.exists():
        raise AudioError(f"{path}: no such file")
    if path.is_dir():
        raise AudioError(f"{path}: is a folder, not a recording")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise AudioError(f"{path}: cannot be decoded as audio ({_reason(exc)})") from None
    try:
        if not container.streams.audio:
            raise AudioError(f"{path}: has no audio stream")
        stream = container.streams.audio[0]
        source_channels = stream.codec_context.channels or 1
        layout = stream.codec_context.layout.name if keep_channels else "mono"
        resampler = Resampler16k(keep_channels, layout=layout)
        pieces: list[FloatAudio] = []
        try:
            for frame in container.decode(stream):
                pieces.extend(resampler.push(frame))
            pieces.extend(resampler.push(None))
        except av.error.FFmpegError as exc:
            if not pieces:
                raise AudioError(f"{path}: cannot be decoded as audio ({_reason(exc)})") from None
            # A truncated tail (a recording cut off mid-write) keeps what decoded cleanly.
        source_rate = stream.codec_context.sample_rate or SAMPLE_RATE_HZ
    finally:
        container.close()
    if not pieces:
        raise AudioError(f"{path}: the recording is empty (no audio samples)")
    joined = np.concatenate(pieces, axis=1).astype(np.float32, copy=False)
    if joined.shape[1] == 0:
        raise AudioError(f"{path}: the recording is empty (no audio samples)")
    channels = tuple(np.ascontiguousarray(joined[i]) for i in range(joined.shape[0]))
    return DecodedAudio(
        channels=channels, source_rate_hz=source_rate, source_channels=source_channels
    )


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[-1].strip() or type(exc).__name__
