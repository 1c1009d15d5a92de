"""A mentorship's history and progress: open items from earlier sessions ("From last time"),
sessions over time, links shared in calls, search within the mentorship; on the mentorship
page and in the next call (real headless Chromium), and through the API with its access rules.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from server.db.calls import add_chat, start_session
from server.db.engine import Database
from server.db.tables import Mentorship
from server.settings import Settings
from tests.auth_helpers import (
    PASSWORD,
    Account,
    Server,
    add_account,
    csrf_headers,
    make_mentorship,
    running,
    save_session,
)
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve

FIRST = (
    ("mentor", "How is the grant proposal going?"),
    ("mentee", "Slowly, the budget section is the hard part."),
    ("mentor", "Can you send me the budget draft by Friday?"),
    ("mentee", "Yes, I will send you the budget draft by Friday."),
)
SECOND = (
    ("mentor", "Did the reviewers answer about the proposal?"),
    ("mentee", "Not yet, they meet on Monday."),
)


def _pair(database: Database) -> tuple[Account, Account, Account, int, int, int]:
    mentor = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
    mentee = add_account(database, "tom@example.org", "Tom Mentee", "mentee")
    trainer = add_account(database, "tara@example.org", "Tara Trainer", "trainer")
    mentorship = make_mentorship(database, mentor, mentee, trainer)
    first = save_session(database, "Grant kickoff", mentorship, FIRST,
                         held_at=datetime(2026, 3, 2, 10, tzinfo=UTC))  # fmt: skip
    second = save_session(database, "Grant follow-up", mentorship, SECOND,
                          held_at=datetime(2026, 3, 9, 10, tzinfo=UTC))  # fmt: skip
    with database.sessions() as db:
        add_chat(db, first, mentor.id, "mentor", "Template: https://example.org/budget.xlsx.", 7.0)
    return mentor, mentee, trainer, mentorship, first, second


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


def test_open_items_progress_and_links_through_the_api(server: Server, database: Database) -> None:
    _, mentee, trainer, mentorship, first, _ = _pair(database)
    browser = server.logged_in(mentee)
    items = browser.get(f"/api/mentorships/{mentorship}/action-items").json()["action_items"]
    assert [(i["session_id"], i["session_title"]) for i in items] == [(first, "Grant kickoff")]
    assert "budget draft" in items[0]["action"]
    mine = f"/api/mentorships/{mentorship}/action-items?except_session={first}"
    assert browser.get(mine).json()["action_items"] == []
    assert browser.get(f"/api/mentorships/{mentorship}/action-items?open=maybe").status_code == 400

    progress = browser.get(f"/api/mentorships/{mentorship}/progress").json()
    assert [s["title"] for s in progress["sessions"]] == ["Grant kickoff", "Grant follow-up"]
    assert progress["sessions"][0]["items_open"] == 1
    assert 0 < progress["sessions"][0]["mentee_share"] < 1
    assert [link["url"] for link in progress["links"]] == ["https://example.org/budget.xlsx"]
    assert progress["links"][0]["moment"] == f"/sessions/{first}#t=7.0"

    # Links kept by hand: web addresses only; the pair keeps and removes them.
    headers = csrf_headers(browser)
    kept = browser.post(f"/api/mentorships/{mentorship}/resources",
                        json={"url": "https://example.org/guide", "title": "Grant guide"},
                        headers=headers)  # fmt: skip
    assert kept.status_code == 201 and kept.json()["title"] == "Grant guide"
    for bad in ("javascript:alert(1)", "example.org", "", "https://a b"):
        refused = browser.post(f"/api/mentorships/{mentorship}/resources", json={"url": bad},
                               headers=headers)  # fmt: skip
        assert refused.status_code == 400 and "web address" in refused.json()["error"], bad
    listed = browser.get(f"/api/mentorships/{mentorship}/resources").json()["resources"]
    assert [r["url"] for r in listed] == ["https://example.org/guide"]

    # The trainer: figures over time, no items, no links (nothing said) until both share.
    coach = server.logged_in(trainer)
    assert coach.get(f"/api/mentorships/{mentorship}/action-items").status_code == 403
    seen = coach.get(f"/api/mentorships/{mentorship}/progress").json()
    assert len(seen["sessions"]) == 2 and seen["links"] == []
    admin = server.logged_in(add_account(database, "ada@example.org", "Ada", "admin"))
    assert admin.get(f"/api/mentorships/{mentorship}/action-items").status_code == 403
    assert admin.get(f"/api/mentorships/{mentorship}/progress").status_code == 403
    assert coach.get(f"/api/mentorships/{mentorship}/resources").status_code == 403
    assert coach.delete(f"/api/resources/{kept.json()['id']}",
                        headers=csrf_headers(coach)).status_code == 403  # fmt: skip
    assert browser.delete(f"/api/resources/{kept.json()['id']}", headers=headers).status_code == 204
    otto = add_account(database, "otto@example.org", "Otto", "mentor")
    outsider = server.logged_in(otto)
    assert outsider.get(f"/api/mentorships/{mentorship}/progress").status_code == 404

    # Search within the mentorship finds its words, not those of Tom's other mentorship.
    other = make_mentorship(database, otto, mentee)
    elsewhere = save_session(database, "Elsewhere", other, [("mentee", "My budget draft too.")])
    everywhere = browser.get("/api/search", params={"q": "budget draft"}).json()["results"]
    assert {hit["session_id"] for hit in everywhere} == {first, elsewhere}
    found = browser.get("/api/search", params={"q": "budget draft", "mentorship": mentorship})
    assert {hit["session_id"] for hit in found.json()["results"]} == {first}
    unusable = browser.get("/api/search", params={"q": "budget", "mentorship": "x"})
    assert unusable.status_code == 400


def _login(page: Page, base: str, email: str) -> None:
    log_in_page(page, base, email, PASSWORD)


@pytest.mark.slow
def test_the_mentorship_page_and_the_next_call_show_what_is_open(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(env)
    database = Database.open(settings.database_url)
    try:
        _, mentee, _, mentorship_id, _, _ = _pair(database)
        with database.sessions() as db:
            mentorship = db.get(Mentorship, mentorship_id)
            assert mentorship is not None
            call_id = start_session(db, mentorship).id
    finally:
        database.close()
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        browser = launch_chromium(
            playwright, ("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream")
        )
        page = browser.new_page()
        _login(page, base, mentee.email)
        page.goto(f"{base}/mentorships/{mentorship_id}")
        open_items = page.locator("#open-items > li")
        expect(open_items).to_have_count(1)
        assert "budget draft" in open_items.first.inner_text()
        assert "Grant kickoff" in open_items.first.locator("a.source").inner_text()
        rows = page.locator("table.progress tbody tr")
        expect(rows).to_have_count(3)  # the open call, then the two sessions, newest first
        assert "Grant follow-up" in rows.nth(1).inner_text()
        assert "%" in rows.nth(2).inner_text() and "0 of 1" in rows.nth(2).inner_text()
        link = page.locator("#resources li.from-chat a").first
        assert link.get_attribute("href") == "https://example.org/budget.xlsx"
        page.fill("#resource-url", "https://example.org/handbook")
        page.fill("#resource-title", "Grant handbook")
        page.click("#add-resource button")
        kept = page.locator("#resources li.kept a", has_text="Grant handbook")
        expect(kept).to_have_count(1)
        assert kept.get_attribute("href") == "https://example.org/handbook"
        page.screenshot(path=screenshot_path("mentorship-progress"), full_page=True)

        # Search this mentorship; the hit opens the moment on the session page.
        page.fill("#mentorship-q", "reviewers")
        page.click("form.mentorship-search button")
        page.click("ol.results a")
        expect(page.locator("#transcript > li.speech.playing")).to_have_count(1)
        assert "reviewers" in page.locator("#transcript > li.playing").inner_text()

        # In the next call the same item is there to tick off, and it stays ticked.
        page.goto(f"{base}/sessions/{call_id}/call")
        page.click("#join")
        page.wait_for_selector("#call:not([hidden])")
        panel = page.locator("#last-time")
        expect(panel).to_be_visible()
        assert "budget draft" in panel.inner_text()
        panel.locator("input.tick").check()
        expect(page.locator("#last-time #items-status")).to_have_text("Marked done.")
        page.screenshot(path=screenshot_path("call-from-last-time"), full_page=True)
        page.click("#leave")
        page.goto(f"{base}/mentorships/{mentorship_id}")
        expect(page.locator("#open-items > li")).to_have_count(0)
        assert "every action item of earlier sessions is done" in page.inner_text("main")
        expect(page.locator("table.progress tbody tr").nth(2)).to_contain_text("1 of 1")
        browser.close()
