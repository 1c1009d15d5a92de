"""`tandem bench live`: live captions through the real server, measured.

N concurrent sessions, each two scripted WebRTC participants (a separate client process)
speaking in turns in real time: the shared fixtures' recorded clips when present, and
espeak-ng sentences, looped to fill the run. From what the *other* participant receives:

- final-caption latency: end of speech (known from the audio sent) → final caption received;
- partial latency: start of speech → first caption (partial or final) of it received;
- both per minute, to see whether latency grows over a long run;
- live WER (final captions) and refined WER (after the refinement pass), and plain
  faster-whisper's WER on the same clips in the same run (offline, model defaults);
- server CPU (percent of one core), peak memory, event-loop lag p99 (from /healthz).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio, decode_file
from media.vad import detect_speech
from server.bench import percentiles
from server.bench.call import _free_port, _prepare, _wait_healthy, process_usage, read_health
from server.bench.wer import ErrorCounts, word_errors
from server.settings import PROJECT_DIR, Settings

FIXTURES = PROJECT_DIR.parent / "shared" / "fixtures" / "speech" / "manifest.tsv"
LEAD_S = 3.0
GAP_S = 1.2


@dataclass(frozen=True)
class Clip:
    """One turn: who says it, where it sits on their track, and what is said."""

    speaker: str
    reference: str
    at_s: float
    speech_start_s: float
    speech_end_s: float


def _material() -> list[tuple[FloatAudio, str]]:
    from server.bench.speech import SENTENCES, VOICES, render_sentence

    clips: list[tuple[FloatAudio, str]] = []
    if FIXTURES.is_file():
        from server.bench.transcribe import read_manifest

        for item in read_manifest(FIXTURES):
            clips.append((decode_file(item.path).channels[0], item.reference))
    for i, sentence in enumerate(SENTENCES):
        clips.append((render_sentence(sentence, VOICES[i % 2]), sentence))
    return clips


def build_conversation(seconds: float) -> tuple[dict[str, FloatAudio], list[Clip]]:
    """Two tracks taking turns with the material, looped to last ``seconds``."""
    material = _material()
    placed: list[tuple[str, int, FloatAudio, str]] = []
    cursor = LEAD_S
    turn = 0
    while cursor < seconds:
        audio, reference = material[turn % len(material)]
        speaker = ("mentor", "mentee")[turn % 2]
        placed.append((speaker, round(cursor * SAMPLE_RATE_HZ), audio, reference))
        cursor += len(audio) / SAMPLE_RATE_HZ + GAP_S
        turn += 1
    total = round((cursor + 3.0) * SAMPLE_RATE_HZ)
    tracks = {s: np.zeros(total, dtype=np.float32) for s in ("mentor", "mentee")}
    clips = []
    for speaker, offset, audio, reference in placed:
        tracks[speaker][offset : offset + len(audio)] = audio
        speech = detect_speech(audio)
        start = offset / SAMPLE_RATE_HZ
        clips.append(
            Clip(
                speaker,
                reference,
                start,
                start + (speech[0].start_s if speech else 0.0),
                start + (speech[-1].end_s if speech else len(audio) / SAMPLE_RATE_HZ),
            )
        )
    return tracks, clips


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("live", help="live caption latency, WER, CPU through the server")
    parser.add_argument("--sessions", type=int, default=1, help="concurrent sessions (default 1)")
    parser.add_argument("--minutes", type=float, default=2.0, help="length of the run (default 2)")
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    parser.add_argument("--server-log", metavar="FILE", help="keep the server's log here")
    from server.bench.browser import add_arguments

    add_arguments(parser)


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.browser:
        from server.bench import browser

        return browser.run(args, settings)
    if args.track or args.stereo:
        raise SystemExit("tandem bench live: --track and --stereo go with --browser")
    seconds = args.minutes * 60
    tracks, clips = build_conversation(seconds)
    print(f"bench live: {args.sessions} session(s) x {len(clips)} turns, "
          f"{len(tracks['mentor']) / SAMPLE_RATE_HZ / 60:.1f} min each, model {settings.model}, "
          f"{settings.cpu_threads} threads\n")  # fmt: skip
    server_log = Path(args.server_log) if args.server_log else None
    figures = run_sessions(args.sessions, tracks, clips, server_log=server_log)
    figures["offline_wer"] = _offline_wer(tracks, clips, settings)
    _print(figures, args.sessions)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def run_sessions(
    sessions: int,
    tracks: dict[str, FloatAudio],
    clips: list[Clip],
    *,
    mode: str = "p2p",
    refine: bool = True,
    server_log: Path | None = None,
) -> dict[str, Any]:
    """One run: a fresh `tandem serve` in ``mode`` (TANDEM_MEDIA_MODE) on a scratch data
    directory, ``sessions`` concurrent sessions playing ``tracks``; the figures measured.
    Without ``refine`` it does not wait for the refinement pass (refined_wer is None)."""
    seconds = len(tracks["mentor"]) / SAMPLE_RATE_HZ
    with tempfile.TemporaryDirectory(prefix="tandem-bench-live-") as scratch:
        data = Path(scratch)
        plan = _prepare(data, sessions)
        np.save(data / "mentor.npy", tracks["mentor"])
        np.save(data / "mentee.npy", tracks["mentee"])
        port = _free_port()
        env = {**os.environ, "TANDEM_DATA_DIR": str(data), "TANDEM_MEDIA_MODE": mode,
               "TANDEM_ROOM_GRACE_S": "1"}  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(server_log or Path(os.devnull)).open("w"),
        )
        base = f"http://127.0.0.1:{port}"
        refined: dict[int, list[dict[str, Any]]] | None = None
        try:
            _wait_healthy(base, server)
            plan_file = data / "plan.json"
            result_file = data / "received.json"
            plan_file.write_text(json.dumps({"base": base, "sessions": plan,
                                             "folder": str(data)}))  # fmt: skip
            before, started = process_usage(server.pid), time.monotonic()
            # The children's CPU so far (espeak-ng, earlier runs' processes) is not theirs.
            children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
            clients = subprocess.Popen(
                [sys.executable, "-m", "server.bench.live", str(plan_file), str(result_file)],
                env=env,
            )
            clients.wait()
            after, ended = process_usage(server.pid), time.monotonic()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            client_cpu_s = (children.ru_utime - children_before.ru_utime) + (
                children.ru_stime - children_before.ru_stime
            )
            health = read_health(base, data)
            if refine:
                refined = _wait_refined(data, [p["session_id"] for p in plan], seconds * 2)
        finally:
            server.terminate()
            server.wait(timeout=60)
        received = json.loads(result_file.read_text())
    figures = _measure(received, clips, refined)
    figures["clients_cpu_percent"] = round(client_cpu_s / (ended - started) * 100, 1)
    figures["server"] = {
        "cpu_percent": round((after.cpu_s - before.cpu_s) / (ended - started) * 100, 1),
        "peak_mb": round(after.peak_mb, 0),
        "loop_lag": health["loop_lag"],
        "asr": health["live"],
    }
    return figures


def _wait_refined(
    data: Path, session_ids: list[int], within_s: float
) -> dict[int, list[dict[str, Any]]]:
    from sqlalchemy import select

    from server.db.engine import Database
    from server.db.tables import Session, UtteranceRow

    settings = Settings.from_env({"TANDEM_DATA_DIR": str(data)})
    database = Database.open(settings.database_url)
    deadline = time.monotonic() + within_s
    try:
        while time.monotonic() < deadline:
            with database.sessions() as db:
                states = [db.get(Session, i) for i in session_ids]
                if all(s is not None and s.refine_status in ("done", "failed") for s in states):
                    break
            time.sleep(1)
        out: dict[int, list[dict[str, Any]]] = {}
        with database.sessions() as db:
            for session_id in session_ids:
                rows = db.scalars(
                    select(UtteranceRow).where(
                        UtteranceRow.session_id == session_id, UtteranceRow.source == "refined"
                    )
                ).all()
                out[session_id] = [
                    {"speaker": r.speaker, "start": r.start_s, "end": r.end_s, "text": r.text}
                    for r in rows
                ]
        return out
    finally:
        database.close()


def _measure(
    received: dict[str, Any], clips: list[Clip], refined: dict[int, list[dict[str, Any]]] | None
) -> dict[str, Any]:
    finals_latency: list[tuple[float, float]] = []  # (session minute, seconds)
    turns: list[dict[str, Any]] = []
    partial_latency: list[tuple[float, float]] = []
    live_errors = ErrorCounts(0, 0, 0, 0)
    refined_errors = ErrorCounts(0, 0, 0, 0)
    missed = 0
    for session in received["sessions"]:
        for listener, other in (("mentor", "mentee"), ("mentee", "mentor")):
            view = session[listener]
            sender = session[other]
            if view["welcome_clock_s"] is None or sender["began"] is None:
                continue

            def session_time(mono: float, view: dict[str, Any] = view) -> float:
                return float(view["welcome_clock_s"] + (mono - view["welcome_at"]))

            captions = [m for m in view["captions"] if m["speaker"] == other]
            for clip in (c for c in clips if c.speaker == other):
                start_mono = sender["began"] + clip.speech_start_s
                end_mono = sender["began"] + clip.speech_end_s
                lo, hi = session_time(start_mono) - 1.0, session_time(end_mono) + 1.0
                ours = [m for m in captions if lo <= m["start"] <= hi]
                finals = [m for m in ours if m["final"]]
                if end_mono > received["ended"] - 2:
                    continue  # still being spoken when the clients stopped
                if not finals:
                    missed += 1
                    live_errors = live_errors + word_errors(clip.reference, "")
                    continue
                minute = (end_mono - received["started"]) / 60
                finals_latency.append((minute, max(m["_received"] for m in finals) - end_mono))
                first = min(m["_received"] for m in ours)
                partial_latency.append((minute, first - start_mono))
                turns.append({
                    "speaker": other, "speech_s": round(clip.speech_end_s - clip.speech_start_s, 2),
                    "first_caption_s": round(first - start_mono, 3),
                    "final_s": round(finals_latency[-1][1], 3),
                    "first_text": min(ours, key=lambda m: m["_received"])["text"],
                })  # fmt: skip
                text = " ".join(m["text"] for m in sorted(finals, key=lambda m: m["start"]))
                live_errors = live_errors + word_errors(clip.reference, text)
        # Refined: the whole refined text per speaker against all of their references.
        for speaker in ("mentor", "mentee"):
            if refined is None:
                break  # not measured: the run did not wait for the refinement pass
            spoken = [c for c in clips if c.speaker == speaker]
            rows = sorted(
                (r for r in refined.get(session["session_id"], []) if r["speaker"] == speaker),
                key=lambda r: r["start"],
            )
            refined_errors = refined_errors + word_errors(
                " ".join(c.reference for c in spoken), " ".join(r["text"] for r in rows)
            )
    by_minute: dict[int, list[float]] = {}
    for minute, latency in finals_latency:
        by_minute.setdefault(int(minute), []).append(latency)
    return {
        "final_latency_s": percentiles([v for _, v in finals_latency]),
        "partial_latency_s": percentiles([v for _, v in partial_latency]),
        "final_latency_by_minute": {m: percentiles(v) for m, v in sorted(by_minute.items())},
        "missed_turns": missed,
        "participants_cut_off": received.get("unfinished", 0),
        "live_wer": round(live_errors.wer, 4),
        "turns": turns,
        "refined_wer": round(refined_errors.wer, 4) if refined is not None else None,
    }


def _offline_wer(tracks: dict[str, FloatAudio], clips: list[Clip], settings: Settings) -> float:
    """Plain faster-whisper (its defaults: beam 5) on each distinct clip, in this process."""
    from faster_whisper import WhisperModel

    from media.models import ModelStore

    info = ModelStore(settings.model_store_dir, settings.model_dirs).resolve(settings.model)
    model = WhisperModel(str(info.path), device="cpu", compute_type=settings.compute_type,
                         cpu_threads=settings.cpu_threads, local_files_only=True)  # fmt: skip
    errors = ErrorCounts(0, 0, 0, 0)
    seen: set[tuple[str, str]] = set()
    for clip in clips:
        if (clip.speaker, clip.reference) in seen:
            continue
        seen.add((clip.speaker, clip.reference))
        start = round(clip.at_s * SAMPLE_RATE_HZ)
        end = round((clip.speech_end_s + 0.5) * SAMPLE_RATE_HZ)
        audio = tracks[clip.speaker][start:end]
        segments, _ = model.transcribe(audio, language=info.default_language)
        errors = errors + word_errors(clip.reference, " ".join(s.text for s in segments))
    return round(errors.wer, 4)


def _print(figures: dict[str, Any], sessions: int) -> None:
    final, partial = figures["final_latency_s"], figures["partial_latency_s"]
    print(
        f"final-caption latency (speech end -> other side):  p50 {final['p50']} s  "
        f"p95 {final['p95']} s  max {final['max']} s  ({final['n']} turns)"
    )
    print(
        f"first caption after speech starts:                 p50 {partial['p50']} s  "
        f"p95 {partial['p95']} s  max {partial['max']} s"
    )
    print(
        "final latency by minute (p50 / p95):  "
        + "  ".join(
            f"{m}: {v['p50']}/{v['p95']}" for m, v in figures["final_latency_by_minute"].items()
        )
    )
    print(
        f"turns without a final caption: {figures['missed_turns']}; participants whose "
        f"connection ended early: {figures['participants_cut_off']}"
    )
    offline = figures["offline_wer"] or 1e-9
    print(
        f"WER  live {figures['live_wer']:.3f}   refined {figures['refined_wer']:.3f}   "
        f"plain faster-whisper {figures['offline_wer']:.3f}   "
        f"(live/offline {figures['live_wer'] / offline:.2f}, "
        f"refined/offline {figures['refined_wer'] / offline:.2f})"
    )
    server = figures["server"]
    print(
        f"server: CPU {server['cpu_percent']}% of one core (scripted clients on this machine: "
        f"{figures['clients_cpu_percent']}%), peak {server['peak_mb']:.0f} MB, "
        f"loop lag p99 {server['loop_lag']['p99_ms']} ms (max {server['loop_lag']['max_ms']})"
    )
    asr = server["asr"]
    print(
        f"ASR: {asr.get('finals_done')} finals, {asr.get('partials_done')} partials, "
        f"{asr.get('partials_superseded')} superseded, {asr.get('partials_shed')} shed, "
        f"worst final wait {asr.get('worst_final_wait_s')} s"
    )
    goal = "1.0" if sessions == 1 else "2.0"
    print(f"\ntargets: final p95 <= {goal} s, first partial <= 1.0 s, no latency growth, "
          "live WER <= 1.5 x offline, refined WER <= offline")  # fmt: skip


# -- the client process -----------------------------------------------------------------------
async def _clients(plan: dict[str, Any], out: Path) -> None:
    from server.bench.call_client import ScriptedParticipant, encode_opus, to_48k_frames
    from server.calls.sdp import UPLINK_PTIME_MS

    folder = Path(plan["folder"])
    audio = {role: np.load(folder / f"{role}.npy") for role in ("mentor", "mentee")}
    # Encoded once for every participant saying it, as the browsers' own encoders would:
    # the server's share of the machine is what this bench measures.
    opus = {role: encode_opus(to_48k_frames(a), UPLINK_PTIME_MS) for role, a in audio.items()}
    ws_base = plan["base"].replace("http", "ws")
    people: list[tuple[int, str, ScriptedParticipant]] = []
    for entry in plan["sessions"]:
        for role, cookie in zip(("mentor", "mentee"), entry["cookies"], strict=True):
            url = f"{ws_base}/ws/sessions/{entry['session_id']}"
            people.append(
                (
                    entry["session_id"],
                    role,
                    ScriptedParticipant(url, cookie, audio[role], opus=opus[role]),
                )
            )
    started = time.monotonic()
    await asyncio.gather(*(p.start() for _, _, p in people))
    length_s = len(audio["mentor"]) / SAMPLE_RATE_HZ
    # A participant whose connection died never finishes playing: do not wait for ever.
    await asyncio.wait(
        [asyncio.ensure_future(p.wait_sent()) for _, _, p in people], timeout=length_s + 30
    )
    await asyncio.sleep(2.0)
    ended = time.monotonic()
    report: dict[str, Any] = {
        "started": started,
        "ended": ended,
        "sessions": [],
        "unfinished": sum(
            1 for _, _, p in people if p.speech is None or not p.speech.played.is_set()
        ),
    }
    by_session: dict[int, dict[str, Any]] = {}
    for session_id, role, person in people:
        welcome = next((m for m in person.messages if m["type"] == "welcome"), None)
        by_session.setdefault(session_id, {"session_id": session_id})[role] = {
            "began": person.speech.began if person.speech else None,
            "welcome_clock_s": welcome["clock_s"] if welcome else None,
            "welcome_at": welcome["_received"] if welcome else None,
            "captions": [m for m in person.messages if m["type"] == "caption"],
        }
    report["sessions"] = list(by_session.values())
    await asyncio.gather(*(p.close() for _, _, p in people))
    await asyncio.to_thread(out.write_text, json.dumps(report))


if __name__ == "__main__":
    plan_path, out_path = sys.argv[1], sys.argv[2]
    asyncio.run(_clients(json.loads(Path(plan_path).read_text()), Path(out_path)))
