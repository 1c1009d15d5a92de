"""`tandem bench review`: the review page of a long recorded session in headless Chromium.

Builds a session of --minutes (default 60) of conversation (real mentoring sentences, word
timings and confidences, chat, action items, talk figures) with both people's recordings
mixed as after a call, serves it with `tandem serve`, and measures what a person waits for:
the page becoming interactive (its scripts ready; DOM-timed from navigation start) and the
audio playing after a click on a line (click → the <audio> element's "playing" event, a
seek by byte range). Targets: interactive < 1 s, playing < 0.3 s.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from media.audio import SAMPLE_RATE_HZ
from media.insight.analysis import analyze_conversation
from media.mix import mix_recordings, write_opus
from media.transcript import SpeechInterval, Transcript, Utterance, Word
from server.bench import CHROMIUM, CHROMIUM_ARGS, BenchInputError, percentiles
from server.bench.browser import PASSWORD, _prepare_people
from server.bench.call import log_in, serving
from server.bench.search import _sentences
from server.settings import Settings

TARGET_INTERACTIVE_MS = 1000.0
TARGET_PLAYING_MS = 300.0


def add_parser(sub: Any) -> None:
    parser = sub.add_parser("review", help="the review page of a long session, in Chromium")
    parser.add_argument("--minutes", type=float, default=60.0, help="length of the session")
    parser.add_argument("--loads", type=int, default=5, help="page loads timed")
    parser.add_argument("--clicks", type=int, default=12, help="clicks on lines timed")
    parser.add_argument("--seed", type=int, default=1)


def _session(data: Path, minutes: float, seed: int) -> int:
    from server.db.calls import add_chat, add_recording
    from server.db.engine import Database
    from server.db.store import save_transcript
    from server.db.tables import Mentorship, Session

    rng = random.Random(seed)
    sentences = _sentences()
    duration = minutes * 60
    utterances, speech = [], []
    at, turn = 1.0, 0
    while at < duration - 5:
        speaker = ("mentor", "mentee")[turn % 2]
        text = rng.choice(sentences)
        tokens = text.split()
        length = min(2.0 + 0.3 * len(tokens), 14.0)
        step = length / len(tokens)
        words = tuple(
            Word(("" if i == 0 else " ") + token, at + i * step, at + (i + 1) * step,
                 rng.choice((0.95, 0.9, 0.8, 0.4)))
            for i, token in enumerate(tokens)
        )  # fmt: skip
        utterances.append(Utterance(speaker, at, at + length, text, words))
        speech.append(SpeechInterval(speaker, at, at + length))
        at += length + rng.uniform(0.3, 1.5)
        turn += 1
    transcript = Transcript(duration, ["mentor", "mentee"], "tiny.en", "en", utterances, speech)
    settings = Settings.from_env({"TANDEM_DATA_DIR": str(data)})
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            mentorship = db.query(Mentorship).one()
            held = datetime(2026, 3, 2, 10, tzinfo=UTC)
            analysis = analyze_conversation(transcript, held.date(), settings.targets)
            session_id = save_transcript(db, transcript, f"{minutes:.0f}-minute session", held,
                                         mentorship.id, analysis)  # fmt: skip
            session = db.get(Session, session_id)
            assert session is not None
            session.started_at, session.status = held, "ended"
            for k in range(30):
                add_chat(db, session_id, mentorship.mentee_id, "mentee",
                         f"Note {k}: https://example.org/doc/{k}", duration * k / 30)  # fmt: skip
            print("  writing and mixing two recordings…", flush=True)
            folder = settings.recordings_dir / f"session-{session_id}"
            files = []
            for role in ("mentor", "mentee"):
                track = (np.random.default_rng(seed).standard_normal(
                    round(duration * SAMPLE_RATE_HZ)).astype(np.float32) * 0.003)  # fmt: skip
                for u in utterances:
                    if u.speaker == role:
                        a = round(u.start_s * SAMPLE_RATE_HZ)
                        b = min(round(u.end_s * SAMPLE_RATE_HZ), len(track))
                        t = np.arange(b - a, dtype=np.float32) / SAMPLE_RATE_HZ
                        pitch = 140.0 if role == "mentor" else 220.0
                        track[a:b] += 0.2 * np.sin(2 * np.pi * pitch * t)
                path = folder / f"{role}-1.ogg"
                write_opus(path, track)
                add_recording(db, session_id, role, str(path), 0.0)
                files.append((0.0, path))
            mix_recordings(files, folder / "both.ogg", duration)
            db.commit()
            return session_id
    finally:
        database.close()


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not 1 <= args.minutes <= 240 or args.loads < 1 or args.clicks < 1:
        raise BenchInputError("--minutes 1-240, --loads and --clicks at least 1")
    from playwright.sync_api import sync_playwright

    print(f"bench review: a {args.minutes:.0f}-minute recorded session in headless Chromium")
    with tempfile.TemporaryDirectory(prefix="tandem-bench-review-") as scratch:
        data = Path(scratch)
        _prepare_people(data)
        began = time.perf_counter()
        session_id = _session(data, args.minutes, args.seed)
        print(f"  prepared in {time.perf_counter() - began:.0f} s", flush=True)
        with serving(data) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
            )
            figures = _measure(browser, base, session_id, args)
            browser.close()
    _print(figures)
    return 0


READY = "() => performance.getEntriesByName('tandem-review-ready').length > 0"
TIME_READY = "() => performance.getEntriesByName('tandem-review-ready')[0].startTime"
CLICK = """async (index) => {
  const audio = document.getElementById('audio');
  const line = document.querySelectorAll('#transcript > li.speech')[index];
  audio.pause();
  await new Promise(r => setTimeout(r, 50));
  return await new Promise(resolve => {
    const t0 = performance.now();
    audio.addEventListener('playing', () => resolve(performance.now() - t0), {once: true});
    line.querySelector('.text').click();
  });
}"""


def _measure(browser: Any, base: str, session_id: int, args: argparse.Namespace) -> dict[str, Any]:
    page = browser.new_page()
    log_in(page, base, "mentee@bench.local", PASSWORD)
    ready: list[float] = []
    for _ in range(args.loads):
        page.goto(f"{base}/sessions/{session_id}")
        page.wait_for_function(READY)
        ready.append(float(page.evaluate(TIME_READY)))
    lines = int(page.evaluate("document.querySelectorAll('#transcript > li.speech').length"))
    size_kb = int(page.evaluate("document.documentElement.outerHTML.length")) // 1024
    rng = random.Random(args.seed)
    playing = [float(page.evaluate(CLICK, rng.randrange(lines))) for _ in range(args.clicks)]
    return {"ready": percentiles(ready), "playing": percentiles(playing), "lines": lines,
            "html_kb": size_kb}  # fmt: skip


def _print(f: dict[str, Any]) -> None:
    ready, playing = f["ready"], f["playing"]
    print(f"  {f['lines']} transcript lines, page {f['html_kb']} KB")
    print(f"interactive after navigation: p50 {ready['p50']:.0f} ms  max {ready['max']:.0f} ms  "
          f"(target < {TARGET_INTERACTIVE_MS:.0f} ms; p50/target "
          f"{ready['p50'] / TARGET_INTERACTIVE_MS:.2f})")  # fmt: skip
    print(f"click on a line -> playing:   p50 {playing['p50']:.0f} ms  p95 {playing['p95']:.0f} ms "
          f" max {playing['max']:.0f} ms  (target < {TARGET_PLAYING_MS:.0f} ms; p95/target "
          f"{playing['p95'] / TARGET_PLAYING_MS:.2f})")  # fmt: skip
