"""Targets for one mentorship: its trainer or an admin sets them over the program's, the pair
reads them; the next call, the refinement and uploads judge the pair by them (the live call
test holds a real call to a pair's 5 s monologue target). API and real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from server.db.directory import mentorship_targets
from server.db.engine import Database
from server.settings import Settings
from tests.auth_helpers import PASSWORD, Server, World, build_world, csrf_headers, running
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


@pytest.fixture
def world(database: Database) -> World:
    return build_world(database)


def _url(world: World) -> str:
    return f"/api/mentorships/{world.mentorship_a}/targets"


def test_the_trainer_sets_a_pairs_targets_and_the_pair_reads_them(
    server: Server, world: World, database: Database, settings: Settings
) -> None:
    trainer = server.logged_in(world.trainer_a)
    saved = trainer.put(_url(world), json={"max_monologue_s": 45, "mentee_min_share": 0.5},
                        headers=csrf_headers(trainer))  # fmt: skip
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["own"] == {"max_monologue_s": 45.0, "mentee_min_share": 0.5}
    assert body["targets"]["max_monologue_s"] == 45.0
    assert body["targets"]["max_interruptions"] == settings.targets.max_interruptions
    assert body["program"]["max_monologue_s"] == settings.targets.max_monologue_s
    # What the call and the refinement read for this pair, and for the other pair.
    with database.sessions() as db:
        ours = mentorship_targets(db, world.mentorship_a, settings.targets)
        theirs = mentorship_targets(db, world.mentorship_b, settings.targets)
    assert (ours.max_monologue_s, ours.mentee_min_share) == (45.0, 0.5)
    assert theirs == settings.targets
    # The mentee reads them (and may not change them).
    mentee = server.logged_in(world.mentee_a)
    read = mentee.get(_url(world)).json()
    assert read["targets"]["max_monologue_s"] == 45.0 and read["may_change"] is False
    page = mentee.get(f"/mentorships/{world.mentorship_a}").text
    assert "Targets for this pair" in page and "45 s" in page and "targets-form" not in page
    refused = mentee.put(_url(world), json={"max_monologue_s": 300}, headers=csrf_headers(mentee))
    assert refused.status_code == 403
    mentor = server.logged_in(world.mentor_a)
    assert mentor.put(_url(world), json={"max_monologue_s": 300},
                      headers=csrf_headers(mentor)).status_code == 403  # fmt: skip
    # Another pair's trainer does not learn the mentorship exists.
    other = server.logged_in(world.trainer_b)
    assert other.get(_url(world)).status_code == 404
    assert other.put(_url(world), json={"max_monologue_s": 300},
                     headers=csrf_headers(other)).status_code == 404  # fmt: skip
    # An admin may set them too; null gives a target back to the program.
    admin = server.logged_in(world.admin)
    cleared = admin.put(_url(world), json={"max_monologue_s": None}, headers=csrf_headers(admin))
    assert cleared.status_code == 200 and cleared.json()["own"] == {"mentee_min_share": 0.5}
    assert mentee.get(_url(world)).json()["targets"]["max_monologue_s"] == (
        settings.targets.max_monologue_s
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"max_monologue_s": 2}, "between 5 and 3600"),
        ({"mentee_min_share": 1.5}, "between 0 and 1"),
        ({"max_interruptions": True}, "must be a number"),
        ({"max_interruptions": [1]}, "must be a number"),
        ({"max_interruptions": {"a": {"b": 1}}}, "must be a number"),
        ({"window_s": 60}, "unknown target"),
    ],
)
def test_bad_targets_are_refused_with_a_reason_and_change_nothing(
    server: Server, world: World, body: dict[str, object], reason: str
) -> None:
    trainer = server.logged_in(world.trainer_a)
    before = trainer.get(_url(world)).json()
    refused = trainer.put(_url(world), json=body, headers=csrf_headers(trainer))
    assert refused.status_code == 400 and reason in refused.json()["error"], refused.text
    assert trainer.get(_url(world)).json() == before


def test_infinity_and_nan_are_refused(server: Server, world: World) -> None:
    trainer = server.logged_in(world.trainer_a)
    for literal in ("Infinity", "NaN", "-Infinity"):
        refused = trainer.put(
            _url(world),
            content=f'{{"max_monologue_s": {literal}}}',
            headers={**csrf_headers(trainer), "Content-Type": "application/json"},
        )
        assert refused.status_code == 400, (literal, refused.text)


@pytest.mark.slow
def test_a_trainer_changes_a_pairs_targets_on_its_page(env: dict[str, str], tmp_path: Path) -> None:
    settings = Settings.from_env(env)
    database = Database.open(settings.database_url)
    try:
        world = build_world(database)
    finally:
        database.close()
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        browser = launch_chromium(playwright)
        trainer = browser.new_page(viewport={"width": 1100, "height": 900})
        log_in_page(trainer, base, world.trainer_a.email, PASSWORD)
        trainer.goto(f"{base}/mentorships/{world.mentorship_a}")
        rows = trainer.locator("#targets .target-row")
        expect(rows).to_have_count(4)
        assert trainer.locator("#targets .badge").count() == 0
        trainer.click("details.edit-targets summary")
        trainer.fill("#t-mono", "60")
        trainer.fill("#t-share", "45")
        trainer.click("#targets-form button[type=submit]")
        monologue = trainer.locator('#targets .target-row[data-key="max_monologue_s"]')
        expect(monologue).to_contain_text("60 s")
        expect(monologue.locator(".badge")).to_have_text("for this pair")
        share = trainer.locator('#targets .target-row[data-key="mentee_min_share"]')
        expect(share).to_contain_text("45%")
        # Unchanged ones still follow the program's and are not marked as the pair's.
        gap = trainer.locator('#targets .target-row[data-key="question_gap_s"]')
        assert gap.locator(".badge").count() == 0
        trainer.click("details.edit-targets summary")
        trainer.screenshot(path=screenshot_path("pair-targets-trainer"), full_page=True)
        # The mentee sees the pair's targets, not the form.
        mentee = browser.new_page(viewport={"width": 1100, "height": 900})
        log_in_page(mentee, base, world.mentee_a.email, PASSWORD)
        mentee.goto(f"{base}/mentorships/{world.mentorship_a}")
        expect(mentee.locator('#targets .target-row[data-key="max_monologue_s"]')).to_contain_text(
            "60 s"
        )
        assert mentee.locator("#targets-form").count() == 0
        # Back to the program's targets.
        trainer.click("#targets-reset")
        expect(monologue.locator(".badge")).to_have_count(0)
        expect(monologue).to_contain_text("90 s")
        browser.close()
