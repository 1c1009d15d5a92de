"""In real headless Chromium: a mentee finds their account page from the header and downloads
their data; an admin deactivates and then deletes a person through the confirmation page.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from server.db.engine import Database
from server.settings import Settings
from tests.auth_helpers import PASSWORD, WORD_A, build_world
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve

pytestmark = pytest.mark.slow


def test_a_person_downloads_their_data_and_an_admin_deletes_a_person(
    env: dict[str, str], tmp_path: Path
) -> None:
    database = Database.open(Settings.from_env(env).database_url)
    world = build_world(database)
    database.close()
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        browser = launch_chromium(playwright)

        mentee = browser.new_context(accept_downloads=True).new_page()
        log_in_page(mentee, base, world.mentee_a.email, PASSWORD)
        mentee.click("header .who a")
        mentee.wait_for_url(f"{base}/account")
        expect(mentee.locator("h1")).to_have_text("Your account")
        expect(mentee.locator("dl.facts")).to_contain_text(world.mentee_a.email)
        button = mentee.locator("#export")
        expect(button).to_be_visible()
        mentee.screenshot(path=screenshot_path("account"), full_page=True)
        with mentee.expect_download() as download:
            button.click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        document = json.loads(zipfile.ZipFile(saved).read("person.json"))
        assert WORD_A in json.dumps(document["sessions"])

        admin = browser.new_page()
        log_in_page(admin, base, world.admin.email, PASSWORD)
        admin.goto(f"{base}/admin/people")
        row = admin.locator("tr", has_text=world.mentee_a.email)
        expect(row.get_by_text("Delete…")).to_have_count(0)
        row.get_by_role("button", name="Deactivate").click()
        row = admin.locator("tr", has_text=world.mentee_a.email)
        expect(row).to_contain_text("deactivated")
        admin.screenshot(path=screenshot_path("admin-people-deactivated"), full_page=True)
        row.get_by_text("Delete…").click()
        expect(admin.locator("h1")).to_have_text(f"Delete {world.mentee_a.name}?")
        expect(admin.locator("ul.footprint")).to_contain_text("1 session:")
        admin.screenshot(path=screenshot_path("admin-delete-person"), full_page=True)
        admin.fill("input[name=confirm]", "not the email")
        admin.click("button:has-text('Delete for good')")
        expect(admin.locator("p.error")).to_be_visible()
        admin.fill("input[name=confirm]", world.mentee_a.email)
        admin.click("button:has-text('Delete for good')")
        expect(admin.locator("h1")).to_have_text("Person deleted")
        admin.click("text=Back to people")
        expect(admin.locator("table.sessions")).not_to_contain_text(world.mentee_a.email)
        expect(admin.locator("table.sessions")).to_contain_text(world.mentee_b.email)

        # The mentee's own page is gone with them: the old login no longer works.
        mentee.goto(f"{base}/account")
        assert mentee.url.startswith(f"{base}/login")
        browser.close()
