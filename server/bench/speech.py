"""Deterministic synthetic speech with espeak-ng, for benchmarks and tests.

A dialogue is rendered line by line and placed on per-speaker tracks at known times; the true
start and end of each line are measured from the rendered samples (espeak-ng pads a little
silence), so tests can hold transcripts to where words really are.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio, Resampler16k

SENTENCES = (
    "Thanks for making time today, I wanted to talk about the release plan.",
    "I will send you the review notes by Friday afternoon.",
    "Could you walk me through how you test the deployment scripts?",
    "The hardest part was learning to ask for help early.",
    "Let's meet again next Tuesday and look at the design document together.",
    "My manager wants the migration finished before the end of the month.",
)

VOICES = ("en-us+m3", "en-gb+f3")
_SILENCE_LEVEL = 0.02  # |sample| below this counts as the padding espeak-ng adds


class SpeechSynthesisError(RuntimeError):
    pass


def render_sentence(text: str, voice: str = "en-us", words_per_minute: int = 160) -> FloatAudio:
    """``text`` spoken by espeak-ng, as 16 kHz mono float32."""
    if shutil.which("espeak-ng") is None:
        raise SpeechSynthesisError("espeak-ng is not installed (apt-get install espeak-ng)")
    done = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "--stdout", text],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0 or not done.stdout:
        raise SpeechSynthesisError(f"espeak-ng failed: {done.stderr.decode(errors='replace')}")
    with wave.open(io.BytesIO(_fix_wav_sizes(done.stdout))) as reader:
        rate = reader.getframerate()
        pcm = np.frombuffer(reader.readframes(reader.getnframes()), dtype=np.int16)
    frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = rate
    resampler = Resampler16k(keep_channels=False)
    pieces = resampler.push(frame) + resampler.push(None)
    return np.concatenate([p[0] for p in pieces]).astype(np.float32)


def _fix_wav_sizes(data: bytes) -> bytes:
    # espeak-ng writes 0xFFFFFFFF sizes to a pipe; patch them so the wave module reads it.
    fixed = bytearray(data)
    fixed[4:8] = (len(data) - 8).to_bytes(4, "little")
    index = fixed.find(b"data")
    if index >= 0:
        fixed[index + 4 : index + 8] = (len(data) - index - 8).to_bytes(4, "little")
    return bytes(fixed)


def voiced_span(audio: FloatAudio) -> tuple[float, float]:
    """(first, last) second where the signal rises above espeak-ng's padding silence."""
    loud = np.flatnonzero(np.abs(audio) > _SILENCE_LEVEL)
    if loud.size == 0:
        return 0.0, 0.0
    return float(loud[0]) / SAMPLE_RATE_HZ, float(loud[-1] + 1) / SAMPLE_RATE_HZ


def voiced_intervals(audio: FloatAudio, bridge_s: float = 0.3) -> list[tuple[float, float]]:
    """Where a clean synthetic signal is audible: 10 ms frames above the padding level,
    joined across pauses shorter than ``bridge_s`` (the same bridging the VAD applies)."""
    hop = SAMPLE_RATE_HZ // 100
    frames = len(audio) // hop
    if frames == 0:
        return []
    peaks = np.abs(audio[: frames * hop]).reshape(frames, hop).max(axis=1)
    loud = np.flatnonzero(peaks > _SILENCE_LEVEL)
    spans: list[list[float]] = []
    for index in loud:
        start, end = index * hop / SAMPLE_RATE_HZ, (index + 1) * hop / SAMPLE_RATE_HZ
        if spans and start - spans[-1][1] < bridge_s:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [(float(a), float(b)) for a, b in spans]


@dataclass(frozen=True)
class Line:
    speaker: str
    text: str
    #: Where the line's audio is placed; None follows the previous line after ``gap_s``.
    at_s: float | None = None
    gap_s: float = 0.8
    #: Keep only this many seconds of the rendered line (someone stopping mid-sentence).
    cut_s: float | None = None


@dataclass(frozen=True)
class SpokenLine:
    speaker: str
    text: str
    #: When the voice is actually heard (measured), in seconds on the dialogue clock.
    start_s: float
    end_s: float
    #: Audible stretches within the line (pauses of 0.3 s or more between sentences excluded).
    voiced: tuple[tuple[float, float], ...] = ()

    @property
    def voiced_s(self) -> float:
        return sum(b - a for a, b in self.voiced)


@dataclass(frozen=True)
class Dialogue:
    speakers: tuple[str, ...]
    tracks: dict[str, FloatAudio]
    lines: tuple[SpokenLine, ...]

    @property
    def duration_s(self) -> float:
        return len(next(iter(self.tracks.values()))) / SAMPLE_RATE_HZ

    def stereo(self) -> FloatAudio:
        """Shape (2, samples): first speaker left, second right."""
        return np.stack([self.tracks[s] for s in self.speakers[:2]])


def render_dialogue(
    lines: Sequence[Line], voices: dict[str, str], tail_s: float = 1.0, lead_s: float = 0.5
) -> Dialogue:
    speakers = tuple(dict.fromkeys(line.speaker for line in lines))
    placed: list[tuple[Line, int, FloatAudio]] = []
    cursor_s = lead_s
    for line in lines:
        audio = render_sentence(line.text, voices[line.speaker])
        if line.cut_s is not None:
            audio = audio[: round(line.cut_s * SAMPLE_RATE_HZ)].copy()
            fade = min(len(audio), SAMPLE_RATE_HZ // 50)
            audio[len(audio) - fade :] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
        start_s = line.at_s if line.at_s is not None else cursor_s + (line.gap_s if placed else 0.0)
        placed.append((line, round(start_s * SAMPLE_RATE_HZ), audio))
        cursor_s = max(cursor_s, start_s + len(audio) / SAMPLE_RATE_HZ)
    total = round((cursor_s + tail_s) * SAMPLE_RATE_HZ)
    tracks = {s: np.zeros(total, dtype=np.float32) for s in speakers}
    spoken = []
    for line, offset, audio in placed:
        tracks[line.speaker][offset : offset + len(audio)] += audio
        first, last = voiced_span(audio)
        base = offset / SAMPLE_RATE_HZ
        voiced = tuple((base + a, base + b) for a, b in voiced_intervals(audio))
        spoken.append(SpokenLine(line.speaker, line.text, base + first, base + last, voiced))
    spoken.sort(key=lambda s: s.start_s)
    return Dialogue(speakers=speakers, tracks=tracks, lines=tuple(spoken))


def write_wav(path: Path, audio: FloatAudio, rate_hz: int = SAMPLE_RATE_HZ) -> None:
    """16-bit PCM WAV; ``audio`` is (samples,) mono or (channels, samples)."""
    channels = audio if audio.ndim == 2 else audio.reshape(1, -1)
    pcm = (np.clip(channels, -1.0, 1.0) * 32767).round().astype("<i2")
    with wave.open(str(path), "wb") as writer:
        writer.setnchannels(channels.shape[0])
        writer.setsampwidth(2)
        writer.setframerate(rate_hz)
        writer.writeframes(pcm.T.tobytes())
