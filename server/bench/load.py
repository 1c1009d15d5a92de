"""`tandem bench load`: how many calls with live captions one server holds.

For each media mode, steps of more and more concurrent sessions, each a `tandem bench live`
run (a fresh `tandem serve`, scripted WebRTC clients in a separate process streaming both
people's speech in turns in real time), without the refinement pass or offline WER. The ramp
of a mode stops at the first step whose final-caption p95 passes the limit or that loses a
final. Per step: latencies, finals lost, partials shed, the server's CPU and peak memory,
and the clients' CPU apart (they share the machine); per mode: sessions held, server CPU per
session and memory per extra session.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from media.audio import FloatAudio
from server.bench.live import Clip, build_conversation, run_sessions
from server.settings import Settings

MODES = ("p2p", "relay")
DEFAULT_STEPS = (1, 2, 4, 8, 12, 16, 20, 24)
#: The issue's targets, printed against the figures (never asserted).
TARGET_SESSIONS = 16
TARGET_ONE_SESSION_P95_S = 1.0
TARGET_MB_PER_EXTRA_SESSION = 40.0


@dataclass(frozen=True)
class LoadStep:
    """One step of the ramp: ``sessions`` concurrent calls for the step's length."""

    sessions: int
    final_p50_s: float | None
    final_p95_s: float | None
    first_caption_p95_s: float | None
    #: Turns whose final caption was measured (the rest were lost or still being spoken).
    turns_measured: int
    #: Turns whose final caption never reached the other participant.
    finals_lost: int
    #: Participants whose connection ended before their audio was sent.
    participants_cut_off: int
    partials_shed: int
    server_cpu_percent: float
    server_peak_mb: float
    #: The scripted clients' own CPU (a separate process on the same machine).
    clients_cpu_percent: float
    loop_lag_p99_ms: float | None
    live_wer: float | None
    #: Why the step gave no figures (the server or the clients failed), else None.
    error: str | None = None

    def held(self, max_p95_s: float) -> bool:
        return (
            self.error is None
            and self.final_p95_s is not None
            and self.final_p95_s <= max_p95_s
            and self.finals_lost == 0
            and self.participants_cut_off == 0
        )


@dataclass(frozen=True)
class ModeSummary:
    #: The largest step held (final p95 within the limit, nothing lost), 0 if none.
    sessions_held: int
    #: Server CPU over sessions at that step, % of one core (its share of the idle cost too).
    cpu_percent_per_session: float | None
    #: Least-squares slope of peak memory over sessions across the steps held.
    mb_per_extra_session: float | None
    #: Whether a step failed the limit: if not, the ramp ended below what the server holds.
    limit_reached: bool


def step_from_figures(sessions: int, figures: dict[str, Any]) -> LoadStep:
    """The step's figures out of what :func:`server.bench.live.run_sessions` measured."""
    final, first = figures["final_latency_s"], figures["partial_latency_s"]
    server = figures["server"]
    return LoadStep(
        sessions=sessions,
        final_p50_s=final["p50"],
        final_p95_s=final["p95"],
        first_caption_p95_s=first["p95"],
        turns_measured=final["n"],
        finals_lost=figures["missed_turns"],
        participants_cut_off=figures["participants_cut_off"],
        partials_shed=int(server["asr"].get("partials_shed") or 0),
        server_cpu_percent=server["cpu_percent"],
        server_peak_mb=server["peak_mb"],
        clients_cpu_percent=figures["clients_cpu_percent"],
        loop_lag_p99_ms=server["loop_lag"].get("p99_ms"),
        live_wer=figures["live_wer"],
    )


def failed_step(sessions: int, error: str) -> LoadStep:
    return LoadStep(sessions, None, None, None, 0, 0, 0, 0, 0.0, 0.0, 0.0, None, None, error)


def summarize(steps: list[LoadStep], max_p95_s: float) -> ModeSummary:
    """Sessions held, CPU per session and memory per extra session of one mode's ramp."""
    held: list[LoadStep] = []
    for step in sorted(steps, key=lambda s: s.sessions):
        if not step.held(max_p95_s):
            break  # a larger step that happened to pass after a failed one does not count
        held.append(step)
    limit_reached = len(held) < len(steps)
    if not held:
        return ModeSummary(0, None, None, limit_reached)
    top = held[-1]
    return ModeSummary(
        sessions_held=top.sessions,
        cpu_percent_per_session=round(top.server_cpu_percent / top.sessions, 1),
        mb_per_extra_session=_slope([(s.sessions, s.server_peak_mb) for s in held]),
        limit_reached=limit_reached,
    )


def _slope(points: list[tuple[int, float]]) -> float | None:
    """Least-squares MB per session (numpy's line fit); None with fewer than two sizes."""
    if len({x for x, _ in points}) < 2:
        return None
    xs, ys = zip(*points, strict=True)
    return round(float(np.polyfit(xs, ys, 1)[0]), 1)


def _modes(text: str) -> list[str]:
    modes = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if not modes or unknown:
        raise argparse.ArgumentTypeError(f"modes are {', '.join(MODES)} (comma-separated)")
    return modes


def _steps(text: str) -> list[int]:
    try:
        steps = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("steps are session counts, e.g. 1,2,4,8") from None
    if not steps or steps[0] < 1:
        raise argparse.ArgumentTypeError("steps are session counts of at least 1")
    return steps


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("load", help="calls held before final captions pass 2 s, P2P/relay")
    parser.add_argument(
        "--modes", type=_modes, default=list(MODES), help="media modes to ramp (default p2p,relay)"
    )
    parser.add_argument(
        "--steps",
        type=_steps,
        default=list(DEFAULT_STEPS),
        help="concurrent sessions per step (default 1,2,4,8,12,16,20,24)",
    )
    parser.add_argument(
        "--start", type=int, default=1, help="leave out the steps below this many sessions"
    )
    parser.add_argument(
        "--minutes-per-step", type=float, default=1.0, help="length of each step (default 1)"
    )
    parser.add_argument(
        "--max-p95-s",
        type=float,
        default=2.0,
        help="final-caption p95 that ends a mode's ramp (default 2.0)",
    )
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")


def run(args: argparse.Namespace, settings: Settings) -> int:
    steps = [n for n in args.steps if n >= args.start]
    if not steps:
        raise SystemExit("tandem bench load: no step left at or above --start")
    tracks, clips = build_conversation(args.minutes_per_step * 60)
    print(f"bench load: modes {','.join(args.modes)}, steps {','.join(map(str, steps))} "
          f"session(s), {args.minutes_per_step:g} min each ({len(clips)} turns a session), "
          f"model {settings.model}, {settings.cpu_threads} threads; a mode stops at final p95 > "
          f"{args.max_p95_s:g} s or a lost final\n")  # fmt: skip
    header = (
        f"{'mode':<6}{'sessions':>9}{'final p50/p95 s':>17}{'first p95':>10}{'lost':>5}"
        f"{'cut':>4}{'shed':>6}{'server CPU':>11}{'peak MB':>8}{'clients CPU':>12}{'lag p99':>9}"
    )
    print(header)
    print("-" * len(header), flush=True)
    results: dict[str, dict[str, Any]] = {}
    for mode in args.modes:
        done: list[LoadStep] = []
        for sessions in steps:
            step = _run_step(mode, sessions, tracks, clips)
            done.append(step)
            print(_row(mode, step), flush=True)
            results[mode] = {"steps": [asdict(s) for s in done],
                             **asdict(summarize(done, args.max_p95_s))}  # fmt: skip
            if args.json:  # after every step: a long ramp cut short keeps what it measured
                _write(Path(args.json), args, results)
            if not step.held(args.max_p95_s):
                break
    print()
    for mode in args.modes:
        _print_summary(mode, results[mode], args.max_p95_s)
    print(
        f"\ntargets: {TARGET_SESSIONS} calls with final p95 <= {args.max_p95_s:g} s and no final "
        f"lost; one call final p95 <= {TARGET_ONE_SESSION_P95_S:g} s; "
        f"<= {TARGET_MB_PER_EXTRA_SESSION:g} MB per extra call. CPU is % of one core; the "
        "clients' CPU is on the same machine and not the server's."
    )
    return 0


def _run_step(
    mode: str, sessions: int, tracks: dict[str, FloatAudio], clips: list[Clip]
) -> LoadStep:
    try:
        figures = run_sessions(sessions, tracks, clips, mode=mode, refine=False)
    except Exception as exc:  # a broken step ends this mode's ramp, not the whole run
        return failed_step(sessions, f"{type(exc).__name__}: {exc}")
    return step_from_figures(sessions, figures)


def _write(path: Path, args: argparse.Namespace, results: dict[str, dict[str, Any]]) -> None:
    document = {"minutes_per_step": args.minutes_per_step, "max_p95_s": args.max_p95_s,
                "modes": results}  # fmt: skip
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _figure(value: float | None, spec: str = ".3f", unit: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{unit}"


def _row(mode: str, step: LoadStep) -> str:
    if step.error is not None:
        return f"{mode:<6}{step.sessions:>9}  failed: {step.error}"
    latency = f"{_figure(step.final_p50_s)}/{_figure(step.final_p95_s)}"
    return (
        f"{mode:<6}{step.sessions:>9}{latency:>17}{_figure(step.first_caption_p95_s):>10}"
        f"{step.finals_lost:>5}{step.participants_cut_off:>4}{step.partials_shed:>6}"
        f"{step.server_cpu_percent:>10.1f}%{step.server_peak_mb:>8.0f}"
        f"{step.clients_cpu_percent:>11.1f}%{_figure(step.loop_lag_p99_ms, '.1f', ' ms'):>9}"
    )


def _print_summary(mode: str, result: dict[str, Any], max_p95_s: float) -> None:
    steps = [LoadStep(**s) for s in result["steps"]]
    one = next((s for s in steps if s.sessions == 1 and s.error is None), None)
    held = result["sessions_held"]
    more = "" if result["limit_reached"] else " or more (no step passed the limit)"
    one_p95 = one.final_p95_s if one else None
    print(
        f"{mode}: {held} session(s) held{more} with final p95 <= {max_p95_s:g} s and no final "
        f"lost ({held / TARGET_SESSIONS:.2f} x {TARGET_SESSIONS}); server CPU per session "
        f"{_figure(result['cpu_percent_per_session'], '.1f', '%')} of a core; memory per extra "
        f"session {_figure(result['mb_per_extra_session'], '.0f', ' MB')} "
        f"(target <= {TARGET_MB_PER_EXTRA_SESSION:g}); one session final p95 "
        f"{_figure(one_p95, '.3f', ' s')} (target <= {TARGET_ONE_SESSION_P95_S:g})"
    )
