"""The program admin's figures: sessions per week, mentorships meeting the talk target, the
mentorships gone quiet; counts and names only, never a title or a word; admins only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from server.db.engine import Database
from server.db.program import program_figures
from server.settings import Settings
from tests.auth_helpers import PASSWORD, Server, add_account, make_mentorship, running, save_session
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve

NOW = datetime(2026, 3, 26, 12, tzinfo=UTC)  # a Thursday
SECRET_TITLE = "Talk about the brachiosaurus merger"
BALANCED = (("mentor", "How was it?"), ("mentee", "It went well, thanks for asking me."))
#: Every line lasts 4 s (small_transcript): three of the mentor's to one of the mentee's.
LECTURE = (("mentor", "Let me explain the plan."), ("mentor", "Step one is the budget."),
           ("mentor", "Step two is the review."), ("mentee", "Okay."))  # fmt: skip


def _program(database: Database, now: datetime = NOW) -> tuple[int, int, int]:
    people = [add_account(database, f"p{i}@example.org", f"Person {i}",
                          "mentor" if i % 2 == 0 else "mentee") for i in range(6)]  # fmt: skip
    balanced = make_mentorship(database, people[0], people[1])
    lecturing = make_mentorship(database, people[2], people[3])
    quiet = make_mentorship(database, people[4], people[5])
    # This week (of Mar 23): 2 sessions; the week of Mar 16: 1; Sunday Mar 1 (the quiet
    # pair's last) falls in the week of Feb 23.
    save_session(database, SECRET_TITLE, balanced, BALANCED, held_at=now - timedelta(days=1))
    save_session(database, "B", lecturing, LECTURE, held_at=now - timedelta(days=2))
    save_session(database, "C", lecturing, BALANCED, held_at=now - timedelta(days=8))
    save_session(database, "D", quiet, BALANCED, held_at=now - timedelta(days=25))
    return balanced, lecturing, quiet


def test_figures_worked_out_by_hand(database: Database) -> None:
    _, _, quiet = _program(database)
    with database.sessions() as db:
        figures = program_figures(db, NOW, weeks=4, quiet_weeks=3, mentee_min_share=0.4)
    assert [n for _, n in figures.per_week] == [0, 0, 1, 2]  # weeks of Mar 2, 9, 16, 23
    assert figures.per_week[-1][0].isoformat() == "2026-03-23"
    # Latest sessions: balanced yes, lecturing (its latest is the lecture) no, quiet yes.
    assert (figures.meeting_share_target, figures.mentorships_with_figures) == (2, 3)
    assert [q.mentorship_id for q in figures.quiet] == [quiet]
    assert figures.quiet[0].last_held is not None
    assert figures.quiet[0].last_held.isoformat() == "2026-03-01"


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


def test_only_admins_see_them_and_no_content(server: Server, database: Database) -> None:
    _program(database)
    admin = server.logged_in(add_account(database, "ada@example.org", "Ada", "admin"))
    summary = admin.get("/api/program/summary", params={"weeks": 8, "quiet_weeks": 1}).json()
    assert len(summary["sessions_per_week"]) == 8
    assert summary["mentorships_with_figures"] == 3
    assert admin.get("/api/program/summary", params={"weeks": "x"}).status_code == 400
    page = admin.get("/admin/program").text
    assert SECRET_TITLE not in page and SECRET_TITLE not in str(summary)
    trainer = server.logged_in(add_account(database, "t@example.org", "T", "trainer"))
    assert trainer.get("/api/program/summary").status_code == 403
    assert trainer.get("/admin/program").status_code == 403


@pytest.mark.slow
def test_the_program_page_in_a_browser(env: dict[str, str], tmp_path: Path) -> None:
    settings = Settings.from_env(env)
    database = Database.open(settings.database_url)
    try:
        _program(database, datetime.now(UTC))
        admin = add_account(database, "ada@example.org", "Ada Admin", "admin")
    finally:
        database.close()
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page()
        log_in_page(page, server.base_url, admin.email, PASSWORD)
        page.goto(f"{server.base_url}/admin/program")
        expect(page.locator("figure.weeks rect.week-bar")).to_have_count(12)
        expect(page.locator("#weeks-table tbody tr")).to_have_count(12)
        assert "2 of 3" in page.inner_text("#meeting")
        expect(page.locator("#quiet-table tbody tr")).to_have_count(1)  # the pair gone quiet
        assert SECRET_TITLE not in page.inner_text("main")
        page.screenshot(path=screenshot_path("admin-program"), full_page=True)
        browser.close()
