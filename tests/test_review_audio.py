"""Listening to a recorded session: the API serves both voices mixed on the session clock,
by byte range, only to people who may read the transcript; the review page plays from the
line a person clicks (real headless Chromium, checked on the <audio> element itself)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect, sync_playwright

from media.audio import SAMPLE_RATE_HZ, decode_file
from media.mix import write_opus
from media.transcript import SpeechInterval, Transcript, Utterance
from server.bench.speech import Dialogue, Line, render_dialogue
from server.db.calls import add_recording
from server.db.engine import Database
from server.db.store import save_transcript
from server.db.tables import Mentorship, Session
from server.settings import Settings
from tests.auth_helpers import (
    PASSWORD,
    Account,
    Server,
    add_account,
    make_mentorship,
    running,
)
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve

VOICES = {"mentor": "en-us+m3", "mentee": "en-gb+f2"}
LINES = (
    Line("mentor", "Good morning. How was the week?"),
    Line("mentee", "Busy, but the launch went out on time."),
    Line("mentor", "Well done. What would you change next time?"),
    Line("mentee", "I would test the rollback plan earlier."),
)
PLAYING = re.compile(r"\bplaying\b")
#: The mentee's connection (and so her recording) started later than the mentor's.
MENTEE_RECORDING_START_S = 1.5


@dataclass(frozen=True)
class Recorded:
    mentor: Account
    mentee: Account
    trainer: Account
    mentorship: int
    session: int
    dialogue: Dialogue


@pytest.fixture(scope="module")
def dialogue() -> Dialogue:
    return render_dialogue(LINES, VOICES, lead_s=1.0, tail_s=1.0)


def _record(settings: Settings, database: Database, dialogue: Dialogue) -> Recorded:
    mentor = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
    mentee = add_account(database, "tom@example.org", "Tom Mentee", "mentee")
    trainer = add_account(database, "tara@example.org", "Tara Trainer", "trainer")
    mentorship = make_mentorship(database, mentor, mentee, trainer)
    utterances = [Utterance(li.speaker, li.start_s, li.end_s, li.text) for li in dialogue.lines]
    speech = [SpeechInterval(u.speaker, u.start_s, u.end_s) for u in utterances]
    transcript = Transcript(
        dialogue.duration_s, ["mentor", "mentee"], "tiny.en", "en", utterances, speech
    )
    with database.sessions() as db:
        session_id = save_transcript(
            db, transcript, "Weekly call", datetime(2026, 3, 2, 10, tzinfo=UTC), mentorship
        )
        row = db.get(Session, session_id)
        assert row is not None
        row.started_at, row.status = row.held_at, "ended"
        folder = settings.recordings_dir / f"session-{session_id}"
        for role, start_s in (("mentor", 0.0), ("mentee", MENTEE_RECORDING_START_S)):
            track = dialogue.tracks[role][round(start_s * SAMPLE_RATE_HZ) :]
            path = folder / f"{role}-1.ogg"
            write_opus(path, track)
            add_recording(db, session_id, role, str(path), start_s)
        db.commit()
    return Recorded(mentor, mentee, trainer, mentorship, session_id, dialogue)


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


def _loudness(audio: np.ndarray, start_s: float, end_s: float) -> float:
    piece = audio[round(start_s * SAMPLE_RATE_HZ) : round(end_s * SAMPLE_RATE_HZ)]
    return float(np.sqrt(np.mean(piece**2))) if piece.size else 0.0


def test_the_mix_holds_both_voices_where_they_spoke_served_by_range(
    server: Server, settings: Settings, database: Database, dialogue: Dialogue, tmp_path: Path
) -> None:
    recorded = _record(settings, database, dialogue)
    url = f"/api/sessions/{recorded.session}/audio"
    mentee = server.logged_in(recorded.mentee)
    whole = mentee.get(url)
    assert whole.status_code == 200, whole.text
    assert whole.headers["content-type"] == "audio/ogg"
    assert whole.headers["accept-ranges"] == "bytes"
    out = tmp_path / "both.ogg"
    out.write_bytes(whole.content)
    mixed = decode_file(out).channels[0]
    assert abs(len(mixed) / SAMPLE_RATE_HZ - dialogue.duration_s) < 0.2
    # Every line is loud where it was said, on the session clock (the mentee's recording
    # started 1.5 s late and is placed there), and the pauses between lines stay quiet.
    for line in dialogue.lines:
        assert _loudness(mixed, line.start_s + 0.1, line.end_s - 0.1) > 0.02, line
    quiet = _loudness(mixed, 0.0, dialogue.lines[0].start_s - 0.2)
    assert quiet < 0.005

    part = mentee.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-1099/{len(whole.content)}"
    assert part.content == whole.content[100:1100]


def test_audio_reaches_only_those_who_may_read_the_transcript(
    server: Server, settings: Settings, database: Database, dialogue: Dialogue
) -> None:
    recorded = _record(settings, database, dialogue)
    url = f"/api/sessions/{recorded.session}/audio"
    trainer = server.logged_in(recorded.trainer)
    assert trainer.get(url).status_code == 403
    outsider = server.logged_in(add_account(database, "otto@example.org", "Otto", "mentor"))
    assert outsider.get(url).status_code == 404
    assert server.browser().get(url).status_code == 401
    with database.sessions() as db:
        mentorship = db.get(Mentorship, recorded.mentorship)
        assert mentorship is not None
        mentorship.mentor_shares = mentorship.mentee_shares = True
        db.commit()
    assert trainer.get(url).status_code == 200


def test_a_session_without_consent_has_no_audio_and_says_why(
    server: Server, database: Database
) -> None:
    mentor = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
    mentee = add_account(database, "tom@example.org", "Tom Mentee", "mentee")
    mentorship = make_mentorship(database, mentor, mentee)
    transcript = Transcript(5.0, ["mentor"], "tiny.en", "en",
                            [Utterance("mentor", 0.5, 2.0, "Hello there.")], [])  # fmt: skip
    with database.sessions() as db:
        session_id = save_transcript(
            db, transcript, "Unrecorded", datetime(2026, 3, 2, tzinfo=UTC), mentorship
        )
        row = db.get(Session, session_id)
        assert row is not None
        row.started_at, row.status = row.held_at, "ended"
        db.commit()
    browser = server.logged_in(mentor)
    refused = browser.get(f"/api/sessions/{session_id}/audio")
    assert refused.status_code == 404 and "agree to recording" in refused.json()["error"]
    page = browser.get(f"/sessions/{session_id}").text
    assert 'id="no-audio"' in page and "<audio" not in page


@pytest.mark.slow
def test_clicking_a_line_plays_the_call_from_there(
    env: dict[str, str], settings: Settings, tmp_path: Path, dialogue: Dialogue
) -> None:
    database = Database.open(settings.database_url)
    try:
        recorded = _record(settings, database, dialogue)
    finally:
        database.close()
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        browser = launch_chromium(playwright, ("--autoplay-policy=no-user-gesture-required",))
        page = browser.new_page()
        log_in_page(page, base, recorded.mentee.email, PASSWORD)
        page.goto(f"{base}/sessions/{recorded.session}")
        expect(page.locator("#player")).to_be_visible()
        third = dialogue.lines[2]
        page.click("#transcript > li.speech:nth-child(3) .text")
        expect(page.locator("#play")).to_have_text("Pause")
        expect(page.locator("#transcript > li:nth-child(3)")).to_have_class(PLAYING)
        now = page.evaluate("document.getElementById('audio').currentTime")
        assert third.start_s - 0.1 <= now <= third.start_s + 1.5, now
        assert not page.evaluate("document.getElementById('audio').paused")
        page.select_option("#speed", "2")
        assert page.evaluate("document.getElementById('audio').playbackRate") == 2
        # It plays on into the next line, which then becomes the highlighted one.
        expect(page.locator("#transcript > li:nth-child(4)")).to_have_class(PLAYING, timeout=15_000)
        assert page.locator("#transcript li.playing").count() == 1
        page.screenshot(path=screenshot_path("review-playing"), full_page=True)
        page.click("#play")
        expect(page.locator("#play")).to_have_text("Play")
        assert page.evaluate("document.getElementById('audio').paused")
        browser.close()
