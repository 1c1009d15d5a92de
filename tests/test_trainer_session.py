"""One session as its trainer sees it: the figures and the talk timeline (who spoke when,
overlaps, listening signals, cues) without a word of the conversation while the pair keeps
transcripts private; once both share, the transcript is there and the timeline opens its
moments. Real headless Chromium, asserting on what is on screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from media.insight.analysis import analyze_conversation
from media.transcript import SpeechInterval, Transcript, Utterance
from server.auth import Viewer
from server.db.directory import set_sharing
from server.db.engine import Database
from server.db.store import save_transcript
from server.db.tables import Mentorship
from server.settings import Settings
from tests.auth_helpers import HELD_AT, PASSWORD, Account, add_account, make_mentorship
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve

PRIVATE = "the quarterly zeppelin budget"


def _conversation() -> Transcript:
    """The mentor explains at length while the mentee says "mm-hm" twice, then they talk
    over each other once."""
    said = [
        Utterance("mentor", 0.0, 14.0, f"Let me walk you through {PRIVATE} and the plan."),
        Utterance("mentee", 4.0, 4.5, "Mm-hm."),
        Utterance("mentee", 9.0, 9.4, "Right."),
        Utterance("mentee", 15.0, 24.0, "That makes sense, I will draft the first version."),
        Utterance("mentor", 22.5, 30.0, "Good, send it to me before Friday please."),
        Utterance("mentee", 31.0, 35.0, "I will send it on Thursday."),
    ]
    speech = [SpeechInterval(u.speaker, u.start_s, u.end_s) for u in said]
    return Transcript(36.0, ["mentor", "mentee"], "tiny.en", "en", said, speech)


def _save(database: Database, mentorship_id: int) -> int:
    transcript = _conversation()
    analysis = analyze_conversation(transcript, HELD_AT.date())
    with database.sessions() as db:
        return save_transcript(db, transcript, "Budget walk-through", HELD_AT, mentorship_id,
                               analysis)  # fmt: skip


def _share(database: Database, mentorship_id: int, mentor: Account, mentee: Account) -> None:
    with database.sessions() as db:
        mentorship = db.get(Mentorship, mentorship_id)
        assert mentorship is not None
        for who, role in ((mentor, "mentor"), (mentee, "mentee")):
            set_sharing(db, mentorship, Viewer(who.id, who.name, who.email, role), True)


@pytest.mark.slow
def test_the_trainer_sees_the_timeline_without_words_until_both_share(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(env)
    database = Database.open(settings.database_url)
    try:
        trainer = add_account(database, "tara@example.org", "Tara Trainer", "trainer")
        mentor = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
        mentee = add_account(database, "tom@example.org", "Tom Mentee", "mentee")
        mentorship_id = make_mentorship(database, mentor, mentee, trainer)
        session_id = _save(database, mentorship_id)
        with serve(env, tmp_path) as server, sync_playwright() as playwright:
            base = server.base_url
            browser = launch_chromium(playwright)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            log_in_page(page, base, trainer.email, PASSWORD)
            page.goto(f"{base}/coach")
            page.click(f"a[href='/sessions/{session_id}']")
            expect(page).to_have_url(f"{base}/sessions/{session_id}")
            timeline = page.locator("#timeline")
            expect(timeline).to_be_visible()
            lanes = timeline.locator("svg.lane")
            expect(timeline.locator(".lane-name")).to_have_count(3)  # two people, the axis
            assert timeline.locator(".lane-name").all_inner_texts()[:2] == [
                "Mira Mentor",
                "Tom Mentee",
            ]
            # The mentee's two "mm-hm"s are listening signals on her lane, not his.
            mentee_lane = lanes.nth(1)
            expect(mentee_lane.locator("rect.listening")).to_have_count(2)
            assert lanes.nth(0).locator("rect.listening").count() == 0
            assert "2 listening signals" in (mentee_lane.get_attribute("aria-label") or "")
            # Both at once at 22.5-24 s: marked on both lanes.
            assert lanes.nth(0).locator("rect.overlap").count() >= 1
            assert "listening signals" in timeline.locator("figcaption").inner_text()
            # The axis is laid out (the page's script places the ticks along the lane).
            ticks = timeline.locator(".ticks span")
            assert ticks.count() >= 3
            lefts = [t.bounding_box()["x"] for t in ticks.all()]  # type: ignore[index]
            assert lefts == sorted(lefts) and lefts[-1] - lefts[0] > 200
            # The figures are there; not a word of the conversation.
            assert page.locator("table.figures").count() >= 1
            main = page.inner_text("main")
            assert "zeppelin" not in main and "Thursday" not in main
            assert page.locator("#transcript").count() == 0
            page.screenshot(path=screenshot_path("trainer-session-figures"), full_page=True)

            _share(database, mentorship_id, mentor, mentee)
            page.reload()
            transcript = page.locator("#transcript > li.speech")
            expect(transcript.first).to_be_visible()
            assert "zeppelin" in page.inner_text("#transcript")
            # One click on the timeline opens that moment of the transcript.
            lane = page.locator("#timeline svg.lane").nth(1)
            box = lane.bounding_box()
            assert box is not None
            lane.click(position={"x": box["width"] * 32.0 / 36.0, "y": box["height"] / 2})
            playing = page.locator("#transcript > li.speech.playing")
            expect(playing).to_have_count(1)
            assert "Thursday" in playing.inner_text()
            page.screenshot(path=screenshot_path("trainer-session-shared"), full_page=True)
            browser.close()
    finally:
        database.close()
