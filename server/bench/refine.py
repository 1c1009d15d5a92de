"""`tandem bench refine [STEREO]`: how fast refinement passes run, for sizing `tandem worker`s.

Each step runs N passes at once (as `tandem worker --jobs N` does: one CPU thread each, one
shared model instance decoding N calls from N threads) over the same two-person call, with
the pass's own decoding (beam 5, both people's tracks). It prints the seconds of refinement a
call minute costs and the call minutes N passes refine per hour, beside the CPU they used.
"""

from __future__ import annotations

import argparse
import json
import resource
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from media.audio import SAMPLE_RATE_HZ, decode_file
from media.pipeline import Track, analyze_tracks
from server.bench import BenchInputError
from server.calls.refine import REFINE_BEAM, check_device, refine_model
from server.settings import PROJECT_DIR, Settings

DEFAULT_CALL = PROJECT_DIR.parent / "shared" / "fixtures" / "conversation" / "MUL1011.opus"


@dataclass(frozen=True)
class RefineStep:
    jobs: int
    call_s: float
    wall_s: float
    #: Wall seconds of refinement per minute of call, with this many passes at once.
    s_per_call_minute: float
    #: Call minutes these passes refine in an hour, all together.
    call_minutes_per_hour: float
    #: Process CPU over the step, in percent of one core.
    cpu_percent: float
    peak_rss_mb: float


def _jobs(text: str) -> list[int]:
    try:
        steps = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs takes numbers like 1,2, not {text!r}") from None
    if not steps or min(steps) < 1:
        raise argparse.ArgumentTypeError("--jobs takes numbers of at least 1, like 1,2")
    return steps


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("refine", help="refinement speed per worker job, for sizing workers")
    parser.add_argument("stereo", nargs="?", default=str(DEFAULT_CALL),
                        help="two-channel recording, one person per channel")  # fmt: skip
    parser.add_argument("--jobs", type=_jobs, default=[1, 2], metavar="N,N",
                        help="passes at once in each step (default 1,2)")  # fmt: skip
    parser.add_argument("--seconds", type=float, default=120.0,
                        help="how much of the call each pass refines (default 120)")  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the steps as JSON")


def run_step(tracks: list[Track], settings: Settings, jobs: int) -> RefineStep:
    model, options = refine_model(settings, jobs)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            analyze_tracks(tracks, model, options)
        except BaseException as exc:  # reported after the step, not lost in a thread
            errors.append(exc)

    threads = [threading.Thread(target=one, name=f"refine bench {k}") for k in range(jobs)]
    cpu_before, started = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall_s = time.perf_counter() - started
    cpu_s = time.process_time() - cpu_before
    if errors:
        raise errors[0]
    call_s = len(tracks[0].audio) / SAMPLE_RATE_HZ
    return RefineStep(
        jobs=jobs,
        call_s=round(call_s, 1),
        wall_s=round(wall_s, 2),
        s_per_call_minute=round(wall_s / (jobs * call_s / 60), 2),
        call_minutes_per_hour=round(jobs * call_s / 60 * 3600 / wall_s),
        cpu_percent=round(100 * cpu_s / wall_s),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    path = Path(args.stereo)
    if not path.is_file():
        raise BenchInputError(f"{path} not found")
    if args.seconds <= 0:
        raise BenchInputError("--seconds must be more than 0")
    check_device(settings)
    decoded = decode_file(path, keep_channels=True)
    if len(decoded.channels) < 2:
        raise BenchInputError(f"{path} has one channel; this bench needs one person a channel")
    end = round(min(args.seconds, decoded.duration_s) * SAMPLE_RATE_HZ)
    pairs = zip(("mentor", "mentee"), decoded.channels, strict=False)
    tracks = [Track(name, channel[:end].copy()) for name, channel in pairs]
    model = settings.refine_model or settings.model
    if not args.json:
        print(f"{path.name}: {end / SAMPLE_RATE_HZ:.0f} s of a two-person call, {model}, beam "
              f"{REFINE_BEAM}, {settings.compute_type} on the {settings.refine_device}, one "
              "thread per pass\n")  # fmt: skip
        print(f"{'jobs':>4} {'wall':>8} {'s/call min':>11} {'call min/hour':>14} "
              f"{'CPU':>6} {'peak RSS':>9}")  # fmt: skip
    steps = []
    for jobs in args.jobs:
        step = run_step(tracks, settings, jobs)
        steps.append(step)
        if not args.json:
            print(f"{step.jobs:>4} {step.wall_s:7.1f}s {step.s_per_call_minute:11.2f} "
                  f"{step.call_minutes_per_hour:14.0f} {step.cpu_percent:5.0f}% "
                  f"{step.peak_rss_mb:7.0f} MB", flush=True)  # fmt: skip
    if args.json:
        print(json.dumps([asdict(s) for s in steps], indent=2))
    else:
        first = steps[0]
        for step in steps[1:]:
            gain = step.call_minutes_per_hour / first.call_minutes_per_hour
            print(f"{step.jobs} jobs refine {gain:.2f}x what {first.jobs} does")
    return 0
