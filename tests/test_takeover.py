"""No admin can log in as a member: no invite link for anyone who has chosen a password (page,
API, or an old link), a forgotten password is reset on the operator's console only, and the
person is told of the reset at their next login. Real server, real CLI, real Chromium."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from server.auth import AuthError, create_link, hash_password, use_invite_link
from server.db.engine import Database
from server.db.tables import Person
from server.settings import Settings
from tests.auth_helpers import (
    PASSWORD,
    Server,
    add_account,
    csrf_from_page,
    login,
    running,
)
from tests.browser import launch_chromium, log_in_page, screenshot_path, serve
from tests.helpers import run_tandem

LINK = re.compile(r"/invite/([A-Za-z0-9_-]{20,})")


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


def _reinvite(server: Server, admin_email: str, person_id: int) -> tuple[int, str]:
    admin = server.browser()
    assert login(admin, admin_email, PASSWORD).status_code == 303
    token = csrf_from_page(admin, "/admin/people")
    page = admin.post(f"/admin/people/{person_id}/invite", data={"csrf_token": token})
    return page.status_code, page.text


def test_an_admin_gets_no_link_for_someone_with_a_password(
    server: Server, database: Database
) -> None:
    admin = add_account(database, "ada@example.org", "Ada Admin", "admin")
    member = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
    newcomer = add_account(database, "nia@example.org", "Nia New", "mentee", password=None)
    status, text = _reinvite(server, admin.email, member.id)
    assert status == 409 and "tandem users reset" in text
    assert not LINK.search(text)
    # The people page offers no invite for her, and does for someone still to join.
    people = server.browser()
    login(people, admin.email, PASSWORD)
    listing = people.get("/admin/people").text
    assert f"/admin/people/{member.id}/invite" not in listing
    assert f"/admin/people/{newcomer.id}/invite" in listing
    status, text = _reinvite(server, admin.email, newcomer.id)
    assert status == 200 and LINK.search(text)
    # Her own password still works; nothing changed for her.
    assert login(server.browser(), member.email, PASSWORD).status_code == 303


def test_an_invite_made_before_a_password_was_chosen_stops_working(
    server: Server, database: Database
) -> None:
    newcomer = add_account(database, "nia@example.org", "Nia New", "mentee", password=None)
    with database.sessions() as db:
        person = db.get(Person, newcomer.id)
        assert person is not None
        token = create_link(db, "invite", person, 3600)
        person.password_hash = hash_password("her own password 1")
        db.commit()
    browser = server.browser()
    form = csrf_from_page(browser, f"/invite/{token}")
    taken = browser.post(f"/invite/{token}", data={"csrf_token": form, "password": "x" * 12},
                         follow_redirects=False)  # fmt: skip
    assert taken.status_code == 400 and "no longer valid" in taken.text
    assert login(server.browser(), newcomer.email, "x" * 12).status_code == 400
    assert login(server.browser(), newcomer.email, "her own password 1").status_code == 303


def test_the_operator_resets_a_password_and_the_person_is_told(
    env: dict[str, str], server: Server, database: Database
) -> None:
    member = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
    old = server.browser()
    assert login(old, member.email, PASSWORD).status_code == 303
    done = run_tandem(["users", "reset", member.email], env)
    assert done.returncode == 0, done.stderr
    found = LINK.search(done.stdout)
    assert found, done.stdout
    token = found.group(1)
    browser = server.browser()
    page = browser.get(f"/invite/{token}")
    assert "A new password for Mira Mentor" in page.text
    new_password = "a brand new secret 7"
    used = browser.post(
        f"/invite/{token}",
        data={"csrf_token": csrf_from_page(browser, f"/invite/{token}"), "password": new_password},
        follow_redirects=False,
    )
    assert used.status_code == 303 and used.headers["location"] == "/login?reset=done"
    assert "tandem_session" not in used.headers.get("set-cookie", "")  # nobody logged in
    # Every login made with the old password has ended.
    assert old.get("/", follow_redirects=False).headers.get("location") == "/login"
    assert login(server.browser(), member.email, PASSWORD).status_code == 400
    first = login(server.browser(), member.email, new_password)
    assert first.status_code == 200 and "Your password was reset" in first.text
    assert "tell your program" in first.text
    again = login(server.browser(), member.email, new_password)
    assert again.status_code == 303  # told once
    # The link was shown on the console only, and works once.
    assert server.browser().get(f"/invite/{token}").status_code == 404


def test_reset_refuses_unknown_and_deactivated_people(
    env: dict[str, str], database: Database
) -> None:
    done = run_tandem(["users", "reset", "nobody@example.org"], env)
    assert done.returncode != 0 and "nobody@example.org" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_the_admin_page_and_the_reset_notice_in_a_browser(
    env: dict[str, str], tmp_path: Path
) -> None:
    settings = Settings.from_env(env)
    database = Database.open(settings.database_url)
    try:
        admin = add_account(database, "ada@example.org", "Ada Admin", "admin")
        member = add_account(database, "mira@example.org", "Mira Mentor", "mentor")
        add_account(database, "nia@example.org", "Nia New", "mentee", password=None)
    finally:
        database.close()
    with serve(env, tmp_path) as running_server, sync_playwright() as playwright:
        base = running_server.base_url
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1100, "height": 700})
        log_in_page(page, base, admin.email, PASSWORD)
        page.goto(f"{base}/admin/people")
        mira = page.locator("tr", has_text="Mira Mentor")
        expect(mira.get_by_role("button", name="Deactivate")).to_be_visible()
        assert mira.get_by_role("button", name="New invite link").count() == 0
        expect(page.locator("#reset-hint")).to_contain_text("tandem users reset")
        nia = page.locator("tr", has_text="Nia New")
        expect(nia.get_by_role("button", name="New invite link")).to_be_visible()
        page.screenshot(path=screenshot_path("admin-people-passwords"), full_page=True)
        done = run_tandem(["users", "reset", member.email], env)
        token = LINK.search(done.stdout)
        assert token, done.stdout
        person = browser.new_page(viewport={"width": 1100, "height": 700})
        person.goto(f"{base}/invite/{token.group(1)}")
        person.fill("#password", "a brand new secret 7")
        person.click("button[type=submit]")
        expect(person.locator("p.notice")).to_contain_text("log in with it")
        person.fill("#email", member.email)
        person.fill("#password", "a brand new secret 7")
        person.click("button[type=submit]")
        expect(person.locator("h1")).to_have_text("Your password was reset")
        expect(person.locator("main")).to_contain_text("tell your program's admin")
        person.screenshot(path=screenshot_path("password-reset-notice"), full_page=True)
        person.get_by_role("link", name="Continue").click()
        expect(person).to_have_url(f"{base}/")
        browser.close()


def test_one_invite_link_used_four_times_at_once_works_once(database: Database) -> None:
    newcomer = add_account(database, "nia@example.org", "Nia New", "mentee", password=None)
    with database.sessions() as db:
        person = db.get(Person, newcomer.id)
        assert person is not None
        token = create_link(db, "invite", person, 3600)
    start = threading.Barrier(4)

    def use(number: int) -> str:
        with database.sessions() as db:
            start.wait()
            try:
                use_invite_link(db, token, f"password number {number}")
            except AuthError:
                return "refused"
            return "set"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(use, range(4)))
    assert sorted(outcomes) == ["refused", "refused", "refused", "set"], outcomes
