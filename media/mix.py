"""Both voices of a call in one file, on the session clock, for the review page's player.

Each person's recording starts where their connection's recording started (``start_s`` on
the session clock); a reload or a second connection made another file, placed at its own
start. Mixed to mono at 16 kHz and written as Ogg/Opus (what the browser's <audio> plays and
seeks by byte range).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio, decode_file

#: Speech needs little: 32 kbit/s mono Opus is transparent for voice and small (14 MB/h).
MIX_BITRATE = 32_000


@dataclass(frozen=True)
class PlacedAudio:
    start_s: float
    samples: FloatAudio


def mix(pieces: Sequence[PlacedAudio], total_s: float | None = None) -> FloatAudio:
    """Sum the pieces at their places; clipped to [-1, 1] where voices overlap loudly."""
    ends = [round(p.start_s * SAMPLE_RATE_HZ) + len(p.samples) for p in pieces]
    length = max([*ends, round((total_s or 0.0) * SAMPLE_RATE_HZ), 0])
    out = np.zeros(length, np.float32)
    for piece in pieces:
        at = max(0, round(piece.start_s * SAMPLE_RATE_HZ))
        samples = piece.samples[: max(0, length - at)]
        out[at : at + len(samples)] += samples
    np.clip(out, -1.0, 1.0, out=out)
    return out


def write_opus(path: Path, audio: FloatAudio) -> None:
    """Ogg/Opus at 16 kHz mono, written to a temporary name and moved into place, so a reader
    never sees half a file. The temporary name is this writer's own: two server processes
    mixing the same call at once (two people pressing play on different nodes) each write
    their own file, and the last one moved into place wins, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(3)}.partial")
    try:
        _encode(partial, audio)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(path)


def _encode(partial: Path, audio: FloatAudio) -> None:
    container = av.open(str(partial), "w", format="ogg")
    try:
        stream = container.add_stream("libopus", rate=SAMPLE_RATE_HZ, layout="mono")
        stream.bit_rate = MIX_BITRATE
        block = SAMPLE_RATE_HZ  # one second per frame handed to the encoder
        for start in range(0, len(audio), block):
            pcm = (audio[start : start + block] * 32767).astype(np.int16).reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
            frame.sample_rate = SAMPLE_RATE_HZ
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    finally:
        container.close()


def mix_recordings(files: Sequence[tuple[float, Path]], out: Path, total_s: float | None) -> None:
    """Decode each (start_s, file), mix them on the session clock and write ``out``."""
    pieces = [PlacedAudio(start, decode_file(path).channels[0]) for start, path in files]
    write_opus(out, mix(pieces, total_s))
