"""`tandem bench live --browser`: a call as the two people see it, measured in their browsers.

Two headless Chromium participants go through the real pages (log in, the mentor starts the
call from the home page, the mentee joins from theirs, both consent and join), each with a
speech file as microphone. The pages are instrumented from outside (an init script): the
microphone's loudness is sampled as the page hears it, to place the file on the browsers'
clock, and every caption span is logged from the DOM (a MutationObserver) with the time it
appeared. From that, per turn of the conversation (turns: see server.bench.conversation):

- final-caption latency: end of the turn's speech → its final caption on the *other* screen;
- first-caption latency: start of speech → the first caption (partial or final) of it there;
- turns without a final, and partials left on screen with no final;
- WER of the words left on screen at the end, against the reference (or, without one,
  against `tandem analyze` of the same file);
- refined WER vs `tandem analyze` (same model, beam and options as the refinement pass) on
  the same files;
- saved-time placement: where the saved turn starts (first word) sit against the speech.

Figures only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np

from media.audio import SAMPLE_RATE_HZ, FloatAudio
from server.bench import CHROMIUM, CHROMIUM_ARGS, percentiles
from server.bench.call import _free_port, _wait_healthy, process_usage
from server.bench.conversation import Conversation, Turn, built_in, from_files
from server.bench.wer import word_errors
from server.calls.refine import REFINE_BEAM
from server.settings import Settings

LEAD_S = 6.0  # silence before the conversation: both people are in the call when it starts
PASSWORD = "bench password, long enough"
#: A participant: fake camera, a speech file as microphone (added per browser).
CALL_ARGS = [
    *CHROMIUM_ARGS,
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]

#: Runs in each page before its own scripts: microphone loudness and a log of caption spans.
INSTRUMENT = """
(() => {
  const epoch = () => performance.timeOrigin + performance.now();
  const B = (window.__bench = { gum: null, mic: [], log: [], seen: new Map(), rate: null });
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    if (RAW && constraints.audio) {
      const raw = { echoCancellation: false, noiseSuppression: false, autoGainControl: false };
      const asked = constraints.audio === true ? {} : constraints.audio;
      constraints = { ...constraints, audio: { ...asked, ...raw } };
    }
    const stream = await original(constraints);
    if (B.gum === null && stream.getAudioTracks().length) {
      B.gum = epoch();
      const ctx = new AudioContext();
      B.rate = ctx.sampleRate;
      const source = ctx.createMediaStreamSource(stream);
      const tap = ctx.createScriptProcessor(1024, 1, 1);
      tap.onaudioprocess = (e) => {
        const data = e.inputBuffer.getChannelData(0);
        let sum = 0;
        for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
        B.mic.push([epoch() - (1000 * data.length) / ctx.sampleRate, Math.sqrt(sum / data.length)]);
      };
      const mute = ctx.createGain();
      mute.gain.value = 0;
      source.connect(tap);
      tap.connect(mute);
      mute.connect(ctx.destination);
      B.ctx = ctx;
    }
    return stream;
  };
  const record = () => {
    const panel = document.getElementById("captions");
    if (!panel) return;
    const t = epoch();
    panel.querySelectorAll(".caption .words > span").forEach((span) => {
      const kind = span.classList.contains("final") ? "final" : "partial";
      const key = `${kind}|${span.dataset.key || span.dataset.id}`;
      const text = span.textContent;
      if (B.seen.get(key) === text) return;
      B.seen.set(key, text);
      B.log.push({
        t, kind, key, speaker: span.closest(".caption").dataset.speaker,
        start: Number(span.dataset.start),
        end: Number(span.dataset.end || span.dataset.start),
        text,
      });
    });
  };
  document.addEventListener("DOMContentLoaded", () => {
    const panel = document.getElementById("captions");
    const what = { childList: true, subtree: true, characterData: true };
    if (panel) new MutationObserver(record).observe(panel, what);
  });
})();
"""

#: Bytes of audio the browser has sent the server so far, and when.
UPLINK_SENT = """async () => {
  let bytes = 0;
  (await window.tandemCall.uplink.getStats()).forEach((r) => {
    if (r.type === "outbound-rtp" && r.kind === "audio") bytes = r.bytesSent;
  });
  return [bytes, performance.now()];
}"""

SCREEN = """() => [...document.querySelectorAll('#captions .caption')].map(line => ({
  speaker: line.dataset.speaker,
  visible: line.offsetParent !== null || line.closest('#captions').hidden === false,
  spans: [...line.querySelectorAll('.words > span')].map(s => ({
    kind: s.classList.contains('final') ? 'final' : 'partial', text: s.textContent,
    start: Number(s.dataset.start), end: Number(s.dataset.end || s.dataset.start)})),
}))"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("browser mode (--browser)")
    group.add_argument(
        "--browser",
        action="store_true",
        help="two headless Chromium participants through the real pages",
    )
    group.add_argument(
        "--track",
        action="append",
        metavar="NAME=FILE",
        help="a recording of one person (twice: mentor and mentee)",
    )
    group.add_argument("--stereo", metavar="FILE", help="one recording, mentor left, mentee right")
    group.add_argument(
        "--reference",
        action="append",
        metavar="NAME=TEXTFILE",
        default=[],
        help="what that person says (for WER; default: tandem analyze's text)",
    )
    group.add_argument(
        "--mode",
        choices=("auto", "p2p", "relay"),
        default="auto",
        help="media mode of the call (default auto: peer-to-peer)",
    )
    group.add_argument(
        "--cpu-load",
        type=int,
        default=0,
        metavar="N",
        help="busy processes beside the call, to measure a loaded machine",
    )
    group.add_argument("--seed", type=int, default=7, help="built-in conversation variant")
    group.add_argument(
        "--raw-microphone",
        action="store_true",
        help="ask the browsers for unprocessed audio (no echo cancellation, noise suppression "
        "or gain control), to tell their effect from Tandem's",
    )


def _conversation(args: argparse.Namespace) -> Conversation:
    from media.sources import parse_track, stereo_sources

    references = {}
    for spec in args.reference:
        name, _, path = spec.partition("=")
        references[name] = Path(path).expanduser()
    if args.stereo:
        return from_files(stereo_sources(Path(args.stereo), "mentor,mentee"), references, LEAD_S)
    if args.track:
        sources = [parse_track(spec) for spec in args.track]
        if sorted(s.speaker for s in sources) != ["mentee", "mentor"]:
            raise SystemExit(
                "tandem bench live --browser: give --track mentor=FILE and --track mentee=FILE"
            )
        return from_files(sources, references, LEAD_S)
    return built_in(args.minutes, LEAD_S, seed=args.seed)


def _burn(stop_at: float) -> None:
    while time.monotonic() < stop_at:
        sum(i * i for i in range(10_000))


def run(args: argparse.Namespace, settings: Settings) -> int:
    from server.bench.speech import write_wav

    conversation = _conversation(args)
    print(f"bench live --browser: {conversation.description}")
    print(
        f"  {conversation.duration_s / 60:.1f} min, {len(conversation.turns)} turns, model "
        f"{settings.model}, mode {args.mode}, {args.cpu_load} busy process(es) beside\n"
    )
    with tempfile.TemporaryDirectory(prefix="tandem-bench-browser-") as scratch:
        data = Path(scratch)
        wavs = {}
        for role, audio in conversation.tracks.items():
            wavs[role] = data / f"{role}.wav"
            write_wav(wavs[role], audio)
        _prepare_people(data)
        port = _free_port()
        env = {
            **os.environ,
            "TANDEM_DATA_DIR": str(data),
            "TANDEM_MEDIA_MODE": args.mode,
            "TANDEM_ROOM_GRACE_S": "2",
            "TANDEM_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
        server_log = Path(args.server_log) if args.server_log else data / "server.log"
        with server_log.open("w") as log_file:
            server = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "-v", "serve", "--port", str(port)],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        burners: list[multiprocessing.Process] = []
        try:
            _wait_healthy(base, server)
            stop_at = time.monotonic() + conversation.duration_s + 120
            burners = [
                multiprocessing.Process(target=_burn, args=(stop_at,), daemon=True)
                for _ in range(args.cpu_load)
            ]
            for burner in burners:
                burner.start()
            before, started = process_usage(server.pid), time.monotonic()
            seen = asyncio.run(_call(base, wavs, conversation.duration_s, args.raw_microphone))
            after, ended = process_usage(server.pid), time.monotonic()
            saved = _wait_refined(data, seen["session_id"], within_s=conversation.duration_s * 3)
        finally:
            for burner in burners:
                burner.terminate()
            server.terminate()
            server.wait(timeout=60)
        offline = _offline(conversation, settings, REFINE_BEAM)
        offline_beam1 = _offline(conversation, settings, 1)
    figures = measure(conversation, seen, saved, offline)
    figures["offline_beam1_wer"] = {
        s: round(word_errors(conversation.references.get(s) or offline[s], text).wer, 4)
        for s, text in offline_beam1.items()
    }
    figures["server"] = {
        "cpu_percent": round((after.cpu_s - before.cpu_s) / (ended - started) * 100, 1),
        "peak_mb": round(after.peak_mb),
    }
    figures["browsers_cpu_percent"] = seen["browsers_cpu_percent"]
    figures["uplink_kbps"] = seen["uplink_kbps"]
    _print(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


def _prepare_people(data: Path) -> None:
    from server.auth import add_person, hash_password
    from server.db.directory import create_mentorship
    from server.db.engine import Database

    settings = Settings.from_env({"TANDEM_DATA_DIR": str(data)})
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            for email, name, role in (
                ("admin@bench.local", "Admin", "admin"),
                ("mentor@bench.local", "Mira Mentor", "mentor"),
                ("mentee@bench.local", "Theo Mentee", "mentee"),
            ):
                add_person(db, email, name, role).password_hash = hash_password(PASSWORD)
            db.commit()
            create_mentorship(db, "mentor@bench.local", "mentee@bench.local")
    finally:
        database.close()


async def _call(
    base: str, wavs: dict[str, Path], duration_s: float, raw_microphone: bool
) -> dict[str, Any]:
    from playwright.async_api import Page, async_playwright

    async def login(page: Page, email: str) -> None:
        await page.goto(f"{base}/login")
        await page.fill("#email", email)
        await page.fill("#password", PASSWORD)
        await page.click("button:has-text('Log in')")
        await page.wait_for_url(f"{base}/")

    async with async_playwright() as playwright:
        browsers = {
            role: await playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[*CALL_ARGS, f"--use-file-for-fake-audio-capture={wav}%noloop"],
            )
            for role, wav in wavs.items()
        }
        pages: dict[str, Page] = {}
        for role, browser in browsers.items():
            context = await browser.new_context(bypass_csp=True)
            raw = "true" if raw_microphone else "false"
            await context.add_init_script(f"const RAW = {raw};\n{INSTRUMENT}")
            pages[role] = await context.new_page()
            await login(pages[role], f"{role}@bench.local")
        mentor, mentee = pages["mentor"], pages["mentee"]
        # The mentor starts the call from the home page; the mentee sees it and joins.
        await mentor.click("button:has-text('Start a call')")
        await mentor.wait_for_url(f"{base}/sessions/*/call")
        session_id = int(mentor.url.rstrip("/").split("/")[-2])
        for _ in range(60):
            await mentee.goto(f"{base}/")
            join = mentee.locator(f"a[href='/sessions/{session_id}/call']")
            if await join.count():
                await join.first.click()
                break
            await asyncio.sleep(0.5)
        await mentee.wait_for_url(f"{base}/sessions/{session_id}/call")
        for page in pages.values():
            await page.check("#record")
        # Both press Join at the same moment, so their recordings start together.
        await asyncio.gather(*(page.click("#join") for page in pages.values()))
        for page in pages.values():
            await page.wait_for_selector("#call:not([hidden])", timeout=30_000)
        sent_before = {role: await page.evaluate(UPLINK_SENT) for role, page in pages.items()}
        pids = _chromium_pids()
        cpu_before, wall_before = _cpu_s(pids), time.monotonic()
        gum = {role: await page.evaluate("window.__bench.gum") for role, page in pages.items()}
        started_epoch = min(g for g in gum.values() if g) / 1000
        await asyncio.sleep(max(0.0, started_epoch + duration_s + 4.0 - time.time()))
        browsers_cpu = (_cpu_s(pids) - cpu_before) / (time.monotonic() - wall_before) * 100
        uplink_kbps = {}  # the average over the call: speech and silence alike
        for role, page in pages.items():
            (b0, t0), (b1, t1) = sent_before[role], await page.evaluate(UPLINK_SENT)
            uplink_kbps[role] = round(8 * (b1 - b0) / (t1 - t0), 1)
        seen: dict[str, Any] = {
            "session_id": session_id,
            "pages": {},
            "browsers_cpu_percent": round(browsers_cpu, 1),
            "uplink_kbps": uplink_kbps,
        }
        for role, page in pages.items():
            bench = await page.evaluate(
                "({gum: __bench.gum, mic: __bench.mic, log: __bench.log, rate: __bench.rate})"
            )
            bench["screen"] = await page.evaluate(SCREEN)
            seen["pages"][role] = bench
        mentor.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await mentor.click("#end")
        await mentor.wait_for_selector("#after:not([hidden])", timeout=20_000)
        for browser in browsers.values():
            await browser.close()
    return seen


def _chromium_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if "chromium" in (entry / "comm").read_text():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _cpu_s(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += process_usage(pid).cpu_s
        except (OSError, KeyError, IndexError):
            continue
    return total


def _wait_refined(data: Path, session_id: int, within_s: float) -> dict[str, Any]:
    from sqlalchemy import select

    from server.db.engine import Database
    from server.db.tables import Session, UtteranceRow

    database = Database.open(Settings.from_env({"TANDEM_DATA_DIR": str(data)}).database_url)
    deadline = time.monotonic() + within_s
    try:
        while time.monotonic() < deadline:
            with database.sessions() as db:
                session = db.get(Session, session_id)
                if session is not None and session.refine_status in ("done", "failed"):
                    break
            time.sleep(1)
        with database.sessions() as db:
            session = db.get(Session, session_id)
            assert session is not None
            started = session.started_at
            assert started is not None
            rows = db.scalars(select(UtteranceRow).where(UtteranceRow.session_id == session_id))
            utterances = [
                {
                    "source": r.source,
                    "speaker": r.speaker,
                    "start": r.start_s,
                    "end": r.end_s,
                    "text": r.text,
                    "words": r.words or [],
                }
                for r in rows
            ]
            return {
                "started_epoch": (
                    started if started.tzinfo else started.replace(tzinfo=UTC)
                ).timestamp(),
                "refine_status": session.refine_status,
                "utterances": utterances,
            }
    finally:
        database.close()


def _offline(conversation: Conversation, settings: Settings, beam: int) -> dict[str, str]:
    """What `tandem analyze --beam N` makes of the same files (beam 5: as the refinement pass
    decodes; beam 1: analyze's default)."""
    from media.models import ModelStore
    from media.pipeline import Track, analyze_tracks
    from media.transcriber import DecodeOptions, load_model

    store = ModelStore(settings.model_store_dir, settings.model_dirs)
    info = store.resolve(settings.refine_model or settings.model)
    model = load_model(info, settings.compute_type, settings.cpu_threads)
    tracks = [Track(s, a) for s, a in conversation.tracks.items()]
    transcript = analyze_tracks(
        tracks, model, DecodeOptions(beam_size=beam, language=info.default_language)
    )
    return {
        s: " ".join(u.text for u in transcript.utterances if u.speaker == s)
        for s in conversation.tracks
    }


# -- measuring ---------------------------------------------------------------------------------
def file_offset(page: dict[str, Any], audio: FloatAudio) -> float:
    """Epoch seconds at which the page's microphone played the file's first sample.

    The loudness the page heard is matched against the file's own loudness around the
    moment getUserMedia returned (when Chromium starts playing the file)."""
    mic = np.asarray(page["mic"], dtype=np.float64)
    gum = float(page["gum"]) / 1000
    if mic.size == 0:
        return gum
    times, levels = mic[:, 0] / 1000, mic[:, 1]
    hop = SAMPLE_RATE_HZ // 100
    frames = len(audio) // hop
    file_rms = np.sqrt((audio[: frames * hop].reshape(frames, hop) ** 2).mean(axis=1))
    best, best_score = gum, -np.inf
    for candidate in np.arange(gum - 0.5, gum + 1.5, 0.005):
        index = np.round((times - candidate) * 100).astype(int)
        ok = (index >= 0) & (index < frames)
        if ok.sum() < 50:
            continue
        a, b = levels[ok], file_rms[index[ok]]
        if a.std() == 0 or b.std() == 0:
            continue
        score = float(np.corrcoef(a, b)[0, 1])
        if score > best_score:
            best, best_score = float(candidate), score
    return best


def _assign(turns: list[Turn], start_s: float, end_s: float) -> int | None:
    """The turn (index) a caption or saved utterance belongs to: the most overlap."""
    best, overlap_best = None, 0.0
    for i, turn in enumerate(turns):
        overlap = min(end_s + 0.3, turn.end_s) - max(start_s - 0.3, turn.start_s)
        if overlap > overlap_best:
            best, overlap_best = i, overlap
    return best


@dataclass(frozen=True)
class _Clock:
    """Conversation (file) time of each person → session time."""

    file_epoch: dict[str, float]
    session_epoch: float

    def session_s(self, speaker: str, file_s: float) -> float:
        return self.file_epoch[speaker] + file_s - self.session_epoch


def measure(
    conversation: Conversation,
    seen: dict[str, Any],
    saved: dict[str, Any],
    offline: dict[str, str],
) -> dict[str, Any]:
    pages = seen["pages"]
    clock = _Clock(
        {s: file_offset(pages[s], a) for s, a in conversation.tracks.items()},
        saved["started_epoch"],
    )
    # Turns on the session clock.
    turns = [
        Turn(t.speaker, clock.session_s(t.speaker, t.start_s), clock.session_s(t.speaker, t.end_s))
        for t in conversation.turns
    ]
    speakers = list(conversation.tracks)
    other = {speakers[0]: speakers[1], speakers[1]: speakers[0]}
    final_latency, first_latency, missed, per_turn = [], [], 0, []
    last_end = max((e["t"] / 1000 for p in pages.values() for e in p["log"]), default=float("inf"))
    for index, turn in enumerate(turns):
        listener = pages[other[turn.speaker]]
        ours = [
            e
            for e in listener["log"]
            if e["speaker"] == turn.speaker
            and _assign([t for t in turns if t.speaker == turn.speaker], e["start"], e["end"])
            == [t for t in turns if t.speaker == turn.speaker].index(turn)
        ]
        end_epoch = turn.end_s + clock.session_epoch
        start_epoch = turn.start_s + clock.session_epoch
        if end_epoch > last_end - 3:
            continue  # still being spoken when the call ended
        finals = [e for e in ours if e["kind"] == "final"]
        row: dict[str, Any] = {
            "turn": index,
            "speaker": turn.speaker,
            "speech_s": round(turn.end_s - turn.start_s, 2),
        }
        if ours:
            first = min(e["t"] for e in ours) / 1000 - start_epoch
            first_latency.append(first)
            row["first_s"] = round(first, 3)
        if finals:
            final = max(e["t"] for e in finals) / 1000 - end_epoch
            final_latency.append(final)
            row["final_s"] = round(final, 3)
        else:
            missed += 1
        per_turn.append(row)
    screen_wer, refined_wer, offline_wer, references = {}, {}, {}, {}
    refined_text = {
        s: " ".join(
            u["text"]
            for u in sorted(saved["utterances"], key=lambda u: u["start"])
            if u["source"] == "refined" and u["speaker"] == s
        )
        for s in speakers
    }
    leftover = 0
    for s in speakers:
        reference = conversation.references.get(s) or offline[s]
        references[s] = "given" if conversation.references.get(s) else "tandem analyze"
        on_screen = " ".join(
            span["text"]
            for line in pages[other[s]]["screen"]
            if line["speaker"] == s
            for span in line["spans"]
        )
        leftover += sum(
            1
            for line in pages[other[s]]["screen"]
            for span in line["spans"]
            if span["kind"] == "partial"
        )
        screen_wer[s] = round(word_errors(reference, on_screen).wer, 4)
        refined_wer[s] = round(word_errors(reference, refined_text[s]).wer, 4)
        offline_wer[s] = round(word_errors(reference, offline[s]).wer, 4)
    placement = {src: _placement(turns, saved["utterances"], src) for src in ("live", "refined")}
    texts = {
        s: {
            "reference": conversation.references.get(s),
            "on_screen": " ".join(
                span["text"].strip()
                for line in pages[other[s]]["screen"]
                if line["speaker"] == s
                for span in line["spans"]
            ),
            "refined": refined_text[s],
            "offline": offline[s],
        }
        for s in speakers
    }
    return {
        "turns": len(turns),
        "final_latency_s": percentiles(final_latency),
        "first_caption_s": percentiles(first_latency),
        "turns_without_final": missed,
        "partials_left_on_screen": leftover,
        "wer_reference": references,
        "screen_wer": screen_wer,
        "refined_wer": refined_wer,
        "offline_wer": offline_wer,
        "placement": placement,
        "refine_status": saved["refine_status"],
        "file_offsets_s": {
            s: round(clock.file_epoch[s] - float(pages[s]["gum"]) / 1000, 3) for s in speakers
        },
        "per_turn": per_turn,
        "texts": texts,
    }


def _placement(turns: list[Turn], utterances: list[dict[str, Any]], source: str) -> dict[str, Any]:
    """Saved start of each turn (its earliest word) minus where its speech starts."""
    starts: dict[int, float] = {}
    for u in utterances:
        if u["source"] != source:
            continue
        begin = u["words"][0]["start"] if u["words"] else u["start"]
        own = [t for t in turns if t.speaker == u["speaker"]]
        index = _assign(own, u["start"], u["end"])
        if index is None:
            continue
        key = turns.index(own[index])
        starts[key] = min(starts.get(key, begin), begin)
    offsets = [starts[i] - turns[i].start_s for i in sorted(starts)]
    tenth = max(1, len(offsets) // 5)
    return {
        "abs_s": percentiles([abs(o) for o in offsets]),
        "mean_s": round(float(np.mean(offsets)), 3) if offsets else None,
        "within_0_3_s": round(sum(abs(o) <= 0.3 for o in offsets) / len(offsets), 3)
        if offsets
        else None,
        "first_fifth_mean_s": round(float(np.mean(offsets[:tenth])), 3) if offsets else None,
        "last_fifth_mean_s": round(float(np.mean(offsets[-tenth:])), 3) if offsets else None,
        "turns_found": len(offsets),
    }


def _print(f: dict[str, Any]) -> None:
    final, first = f["final_latency_s"], f["first_caption_s"]
    print(
        f"final caption on the other screen after speech ends:  p50 {final['p50']} s  "
        f"p95 {final['p95']} s  max {final['max']} s  ({final['n']} turns)"
    )
    print(
        f"first caption after speech starts:                   p50 {first['p50']} s  "
        f"p95 {first['p95']} s  max {first['max']} s"
    )
    print(
        f"turns without a final caption: {f['turns_without_final']}; partials left on "
        f"screen: {f['partials_left_on_screen']}"
    )
    for s in f["screen_wer"]:
        if f["wer_reference"][s] != "given":
            print(
                f"{s:>7}: no reference transcript; words differing from tandem analyze: "
                f"on screen {f['screen_wer'][s]:.3f}, refined {f['refined_wer'][s]:.3f}"
            )
            continue
        off = f["offline_wer"][s] or 1e-9
        print(
            f"{s:>7}: WER on screen {f['screen_wer'][s]:.3f}  refined {f['refined_wer'][s]:.3f}"
            f"  tandem analyze --beam 5 {f['offline_wer'][s]:.3f} (beam 1: "
            f"{f['offline_beam1_wer'][s]:.3f})  on screen/offline "
            f"{f['screen_wer'][s] / off:.2f}, refined/offline {f['refined_wer'][s] / off:.2f}"
        )
    for source, p in f["placement"].items():
        print(
            f"saved turn starts ({source}): |offset| p50 {p['abs_s']['p50']} s  p95 "
            f"{p['abs_s']['p95']} s  max {p['abs_s']['max']} s, mean {p['mean_s']} s, within "
            f"0.3 s {p['within_0_3_s']}; mean first/last fifth {p['first_fifth_mean_s']} / "
            f"{p['last_fifth_mean_s']} s  ({p['turns_found']} turns)"
        )
    print(
        f"server CPU {f['server']['cpu_percent']}% of one core, peak {f['server']['peak_mb']} MB;"
        f" both browsers {f['browsers_cpu_percent']}%; refinement {f['refine_status']}; "
        f"uplink audio kbit/s {f['uplink_kbps']}"
    )
    print(
        "\ntargets (one call, 2 cores): final p95 <= 1.0 s, first caption p95 <= 1.0 s, 0 turns "
        "without a final, on-screen WER <= 1.5x offline, refined <= 1.1x offline, saved turn "
        "starts within 0.3 s"
    )
