"""One measured run of the transcription bench, in its own process (see bench/transcribe.py).

Prints JSON: total audio seconds, wall seconds (model load and a warm-up excluded), peak RSS,
and the hypothesis text per manifest entry.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    parser = argparse.ArgumentParser()
    systems = ("tandem", "tandem-30s", "faster-whisper")
    parser.add_argument("--system", choices=systems, required=True)
    parser.add_argument("--model-path", required=True)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--compute-type", default="int8")
    args = parser.parse_args()

    from server.bench.transcribe import read_manifest

    items = read_manifest(Path(args.manifest))
    started = time.perf_counter()
    transcribe = _plain(args) if args.system == "faster-whisper" else _tandem(args)
    transcribe(items[0].path)  # warm-up: first-call allocations are not per-file cost
    load_s = time.perf_counter() - started

    hypotheses: list[str] = []
    audio_s = 0.0
    wall_s = 0.0
    for round_index in range(args.repeat):
        for item in items:
            t0 = time.perf_counter()
            text, duration = transcribe(item.path)
            wall_s += time.perf_counter() - t0
            audio_s += duration
            if round_index == 0:
                hypotheses.append(text)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    json.dump(
        {
            "audio_s": audio_s,
            "wall_s": wall_s,
            "load_s": load_s,
            "peak_rss_kb": peak_kb,
            "hypotheses": hypotheses,
        },
        sys.stdout,
    )
    return 0


def _tandem(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from media.audio import decode_file
    from media.models import ModelStore
    from media.pipeline import Track, analyze_tracks
    from media.transcriber import DecodeOptions, load_model

    path = Path(args.model_path)
    info = replace(ModelStore(path.parent).resolve(str(path)), name=args.model_name)
    model = load_model(info, args.compute_type, args.threads)
    # "tandem-30s" pads every window to 30 s as faster-whisper does: the pipeline's own cost.
    tail = None if args.system == "tandem-30s" else DecodeOptions().window_tail_s
    options = DecodeOptions(beam_size=args.beam, window_tail_s=tail)

    def transcribe(path: Path) -> tuple[str, float]:
        audio = decode_file(path)
        track = Track("speaker", audio.channels[0])
        transcript = analyze_tracks([track], model, options)
        return " ".join(u.text for u in transcript.utterances), track.duration_s

    return transcribe


def _plain(args: argparse.Namespace) -> Any:
    from faster_whisper import WhisperModel
    from faster_whisper.audio import decode_audio

    model = WhisperModel(
        args.model_path,
        device="cpu",
        compute_type=args.compute_type,
        cpu_threads=args.threads,
        local_files_only=True,
    )

    def transcribe(path: Path) -> tuple[str, float]:
        audio = decode_audio(str(path))
        segments, _info = model.transcribe(
            audio,
            beam_size=args.beam,
            word_timestamps=True,
            vad_filter=True,
            language="en" if args.model_name.endswith(".en") else None,
        )
        text = " ".join(s.text.strip() for s in segments)
        return text, len(audio) / 16000

    return transcribe


if __name__ == "__main__":
    sys.exit(main())
