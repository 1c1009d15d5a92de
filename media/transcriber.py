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
    #: was trained. See :func:`_install_window_trim`.
    window_tail_s: float | None = 4.0
    #: A trimmed window is never shorter than this: short utterances ("Yeah.", "Go ahead.")
    #: came out empty or looping in short windows (WER 0.55 at audio + 4 s, 0.27 at 18 s, 0.14
    #: at 30 s on 16 espeak replies) while long ones do not need it.
    min_window_s: float = 0.0
    #: Decoding temperatures; more than one lets Whisper retry a failed decode hotter (slow).
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    #: Cap on tokens per second of audio (None: Whisper's own limit). Live captions use it so a
    #: looping decode cannot hold the queue for seconds.
    max_tokens_per_s: float | None = None
    #: Longest span of the speech-only buffer decoded in one Whisper call (see _decode); with
    #: the 4 s window tail a chunk still fits one 30 s window. None: the whole buffer at once.
    chunk_s: float | None = 25.0
    #: Whisper drops a window whose no-speech probability is above this (and whose words are
    #: improbable); None never drops one. Live audio was already found to be speech by the
    #: segmenter: there 0.6 dropped a clear "Yeah." (0.74) said over the other person's turn.
    no_speech_threshold: float | None = 0.6


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
_window_trim: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "tandem_window_trim", default=None
)
"""(tail frames, minimum window frames) for the calls that trim, else None."""
_FRAMES_PER_S = 100
_FULL_WINDOW_FRAMES = 3000


def _install_window_trim() -> None:
    import faster_whisper.transcribe as fw

    original = getattr(fw, "pad_or_trim", None)
    if original is None or getattr(original, "tandem_trim", False):
        return

    def trimmed(array: Any, length: int = _FULL_WINDOW_FRAMES, *, axis: int = -1) -> Any:
        trim = _window_trim.get()
        frames = array.shape[axis]
        if trim is not None and length == _FULL_WINDOW_FRAMES and frames < length:
            tail, least = trim
            wanted = -(-max(frames + tail, least) // _FRAMES_PER_S) * _FRAMES_PER_S
            length = min(length, wanted)
        return original(array, length, axis=axis)

    trimmed.tandem_trim = True  # type: ignore[attr-defined]
    fw.pad_or_trim = trimmed


_models_lock = threading.Lock()
_models: dict[tuple[str, str, int, int, str], LoadedModel] = {}


def cuda_devices() -> int:
    """How many CUDA GPUs CTranslate2 can use here (0 without a GPU, a driver or its
    CUDA 12 libraries)."""
    import ctranslate2

    try:
        return int(ctranslate2.get_cuda_device_count())
    except RuntimeError:  # a driver present but broken
        return 0


def load_model(
    info: ModelInfo,
    compute_type: str = "int8",
    cpu_threads: int = 2,
    num_workers: int = 1,
    device: str = "cpu",
) -> LoadedModel:
    """The process-wide instance for this model and configuration, loaded on first use.
    ``num_workers`` decodes that many calls from different threads at once; ``device`` is
    "cpu" or "cuda" (see cuda_devices)."""
    if info.path is None:
        raise ValueError(f"model {info.name} has no directory yet; resolve it through the store")
    key = (str(info.path), compute_type, cpu_threads, num_workers, device)
    with _models_lock:
        loaded = _models.get(key)
        if loaded is None:
            from faster_whisper import WhisperModel

            whisper = WhisperModel(
                str(info.path),
                device=device,
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
    token = _window_trim.set(_trim(options))
    try:
        return _decode(model, joined, layout, speech, speaker, options, on_progress, split_gap_s)
    finally:
        _window_trim.reset(token)


def _trim(options: DecodeOptions) -> tuple[int, int] | None:
    if options.window_tail_s is None:
        return None
    return round(options.window_tail_s * _FRAMES_PER_S), round(options.min_window_s * _FRAMES_PER_S)


def _token_cap(options: DecodeOptions, seconds: float) -> int | None:
    if options.max_tokens_per_s is None:
        return None
    return min(440, int(options.max_tokens_per_s * seconds) + 12)


def transcribe_text(model: LoadedModel, audio: FloatAudio, options: DecodeOptions) -> str:
    """Just the words of a short piece of audio (live partial captions): no word timings."""
    token = _window_trim.set(_trim(options))
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
            no_speech_threshold=options.no_speech_threshold,
            max_new_tokens=_token_cap(options, len(audio) / SAMPLE_RATE_HZ),
        )
        return " ".join(s.text.strip() for s in segments).strip()
    finally:
        _window_trim.reset(token)


def decode_chunks(layout: SpeechLayout, most_s: float) -> list[tuple[float, float]]:
    """Spans of the joined buffer to decode one by one: whole stretches, grouped up to
    ``most_s`` (a stretch longer than that is a chunk of its own)."""
    chunks: list[list[float]] = []
    for start, length in zip(layout.joined_start_s, layout.length_s, strict=True):
        if chunks and start + length - chunks[-1][0] <= most_s:
            chunks[-1][1] = start + length
        else:
            chunks.append([start, start + length])
    return [(a, b) for a, b in chunks]


def resume_point(layout: SpeechLayout, covered_s: float, chunk_end_s: float) -> float | None:
    """Where to decode again when Whisper stopped at ``covered_s`` (joined-buffer time)
    before the end of its chunk, or None when what is left holds no speech worth it.

    The next stretch that starts after the point, or, when the decoder stopped inside a long
    stretch with 2 s or more of it left, the point itself."""
    for start, length in zip(layout.joined_start_s, layout.length_s, strict=True):
        end = start + length
        if start >= chunk_end_s:
            break
        if start >= covered_s - 0.1 and chunk_end_s - start >= 0.3:
            return start
        if start < covered_s and end - covered_s >= 2.0:
            return covered_s
    return None


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
    # Each chunk is its own Whisper call. Decoded as one long stream, Whisper's seek sometimes
    # jumped past whole turns (the first 14 s of a spliced conversation track, WER 0.22 vs
    # 0.03 chunked, bench live --browser material); a chunk of at most one window cannot skip
    # ahead into the next, and costs the same. Within a window the decoder sometimes stops
    # early (14 s of a 25 s chunk left out, bench live material): what it left is decoded
    # again from the next stretch of speech.
    joined_s = joined.size / SAMPLE_RATE_HZ
    most_s = options.chunk_s or joined_s
    decoded: list[DecodedSegment] = []
    language = options.language
    pending = decode_chunks(layout, most_s)
    while pending:
        chunk_start, chunk_end = pending.pop(0)
        piece = joined[round(chunk_start * SAMPLE_RATE_HZ) : round(chunk_end * SAMPLE_RATE_HZ)]
        segments, info = model.whisper.transcribe(
            piece,
            language=language,
            beam_size=options.beam_size,
            word_timestamps=options.word_timestamps,
            condition_on_previous_text=options.condition_on_previous_text,
            vad_filter=False,
            temperature=list(options.temperatures),
            no_speech_threshold=options.no_speech_threshold,
            max_new_tokens=_token_cap(options, len(piece) / SAMPLE_RATE_HZ),
        )
        covered = chunk_start
        for segment in segments:
            if not any(c.isalnum() for c in segment.text):
                continue  # a lone "." from a short reply: no words to show or place
            words = tuple(
                DecodedWord(
                    w.word, chunk_start + float(w.start), chunk_start + float(w.end),
                    float(w.probability),
                )
                for w in segment.words or ()
            )  # fmt: skip
            decoded.append(
                DecodedSegment(
                    text=segment.text,
                    start_s=chunk_start + float(segment.start),
                    end_s=chunk_start + float(segment.end),
                    words=words,
                )
            )
            covered = max(covered, words[-1].end_s if words else decoded[-1].end_s)
            if on_progress is not None:
                on_progress(min(decoded[-1].end_s / joined_s, 1.0))
        # Detected once, on the first chunk: one person speaks one language in a track.
        language = language or info.language
        if covered > chunk_start and chunk_end - covered >= 0.5:
            resume = resume_point(layout, covered, chunk_end)
            if resume is not None and resume > chunk_start:
                pending.insert(0, (resume, chunk_end))
    utterances = place_words(decoded, layout, speech, speaker, split_gap_s)
    if on_progress is not None:
        on_progress(1.0)
    return TrackResult(utterances=utterances, language=language, speech_s=joined_s)
