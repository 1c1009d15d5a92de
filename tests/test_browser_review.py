"""The session review page in real headless Chromium: the pair works with their action items
(tick off, edit, add, delete; every change still there after a reload), a trainer reads them
only while both share and never gets the tools, and a deleted session is gone from the page,
the database file and the disk. Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from media.transcript import SpeechInterval, Transcript, Utterance, Word
from server.db.calls import add_chat
from server.db.engine import Database
from server.db.store import save_transcript
from server.db.tables import Mentorship
from server.settings import Settings
from tests.auth_helpers import PASSWORD, add_account, make_mentorship, save_session
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve
from tests.stored import stored_bytes

pytestmark = pytest.mark.slow

SECRET = "xylophonequest"
LINES = (
    ("mentor", "How did the release go this week?"),
    ("mentee", f"It went fine, but the {SECRET} rollback plan was missing."),
    ("mentor", "Can you send me the rollback plan by Friday?"),
    ("mentee", "Yes, I will send you the rollback plan by Friday."),
)


def _login(page: Page, base: str, email: str) -> None:
    log_in_page(page, base, email, PASSWORD)


def _items(page: Page) -> list[dict[str, object]]:
    """The action items as a person sees them."""
    rows = page.locator("#items > li.item")
    return [
        {
            "action": row.locator(".action").inner_text(),
            "owner": row.locator(".owner").inner_text(),
            "due": row.locator(".due").inner_text() if row.locator(".due").count() else "",
            "done": row.locator("input.tick").is_checked(),
        }
        for row in rows.all()
    ]


@pytest.mark.also_postgresql
def test_the_pair_works_with_their_action_items_and_a_trainer_only_reads(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(env)
    database = Database.open(settings.database_url)
    try:
        mentor = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
        mentee = add_account(database, "tom@example.org", "Tom Mentee", "mentee")
        trainer = add_account(database, "tara@example.org", "Tara Trainer", "trainer")
        admin = add_account(database, "ada@example.org", "Ada Admin", "admin")
        mentorship_id = make_mentorship(database, mentor, mentee, trainer)
        session_id = save_session(database, "Release review", mentorship_id, LINES)
    finally:
        database.close()

    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        _login(page, base, mentee.email)
        page.goto(f"{base}/sessions/{session_id}")
        page.wait_for_selector("#items > li.item")
        [detected] = _items(page)
        assert "rollback plan" in str(detected["action"]).lower()
        assert detected["owner"] == "Tom Mentee" and not detected["done"]
        page.screenshot(path=screenshot_path("review-items"), full_page=True)

        # Tick it off, edit another's wording and date, add one, then reload: all kept.
        page.locator("#items input.tick").first.check()
        page.wait_for_selector("#items > li.item.done")
        page.click("#items button:has-text('Edit')")
        page.fill("#items form input[name=action]", "Send Mira the rollback plan for the release")
        page.select_option("#items form select[name=owner]", "mentee")
        page.fill("#items form input[name=due_date]", "2026-03-09")
        page.click("#items form button:has-text('Save')")
        page.wait_for_selector("#items > li.item .due")
        page.fill("#add-item input[name=action]", "Book a slot for the design review")
        page.select_option("#add-item select[name=owner]", "mentor")
        page.click("#add-item button:has-text('Add')")
        expect(page.locator("#items > li.item")).to_have_count(2)
        page.reload()
        expect(page.locator("#items > li.item")).to_have_count(2)
        items = _items(page)
        assert items[0] == {
            "action": "Send Mira the rollback plan for the release",
            "owner": "Tom Mentee",
            "due": "due 2026-03-09",
            "done": True,
        }, items
        assert items[1]["action"] == "Book a slot for the design review"
        assert items[1]["owner"] == "Mira Mentor" and not items[1]["done"]
        page.screenshot(path=screenshot_path("review-items-edited"), full_page=True)

        # A bad edit is refused with a message and changes nothing.
        page.click("#items li.item:nth-child(2) button:has-text('Edit')")
        page.fill("#items form input[name=action]", "   ")
        page.click("#items form button:has-text('Save')")
        assert page.locator("#items form").count() == 1  # still editing: nothing was saved
        page.click("#items form button:has-text('Cancel')")

        page.click("#items li.item:nth-child(2) button:has-text('Delete')")
        expect(page.locator("#items > li.item")).to_have_count(1)
        page.reload()
        page.wait_for_selector("#items > li.item")
        assert len(_items(page)) == 1

        # The trainer: nothing while the pair keeps transcripts private, then read-only.
        trainer_page = browser.new_page()
        _login(trainer_page, base, trainer.email)
        trainer_page.goto(f"{base}/sessions/{session_id}")
        assert trainer_page.locator("#items").count() == 0
        assert "rollback" not in trainer_page.inner_text("main").lower()
        database = Database.open(settings.database_url)
        try:
            with database.sessions() as db:
                row = db.get(Mentorship, mentorship_id)
                assert row is not None
                row.mentor_shares = row.mentee_shares = True
                db.commit()
        finally:
            database.close()
        trainer_page.reload()
        trainer_page.wait_for_selector("#items > li.item")
        assert "rollback plan" in trainer_page.inner_text("#items").lower()
        assert trainer_page.locator("#items button, #items input, #add-item").count() == 0
        trainer_page.screenshot(path=screenshot_path("review-items-trainer"), full_page=True)
        assert trainer_page.locator("details.delete-session").count() == 0  # trainers read

        # An admin manages people, not conversations: the session is not there for them.
        admin_page = browser.new_page()
        _login(admin_page, base, admin.email)
        response = admin_page.goto(f"{base}/sessions/{session_id}")
        assert response is not None and response.status == 404
        assert "rollback" not in admin_page.inner_text("main").lower()

        # The pair deletes the session from its page: gone for everyone, nothing left.
        page.goto(f"{base}/sessions/{session_id}")
        page.click("details.delete-session summary")
        page.click("text=Delete this session for good")
        expect(page.locator("h1")).to_have_text("Session deleted")
        assert page.goto(f"{base}/sessions/{session_id}").status == 404  # type: ignore[union-attr]
        trainer_page.reload()
        assert "rollback" not in trainer_page.inner_text("main").lower()
        assert SECRET.encode() not in stored_bytes(settings)
        browser.close()


def test_reading_the_conversation_chat_unsure_words_find_and_timeline(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(env)
    database = Database.open(settings.database_url)
    said = [
        ("mentor", 0.5, 3.5, "How did the rollback go?"),
        ("mentee", 3.0, 7.0, "The rollback went fine, the Kubernetes part was slow."),
        ("mentor", 7.5, 10.0, "Good. Write down what slowed it."),
    ]
    try:
        mentor = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
        mentee = add_account(database, "tom@example.org", "Tom Mentee", "mentee")
        mentorship_id = make_mentorship(database, mentor, mentee)
        utterances = []
        for speaker, start, end, text in said:
            tokens = text.split()
            step = (end - start) / len(tokens)
            words = tuple(
                Word(("" if i == 0 else " ") + token, start + i * step, start + (i + 1) * step,
                     0.2 if token.startswith("Kubernetes") else 0.9)
                for i, token in enumerate(tokens)
            )  # fmt: skip
            utterances.append(Utterance(speaker, start, end, text, words))
        speech = [SpeechInterval(u.speaker, u.start_s, u.end_s) for u in utterances]
        transcript = Transcript(11.0, ["mentor", "mentee"], "tiny.en", "en", utterances, speech)
        with database.sessions() as db:
            session_id = save_transcript(
                db, transcript, "Rollback talk", datetime(2026, 3, 2, tzinfo=UTC), mentorship_id
            )
            add_chat(db, session_id, mentee.id, "mentee", "Runbook: https://example.org/rb", 5.0)
    finally:
        database.close()

    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        browser = launch_chromium(playwright)
        page = browser.new_page()
        _login(page, base, mentee.email)
        page.goto(f"{base}/sessions/{session_id}")
        lines = page.locator("#transcript > li")
        expect(lines).to_have_count(4)
        # Chat sits at its moment, between the mentee's line (3.0 s) and the mentor's (7.5 s).
        assert "chat" in (lines.nth(2).get_attribute("class") or "")
        link = lines.nth(2).locator("a")
        assert link.get_attribute("href") == "https://example.org/rb"
        assert lines.nth(2).locator(".speaker").inner_text().startswith("Tom Mentee")
        assert lines.nth(0).locator(".speaker").inner_text() == "Mira Mentor"
        unsure = page.locator("#transcript .unsure")
        expect(unsure).to_have_count(1)
        assert unsure.inner_text() == "Kubernetes"
        assert "The rollback went fine, the Kubernetes part" in lines.nth(1).inner_text()

        page.fill("#find", "rollback")
        expect(page.locator("#find-count")).to_have_text("1 of 2")
        assert page.evaluate("CSS.highlights.get('find').size") == 2
        page.press("#find", "Enter")
        expect(page.locator("#find-count")).to_have_text("2 of 2")
        page.fill("#find", "zebra")
        expect(page.locator("#find-count")).to_have_text("not found")
        page.fill("#find", "")

        # The timeline: a lane per person, the overlap (3.0-3.5 s) marked on both lanes.
        expect(page.locator("#timeline svg.lane")).to_have_count(2)
        assert page.locator("#timeline rect.overlap").count() == 2
        assert page.locator("#timeline .lane-name").first.inner_text() == "Mira Mentor"
        # No recording: a click there shows that moment's line.
        box = page.locator("#timeline svg.lane").first.bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] * 8.0 / 11.0, box["y"] + box["height"] / 2)
        expect(page.locator("#transcript > li.speech.playing")).to_have_count(1)
        assert "Write down" in page.locator("#transcript > li.playing").inner_text()
        page.screenshot(path=screenshot_path("review-reading"), full_page=True)
        browser.close()
