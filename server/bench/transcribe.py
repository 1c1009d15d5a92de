"""`tandem bench transcribe [MANIFEST]`: real-time factor, peak memory and WER per model,
for Tandem's pipeline and for plain faster-whisper on the same files in the same run.

Systems: "tandem" (the pipeline as shipped), "tandem-30s" (the same with Whisper windows padded
to 30 s as faster-whisper does, isolating the pipeline's own overhead) and "faster-whisper"
(``WhisperModel.transcribe`` on the file with its VAD filter and word timestamps). Each
(model, system) pair runs in its own child process so peak memory belongs to it alone.
The manifest holds ``file<TAB>reference`` lines (paths relative to the manifest). Without one,
a small English set is synthesised with espeak-ng.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.bench import BenchInputError
from server.bench.wer import ErrorCounts, word_errors
from server.settings import Settings

TARGETS = {"tiny.en": {"rtf": 0.07, "overhead": 1.1, "peak_mb": 500.0}}


@dataclass(frozen=True)
class Item:
    path: Path
    reference: str


def read_manifest(path: Path) -> list[Item]:
    if not path.is_file():
        raise BenchInputError(f"manifest {path} does not exist")
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, sep, reference = line.partition("\t")
        if not sep:
            raise BenchInputError(f"{path}:{number}: expected file<TAB>reference")
        file = (path.parent / name).resolve()
        if not file.is_file():
            raise BenchInputError(f"{path}:{number}: {file} does not exist")
        items.append(Item(file, reference.strip()))
    if not items:
        raise BenchInputError(f"{path}: no entries")
    return items


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("transcribe", help="speed, memory and WER of transcription")
    parser.add_argument(
        "manifest", nargs="?", help="file<TAB>reference lines (default: synthesised)"
    )
    parser.add_argument("--models", help="comma-separated model names (default: all available)")
    parser.add_argument(
        "--beam", type=int, default=1, help="beam size for both systems (default 1)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="passes over the manifest (default 1)"
    )
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")


def _synthesised_manifest(folder: Path) -> Path:
    from server.bench.speech import SENTENCES, render_sentence, write_wav

    lines = []
    for i, sentence in enumerate(SENTENCES[:6]):
        wav = folder / f"sentence-{i}.wav"
        write_wav(wav, render_sentence(sentence, voice="en-us" if i % 2 else "en-gb"))
        lines.append(f"{wav.name}\t{sentence}")
    manifest = folder / "manifest.tsv"
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def run(args: argparse.Namespace, settings: Settings) -> int:
    from media.models import ModelStore

    with tempfile.TemporaryDirectory(prefix="tandem-bench-") as scratch:
        manifest = Path(args.manifest) if args.manifest else _synthesised_manifest(Path(scratch))
        items = read_manifest(manifest)
        store = ModelStore(settings.model_store_dir, settings.model_dirs)
        names = args.models.split(",") if args.models else [m.name for m in store.available()]
        audio_note = f"{len(items)} files from {manifest if args.manifest else 'espeak-ng'}"
        print(
            f"bench transcribe: {audio_note}, beam {args.beam}, {settings.cpu_threads} threads, "
            f"int8, {args.repeat} pass(es)\n"
        )
        header = (
            f"{'model':<10} {'system':<15} {'audio_s':>8} {'wall_s':>8} {'RTF':>7} "
            f"{'peak_MB':>8} {'WER':>7}"
        )
        print(header)
        print("-" * len(header))
        results: list[dict[str, Any]] = []
        for name in names:
            info = store.resolve(name)
            by_system = {}
            for system in ("tandem", "tandem-30s", "faster-whisper"):
                figures = _run_worker(system, str(info.path), info.name, manifest, args, settings)
                figures.update(model=info.name, system=system)
                by_system[system] = figures
                results.append(figures)
                print(
                    f"{info.name:<10} {system:<15} {figures['audio_s']:8.1f} "
                    f"{figures['wall_s']:8.2f} {figures['rtf']:7.3f} "
                    f"{figures['peak_mb']:8.0f} {figures['wer']:7.3f}"
                )
            plain_rtf = max(by_system["faster-whisper"]["rtf"], 1e-9)
            ratio = by_system["tandem"]["rtf"] / plain_rtf
            same_windows = by_system["tandem-30s"]["rtf"] / plain_rtf
            by_system["tandem"]["overhead_ratio"] = ratio
            by_system["tandem-30s"]["overhead_ratio"] = same_windows
            target = TARGETS.get(info.name)
            note = ""
            if target:
                note = (
                    f"   targets: RTF <= {target['rtf']}, overhead <= {target['overhead']}, "
                    f"peak <= {target['peak_mb']:.0f} MB"
                )
            print(f"{info.name:<10} {'overhead ratio':<15} {'':>8} {'':>8} {ratio:7.2f}{note}")
            print(f"{info.name:<10} {'  30s windows':<15} {'':>8} {'':>8} {same_windows:7.2f}")
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def _run_worker(
    system: str,
    model_path: str,
    model_name: str,
    manifest: Path,
    args: argparse.Namespace,
    settings: Settings,
) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "server.bench.transcribe_worker",
        "--system",
        system,
        "--model-path",
        model_path,
        "--model-name",
        model_name,
        "--manifest",
        str(manifest),
        "--beam",
        str(args.beam),
        "--repeat",
        str(args.repeat),
        "--threads",
        str(settings.cpu_threads),
        "--compute-type",
        settings.compute_type,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"bench worker for {model_name}/{system} failed:\n{done.stderr[-2000:]}")
    raw = json.loads(done.stdout)
    items = read_manifest(manifest)
    counts = ErrorCounts(0, 0, 0, 0)
    for item, hypothesis in zip(items, raw["hypotheses"], strict=True):
        counts = counts + word_errors(item.reference, hypothesis)
    return {
        "audio_s": raw["audio_s"],
        "wall_s": raw["wall_s"],
        "rtf": raw["wall_s"] / raw["audio_s"],
        "peak_mb": raw["peak_rss_kb"] / 1024,
        "load_s": raw["load_s"],
        "wer": counts.wer,
    }
