"""Goals of a mentorship: the pair adds them, links action items, reaches or drops them; a
goal shows its items, what is done and where it was discussed; trainers read them only with
sharing and never change them. API and real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from server.db.engine import Database
from server.db.tables import Mentorship
from server.settings import Settings
from tests.auth_helpers import (
    PASSWORD,
    Server,
    World,
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


def test_the_pair_sets_goals_and_links_items(server: Server, world: World) -> None:
    mentee = server.logged_in(world.mentee_b)
    headers = csrf_headers(mentee)
    goals_url = f"/api/mentorships/{world.mentorship_b}/goals"
    created = mentee.post(
        goals_url, json={"title": " Lead a design review ", "due_date": "2027-03-31"},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    goal = created.json()
    assert (goal["title"], goal["status"], goal["due_date"]) == (
        "Lead a design review", "open", "2027-03-31",
    )  # fmt: skip

    linked = mentee.patch(
        f"/api/action-items/{world.item_b}", json={"goal_id": goal["id"]}, headers=headers
    )
    assert linked.status_code == 200 and linked.json()["goal_id"] == goal["id"]
    assert linked.json()["origin"] == "detected"  # linking is not rewording
    mentee.patch(f"/api/action-items/{world.item_b}", json={"done": True}, headers=headers)
    [*_, shown] = mentee.get(goals_url).json()["goals"]
    assert [i["id"] for i in shown["items"]] == [world.item_b] and shown["items_done"] == 1
    assert [s["id"] for s in shown["sessions"]] == [world.session_b]

    # An item cannot serve another mentorship's goal.
    foreign = mentee.patch(
        f"/api/action-items/{world.item_b}", json={"goal_id": world.goal_a}, headers=headers
    )
    assert foreign.status_code == 400 and "no goal" in foreign.json()["error"]

    reached = mentee.patch(f"/api/goals/{goal['id']}", json={"status": "done"}, headers=headers)
    assert reached.json()["status"] == "done" and reached.json()["closed_at"]
    reopened = mentee.patch(f"/api/goals/{goal['id']}", json={"status": "open"}, headers=headers)
    assert reopened.json()["closed_at"] is None

    mentor = server.logged_in(world.mentor_b)
    gone = mentor.delete(f"/api/goals/{goal['id']}", headers=csrf_headers(mentor))
    assert gone.status_code == 204
    item = mentee.get(f"/api/sessions/{world.session_b}/action-items").json()["action_items"]
    assert item[0]["goal_id"] is None  # the item stays, unlinked


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"title": "  "}, "must not be empty"),
        ({"title": "x" * 301}, "at most 300"),
        ({"title": "Go", "status": "maybe"}, "status must be one of"),
        ({"title": "Go", "due_date": "March"}, "due_date must be a date"),
        ({"title": "Go", "colour": "red"}, "unknown field"),
    ],
)
def test_bad_goals_are_refused_with_a_reason(
    server: Server, world: World, body: dict[str, object], reason: str
) -> None:
    mentee = server.logged_in(world.mentee_b)
    response = mentee.post(
        f"/api/mentorships/{world.mentorship_b}/goals", json=body, headers=csrf_headers(mentee)
    )
    assert response.status_code == 400 and reason in response.json()["error"]


def test_trainers_read_goals_only_with_sharing_and_never_change_them(
    server: Server, world: World, database: Database
) -> None:
    trainer = server.logged_in(world.trainer_b)
    headers = csrf_headers(trainer)
    url = f"/api/mentorships/{world.mentorship_b}/goals"
    assert trainer.get(url).status_code == 403
    with database.sessions() as db:
        mentorship = db.get(Mentorship, world.mentorship_b)
        assert mentorship is not None
        mentorship.mentor_shares = mentorship.mentee_shares = True
        db.commit()
    assert [g["title"] for g in trainer.get(url).json()["goals"]] == ["Give a conference talk"]
    assert trainer.post(url, json={"title": "Mine"}, headers=headers).status_code == 403
    assert trainer.patch(f"/api/goals/{world.goal_b}", json={"status": "done"},
                         headers=headers).status_code == 403  # fmt: skip
    outsider = server.logged_in(world.mentee_a)
    assert outsider.get(url).status_code == 404
    assert outsider.delete(f"/api/goals/{world.goal_b}",
                           headers=csrf_headers(outsider)).status_code == 404  # fmt: skip


@pytest.mark.slow
def test_a_goal_on_the_mentorship_page_gathers_its_items(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(env)
    database = Database.open(settings.database_url)
    try:
        world = build_world(database)
    finally:
        database.close()
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        browser = launch_chromium(playwright)
        page = browser.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        log_in_page(page, base, world.mentee_b.email, PASSWORD)
        page.goto(f"{base}/mentorships/{world.mentorship_b}")
        page.fill("#goal-title", "Lead a design review")
        page.fill("#goal-due", "2027-03-31")
        page.click("#add-goal button")
        goal = page.locator("#goals > li.goal", has_text="Lead a design review")
        expect(goal).to_have_count(1)
        assert "by 2027-03-31" in goal.inner_text() and "no items linked yet" in goal.inner_text()

        # Link the session's item to it from the session page.
        page.goto(f"{base}/sessions/{world.session_b}")
        page.wait_for_selector("#items > li.item")
        page.click("#items button:has-text('Edit')")
        page.select_option("#items form select[name=goal_id]", label="Lead a design review")
        page.click("#items form button:has-text('Save')")
        expect(page.locator("#items .goal-tag")).to_have_text("Goal: Lead a design review")

        page.goto(f"{base}/mentorships/{world.mentorship_b}")
        goal = page.locator("#goals > li.goal", has_text="Lead a design review")
        assert "0 of 1 items done" in goal.inner_text()
        assert "Discussed in Bravo retrospective" in goal.inner_text()
        page.screenshot(path=screenshot_path("mentorship-goals"), full_page=True)
        goal.locator("button:has-text('Reached')").click()
        reached = page.locator("#goals > li.goal.done", has_text="Lead a design review")
        expect(reached).to_have_count(1)
        assert "Reached" in reached.inner_text()
        page.reload()
        expect(page.locator("#goals > li.goal.done")).to_have_count(1)
        browser.close()
