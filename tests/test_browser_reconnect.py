"""A network cut for 10 s in the middle of a sentence, in a real call between two headless
Chromium pages (fake camera, speech files as microphones) and a real `tandem serve`.

Everything runs in a network namespace of the test's own (tests/netns.py), where tc drops
every UDP packet (all WebRTC media: both uplinks and the peer-to-peer connection) while the
WebSocket and HTTP, over TCP, carry on. Measured before the pages reconnected and sent back
what the server lost: Chromium calls the connections disconnected ~6 s into the cut, they come
back by themselves about a second after it, and everything the mentor said after the first
second of the cut was gone from the captions and from the refined transcript. Now: both pages
say they are reconnecting and stop saying so, every connection is up again (made again by the
page's watchdog a few seconds into "disconnected", or back by itself), the sentence spoken
across the cut is captioned for both and saved, and captions go on after it, both ways.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlalchemy import select

from server.auth import add_person, hash_password
from server.bench import CHROMIUM
from server.bench.speech import Dialogue, Line, render_dialogue, write_wav
from server.bench.wer import normalise, word_errors
from server.db.calls import start_session
from server.db.directory import create_mentorship
from server.db.engine import Database
from server.db.tables import UtteranceRow
from server.settings import Settings
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve
from tests.call_helpers import prepare_call
from tests.netns import PrivateNetwork, private_network

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"
VOICES = {"mentor": "en-us+m3", "mentee": "en-us"}
BEFORE = "Welcome back. Let us talk about the release plan today."
REPLY = "Yes, I read the plan yesterday."
ACROSS = (
    "I looked at the rollout numbers this morning, and the second region finished its "
    "migration two days early because the team automated the database checks."
)
AFTER = "Let us write that down as a lesson for the next project."
LATER = "I will add it to the notes for Friday."
CUT_INTO_S = 1.5  # the cut starts this far into the sentence spoken across it
CUT_S = 10.0
#: Words of ACROSS spoken well inside the cut, that tiny.en hears well in espeak's voice.
INSIDE = ("morning", "region", "migration", "team")
#: Espeak through two browsers, tiny.en live: most words right.
MOST_WRONG = 0.45
#: The sentence across the cut is judged by words lost, not words misheard: its first words,
#: recognised from the second before the cut with little context, vary run to run ("rollout
#: numbers" as "road out of the wind"). Without the audio put back 20 of its 25 words were
#: missing (WER 0.8: its first second only).
MOST_LOST = 0.2
FEWEST_RIGHT = 0.5


def _whole(reference: str, heard: str) -> bool:
    """Few of the reference's words missing, and at least half of them heard exactly."""
    counts = word_errors(reference, heard)
    right = counts.reference_words - counts.substitutions - counts.deletions
    return (
        counts.deletions <= MOST_LOST * counts.reference_words
        and right >= FEWEST_RIGHT * counts.reference_words
    )


#: The caption lines on screen (as in test_browser_call).
SCREEN = """() => [...document.querySelectorAll('#captions .caption')].map(line => ({
  speaker: line.dataset.speaker, start: Number(line.dataset.start),
  finals: [...line.querySelectorAll('.words > .final')].map(s => ({
    text: s.textContent.trim(), start: Number(s.dataset.start)})),
}))"""
NOTICE = "document.getElementById('notices').textContent"


def _prepare(settings: Settings, folder: Path) -> tuple[int, Dialogue, Path, Path]:
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            for email, name, role in (("mira@example.org", "Mira Mentor", "mentor"),
                                      ("tom@example.org", "Tom Mentee", "mentee")):  # fmt: skip
                add_person(db, email, name, role).password_hash = hash_password(PASSWORD)
            db.commit()
            session_id = start_session(
                db, create_mentorship(db, "mira@example.org", "tom@example.org")
            ).id
    finally:
        database.close()
    # Each file starts when its page opens the microphone; the mentee joins a little later.
    dialogue = render_dialogue(
        [Line("mentor", BEFORE, at_s=6.0), Line("mentee", REPLY, at_s=10.5),
         Line("mentor", ACROSS, at_s=16.0), Line("mentor", AFTER, at_s=40.0),
         Line("mentee", LATER, at_s=47.0)],
        VOICES, lead_s=0.0, tail_s=12.0,
    )  # fmt: skip
    wavs = folder / "mentor.wav", folder / "mentee.wav"
    for wav, role in zip(wavs, ("mentor", "mentee"), strict=True):
        write_wav(wav, dialogue.tracks[role])
    return session_id, dialogue, *wavs


def _browser(playwright: Playwright, network: PrivateNetwork, wav: Path) -> Browser:
    return launch_chromium(
        playwright,
        ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
         f"--use-file-for-fake-audio-capture={wav}%noloop",
         "--autoplay-policy=no-user-gesture-required",
         "--disable-features=WebRtcHideLocalIpsWithMdns"),
        executable=network.chromium,
    )  # fmt: skip


def _join(page: Page, base: str, email: str, session_id: int) -> None:
    log_in_page(page, base, email, PASSWORD)
    page.goto(f"{base}/sessions/{session_id}/call")
    page.click("#join")
    page.wait_for_selector("#call:not([hidden])")


def _said(page: Page, speaker: str, since_s: float, until_s: float) -> str:
    """The settled sentences of ``speaker`` on screen that started in [since_s, until_s)."""
    lines: list[dict[str, Any]] = page.evaluate(SCREEN)
    spans = [f for line in lines if line["speaker"] == speaker for f in line["finals"]]
    return " ".join(f["text"] for f in spans if since_s <= f["start"] < until_s)


def _wait_said(
    page: Page, speaker: str, span: tuple[float, float], done: Callable[[str], bool]
) -> str:
    deadline = time.monotonic() + 60
    while True:
        heard = _said(page, speaker, *span)
        if done(heard) or time.monotonic() > deadline:
            return heard
        time.sleep(0.5)


def test_a_ten_second_network_cut_loses_no_words(env: dict[str, str], tmp_path: Path) -> None:
    call_env = {**env, "TANDEM_ROOM_GRACE_S": "1", "TANDEM_MEDIA_MODE": "p2p"}
    settings = Settings.from_env(call_env)
    session_id, dialogue, mentor_wav, mentee_wav = _prepare(settings, tmp_path)
    lines = {line.text: line for line in dialogue.lines}
    across = lines[ACROSS]
    with (
        private_network(tmp_path, CHROMIUM) as network,
        serve(call_env, tmp_path, network=network) as server,
        sync_playwright() as playwright,
    ):
        base = server.base_url
        mentor_browser = _browser(playwright, network, mentor_wav)
        mentee_browser = _browser(playwright, network, mentee_wav)
        mentor = mentor_browser.new_context(bypass_csp=True).new_page()
        mentee = mentee_browser.new_context(bypass_csp=True).new_page()
        _join(mentor, base, "mira@example.org", session_id)
        _join(mentee, base, "tom@example.org", session_id)
        for page in (mentor, mentee):
            page.wait_for_function(
                "document.getElementById('remote').videoWidth > 0", timeout=30_000
            )
        # Where the mentor's file sits on the session clock: from his first caption.
        mentee.wait_for_selector(".caption.mentor .final", timeout=40_000)
        first = mentee.evaluate(SCREEN)[0]["finals"][0]
        offset = first["start"] - lines[BEFORE].start_s
        cut_at_s = offset + across.start_s + CUT_INTO_S
        # The cut: a little into the sentence, by the mentor's own microphone clock.
        mentor.wait_for_function(
            f"(window.tandemCall.mic.endS() ?? 0) >= {cut_at_s}", timeout=40_000, polling=50
        )
        network.cut_udp()
        cut_wall = time.monotonic()
        try:
            for page in (mentor, mentee):
                page.wait_for_function(f"{NOTICE}.includes('Reconnecting')", timeout=15_000)
            mentor.screenshot(path=screenshot_path("call-reconnecting"))
            time.sleep(max(0.0, cut_wall + CUT_S - time.monotonic()))
            dropped = network.dropped_packets()
        finally:
            network.restore_udp()
        for page in (mentor, mentee):
            page.wait_for_function(f"!{NOTICE}.includes('Reconnecting')", timeout=40_000)

        # The sentence spoken across the cut is on both screens, most of it from audio the
        # server only got afterwards, from the mentor's page.
        span = (offset + across.start_s - 0.5, offset + across.end_s + 0.5)
        for page in (mentor, mentee):
            heard = _wait_said(page, "mentor", span, lambda said: _whole(ACROSS, said))
            assert _whole(ACROSS, heard), (heard, word_errors(ACROSS, heard))
            recovered = normalise(_said(page, "mentor", cut_at_s - 0.2, cut_at_s + CUT_S))
            assert len(recovered) >= 8, (recovered, page.evaluate(SCREEN))
            assert sum(word in recovered for word in INSIDE) >= 3, recovered
        # Captions go on after it, both ways (the mentee's file started later than his).
        after = lines[AFTER]
        heard = _wait_said(
            mentee,
            "mentor",
            (offset + after.start_s - 1, 1e9),
            lambda said: word_errors(AFTER, said).wer <= MOST_WRONG,
        )
        assert word_errors(AFTER, heard).wer <= MOST_WRONG, heard
        mentor.wait_for_function(
            "[...document.querySelectorAll('.caption.mentee .final')].some(s => "
            f"Number(s.dataset.start) > {offset + after.end_s})",
            timeout=60_000,
        )
        # Every connection is up again. (Whether the page made it again or it came back by
        # itself first depends on when Chromium calls it disconnected: ~6 s into the cut, and
        # the page waits 3 s more. Here the uplinks are usually made again, the peer-to-peer
        # link sometimes restarted. Either way the server got a hole to ask for.)
        for page in (mentor, mentee):
            for leg in ("uplink", "p2p"):
                state = page.evaluate(f"window.tandemCall.{leg}.connectionState")
                assert state == "connected", (leg, state)
        mentee.screenshot(path=screenshot_path("call-after-reconnecting"), full_page=True)
        for page in (mentor, mentee):
            page.click("#leave")
        mentor_browser.close()
        mentee_browser.close()
        log = server.log()

    assert dropped > 200, dropped  # the cut did cut the media
    assert "asking their browser" in log, log[-3000:]
    # Saved, in time order, for the mentor.
    database = Database.open(settings.database_url)
    try:
        with database.sessions() as db:
            rows = db.scalars(
                select(UtteranceRow)
                .where(UtteranceRow.session_id == session_id, UtteranceRow.source == "live")
                .order_by(UtteranceRow.start_s)
            ).all()
    finally:
        database.close()
    saved = " ".join(
        r.text for r in rows if r.speaker == "mentor" and span[0] <= r.start_s < span[1]
    )
    assert _whole(ACROSS, saved), [(r.start_s, r.text) for r in rows]
    # The words of the cut are saved at their time on the session clock, inside the cut.
    assert any(
        r.speaker == "mentor" and cut_at_s - 0.2 <= r.start_s < cut_at_s + CUT_S for r in rows
    ), [(r.start_s, r.text) for r in rows]


def test_the_microphone_copy_runs_under_the_pages_own_csp(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The other tests bypass the CSP (Playwright's waiting needs it); the copy's module and
    its AudioWorklet must load under the page's own (script-src 'self')."""
    quiet_env = {**env, "TANDEM_LIVE_TRANSCRIPTION": "0"}
    settings = Settings.from_env(quiet_env)
    session_id, cookies = prepare_call(settings)
    with serve(quiet_env, tmp_path) as server, sync_playwright() as playwright:
        browser = launch_chromium(
            playwright,
            ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
             "--autoplay-policy=no-user-gesture-required"),
        )  # fmt: skip
        context = browser.new_context()
        name, value = cookies["mentor"].split("=", 1)
        context.add_cookies([{"name": name, "value": value, "url": server.base_url}])
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(f"{server.base_url}/sessions/{session_id}/call")
        page.click("#join")
        page.wait_for_selector("#call:not([hidden])")
        deadline = time.monotonic() + 30
        while (page.evaluate("window.tandemCall.mic.endS()") or 0) < 2.0:
            assert time.monotonic() < deadline, console
            time.sleep(0.2)
        assert page.evaluate("window.tandemCall.mic.error") is None, console
        # It holds the fake microphone's tone, on the session clock of the welcome.
        heard = page.evaluate(
            "(() => { const m = window.tandemCall.mic, end = m.endS();"
            " return m.read(end - 1, end).pcm.some(v => Math.abs(v) > 100); })()"
        )
        assert heard, console
        assert not [line for line in console if "Content Security Policy" in line], console
        browser.close()
