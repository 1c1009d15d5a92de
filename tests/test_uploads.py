"""Bringing in a meeting held elsewhere: recordings (one per person, stereo, one speaker) or
a transcript, uploaded from the browser, transcribed by the same pipeline as `tandem analyze`
and saved as a session of the mentorship; bad uploads are refused with a reason and leave
nothing behind; in real headless Chromium the page shows progress and opens the session."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import func, select

from server.db.engine import Database
from server.db.tables import Session, Upload, UtteranceRow
from server.settings import Settings
from tests.auth_helpers import (
    PASSWORD,
    Account,
    Server,
    add_account,
    csrf_headers,
    make_mentorship,
    running,
)
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve
from tests.conftest import DialogueFiles

VTT = """WEBVTT

00:00:01.000 --> 00:00:03.000
<v Mira Mentor>How did the launch go?</v>

00:00:03.500 --> 00:00:06.000
<v Tom>Well. Can I send you the notes by Friday?</v>
"""


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


def _pair(database: Database) -> tuple[Account, Account, Account, int]:
    mentor = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
    mentee = add_account(database, "tom@example.org", "Tom Mentee", "mentee")
    trainer = add_account(database, "tara@example.org", "Tara Trainer", "trainer")
    return mentor, mentee, trainer, make_mentorship(database, mentor, mentee, trainer)


def _wait(browser: Any, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state: dict[str, Any] = browser.get(url).json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.3)
    raise AssertionError(f"{url} did not finish")


def _counts(database: Database) -> tuple[int, int]:
    with database.sessions() as db:
        return (db.scalar(select(func.count()).select_from(Session)) or 0,
                db.scalar(select(func.count()).select_from(Upload)) or 0)  # fmt: skip


def test_two_recordings_become_a_session_of_the_mentorship(
    server: Server, settings: Settings, database: Database, dialogue_files: DialogueFiles
) -> None:
    _, mentee, _, mentorship = _pair(database)
    browser = server.logged_in(mentee)
    with dialogue_files.mentor.open("rb") as a, dialogue_files.mentee.open("rb") as b:
        response = browser.post(
            f"/api/mentorships/{mentorship}/uploads",
            data={"kind": "tracks", "title": "Coffee chat", "date": "2026-03-02"},
            files={"mentor": ("mira.wav", a, "audio/wav"), "mentee": ("tom.wav", b, "audio/wav")},
            headers=csrf_headers(browser),
        )
    assert response.status_code == 202, response.text
    state = _wait(browser, response.json()["status_url"])
    assert state["status"] == "done", state
    with database.sessions() as db:
        session = db.get(Session, state["session_id"])
        assert session is not None and session.mentorship_id == mentorship
        assert session.title == "Coffee chat" and session.held_at.date().isoformat() == "2026-03-02"
        spoken = db.scalars(select(UtteranceRow.speaker).where(
            UtteranceRow.session_id == session.id)).all()  # fmt: skip
        assert set(spoken) == {"mentor", "mentee"}
    page = browser.get(state["session_url"]).text
    assert "Mira Mentor" in page and "presentation" in page.lower()
    assert not any(settings.uploads_dir.iterdir())  # the files are deleted once processed


def test_a_transcript_upload_matches_names_to_the_pair(server: Server, database: Database) -> None:
    _, mentee, _, mentorship = _pair(database)
    browser = server.logged_in(mentee)
    response = browser.post(
        f"/api/mentorships/{mentorship}/uploads",
        data={"kind": "transcript"},
        files={"transcript": ("teams.vtt", VTT.encode(), "text/vtt")},
        headers=csrf_headers(browser),
    )
    assert response.status_code == 202, response.text
    state = _wait(browser, response.json()["status_url"])
    assert state["status"] == "done", state
    document = browser.get(f"/api/sessions/{state['session_id']}").json()
    assert [u["speaker"] for u in document["utterances"]] == ["mentor", "mentee"]
    page = browser.get(state["session_url"]).text
    assert 'id="approximate"' in page and "Tom Mentee" in page


@pytest.mark.parametrize(
    ("data", "files", "status", "reason"),
    [
        ({"kind": "single"}, {"recording": ("notes.wav", b"not audio at all", "audio/wav")},
         400, "is not a recording Tandem can read"),
        ({"kind": "single"}, {"recording": ("empty.wav", b"", "audio/wav")}, 400, "is empty"),
        ({"kind": "tracks"}, {"mentor": ("a.wav", b"x", "audio/wav")}, 400, "needs the file(s)"),
        ({"kind": "video"}, {"recording": ("a.wav", b"x", "audio/wav")}, 400, "kind must be"),
        ({"kind": "transcript"}, {"transcript": ("a.vtt", b"WEBVTT\n", "text/vtt")},
         400, "no cues with text"),
        ({"kind": "single", "date": "yesterday"},
         {"recording": ("a.wav", b"x", "audio/wav")}, 400, "date must look like"),
    ],
)  # fmt: skip
def test_bad_uploads_are_refused_and_leave_nothing(
    server: Server, settings: Settings, database: Database,
    data: dict[str, str], files: dict[str, Any], status: int, reason: str,
) -> None:  # fmt: skip
    _, mentee, _, mentorship = _pair(database)
    browser = server.logged_in(mentee)
    before = _counts(database)
    response = browser.post(f"/api/mentorships/{mentorship}/uploads", data=data, files=files,
                            headers=csrf_headers(browser))  # fmt: skip
    assert response.status_code == status, response.text
    assert reason in response.json()["error"]
    assert _counts(database) == before
    assert not settings.uploads_dir.exists() or not any(settings.uploads_dir.iterdir())


def test_uploads_over_the_limit_wrong_people_and_forged_requests_are_refused(
    env: dict[str, str],
    database: Database,
) -> None:
    settings = Settings.from_env({**env, "TANDEM_MAX_UPLOAD_MB": "1"})
    _, mentee, trainer, mentorship = _pair(database)
    url = f"/api/mentorships/{mentorship}/uploads"
    big = {"recording": ("big.wav", b"\0" * (2 * 1024 * 1024), "audio/wav")}
    with running(settings) as server:
        browser = server.logged_in(mentee)
        too_big = browser.post(url, data={"kind": "single"}, files=big,
                               headers=csrf_headers(browser))  # fmt: skip
        assert too_big.status_code == 413 and "limit of 1 MB" in too_big.json()["error"]
        # Without the header the body is never parsed for a token: refused as CSRF (and a
        # body over the limit is refused for its size before anything reads it).
        forged = browser.post(url, data={"kind": "single"},
                              files={"recording": ("a.wav", b"x" * 1000, "audio/wav")})  # fmt: skip
        assert forged.status_code == 403 and "CSRF" in forged.text
        assert browser.post(url, data={"kind": "single"}, files=big).status_code == 413
        coach = server.logged_in(trainer)
        small = {"recording": ("a.wav", b"x", "audio/wav")}
        assert coach.post(url, data={"kind": "single"}, files=small,
                          headers=csrf_headers(coach)).status_code == 403  # fmt: skip
        outsider = server.logged_in(add_account(database, "o@example.org", "O", "mentee"))
        assert outsider.post(url, data={"kind": "single"}, files=small,
                             headers=csrf_headers(outsider)).status_code == 404  # fmt: skip
        assert browser.post(url, json={"kind": "single"},
                            headers=csrf_headers(browser)).status_code == 415  # fmt: skip
    assert _counts(database) == (0, 0)


def test_a_recording_that_fails_in_processing_saves_nothing(
    server: Server, settings: Settings, database: Database, dialogue_files: DialogueFiles
) -> None:
    _, mentee, _, mentorship = _pair(database)
    browser = server.logged_in(mentee)
    with dialogue_files.mentor.open("rb") as mono:  # "stereo", but one channel only
        response = browser.post(
            f"/api/mentorships/{mentorship}/uploads", data={"kind": "stereo"},
            files={"recording": ("mono.wav", mono, "audio/wav")}, headers=csrf_headers(browser),
        )  # fmt: skip
    assert response.status_code == 202
    state = _wait(browser, response.json()["status_url"])
    assert state["status"] == "failed" and "channel" in state["error"]
    assert state["session_id"] is None and _counts(database)[0] == 0
    assert not any(settings.uploads_dir.iterdir())


@pytest.mark.slow
@pytest.mark.also_postgresql
def test_the_upload_page_shows_progress_and_opens_the_session(
    env: dict[str, str], tmp_path: Path, dialogue_files: DialogueFiles
) -> None:
    settings = Settings.from_env(env)
    database = Database.open(settings.database_url)
    try:
        _, mentee, _, mentorship = _pair(database)
    finally:
        database.close()
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        browser = launch_chromium(playwright)
        page = browser.new_page()
        log_in_page(page, base, mentee.email, PASSWORD)
        page.goto(f"{base}/mentorships/{mentorship}")
        page.click("text=Bring in a meeting held elsewhere")
        expect(page.locator("#file-mentor")).to_be_visible()
        expect(page.locator("#file-stereo")).to_be_hidden()
        page.screenshot(path=screenshot_path("upload-form"), full_page=True)
        # Nothing chosen: said at once, nothing sent.
        page.click("#send")
        expect(page.locator("#upload-error")).to_contain_text("Choose a file")
        page.set_input_files("#file-mentor", str(dialogue_files.mentor))
        page.set_input_files("#file-mentee", str(dialogue_files.mentee))
        page.fill("#title", "Walk in the park")
        page.click("#send")
        expect(page.locator("#progress-box")).to_be_visible()
        page.wait_for_url(f"{base}/sessions/*", timeout=120_000)
        expect(page.locator("h1")).to_have_text("Walk in the park")
        expect(page.locator("#transcript > li.speech").first).to_be_visible()
        assert "Tom Mentee" in page.inner_text("#transcript")
        browser.close()
