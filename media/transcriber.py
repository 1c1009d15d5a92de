"""Speech to words with faster-whisper: one shared model per process, speech-only input.

The caller supplies each track's speech intervals (from :mod:`media.vad`); only those stretches,
with a small margin, are joined and decoded, and every word time is mapped back to the track's
own clock. faster-whisper decodes lazily while its segment generator is iterated, so
:func:`transcribe_track` iterates it completely; call it from a worker thread, never the event
loop.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from media.alignment import (
    DecodedSegment,
    DecodedWord,
    SpeechLayout,
    join_speech,
    place_words,
)
from media.audio import SAMPLE_RATE_HZ, FloatAudio
from media.models import ModelInfo
from media.transcript import Utterance
from media.vad import Interval

ProgressCallback = Callable[[float], None]
"""Called with the fraction (0 to 1) of a track's speech decoded so far."""


@dataclass(frozen=True)
class DecodeOptions:
    beam_size: int = 1
    #: ISO code; None detects it (multilingual models only).
    language: str | None = None
    word_timestamps: bool = True
    #: Feed the previous text as a prompt. Off: on conversation tracks (turns spliced together)
    #: the prompt made Whisper skip whole turns: refined WER 0.10-0.13 with it, 0.05 without,
    #: at half the time (bench live material, beam 5).
    condition_on_previous_text: bool = False
    #: Silence kept after the audio in a window shorter than 30 s; None pads to 30 s as Whisper
    #: was trained. See :func:`_trimmed_window`.
    window_tail_s: float | None = 4.0
    #: Decoding temperatures; more than one lets Whisper retry a failed decode hotter (slow).
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    #: Cap on tokens per second of audio (None: Whisper's own limit). Live captions use it so a
    #: looping decode cannot hold the queue for seconds.
    max_tokens_per_s: float | None = None


@dataclass(frozen=True)
class TrackResult:
    utterances: list[Utterance]
    language: str | None
    speech_s: float


class LoadedModel:
    """A faster-whisper model loaded from a local directory, safe to share between threads."""

    def __init__(self, info: ModelInfo, whisper: Any) -> None:
        self.info = info
        self.whisper = whisper


# Whisper pads every window to 30 s, so a 4 s utterance costs a 30 s encoder pass (the encoder
# is most of the work with tiny and base). Trimming the window to the audio plus a few seconds
# of padding ran 2-3x faster with the same word error rate on real speech (see docs/speed.md);
# with less than ~3 s of tail the decoder sometimes invents a closing "Thank you.".
# faster-whisper has no option for it, so its one padding helper is wrapped; the context
# variable keeps the change to the calls that ask for it.
_window_tail_frames: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "tandem_window_tail_frames", default=None
)
_FRAMES_PER_S = 100
_FULL_WINDOW_FRAMES = 3000


def _install_window_trim() -> None:
    import faster_whisper.transcribe as fw

    original = getattr(fw, "pad_or_trim", None)
    if original is None or getattr(original, "tandem_trim", False):
        return

    def trimmed(array: Any, length: int = _FULL_WINDOW_FRAMES, *, axis: int = -1) -> Any:
        tail = _window_tail_frames.get()
        frames = array.shape[axis]
        if tail is not None and length == _FULL_WINDOW_FRAMES and frames < length:
            wanted = -(-(frames + tail) // _FRAMES_PER_S) * _FRAMES_PER_S
            length = min(length, wanted)
        return original(array, length, axis=axis)

    trimmed.tandem_trim = True  # type: ignore[attr-defined]
    fw.pad_or_trim = trimmed


_models_lock = threading.Lock()
_models: dict[tuple[str, str, int, int], LoadedModel] = {}


def load_model(
    info: ModelInfo, compute_type: str = "int8", cpu_threads: int = 2, num_workers: int = 1
) -> LoadedModel:
    """The process-wide instance for this model and configuration, loaded on first use."""
    if info.path is None:
        raise ValueError(f"model {info.name} has no directory yet; resolve it through the store")
    key = (str(info.path), compute_type, cpu_threads, num_workers)
    with _models_lock:
        loaded = _models.get(key)
        if loaded is None:
            from faster_whisper import WhisperModel

            whisper = WhisperModel(
                str(info.path),
                device="cpu",
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                num_workers=num_workers,
                local_files_only=True,
            )
            _install_window_trim()
            loaded = _models[key] = LoadedModel(info, whisper)
        return loaded


def transcribe_track(
    model: LoadedModel,
    audio: FloatAudio,
    speech: Sequence[Interval],
    speaker: str,
    options: DecodeOptions,
    on_progress: ProgressCallback | None = None,
    split_gap_s: float = 1.0,
) -> TrackResult:
    """Utterances of one speaker's track, times on that track's clock."""
    joined, layout = join_speech(audio, speech)
    if joined.size == 0:
        return TrackResult(utterances=[], language=options.language, speech_s=0.0)
    tail = None if options.window_tail_s is None else round(options.window_tail_s * _FRAMES_PER_S)
    token = _window_tail_frames.set(tail)
    try:
        return _decode(model, joined, layout, speech, speaker, options, on_progress, split_gap_s)
    finally:
        _window_tail_frames.reset(token)


def _token_cap(options: DecodeOptions, seconds: float) -> int | None:
    if options.max_tokens_per_s is None:
        return None
    return min(440, int(options.max_tokens_per_s * seconds) + 12)


def transcribe_text(model: LoadedModel, audio: FloatAudio, options: DecodeOptions) -> str:
    """Just the words of a short piece of audio (live partial captions): no word timings."""
    tail = None if options.window_tail_s is None else round(options.window_tail_s * _FRAMES_PER_S)
    token = _window_tail_frames.set(tail)
    try:
        segments, _ = model.whisper.transcribe(
            audio,
            language=options.language,
            beam_size=options.beam_size,
            word_timestamps=False,
            condition_on_previous_text=False,
            vad_filter=False,
            without_timestamps=True,
            temperature=list(options.temperatures),
            max_new_tokens=_token_cap(options, len(audio) / SAMPLE_RATE_HZ),
        )
        return " ".join(s.text.strip() for s in segments).strip()
    finally:
        _window_tail_frames.reset(token)


def _decode(
    model: LoadedModel,
    joined: FloatAudio,
    layout: SpeechLayout,
    speech: Sequence[Interval],
    speaker: str,
    options: DecodeOptions,
    on_progress: ProgressCallback | None,
    split_gap_s: float,
) -> TrackResult:
    segments, info = model.whisper.transcribe(
        joined,
        language=options.language,
        beam_size=options.beam_size,
        word_timestamps=options.word_timestamps,
        condition_on_previous_text=options.condition_on_previous_text,
        vad_filter=False,
        temperature=list(options.temperatures),
        max_new_tokens=_token_cap(options, len(joined) / SAMPLE_RATE_HZ),
    )
    joined_s = joined.size / SAMPLE_RATE_HZ
    decoded: list[DecodedSegment] = []
    for segment in segments:
        decoded.append(
            DecodedSegment(
                text=segment.text,
                start_s=float(segment.start),
                end_s=float(segment.end),
                words=tuple(
                    DecodedWord(w.word, float(w.start), float(w.end), float(w.probability))
                    for w in segment.words or ()
                ),
            )
        )
        if on_progress is not None:
            on_progress(min(float(segment.end) / joined_s, 1.0))
    utterances = place_words(decoded, layout, speech, speaker, split_gap_s)
    if on_progress is not None:
        on_progress(1.0)
    return TrackResult(utterances=utterances, language=info.language, speech_s=joined_s)
