"""Coaching notes: the trainer writes on a session or a moment of it, the mentor replies;
nobody else reads them (not the mentee, not another trainer, not an admin); the dashboard
lists them; in real headless Chromium the note and the reply appear where they belong."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from server.db.engine import Database
from server.settings import Settings
from tests.auth_helpers import (
    PASSWORD,
    Server,
    World,
    add_account,
    build_world,
    csrf_headers,
    running,
)
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


@pytest.fixture
def world(database: Database) -> World:
    return build_world(database)


def test_the_trainer_writes_the_mentor_replies_nobody_else_reads(
    server: Server, world: World, database: Database
) -> None:
    url = f"/api/sessions/{world.session_b}/notes"
    trainer = server.logged_in(world.trainer_b)
    written = trainer.post(url, json={"text": "Good open question at the start.", "at": 2.0},
                           headers=csrf_headers(trainer))  # fmt: skip
    assert written.status_code == 201, written.text
    note = written.json()
    assert (note["author"], note["at"], note["reply_to"]) == ("Theo Trainer", 2.0, None)
    mentor = server.logged_in(world.mentor_b)
    reply = mentor.post(url, json={"text": "Thanks, I prepared it.", "reply_to": note["id"]},
                        headers=csrf_headers(mentor))  # fmt: skip
    assert reply.status_code == 201 and reply.json()["reply_to"] == note["id"]
    listed = mentor.get(url).json()["notes"]
    assert [(n["author"], n["text"]) for n in listed] == [
        ("Theo Trainer", "Good open question at the start."),
        ("Bruno Mentor", "Thanks, I prepared it."),
    ]
    # The mentor does not write notes of their own; the trainer does not reply.
    alone = mentor.post(url, json={"text": "A note"}, headers=csrf_headers(mentor))
    assert alone.status_code == 400 and "replies" in alone.json()["error"]
    nested = trainer.post(url, json={"text": "x", "reply_to": note["id"]},
                          headers=csrf_headers(trainer))  # fmt: skip
    assert nested.status_code == 400
    for bad in ({"text": ""}, {"text": "x", "at": -1}, {"text": "x", "colour": 1}):
        assert trainer.post(url, json=bad, headers=csrf_headers(trainer)).status_code == 400
    # Not the mentee, not another trainer, not an admin: as if there were nothing.
    for account in (world.mentee_b, world.trainer_a, world.admin, world.mentor_a):
        browser = server.logged_in(account)
        assert browser.get(url).status_code == 404, account.email
        assert browser.post(url, json={"text": "x"},
                            headers=csrf_headers(browser)).status_code == 404  # fmt: skip
        assert "Good open question" not in browser.get(f"/sessions/{world.session_b}").text
    # The trainer's dashboard lists it; the mentor's page shows both.
    assert "Good open question at the start." in trainer.get("/coach").text
    page = mentor.get(f"/sessions/{world.session_b}").text
    assert "Thanks, I prepared it." in page and "Coaching notes" in page


def test_notes_go_with_their_session(server: Server, world: World, database: Database) -> None:
    trainer = server.logged_in(world.trainer_b)
    trainer.post(f"/api/sessions/{world.session_b}/notes", json={"text": "Secret remark"},
                 headers=csrf_headers(trainer))  # fmt: skip
    mentor = server.logged_in(world.mentor_b)
    assert mentor.delete(f"/api/sessions/{world.session_b}",
                         headers=csrf_headers(mentor)).status_code == 204  # fmt: skip
    assert "Secret remark" not in trainer.get("/coach").text


@pytest.mark.slow
def test_a_note_and_its_reply_in_the_browser(env: dict[str, str], tmp_path: Path) -> None:
    settings = Settings.from_env(env)
    database = Database.open(settings.database_url)
    try:
        world = build_world(database)
        add_account(database, "spare@example.org", "Spare", "mentee")
    finally:
        database.close()
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        browser = launch_chromium(playwright)
        trainer = browser.new_page()
        log_in_page(trainer, base, world.trainer_b.email, PASSWORD)
        trainer.goto(f"{base}/sessions/{world.session_b}")
        trainer.fill("#note-text", "Try a longer pause after your questions.")
        trainer.fill("#note-at", "0:05")
        trainer.click("#note-form button")
        note = trainer.locator("li.note", has_text="longer pause")
        expect(note).to_have_count(1)
        assert "at 00:05" in note.inner_text()
        mentor = browser.new_page()
        log_in_page(mentor, base, world.mentor_b.email, PASSWORD)
        mentor.goto(f"{base}/sessions/{world.session_b}")
        mentor.click("li.note button:has-text('Reply')")
        mentor.fill("#note-text", "I will, thanks.")
        mentor.click("#note-form button")
        expect(mentor.locator("li.note.reply", has_text="I will, thanks.")).to_have_count(1)
        # The note's moment opens that line of the transcript.
        mentor.click("li.note a.time")
        playing = mentor.locator("#transcript > li.speech.playing")
        expect(playing).to_have_count(1)
        assert playing.get_attribute("data-start") == "5.00"
        mentor.screenshot(path=screenshot_path("coaching-notes"), full_page=True)
        mentee = browser.new_page()
        log_in_page(mentee, base, world.mentee_b.email, PASSWORD)
        mentee.goto(f"{base}/sessions/{world.session_b}")
        assert mentee.locator("#notes").count() == 0
        assert "longer pause" not in mentee.inner_text("main")
        browser.close()
