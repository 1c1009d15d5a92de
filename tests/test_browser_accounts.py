"""In real headless Chromium: setup link → admin → invites → the invited person sets a
password, logs in and sees only their own mentorship. Screenshots go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.browser import launch_chromium, screenshot_path, serve
from tests.conftest import DialogueFiles
from tests.helpers import run_tandem

pytestmark = pytest.mark.slow

PASSWORD = "a long enough password"


def _add_person(page: Page, base: str, name: str, email: str, role: str) -> str:
    page.goto(f"{base}/admin/people")
    page.fill("input[name=name]", name)
    page.fill("input[name=email]", email)
    page.select_option("select[name=role]", role)
    page.click("text=Add and invite")
    link = page.input_value("input.link")
    assert "/invite/" in link
    return link


def test_setup_invite_login_and_privacy(
    env: dict[str, str], tmp_path: Path, dialogue_files: DialogueFiles
) -> None:
    with serve(env, tmp_path) as server, sync_playwright() as playwright:
        base = server.base_url
        browser = launch_chromium(playwright)
        requested: list[str] = []
        admin = browser.new_page()
        admin.on("request", lambda request: requested.append(request.url))

        # First start: the setup link printed by `tandem serve` creates the admin.
        admin.goto(server.setup_link())
        admin.fill("#name", "Ada Admin")
        admin.fill("#email", "ada@example.org")
        admin.fill("#password", PASSWORD)
        admin.click("text=Create admin account")
        admin.wait_for_url(f"{base}/")
        assert admin.locator("h1").inner_text() == "Program"
        admin.screenshot(path=screenshot_path("admin-home"), full_page=True)

        tom_link = _add_person(admin, base, "Tom Mentee", "tom@example.org", "mentee")
        _add_person(admin, base, "Mira Mentor", "mira@example.org", "mentor")
        _add_person(admin, base, "Otto Other", "otto@example.org", "mentor")
        _add_person(admin, base, "Pia Private", "pia@example.org", "mentee")
        admin.screenshot(path=screenshot_path("admin-people"), full_page=True)

        admin.goto(f"{base}/admin/mentorships")
        for mentor_email, mentee_email in (("mira@example.org", "tom@example.org"),
                                           ("otto@example.org", "pia@example.org")):  # fmt: skip
            admin.select_option("select[name=mentor]", mentor_email)
            admin.select_option("select[name=mentee]", mentee_email)
            admin.click("text=Create mentorship")
        assert admin.locator("table.sessions tbody tr").count() == 2
        admin.screenshot(path=screenshot_path("admin-mentorships"), full_page=True)

        for mentorship, title in ((1, "Week one with Mira"), (2, "Pia and Otto private")):
            saved = run_tandem(
                ["analyze", "--stereo", str(dialogue_files.stereo), "--save",
                 "--mentorship", str(mentorship), "--title", title],
                env | {"TANDEM_PUBLIC_URL": base},
            )  # fmt: skip
            assert saved.returncode == 0, saved.stderr

        admin.click("text=Log out")
        admin.wait_for_url(f"{base}/login")

        # The invited mentee chooses a password and lands on their own home page.
        mentee = browser.new_context().new_page()
        mentee.on("request", lambda request: requested.append(request.url))
        mentee.goto(tom_link)
        assert "Welcome, Tom Mentee" in mentee.inner_text("h1")
        mentee.fill("#password", PASSWORD)
        mentee.click("text=Set password and log in")
        mentee.wait_for_url(f"{base}/")
        home = mentee.inner_text("main")
        assert "Mira Mentor & Tom Mentee" in home
        assert "Week one with Mira" in home
        assert "Pia" not in home and "Otto" not in home
        mentee.screenshot(path=screenshot_path("mentee-home"), full_page=True)

        mentee.click("text=Week one with Mira")
        assert mentee.locator("ol.transcript li").count() >= 3
        mentee.screenshot(path=screenshot_path("mentee-session"), full_page=True)

        # Someone else's session is not there for him.
        response = mentee.goto(f"{base}/sessions/2")
        assert response is not None and response.status == 404
        assert "Pia and Otto private" not in mentee.content()

        # The invite link worked once.
        reuse = browser.new_context().new_page()
        reuse.goto(tom_link)
        assert "already used" in reuse.inner_text("main")

        # Keyboard: the first Tab reaches the skip link; 200% zoom needs no sideways scroll.
        keyboard = browser.new_context(viewport={"width": 640, "height": 720}).new_page()
        keyboard.goto(f"{base}/login")
        keyboard.keyboard.press("Tab")
        assert keyboard.evaluate("document.activeElement.className") == "skip"
        keyboard.fill("#email", "tom@example.org")
        keyboard.fill("#password", PASSWORD)
        keyboard.keyboard.press("Enter")
        keyboard.wait_for_url(f"{base}/")
        overflow = keyboard.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        keyboard.screenshot(path=screenshot_path("mentee-home-200pct"), full_page=True)
        browser.close()

    # Everything the pages needed came from this server: no CDN.
    assert requested and all(url.startswith(base) for url in requested), sorted(set(requested))
