"""Calls in real headless Chromium: two people with fake cameras and speech files as
microphones meet peer to peer and through the server's relay. Screenshots go to
test-artifacts/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy import select

from media.audio import SAMPLE_RATE_HZ, decode_file
from media.vad import detect_speech
from server.auth import add_person, hash_password
from server.bench.speech import Line, render_dialogue, write_wav
from server.bench.wer import normalise, word_errors
from server.db.calls import start_session
from server.db.directory import create_mentorship
from server.db.engine import Database
from server.db.tables import Participant, Session, UtteranceRow
from server.settings import Settings
from tests.browser import RunningServer, launch_chromium, log_in_page, screenshot_path, serve

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"
LEAD_S = 6.0  # silence before the speech, so both have joined before anyone talks
VOICES = {"mentor": "en-us+m3", "mentee": "en-us"}


@dataclass
class CallSetup:
    session_id: int
    other_session_id: int
    mentor_wav: Path
    mentee_wav: Path
    speech_s: dict[str, float]
    texts: dict[str, str]


def _prepare(settings: Settings, folder: Path) -> CallSetup:
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            for email, name, role in (
                ("mira@example.org", "Mira Mentor", "mentor"),
                ("tom@example.org", "Tom Mentee", "mentee"),
                ("otto@example.org", "Otto Outsider", "mentee"),
                ("olga@example.org", "Olga Other", "mentor"),
            ):
                person = add_person(db, email, name, role)
                person.password_hash = hash_password(PASSWORD)
            db.commit()
            ours = create_mentorship(db, "mira@example.org", "tom@example.org")
            theirs = create_mentorship(db, "olga@example.org", "otto@example.org")
            session_id = start_session(db, ours).id
            other_session_id = start_session(db, theirs).id
    finally:
        database.close()
    # The mentor's long turn; the mentee says "Yeah." over its last words, then answers.
    question = ("How did the design review go? Tell me what surprised you, and which of the "
                "questions you would answer differently next time.")  # fmt: skip
    answer = "It went well. The team asked good questions about the rollout."
    probe = render_dialogue([Line("mentor", question)], VOICES, lead_s=0.0, tail_s=0.0)
    overlap_at = probe.lines[0].end_s - 0.7
    dialogue = render_dialogue(
        [Line("mentor", question, at_s=0.0), Line("mentee", "Yeah.", at_s=overlap_at),
         Line("mentee", answer, at_s=overlap_at + 2.0)],
        VOICES, lead_s=0.0, tail_s=3.0,
    )  # fmt: skip
    mentor_wav, mentee_wav = folder / "mentor.wav", folder / "mentee.wav"
    lead = np.zeros(int(LEAD_S * SAMPLE_RATE_HZ), np.float32)
    speech: dict[str, float] = {}
    for role, wav in (("mentor", mentor_wav), ("mentee", mentee_wav)):
        write_wav(wav, np.concatenate([lead, dialogue.tracks[role]]))
        speech[role] = sum(i.end_s - i.start_s for i in detect_speech(dialogue.tracks[role]))
    texts = {"mentor": question, "mentee": f"Yeah. {answer}"}
    return CallSetup(session_id, other_session_id, mentor_wav, mentee_wav, speech, texts)


def _browser(playwright: Playwright, wav: Path) -> Browser:
    return launch_chromium(
        playwright,
        (
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}%noloop",
            "--autoplay-policy=no-user-gesture-required",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
        ),
    )


def _login(page: Page, base: str, email: str) -> None:
    log_in_page(page, base, email, PASSWORD)


def _join(page: Page, base: str, session_id: int) -> None:
    page.goto(f"{base}/sessions/{session_id}/call")
    assert "transcribed there, on this machine" in page.inner_text("#consent")
    assert page.is_hidden("#call")
    page.check("#record")
    page.click("#join")
    page.wait_for_selector("#call:not([hidden])")


def _remote_video_advances(page: Page) -> bool:
    first = page.evaluate("document.getElementById('remote').currentTime")
    time.sleep(1.0)
    second = page.evaluate("document.getElementById('remote').currentTime")
    width = page.evaluate("document.getElementById('remote').videoWidth")
    return bool(width > 0 and second > first)


RECORD_FINALS = """
window.__finals = [];
document.addEventListener('tandem-message', e => {
  if (e.detail.type === 'caption' && e.detail.final) window.__finals.push(e.detail);
});
"""

#: The caption lines on screen: speaker, label, start, settled sentences, tentative words.
SCREEN = """() => [...document.querySelectorAll('#captions .caption')].map(line => ({
  speaker: line.dataset.speaker, who: line.querySelector('.who').textContent.trim(),
  start: Number(line.dataset.start),
  finals: [...line.querySelectorAll('.words > .final')].map(s => s.textContent.trim()),
  partials: [...line.querySelectorAll('.words > .partial')].map(s => s.textContent.trim()),
}))"""

AUDIO_RECEIVED = """async () => {
  const s = window.tandemCall;
  const pc = s.mode === 'relay' ? s.relay : s.p2p;
  if (!pc) return 0;
  let packets = 0;
  (await pc.getStats()).forEach(r => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') packets += r.packetsReceived;
  });
  const track = document.getElementById('remote').srcObject?.getAudioTracks()[0];
  return track && track.readyState === 'live' ? packets : 0;
}"""


@pytest.fixture
def call_env(env: dict[str, str]) -> Iterator[dict[str, str]]:
    yield {**env, "TANDEM_ROOM_GRACE_S": "1", "TANDEM_TARGET_MONOLOGUE_S": "5"}


@pytest.mark.parametrize("mode", ["auto", "relay"])
def test_two_people_see_and_hear_each_other(
    call_env: dict[str, str], tmp_path: Path, mode: str
) -> None:
    env = {**call_env, "TANDEM_MEDIA_MODE": mode}
    settings = Settings.from_env(env)
    setup = _prepare(settings, tmp_path)
    # Relaying, the server decodes and re-encodes both videos on the same two cores as the two
    # browsers: short espeak sentences then arrive with more dropouts. Still mostly right.
    most_words = 0.5 if mode == "auto" else 0.65
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        mentor_browser = _browser(playwright, setup.mentor_wav)
        mentee_browser = _browser(playwright, setup.mentee_wav)
        mentor = mentor_browser.new_context(bypass_csp=True).new_page()
        mentee = mentee_browser.new_context(bypass_csp=True).new_page()
        for page in (mentor, mentee):
            page.add_init_script(RECORD_FINALS)
        _login(mentor, server.base_url, "mira@example.org")
        _login(mentee, server.base_url, "tom@example.org")
        _join(mentor, server.base_url, setup.session_id)
        mentor.wait_for_function(
            "document.getElementById('status').textContent.includes('Waiting')"
        )
        _join(mentee, server.base_url, setup.session_id)

        for page in (mentor, mentee):
            page.wait_for_function(
                "document.getElementById('remote').videoWidth > 0", timeout=30_000
            )
            assert _remote_video_advances(page)
            page.wait_for_function(f"({AUDIO_RECEIVED})().then(n => n > 50)", timeout=20_000)
            expected = "Via server" if mode == "relay" else "Direct"
            assert page.inner_text("#link-mode") == expected
            assert page.is_visible("#transcribing")
            page.wait_for_selector("#recording:not([hidden])")
        mentor.screenshot(path=screenshot_path(f"call-{mode}-mentor"))
        mentee.screenshot(path=screenshot_path(f"call-{mode}-mentee"))

        # Mute shows on the other side.
        mentee.click("#toggle-mic")
        mentor.wait_for_function("document.getElementById('status').textContent.includes('muted')")
        mentee.click("#toggle-mic")

        # Side chat, with a link that stays text.
        mentor.fill("#chat-text", "Slides: https://example.org/rollout <b>bold?</b>")
        mentor.press("#chat-text", "Enter")
        mentee.wait_for_selector("#messages li a[href='https://example.org/rollout']")
        assert mentee.locator("#messages b").count() == 0

        # Live captions, read off the screen: each sees the other's words, labelled with the
        # other's name, every sentence kept, in the order they were said.
        mentee.wait_for_selector(".caption.mentor .final", timeout=40_000)
        mentor.wait_for_selector(".caption.mentee .final", timeout=40_000)
        names = {"mentor": "Mira Mentor", "mentee": "Tom Mentee"}
        for page, other in ((mentee, "mentor"), (mentor, "mentee")):
            # The later sentences settle as they end (later still on a loaded machine).
            deadline = time.monotonic() + 40
            while True:
                lines = page.evaluate(SCREEN)
                heard = " ".join(t for line in lines if line["speaker"] == other
                                 for t in line["finals"])  # fmt: skip
                wer = word_errors(setup.texts[other], heard).wer
                settled = not any(line["partials"] for line in lines)
                if (wer <= most_words and settled) or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
            assert wer <= most_words, (other, heard)
            assert settled, lines  # no tentative words left without their final
            assert all(line["who"] == f"{names[line['speaker']]}:" for line in lines), lines
            starts = [line["start"] for line in lines]
            assert starts == sorted(starts), lines
            finals = page.evaluate("window.__finals")
            assert all(m["name"] == names[m["speaker"]] for m in finals)
        # The short "Yeah." over the end of the mentor's turn, when Chromium's audio
        # processing lets it through at all (echo cancellation ducks a voice over the other's;
        # its words vary: "Yes.", "Here."), stands on screen as a caption of its own before the
        # answer, never run into it. That such a window is transcribed and not dropped is held
        # deterministically by test_scheduler on audio captured from these calls; here,
        # through two browsers on a busy machine, it was dropped in about one run in five.
        replies = [line for line in mentor.evaluate(SCREEN) if line["speaker"] == "mentee"]
        sentences = [normalise(f) for line in replies for f in line["finals"]]
        answer = next(
            (k for k, words in enumerate(sentences) if words[:2] == ["it", "went"]), len(sentences)
        )
        assert all(len(words) <= 3 for words in sentences[:answer]), replies
        merged = [w for w in sentences if len(w) > 2 and w[0] in ("yeah", "yes", "here")]
        assert not merged or merged[0][1:3] != ["it", "went"], replies
        question = [line for line in mentee.evaluate(SCREEN) if line["speaker"] == "mentor"]
        assert sum(len(line["finals"]) for line in question) >= 2, question  # two sentences
        # The meter has measured both, and the mentor's long turn brought him a cue.
        assert "%" in mentee.inner_text("#text-overall")
        mentor.wait_for_selector(".cue", timeout=20_000)
        assert mentee.locator(".cue").count() == 0
        mentor.screenshot(path=screenshot_path(f"call-{mode}-captions-mentor"))
        mentor.click(".cue button")
        assert mentor.locator(".cue").count() == 0
        mentor.click("#toggle-captions")
        assert mentor.is_hidden("#captions")

        time.sleep(2)
        mentor.click("#leave")
        mentee.click("#leave")
        _wait_until_ended(server, settings, setup.session_id)
        # The session page shows the refinement pass, then the refined transcript and report.
        mentor.goto(f"{server.base_url}/sessions/{setup.session_id}")
        if mentor.locator("#refining").count():
            mentor.screenshot(path=screenshot_path(f"session-{mode}-refining"))
        mentor.wait_for_selector("h2:has-text('Transcript (refined)')", timeout=90_000)
        assert mentor.locator("ol.transcript li").count() >= 2
        assert "Talk balance" in mentor.inner_text("main")
        mentor.screenshot(path=screenshot_path(f"session-{mode}-refined"), full_page=True)
        mentor_browser.close()
        mentee_browser.close()

    _check_saved(settings, setup)
    _check_transcript(settings, setup, most_words)


def _check_transcript(settings: Settings, setup: CallSetup, most_words: float) -> None:
    database = Database.open(settings.database_url)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with database.sessions() as db:
                session = db.get(Session, setup.session_id)
                if session is not None and session.refine_status in ("done", "failed"):
                    break
            time.sleep(0.5)
        with database.sessions() as db:
            session = db.get(Session, setup.session_id)
            assert session is not None and session.refine_status == "done", session
            rows = db.scalars(
                select(UtteranceRow).where(UtteranceRow.session_id == setup.session_id)
            ).all()
        for source in ("live", "refined"):
            for speaker in ("mentor", "mentee"):
                said = " ".join(
                    r.text
                    for r in sorted(rows, key=lambda r: r.start_s)
                    if r.source == source and r.speaker == speaker
                )
                assert word_errors(setup.texts[speaker], said).wer <= most_words, (source, said)
    finally:
        database.close()


def _wait_until_ended(server: RunningServer, settings: Settings, session_id: int) -> None:
    database = Database.open(settings.database_url)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with database.sessions() as db:
                session = db.get(Session, session_id)
                if session is not None and session.status == "ended":
                    return
            time.sleep(0.3)
        raise AssertionError(f"session not ended:\n{server.log()[-3000:]}")
    finally:
        database.close()


def _check_saved(settings: Settings, setup: CallSetup) -> None:
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            session = db.get(Session, setup.session_id)
            assert session is not None and session.duration_s is not None
            assert session.duration_s > LEAD_S
            rows = db.scalars(
                select(Participant).where(Participant.session_id == setup.session_id)
            ).all()
            by_role = {p.speaker: p for p in rows}
            assert set(by_role) == {"mentor", "mentee"}
            for role, participant in by_role.items():
                assert participant.joined_at is not None and participant.left_at is not None
                assert participant.consent_record
                # The server received the person's audio for the whole time they were in.
                in_call = (participant.left_at - participant.joined_at).total_seconds()
                assert participant.audio_received_s > 0.8 * in_call - 3, (role, in_call)
                # The recording holds their speech at its true length.
                assert participant.recording_path, role
                recorded = decode_file(Path(participant.recording_path)).channels[0]
                heard = sum(i.end_s - i.start_s for i in detect_speech(recorded))
                assert abs(heard - setup.speech_s[role]) < 0.5, (role, heard, setup.speech_s)
    finally:
        database.close()


def test_outsiders_reloads_second_tabs_and_bad_messages(
    call_env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(call_env)
    setup = _prepare(settings, tmp_path)
    with serve(call_env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        mentor_browser = _browser(playwright, setup.mentor_wav)
        mentee_browser = _browser(playwright, setup.mentee_wav)
        # bypass_csp lets Playwright's wait_for_function evaluate its predicates; the CSP
        # itself is checked by the server-side tests.
        mentor = mentor_browser.new_context(bypass_csp=True).new_page()
        mentee_context = mentee_browser.new_context(bypass_csp=True)
        mentee = mentee_context.new_page()
        _login(mentor, base, "mira@example.org")
        _login(mentee, base, "tom@example.org")

        # Someone from another mentorship is refused before any media flows.
        outsider = mentee_browser.new_context(bypass_csp=True).new_page()
        _login(outsider, base, "otto@example.org")
        response = outsider.goto(f"{base}/sessions/{setup.session_id}/call")
        assert response is not None and response.status == 404
        refused = outsider.evaluate(
            """id => new Promise(resolve => {
                 const ws = new WebSocket(`ws://${location.host}/ws/sessions/${id}`);
                 ws.onopen = () => resolve('open');
                 ws.onclose = e => resolve('closed ' + e.code);
               })""",
            setup.session_id,
        )
        assert refused.startswith("closed") and refused != "closed 1000"

        _join(mentor, base, setup.session_id)
        _join(mentee, base, setup.session_id)
        mentor.wait_for_function("document.getElementById('remote').videoWidth > 0")

        # A malformed message gets an error; the call goes on.
        errors = mentee.evaluate(
            """() => new Promise(resolve => {
                 const seen = [];
                 document.addEventListener('tandem-message', e => {
                   if (e.detail.type === 'error') seen.push(e.detail.code);
                   if (seen.length === 3) resolve(seen);
                 });
                 const ws = window.tandemCall.ws;
                 ws.send('not json');
                 ws.send(JSON.stringify({type: 'teleport'}));
                 ws.send(JSON.stringify({type: 'offer', leg: 'uplink', sdp: 'v=0 nonsense'}));
               })"""
        )
        assert errors == ["bad-json", "unknown-type", "bad-offer"]
        mentee.fill("#chat-text", "still here")
        mentee.press("#chat-text", "Enter")
        mentor.wait_for_selector("#messages li:has-text('still here')")
        assert _remote_video_advances(mentor)

        # Reloading rejoins the same call without a second consent screen.
        mentee.reload()
        mentee.wait_for_selector("#call:not([hidden])", timeout=20_000)
        mentee.wait_for_function("document.getElementById('remote').videoWidth > 0")
        mentor.wait_for_function("document.getElementById('remote').videoWidth > 0")
        assert _remote_video_advances(mentee)
        assert mentee.locator("#messages li:has-text('still here')").count() == 1  # history

        # A second tab takes the call over; the first one says so and stops.
        second = mentee_context.new_page()
        _join(second, base, setup.session_id)
        mentee.wait_for_selector("#after:not([hidden])")
        assert "another tab" in mentee.inner_text("#after")
        second.wait_for_function("document.getElementById('remote').videoWidth > 0")
        second.screenshot(path=screenshot_path("call-second-tab"))

        # Ending the session ends it for both.
        mentor.once("dialog", lambda dialog: dialog.accept())
        mentor.click("#end")
        second.wait_for_selector("#after:not([hidden])")
        assert "ended" in second.inner_text("#after-title")
        mentor_browser.close()
        mentee_browser.close()
        _wait_until_ended(server, settings, setup.session_id)
