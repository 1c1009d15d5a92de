"""The offline pipeline: per-speaker tracks in, one transcript on the shared clock out.

Each track runs voice activity then transcription; the results are merged by time. The same
stages (``media.vad``, ``media.transcriber``) serve the live call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from media.audio import SAMPLE_RATE_HZ, FloatAudio
from media.transcriber import DecodeOptions, LoadedModel, transcribe_track
from media.transcript import SpeechInterval, Transcript, merge_utterances
from media.vad import Interval, VadOptions, detect_speech

OverallProgress = Callable[[float, float], None]
"""Called with (seconds of speech transcribed, seconds of speech in all tracks)."""


@dataclass(frozen=True)
class Track:
    speaker: str
    audio: FloatAudio

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE_HZ


def analyze_tracks(
    tracks: Sequence[Track],
    model: LoadedModel,
    options: DecodeOptions,
    on_progress: OverallProgress | None = None,
    vad_options: VadOptions | None = None,
) -> Transcript:
    """Transcribe every track (run in a worker thread: this is CPU-bound)."""
    if options.language is None and model.info.default_language is not None:
        options = replace(options, language=model.info.default_language)
    speech: list[list[Interval]] = [detect_speech(t.audio, vad_options) for t in tracks]
    total_s = sum(i.end_s - i.start_s for intervals in speech for i in intervals) or 1.0
    done_before = 0.0
    per_speaker = []
    languages: list[str] = []
    for track, intervals in zip(tracks, speech, strict=True):
        track_speech_s = sum(i.end_s - i.start_s for i in intervals)

        def report(
            fraction: float, base: float = done_before, span: float = track_speech_s
        ) -> None:
            if on_progress is not None:
                on_progress(base + fraction * span, total_s)

        result = transcribe_track(model, track.audio, intervals, track.speaker, options, report)
        per_speaker.append(result.utterances)
        if result.language and intervals:
            languages.append(result.language)
        done_before += track_speech_s
        if on_progress is not None:
            on_progress(done_before, total_s)
    return Transcript(
        duration_s=max((t.duration_s for t in tracks), default=0.0),
        speakers=[t.speaker for t in tracks],
        model=model.info.name,
        language=languages[0] if languages else options.language,
        utterances=merge_utterances(per_speaker),
        speech=[
            SpeechInterval(speaker=t.speaker, start_s=i.start_s, end_s=i.end_s)
            for t, intervals in zip(tracks, speech, strict=True)
            for i in intervals
        ],
    )
