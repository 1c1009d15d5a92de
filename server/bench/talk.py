"""`tandem bench talk [STEREO]`: Tandem's talk figures for a two-channel call, side by side
with a plain energy measure of each channel.

The energy measure: 10 ms frames whose level is within 25 dB of the channel's loud speech
(its 95th-percentile frame level), joined across gaps under 0.3 s like the VAD. Agreement is
the share of 10 ms frames where the two measures say the same (talk or not).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio, decode_file
from media.insight.balance import analyze_talk, merge_intervals
from media.models import ModelStore
from media.pipeline import Track, analyze_tracks
from media.transcriber import DecodeOptions, load_model
from server.bench import BenchInputError
from server.settings import PROJECT_DIR, Settings

DEFAULT_CALL = PROJECT_DIR.parent / "shared" / "fixtures" / "conversation" / "MUL1011.opus"
HOP = SAMPLE_RATE_HZ // 100


def energy_intervals(audio: FloatAudio, below_peak_db: float = 25.0) -> list[tuple[float, float]]:
    frames = len(audio) // HOP
    if frames == 0:
        return []
    power = (audio[: frames * HOP].reshape(frames, HOP) ** 2).mean(axis=1)
    level = 10 * np.log10(power + 1e-12)
    loud = np.flatnonzero(level > np.percentile(level, 95) - below_peak_db)
    spans = [(i / 100, (i + 1) / 100) for i in loud]
    joined: list[list[float]] = []
    for a, b in spans:
        if joined and a - joined[-1][1] < 0.3:
            joined[-1][1] = b
        else:
            joined.append([a, b])
    return [(a, b) for a, b in joined if b - a >= 0.12]


def _mask(spans: list[tuple[float, float]], frames: int) -> np.ndarray[Any, np.dtype[np.bool_]]:
    mask = np.zeros(frames, dtype=bool)
    for a, b in spans:
        mask[int(a * 100) : int(b * 100)] = True
    return mask


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("talk", help="talk figures of a stereo call vs an energy measure")
    parser.add_argument("stereo", nargs="?", default=str(DEFAULT_CALL),
                        help="two-channel recording, one person per channel")  # fmt: skip
    parser.add_argument("--channels", default="left,right", help="names of the two channels")


def run(args: argparse.Namespace, settings: Settings) -> int:
    names = args.channels.split(",")
    decoded = decode_file(Path(args.stereo), keep_channels=True)
    if len(decoded.channels) < 2:
        raise BenchInputError(
            f"{args.stereo} has one channel; this bench needs one person a channel"
        )
    store = ModelStore(settings.model_store_dir, settings.model_dirs)
    model = load_model(store.resolve(settings.model), settings.compute_type, settings.cpu_threads)
    tracks = [Track(n, c) for n, c in zip(names, decoded.channels, strict=False)]
    started = time.perf_counter()
    transcript = analyze_tracks(tracks, model, DecodeOptions())
    took = time.perf_counter() - started
    started = time.perf_counter()
    report = analyze_talk(
        transcript.speech, transcript.utterances, transcript.speakers, transcript.duration_s
    )
    analytics_ms = (time.perf_counter() - started) * 1000
    frames = int(decoded.duration_s * 100)
    print(f"{args.stereo}: {decoded.duration_s:.1f} s, transcribed in {took:.1f} s, "
          f"talk analytics {analytics_ms:.1f} ms\n")  # fmt: skip
    energy = {t.speaker: energy_intervals(t.audio) for t in tracks}
    energy_total = sum(sum(b - a for a, b in spans) for spans in energy.values())
    print(f"{'speaker':<8} {'VAD talk':>9} {'energy talk':>12} {'VAD share':>10} "
          f"{'energy share':>13} {'frames agree':>13}")  # fmt: skip
    for track in tracks:
        vad = merge_intervals(
            [(i.start_s, i.end_s) for i in transcript.speech if i.speaker == track.speaker]
        )
        agree = (_mask(vad, frames) == _mask(energy[track.speaker], frames)).mean()
        energy_s = sum(b - a for a, b in energy[track.speaker])
        figures = report.speakers[track.speaker]
        print(f"{track.speaker:<8} {figures.talk_s:8.1f}s {energy_s:11.1f}s {figures.share:10.1%} "
              f"{energy_s / energy_total:13.1%} {agree:13.1%}")  # fmt: skip
    print()
    for name, s in report.speakers.items():
        print(f"{name}: {s.turns} turns, longest monologue {s.longest_monologue_s:.1f} s, "
              f"{s.questions} questions, {s.backchannels} backchannels, "
              f"{s.interruptions_made} interruptions made, {s.overlaps_started} overlaps started, "
              f"median response gap {s.median_response_gap_s or 0:.2f} s, "
              f"{s.words_per_minute or 0:.0f} words/min")  # fmt: skip
    print(f"overall: {report.switches_per_minute:.1f} switches/min, "
          f"overlap {report.overlap_s:.1f} s, "
          f"longest silence {report.longest_silence_s:.1f} s")  # fmt: skip
    return 0
