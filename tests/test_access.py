"""Accounts and access control, server side, on real SQLite: setup and invite links, logging
in and out, rate limits, idle expiry, cookies and headers, CSRF, open redirects, and who may
see which mentorship, session, transcript and search result."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from sqlalchemy import func, select
from starlette.routing import Route
from starlette.testclient import TestClient

from server.app import all_routes, create_app
from server.auth import CSRF_COOKIE, SESSION_COOKIE, AuthError, create_link
from server.db.engine import Database
from server.db.tables import (
    ActionItemRow,
    AuthSession,
    Goal,
    Invite,
    Mentorship,
    Person,
    ProgramSetting,
    Session,
)
from server.settings import Settings
from tests.auth_helpers import (
    PASSWORD,
    TITLE_A,
    TITLE_B,
    TITLE_IMPORT,
    WORD_A,
    WORD_B,
    WORD_IMPORT,
    Account,
    Server,
    World,
    add_account,
    build_world,
    csrf_from_page,
    csrf_headers,
    login,
    make_mentorship,
    running,
    save_session,
)

if TYPE_CHECKING:
    from httpx2 import Response

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
WRONG = "email or password is wrong"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


@pytest.fixture
def world(database: Database) -> World:
    return build_world(database)


def _person(database: Database, email: str) -> Person | None:
    with database.sessions() as db:
        return db.scalars(select(Person).where(Person.email == email)).first()


def _count_people(database: Database) -> int:
    with database.sessions() as db:
        return db.scalar(select(func.count()).select_from(Person)) or 0


def _mentorship(database: Database, mentorship_id: int) -> Mentorship:
    with database.sessions() as db:
        found = db.get(Mentorship, mentorship_id)
        assert found is not None
        return found


def _set_cookie(response: Response, name: str) -> list[str]:
    """The attributes of the Set-Cookie header for ``name``, lower-cased (name=value first)."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return [part.strip().lower() for part in header.split(";")]
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers.get_list('set-cookie')}")


def _me(client: TestClient) -> int:
    return client.get("/api/me").status_code


def _error_text(page: str) -> str:
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', page)
    assert found is not None, page
    return found.group(1)


# -- setup link ----------------------------------------------------------------------------------


def test_home_before_setup_explains_how_to_start(server: Server) -> None:
    response = server.browser().get("/", follow_redirects=False)
    assert response.status_code == 200
    assert "not set up yet" in response.text


def test_setup_link_creates_the_first_admin_and_works_once(
    server: Server, database: Database
) -> None:
    with database.sessions() as db:
        token = create_link(db, "setup", None, 3600)
    browser = server.browser()
    form = browser.get(f"/setup/{token}")
    assert form.status_code == 200 and 'name="password"' in form.text
    fields = {"name": "Ada Admin", "email": "Ada@Example.com", "password": PASSWORD}
    created = browser.post(
        f"/setup/{token}",
        data={"csrf_token": csrf_from_page(browser), **fields},
        follow_redirects=False,
    )
    assert created.status_code == 303 and created.headers["location"] == "/"
    assert browser.get("/api/me").json() == {
        "id": 1,
        "name": "Ada Admin",
        "email": "ada@example.com",
        "role": "admin",
    }
    # The link is spent: neither the page nor the form works again, in any browser.
    again = server.browser()
    page = again.get(f"/setup/{token}")
    assert page.status_code == 404 and "already used" in page.text
    second = again.post(
        f"/setup/{token}",
        data={"csrf_token": csrf_from_page(again), **fields, "email": "eve@example.com"},
        follow_redirects=False,
    )
    assert second.status_code == 400 and "already used" in second.text
    assert SESSION_COOKIE not in again.cookies
    assert _count_people(database) == 1
    assert server.browser().get("/", follow_redirects=False).headers["location"] == "/login"


def test_setup_link_refuses_a_short_password_and_stays_usable(
    server: Server, database: Database
) -> None:
    with database.sessions() as db:
        token = create_link(db, "setup", None, 3600)
    browser = server.browser()
    fields = {"csrf_token": csrf_from_page(browser), "name": "Ada", "email": "ada@example.com"}
    short = browser.post(f"/setup/{token}", data={**fields, "password": "short"})
    assert short.status_code == 400 and "at least 10 characters" in short.text
    assert _count_people(database) == 0
    ok = browser.post(f"/setup/{token}", data={**fields, "password": PASSWORD})
    assert ok.status_code == 200 and _me(browser) == 200


def test_a_setup_link_after_an_admin_exists_is_refused(server: Server, database: Database) -> None:
    add_account(database, "ada@example.com", "Ada Admin", "admin")
    with database.sessions() as db:
        token = create_link(db, "setup", None, 3600)
    browser = server.browser()
    response = browser.post(
        f"/setup/{token}",
        data={
            "csrf_token": csrf_from_page(browser),
            "name": "Mallory",
            "email": "mallory@example.com",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 400 and "already set up" in response.text
    assert SESSION_COOKIE not in browser.cookies
    assert _person(database, "mallory@example.com") is None
    assert login(browser, "mallory@example.com", PASSWORD).status_code == 400


def test_an_expired_or_unknown_setup_link_is_refused(server: Server, database: Database) -> None:
    with database.sessions() as db:
        expired = create_link(db, "setup", None, -1)
    browser = server.browser()
    page = browser.get(f"/setup/{expired}")
    assert page.status_code == 404 and "expired" in page.text
    posted = browser.post(
        f"/setup/{expired}",
        data={
            "csrf_token": csrf_from_page(browser),
            "name": "Ada",
            "email": "ada@example.com",
            "password": PASSWORD,
        },
    )
    assert posted.status_code == 400 and "expired" in posted.text
    assert _count_people(database) == 0
    assert browser.get("/setup/not-a-real-token").status_code == 404


# -- invite links --------------------------------------------------------------------------------


def test_invite_link_sets_a_password_once(server: Server, world: World, database: Database) -> None:
    admin = server.logged_in(world.admin)
    created = admin.post(
        "/api/people",
        json={"email": "nina@example.com", "name": "Nina New", "role": "mentee"},
        headers=csrf_headers(admin),
    )
    assert created.status_code == 201, created.text
    assert created.json()["has_password"] is False
    path = urlsplit(created.json()["invite_url"]).path
    assert path.startswith("/invite/")

    invited = server.browser()
    page = invited.get(path)
    assert page.status_code == 200 and "Welcome, Nina New" in page.text
    accepted = invited.post(
        path,
        data={"csrf_token": csrf_from_page(invited), "password": "nina's new password"},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert invited.get("/api/me").json()["email"] == "nina@example.com"

    # Used once: the link is dead for everyone, including the person who used it.
    for browser in (invited, server.browser()):
        assert browser.get(path).status_code == 404
        again = browser.post(
            path,
            data={"csrf_token": csrf_from_page(browser), "password": "an attacker's password"},
        )
        assert again.status_code == 404 and "already used" in again.text
    assert login(server.browser(), "nina@example.com", "an attacker's password").status_code == 400
    assert login(server.browser(), "nina@example.com", "nina's new password").status_code == 303


def test_an_expired_invite_link_is_refused(server: Server, database: Database) -> None:
    add_account(database, "ada@example.com", "Ada Admin", "admin")
    nina = add_account(database, "nina@example.com", "Nina New", "mentee", password=None)
    omar = add_account(database, "omar@example.com", "Omar New", "mentee", password=None)
    with database.sessions() as db:
        # Two people: a new link replaces a person's older unused one.
        expired = create_link(db, "invite", db.get(Person, nina.id), -1)
        short_lived = create_link(db, "invite", db.get(Person, omar.id), 0.5)
    time.sleep(0.6)  # the half-second link runs out
    browser = server.browser()
    for token in (expired, short_lived):
        page = browser.get(f"/invite/{token}")
        assert page.status_code == 404 and "expired" in page.text
        posted = browser.post(
            f"/invite/{token}", data={"csrf_token": csrf_from_page(browser), "password": PASSWORD}
        )
        assert posted.status_code == 404 and "expired" in posted.text
    found = _person(database, nina.email)
    assert found is not None and found.password_hash is None
    assert SESSION_COOKIE not in browser.cookies


def test_a_setup_link_is_no_invite_and_an_invite_is_no_setup_link(
    server: Server, database: Database
) -> None:
    add_account(database, "ada@example.com", "Ada Admin", "admin")
    nina = add_account(database, "nina@example.com", "Nina New", "mentee", password=None)
    with database.sessions() as db:
        setup_token = create_link(db, "setup", None, 3600)
        invite_token = create_link(db, "invite", db.get(Person, nina.id), 3600)
    browser = server.browser()
    assert browser.get(f"/invite/{setup_token}").status_code == 404
    assert browser.get(f"/setup/{invite_token}").status_code == 404


def test_an_invite_for_a_deactivated_person_does_not_work(
    server: Server, world: World, database: Database
) -> None:
    nina = add_account(database, "nina@example.com", "Nina New", "mentee", password=None)
    with database.sessions() as db:
        token = create_link(db, "invite", db.get(Person, nina.id), 3600)
    admin = server.logged_in(world.admin)
    gone = admin.post(f"/api/people/{nina.id}/deactivate", headers=csrf_headers(admin))
    assert gone.status_code == 200 and gone.json()["active"] is False
    browser = server.browser()
    posted = browser.post(
        f"/invite/{token}", data={"csrf_token": csrf_from_page(browser), "password": PASSWORD}
    )
    assert posted.status_code in (400, 404)
    assert SESSION_COOKIE not in browser.cookies


# -- logging in ----------------------------------------------------------------------------------


def test_wrong_password_and_unknown_email_get_the_same_answer(
    server: Server, world: World, database: Database
) -> None:
    invited = add_account(database, "ivy@example.com", "Ivy Invited", "mentee", password=None)
    admin = server.logged_in(world.admin)
    admin.post(f"/api/people/{world.mentee_b.id}/deactivate", headers=csrf_headers(admin))
    attempts = {
        "wrong password": (world.mentor_a.email, "not the password at all"),
        "unknown email": ("nobody@example.com", PASSWORD),
        "no password yet": (invited.email, PASSWORD),
        "deactivated": (world.mentee_b.email, PASSWORD),
        "not an email": ("nobody", PASSWORD),
    }
    answers = set()
    for email, password in attempts.values():
        browser = server.browser()
        response = login(browser, email, password)
        assert SESSION_COOKIE not in browser.cookies
        answers.add((response.status_code, _error_text(response.text)))
    assert answers == {(400, WRONG)}


def test_login_lands_on_the_page_asked_for(server: Server, world: World) -> None:
    browser = server.browser()
    asked = browser.get(f"/sessions/{world.session_a}", follow_redirects=False)
    assert asked.status_code == 303
    assert unquote(asked.headers["location"]) == f"/login?next=/sessions/{world.session_a}"
    form = browser.get(asked.headers["location"]).text
    action = re.search(r'<form class="stack narrow" method="post" action="([^"]+)"', form)
    assert action is not None
    response = browser.post(
        action.group(1).replace("&amp;", "&"),
        data={
            "csrf_token": csrf_from_page(browser),
            "email": world.mentor_a.email,
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/sessions/{world.session_a}"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "https://evil.example/sessions/1",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        " //evil.example",
    ],
)
def test_login_does_not_redirect_to_another_site(server: Server, world: World, target: str) -> None:
    response = login(server.browser(), world.mentor_a.email, PASSWORD, next_path=target)
    assert response.status_code == 303
    location = response.headers["location"]
    # Browsers read a backslash as a slash and drop tabs and newlines.
    as_browser_reads = re.sub(r"[\t\r\n]", "", location).replace("\\", "/")
    resolved = urlsplit(urljoin("http://testserver/login", as_browser_reads))
    assert (resolved.scheme, resolved.netloc) == ("http", "testserver"), location


def test_login_is_limited_per_account(server: Server, world: World) -> None:
    browser = server.browser()
    for _ in range(5):
        assert login(browser, world.mentor_a.email, "a wrong password").status_code == 400
    refused = login(browser, world.mentor_a.email, PASSWORD)
    assert refused.status_code == 429 and "Too many failed attempts" in refused.text
    assert SESSION_COOKIE not in browser.cookies
    # The same address may still log in to another account; the account stays locked elsewhere.
    assert login(server.browser(), world.mentee_a.email, PASSWORD).status_code == 303
    elsewhere = server.browser("198.51.100.9")
    assert login(elsewhere, f" {world.mentor_a.email.upper()} ", PASSWORD).status_code == 429


def test_login_is_limited_per_address(server: Server, world: World) -> None:
    attacker = server.browser("203.0.113.7")
    for number in range(20):
        response = login(attacker, f"guess{number}@example.com", "a wrong password")
        assert response.status_code == 400
    refused = login(attacker, world.mentor_a.email, PASSWORD)
    assert refused.status_code == 429
    assert SESSION_COOKIE not in attacker.cookies
    assert login(server.browser("198.51.100.9"), world.mentor_a.email, PASSWORD).status_code == 303


def test_a_stranger_cannot_lock_the_owner_out(server: Server, world: World) -> None:
    # The owner logged in from this browser before (at home, and one behind an office NAT).
    owner = server.browser("198.51.100.20")
    assert login(owner, world.mentor_a.email, PASSWORD).status_code == 303
    colleague = server.browser("203.0.113.7")
    assert login(colleague, world.mentee_a.email, PASSWORD).status_code == 303
    # A stranger guesses at her account, and sprays others, from the office's address.
    attacker = server.browser("203.0.113.7")
    for number in range(30):
        login(attacker, world.mentor_a.email, f"guess {number}")
        login(attacker, f"guess{number}@example.com", "a wrong password")
    assert login(attacker, world.mentor_a.email, PASSWORD).status_code == 429
    assert login(server.browser("192.0.2.1"), world.mentor_a.email, PASSWORD).status_code == 429
    # Her own browser, and the colleague's behind the same address, still get in.
    assert login(owner, world.mentor_a.email, PASSWORD).status_code == 303
    assert login(colleague, world.mentee_a.email, PASSWORD).status_code == 303


def test_the_owners_browser_is_limited_by_its_own_failures(server: Server, world: World) -> None:
    owner = server.browser("198.51.100.20")
    assert login(owner, world.mentor_a.email, PASSWORD).status_code == 303
    for _ in range(10):
        assert login(owner, world.mentor_a.email, "a typo").status_code == 400
    assert login(owner, world.mentor_a.email, PASSWORD).status_code == 429
    # A device cookie of one account does not vouch for another.
    for _ in range(5):
        login(owner, world.mentee_a.email, "a wrong password")
    assert login(owner, world.mentee_a.email, PASSWORD).status_code == 429


def test_logout_ends_the_session(server: Server, world: World, database: Database) -> None:
    browser = server.logged_in(world.mentor_a)
    cookie = browser.cookies[SESSION_COOKIE]
    response = browser.post(
        "/logout", data={"csrf_token": csrf_from_page(browser, "/")}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert SESSION_COOKIE not in browser.cookies and _me(browser) == 401
    # Someone who kept a copy of the cookie cannot use it either.
    replay = server.browser().get("/api/me", headers={"Cookie": f"{SESSION_COOKIE}={cookie}"})
    assert replay.status_code == 401
    with database.sessions() as db:
        rows = db.scalars(select(AuthSession).where(AuthSession.person_id == world.mentor_a.id))
        assert [row.revoked for row in rows] == [True]


def test_a_forged_or_tampered_session_cookie_is_refused(server: Server, world: World) -> None:
    cookie = server.logged_in(world.mentor_a).cookies[SESSION_COOKIE]
    token, _, mac = cookie.rpartition(".")
    for forged in (token, f"{token}.{'0' * len(mac)}", f"x{cookie}", "anything.at.all"):
        response = server.browser().get("/api/me", headers={"Cookie": f"{SESSION_COOKIE}={forged}"})
        assert response.status_code == 401, forged


def test_deactivation_logs_the_person_out(server: Server, world: World) -> None:
    mentor = server.logged_in(world.mentor_a)
    mentee = server.logged_in(world.mentee_a)
    admin = server.logged_in(world.admin)
    assert _me(mentor) == 200 and _me(mentee) == 200
    # Through the JSON API ...
    response = admin.post(
        f"/api/people/{world.mentor_a.id}/deactivate", headers=csrf_headers(admin)
    )
    assert response.status_code == 200 and response.json()["active"] is False
    assert _me(mentor) == 401
    assert mentor.get("/", follow_redirects=False).headers["location"] == "/login"
    relogin = login(server.browser(), world.mentor_a.email, PASSWORD)
    assert relogin.status_code == 400 and _error_text(relogin.text) == WRONG
    # ... and through the admin page.
    form = admin.post(
        f"/admin/people/{world.mentee_a.id}/deactivate",
        data={"csrf_token": csrf_from_page(admin, "/admin/people")},
        follow_redirects=False,
    )
    assert form.status_code == 303
    assert _me(mentee) == 401
    # An admin cannot lock themselves out.
    own = admin.post(f"/api/people/{world.admin.id}/deactivate", headers=csrf_headers(admin))
    assert own.status_code == 400 and _me(admin) == 200


@pytest.fixture
def idle_settings(env: dict[str, str]) -> Settings:
    return Settings.from_env({**env, "TANDEM_SESSION_IDLE_S": "60"})


def _age_logins(database: Database, person_id: int, by: timedelta) -> None:
    """Move the person's logins' last request back in time by ``by``."""
    with database.sessions() as db:
        for row in db.scalars(select(AuthSession).where(AuthSession.person_id == person_id)):
            last = (
                row.last_seen_at
                if row.last_seen_at.tzinfo
                else row.last_seen_at.replace(tzinfo=UTC)
            )
            row.last_seen_at = last - by
        db.commit()


def test_an_idle_session_expires(idle_settings: Settings, database: Database) -> None:
    mentor = add_account(database, "marta@example.com", "Marta Mentor", "mentor")
    with running(idle_settings) as idle_server:
        recent = idle_server.logged_in(mentor)
        _age_logins(database, mentor.id, timedelta(seconds=30))
        assert _me(recent) == 200
        _age_logins(database, mentor.id, timedelta(seconds=90))
        assert _me(recent) == 401
        assert recent.get("/", follow_redirects=False).headers["location"] == "/login"
        with database.sessions() as db:
            row = db.scalars(select(AuthSession).where(AuthSession.person_id == mentor.id)).one()
            assert row.revoked
        # Logging in again starts a fresh session.
        assert _me(idle_server.logged_in(mentor)) == 200


def test_requests_keep_a_session_alive(idle_settings: Settings, database: Database) -> None:
    """A login ends after session_idle_s *without a request*: a request 45 s into a 60 s idle
    window restarts the clock, so 50 s after that request the login still works."""
    mentor = add_account(database, "marta@example.com", "Marta Mentor", "mentor")
    with running(idle_settings) as idle_server:
        browser = idle_server.logged_in(mentor)
        _age_logins(database, mentor.id, timedelta(seconds=45))
        assert _me(browser) == 200  # activity 45 s after the last request
        _age_logins(database, mentor.id, timedelta(seconds=50))
        assert _me(browser) == 200  # only 50 s since that activity


def test_a_busy_login_still_ends_at_its_absolute_lifetime(
    env: dict[str, str], database: Database
) -> None:
    """A cookie kept alive by requests (a stolen one, say) ends TANDEM_SESSION_MAX_S after the
    login, however recent its last request."""
    settings = Settings.from_env({**env, "TANDEM_SESSION_MAX_S": "3600"})
    mentor = add_account(database, "marta@example.com", "Marta Mentor", "mentor")
    with running(settings) as server:
        browser = server.logged_in(mentor)
        with database.sessions() as db:
            row = db.scalars(select(AuthSession).where(AuthSession.person_id == mentor.id)).one()
            row.created_at = row.created_at - timedelta(minutes=59)
            db.commit()
        assert _me(browser) == 200  # used a moment ago, 59 minutes old
        with database.sessions() as db:
            row = db.scalars(select(AuthSession).where(AuthSession.person_id == mentor.id)).one()
            row.created_at = row.created_at - timedelta(minutes=2)
            db.commit()
        assert _me(browser) == 401  # used a moment ago, but 61 minutes old
        assert _me(server.logged_in(mentor)) == 200


# -- cookies and headers -------------------------------------------------------------------------


def test_cookies_are_httponly_and_samesite(server: Server, world: World) -> None:
    browser = server.browser()
    csrf = _set_cookie(browser.get("/login"), CSRF_COOKIE)
    assert {"httponly", "samesite=strict", "path=/"} <= set(csrf)
    assert "secure" not in csrf  # plain HTTP: a Secure cookie would never come back
    session = _set_cookie(login(browser, world.mentor_a.email, PASSWORD), SESSION_COOKIE)
    assert {"httponly", "samesite=lax", "path=/"} <= set(session)
    assert "secure" not in session


def test_cookies_are_secure_over_https(env: dict[str, str], database: Database) -> None:
    mentor = add_account(database, "marta@example.com", "Marta Mentor", "mentor")
    settings = Settings.from_env({**env, "TANDEM_PUBLIC_URL": "https://tandem.example"})
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver") as browser:
        first = browser.get("/login")
        assert "secure" in _set_cookie(first, CSRF_COOKIE)
        assert first.headers["strict-transport-security"].startswith("max-age=")
        response = login(browser, mentor.email, PASSWORD)
        assert response.status_code == 303
        assert {"httponly", "secure", "samesite=lax"} <= set(_set_cookie(response, SESSION_COOKIE))


def _directives(policy: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found[words[0].lower()] = [w.lower() for w in words[1:]]
    return found


def test_security_headers_forbid_inline_scripts_and_framing(server: Server, world: World) -> None:
    anonymous = server.browser()
    member = server.logged_in(world.mentor_a)
    responses = [
        anonymous.get("/login"),
        anonymous.get("/api/sessions"),
        member.get("/"),
        member.get(f"/sessions/{world.session_a}"),
        member.get(f"/mentorships/{world.mentorship_a}"),
        member.get("/search", params={"q": WORD_A}),
        member.get("/api/sessions"),
        member.get("/sessions/999999"),
    ]
    for response in responses:
        policy = _directives(response.headers["content-security-policy"])
        scripts = policy.get("script-src", policy.get("default-src"))
        assert scripts is not None, policy
        assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
        assert "*" not in scripts and "data:" not in scripts
        assert policy.get("object-src") == ["'none'"]
        assert policy.get("frame-ancestors") == ["'none'"]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        if response.headers["content-type"].startswith("text/html"):
            # Nothing inline that the policy would then have to allow.
            assert not re.search(r"<script(?![^>]*\bsrc=)", response.text, re.I)
            assert not re.search(r"\son[a-z]+\s*=", response.text, re.I)


# -- CSRF ----------------------------------------------------------------------------------------

#: Every state-changing route: (method, route path, who sends it, form or JSON, what is sent).
StateCase = tuple[str, str, str, str, dict[str, Any]]
STATE_CHANGES: list[StateCase] = [
    ("POST", "/login", "anonymous", "form", {"email": "marta@example.com", "password": PASSWORD}),
    ("POST", "/logout", "mentor_a", "form", {}),
    (
        "POST",
        "/setup/{token}",
        "anonymous",
        "form",
        {"name": "Sam", "email": "sam@example.com", "password": PASSWORD},
    ),
    ("POST", "/invite/{token}", "anonymous", "form", {"password": "a brand new password"}),
    ("POST", "/mentorships/{mentorship_id}/sharing", "mentor_a", "form", {"share": "yes"}),
    ("POST", "/mentorships/{mentorship_id}/sessions", "mentor_a", "form", {}),
    ("POST", "/admin/people", "admin", "form", {"name": "N", "email": "n@x.org", "role": "mentee"}),
    ("POST", "/admin/people/{person_id}/invite", "admin", "form", {}),
    ("POST", "/admin/people/{person_id}/deactivate", "admin", "form", {}),
    (
        "POST",
        "/admin/mentorships",
        "admin",
        "form",
        {"mentor": "bruno@example.com", "mentee": "milo@example.com"},
    ),
    ("POST", "/admin/targets", "admin", "form", {"max_interruptions": "7"}),
    (
        "POST",
        "/api/mentorships",
        "admin",
        "json",
        {"mentor": "bruno@example.com", "mentee": "milo@example.com"},
    ),
    ("PUT", "/api/mentorships/{mentorship_id}/sharing", "mentor_a", "json", {"share": True}),
    ("POST", "/api/people", "admin", "json", {"email": "n@x.org", "name": "N", "role": "mentee"}),
    ("POST", "/api/people/{person_id}/deactivate", "admin", "json", {}),
    ("PUT", "/api/targets", "admin", "json", {"max_interruptions": 7}),
    ("PUT", "/api/mentorships/{mentorship_id}/targets", "admin", "json", {"max_monologue_s": 60}),
    ("PATCH", "/api/sessions/{session_id}", "mentor_a", "json", {"title": "Renamed"}),
    ("POST", "/sessions/{session_id}/title", "mentor_a", "form", {"title": "Renamed"}),
    ("POST", "/api/sessions/{session_id}/action-items", "mentor_a", "json", {"action": "Call"}),
    ("PATCH", "/api/action-items/{action_item_id}", "mentor_a", "json", {"done": True}),
    ("DELETE", "/api/action-items/{action_item_id}", "mentor_a", "json", {}),
    ("DELETE", "/api/sessions/{session_id}", "mentor_a", "json", {}),
    ("POST", "/api/mentorships/{mentorship_id}/goals", "mentor_a", "json", {"title": "Lead"}),
    ("PATCH", "/api/goals/{goal_id}", "mentor_a", "json", {"status": "done"}),
    ("DELETE", "/api/goals/{goal_id}", "mentor_a", "json", {}),
    ("POST", "/api/mentorships/{mentorship_id}/uploads", "mentor_a", "form", {"kind": "single"}),
    (
        "POST",
        "/api/mentorships/{mentorship_id}/resources",
        "mentor_a",
        "json",
        {"url": "https://x.org"},
    ),
    ("DELETE", "/api/resources/{resource_id}", "mentor_a", "json", {}),
    ("POST", "/api/sessions/{session_id}/notes", "mentor_a", "json", {"text": "x"}),
    ("POST", "/sessions/{session_id}/delete", "mentor_a", "form", {}),
    ("POST", "/admin/sessions/{unassigned_id}/file", "admin", "form", {"mentorship": "1"}),
    ("DELETE", "/api/people/{person_id}", "admin", "json", {}),
    ("POST", "/admin/people/{person_id}/delete", "admin", "form", {"confirm": "x"}),
    ("DELETE", "/api/mentorships/{mentorship_id}", "admin", "json", {}),
    ("POST", "/admin/mentorships/{mentorship_id}/delete", "admin", "form", {"confirm": "delete"}),
]


def test_every_state_changing_route_is_in_the_csrf_table(settings: Settings) -> None:
    routes = {
        (method, route.path)
        for route in create_app(settings).routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method in UNSAFE
    }
    named = {"{unassigned_id}": "{session_id}"}
    listed = set()
    for method, path, *_ in STATE_CHANGES:
        for placeholder, route_name in named.items():
            path = path.replace(placeholder, route_name)
        listed.add((method, path))
    assert routes == listed


def _snapshot(database: Database) -> tuple[object, ...]:
    """Everything a refused request must leave as it was."""
    with database.sessions() as db:
        return (
            [
                (p.id, p.email, p.name, p.role, p.active, p.password_hash)
                for p in db.scalars(select(Person).order_by(Person.id))
            ],
            [
                (
                    m.id,
                    m.mentor_id,
                    m.mentee_id,
                    m.mentor_shares,
                    m.mentee_shares,
                    m.active,
                    m.targets,
                )
                for m in db.scalars(select(Mentorship).order_by(Mentorship.id))
            ],
            [(s.key, s.value) for s in db.scalars(select(ProgramSetting))],
            [(i.id, i.used_at) for i in db.scalars(select(Invite).order_by(Invite.id))],
            [(a.id, a.revoked) for a in db.scalars(select(AuthSession).order_by(AuthSession.id))],
            [(s.id, s.status, s.title) for s in db.scalars(select(Session).order_by(Session.id))],
            [
                (i.id, i.action, i.owner, i.done, i.due_date, i.goal_id)
                for i in db.scalars(select(ActionItemRow).order_by(ActionItemRow.id))
            ],
            [(g.id, g.title, g.status) for g in db.scalars(select(Goal).order_by(Goal.id))],
        )


def _fill(path: str, world: World, setup_token: str, invite_token: str) -> str:
    return path.format(
        token=setup_token if path.startswith("/setup") else invite_token,
        mentorship_id=world.mentorship_a,
        person_id=world.mentee_b.id,
        session_id=world.session_a,
        unassigned_id=world.unassigned,
        action_item_id=world.item_a,
        goal_id=world.goal_a,
        resource_id=world.resource_a,
    )


def _send(
    browser: TestClient,
    method: str,
    path: str,
    kind: str,
    data: dict[str, Any],
    token: str | None,
    cookie: str | None = None,
) -> Response:
    headers = {} if cookie is None else {"Cookie": cookie}
    if kind == "json":
        if token is not None:
            headers["X-CSRF-Token"] = token
        return browser.request(method, path, json=data, headers=headers, follow_redirects=False)
    fields = dict(data) if token is None else {**data, "csrf_token": token}
    return browser.request(method, path, data=fields, headers=headers, follow_redirects=False)


@pytest.mark.parametrize(
    ("method", "path", "who", "kind", "data"),
    STATE_CHANGES,
    ids=[f"{case[0]} {case[1]}" for case in STATE_CHANGES],
)
def test_state_changes_without_a_valid_csrf_token_are_refused(
    server: Server,
    world: World,
    database: Database,
    method: str,
    path: str,
    who: str,
    kind: str,
    data: dict[str, Any],
) -> None:
    nobody = add_account(database, "nina@example.com", "Nina New", "mentee", password=None)
    with database.sessions() as db:
        setup_token = create_link(db, "setup", None, 3600)
        invite_token = create_link(db, "invite", db.get(Person, nobody.id), 3600)
    url = _fill(path, world, setup_token, invite_token)
    accounts: dict[str, Account] = {
        "admin": world.admin,
        "mentor_a": world.mentor_a,
    }
    browser = server.browser() if who == "anonymous" else server.logged_in(accounts[who])
    own_token = csrf_from_page(browser)
    other_token = csrf_from_page(server.browser())
    assert other_token != own_token
    session = browser.cookies.get(SESSION_COOKIE)
    forged_jar = "; ".join(
        [f"{CSRF_COOKIE}=forged-token.0123", *([f"{SESSION_COOKIE}={session}"] if session else [])]
    )
    before = _snapshot(database)
    refused = {
        "no token": _send(browser, method, url, kind, data, None),
        "another browser's token": _send(browser, method, url, kind, data, other_token),
        "a made-up token": _send(browser, method, url, kind, data, "forged-token.0123"),
        "a made-up cookie and token": _send(
            server.browser(), method, url, kind, data, "forged-token.0123", cookie=forged_jar
        ),
    }
    for why, response in refused.items():
        assert response.status_code == 403, (why, response.status_code, response.text)
        assert "CSRF" in response.text, why
    assert _snapshot(database) == before
    assert SESSION_COOKIE not in browser.cookies or browser.cookies[SESSION_COOKIE] == session
    # The same request with the page's own token is not refused for CSRF.
    accepted = _send(browser, method, url, kind, data, own_token)
    assert accepted.status_code < 500
    assert not (accepted.status_code == 403 and "CSRF" in accepted.text), accepted.text


# -- anonymous visitors --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(server: Server, world: World) -> None:
    browser = server.browser()
    pages = [
        "/",
        "/search?q=rollback",
        f"/sessions/{world.session_a}",
        f"/sessions/{world.unassigned}",
        f"/mentorships/{world.mentorship_a}",
        f"/mentorships/{world.mentorship_a}/upload",
        "/coach",
        "/admin/people",
        "/admin/mentorships",
        "/admin/targets",
        "/admin/program",
        "/account",
        f"/sessions/{world.session_a}/call",
        f"/admin/people/{world.mentee_a.id}/delete",
        f"/admin/mentorships/{world.mentorship_a}/delete",
    ]
    # Every page a person opens is in this walk (public ones answer without a login).
    public = {"/", "/login", "/setup/{token}", "/invite/{token}"}
    walked = {re.sub(r"/\d+(?=/|$)", "/{id}", page.split("?")[0]) for page in pages}
    for route in all_routes():
        if isinstance(route, Route) and "GET" in (route.methods or ()):
            path = re.sub(r"\{\w+\}", "{id}", route.path)
            if path.startswith("/api/") or path == "/healthz" or route.path in public:
                continue
            assert path in walked, f"{route.path} is missing from the anonymous walk"
    for page in pages:
        response = browser.get(page, follow_redirects=False)
        assert response.status_code == 303, page
        assert response.headers["location"].startswith("/login"), page
        assert TITLE_A not in response.text and "Marta" not in response.text
    token = csrf_from_page(browser)
    for page in (f"/mentorships/{world.mentorship_a}/sharing", "/admin/people", "/logout"):
        response = browser.post(page, data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
    response = browser.get(f"/api/sessions/{world.session_a}")
    assert response.status_code == 401 and response.json() == {"error": "log in first"}


# -- the sharing rule ----------------------------------------------------------------------------


def _trainer_reads(trainer: TestClient, world: World) -> dict[str, int]:
    session = world.session_a
    return {
        "transcript": trainer.get(f"/api/sessions/{session}").status_code,
        "export": trainer.get(f"/api/sessions/{session}/export.vtt").status_code,
        "export md": trainer.get(f"/api/sessions/{session}/export.md").status_code,
    }


def _trainer_page_has_transcript(trainer: TestClient, world: World) -> bool:
    page = trainer.get(f"/sessions/{world.session_a}")
    assert page.status_code == 200
    assert TITLE_A in page.text and "Talk balance" in page.text
    shown = WORD_A in page.text
    assert shown == ("rollback plan" in page.text)  # transcript and action items go together
    assert shown == ("/export.vtt" in page.text)
    return shown


def test_trainer_sees_figures_until_both_members_agree(
    server: Server, world: World, database: Database
) -> None:
    trainer = server.logged_in(world.trainer_a)
    mentor = server.logged_in(world.mentor_a)
    mentee = server.logged_in(world.mentee_a)
    closed = {"transcript": 403, "export": 403, "export md": 403}

    def report() -> dict[str, Any]:
        response = trainer.get(f"/api/sessions/{world.session_a}/report")
        assert response.status_code == 200
        document: dict[str, Any] = response.json()
        assert document["talk"]["talk"]["speakers"].keys() == {"mentor", "mentee"}
        if "action_items" not in document:  # figures only: not a word of what was said
            assert WORD_A not in response.text and "rollback" not in response.text
        return document

    def trainer_search() -> list[Any]:
        results: list[Any] = trainer.get("/api/search", params={"q": WORD_A}).json()["results"]
        return results

    # Nobody agreed: figures only.
    assert _trainer_reads(trainer, world) == closed
    assert "action_items" not in report()
    assert not _trainer_page_has_transcript(trainer, world)
    listed = trainer.get("/api/sessions").json()["sessions"]
    assert [(s["id"], s["access"]) for s in listed] == [(world.session_a, "figures")]
    assert trainer_search() == []

    # The mentor agrees (JSON API): one agreement is not enough.
    agreed = mentor.put(
        f"/api/mentorships/{world.mentorship_a}/sharing",
        json={"share": True},
        headers=csrf_headers(mentor),
    )
    assert agreed.status_code == 200
    assert (agreed.json()["mentor_shares"], agreed.json()["trainer_reads_transcripts"]) == (
        True,
        False,
    )
    assert _trainer_reads(trainer, world) == closed
    assert "action_items" not in report()
    assert not _trainer_page_has_transcript(trainer, world)
    assert trainer_search() == []

    # The mentee agrees too (the form on the mentorship page): now the trainer reads it all.
    page = mentee.get(f"/mentorships/{world.mentorship_a}").text
    assert "I agree to share transcripts with the trainer" in page
    form = mentee.post(
        f"/mentorships/{world.mentorship_a}/sharing",
        data={"csrf_token": csrf_from_page(mentee, "/"), "share": "yes"},
        follow_redirects=False,
    )
    assert form.status_code == 303
    assert form.headers["location"] == f"/mentorships/{world.mentorship_a}"
    assert _mentorship(database, world.mentorship_a).shares_transcripts
    assert _trainer_reads(trainer, world) == {"transcript": 200, "export": 200, "export md": 200}
    assert report()["action_items"]
    assert _trainer_page_has_transcript(trainer, world)
    assert [hit["session_id"] for hit in trainer_search()] == [world.session_a]
    listed = trainer.get("/api/sessions").json()["sessions"]
    assert [(s["id"], s["access"]) for s in listed] == [(world.session_a, "full")]

    # Either member can withdraw, and the transcript is closed again.
    withdrawn = mentee.post(
        f"/mentorships/{world.mentorship_a}/sharing",
        data={"csrf_token": csrf_from_page(mentee, "/"), "share": "no"},
        follow_redirects=False,
    )
    assert withdrawn.status_code == 303
    assert _trainer_reads(trainer, world) == closed
    assert "action_items" not in report()
    assert trainer_search() == []


def test_only_the_members_decide_what_the_trainer_reads(
    server: Server, world: World, database: Database
) -> None:
    url = f"/api/mentorships/{world.mentorship_a}/sharing"
    page_url = f"/mentorships/{world.mentorship_a}/sharing"
    expected = {"trainer_a": 403, "admin": 403, "mentor_b": 404, "trainer_b": 404}
    accounts = {
        "trainer_a": world.trainer_a,
        "admin": world.admin,
        "mentor_b": world.mentor_b,
        "trainer_b": world.trainer_b,
    }
    for who, status in expected.items():
        browser = server.logged_in(accounts[who])
        api = browser.put(url, json={"share": True}, headers=csrf_headers(browser))
        assert api.status_code == status, who
        form = browser.post(
            page_url, data={"csrf_token": csrf_from_page(browser, "/"), "share": "yes"}
        )
        assert form.status_code == status, who
    mentorship = _mentorship(database, world.mentorship_a)
    assert (mentorship.mentor_shares, mentorship.mentee_shares) == (False, False)
    # The trainer's page offers no form to agree on their behalf.
    trainer_page = server.logged_in(world.trainer_a).get(f"/mentorships/{world.mentorship_a}")
    assert trainer_page.status_code == 200 and page_url not in trainer_page.text


def test_sharing_wants_a_boolean(server: Server, world: World) -> None:
    mentor = server.logged_in(world.mentor_a)
    url = f"/api/mentorships/{world.mentorship_a}/sharing"
    for body in ({"share": "yes"}, {"share": 1}, {}, {"share": None}):
        response = mentor.put(url, json=body, headers=csrf_headers(mentor))
        assert response.status_code == 400, body
    response = mentor.put(url, content=b"share=true", headers=csrf_headers(mentor))
    assert response.status_code == 415


# -- who reads which session ---------------------------------------------------------------------


def _session_statuses(browser: TestClient, session_id: int) -> list[int]:
    return [
        browser.get(f"/api/sessions/{session_id}").status_code,
        browser.get(f"/api/sessions/{session_id}/export.vtt").status_code,
        browser.get(f"/api/sessions/{session_id}/report").status_code,
        browser.get(f"/sessions/{session_id}").status_code,
    ]


def test_members_read_their_own_sessions_only(server: Server, world: World) -> None:
    for account in (world.mentor_a, world.mentee_a):
        browser = server.logged_in(account)
        assert _session_statuses(browser, world.session_a) == [200, 200, 200, 200]
        assert _session_statuses(browser, world.session_b) == [404, 404, 404, 404]
        assert _session_statuses(browser, world.unassigned) == [404, 404, 404, 404]
        assert browser.get(f"/mentorships/{world.mentorship_a}").status_code == 200
        assert browser.get(f"/mentorships/{world.mentorship_b}").status_code == 404
        assert browser.get(f"/api/mentorships/{world.mentorship_b}").status_code == 404
        report = browser.get(f"/api/sessions/{world.session_a}/report").json()
        assert report["action_items"][0]["action"]
        not_found = browser.get(f"/sessions/{world.session_b}")
        assert TITLE_B not in not_found.text and "Bruno" not in not_found.text


def test_a_trainer_sees_nothing_of_a_mentorship_they_do_not_coach(
    server: Server, world: World
) -> None:
    trainer = server.logged_in(world.trainer_b)
    assert _session_statuses(trainer, world.session_a) == [404, 404, 404, 404]
    assert trainer.get(f"/mentorships/{world.mentorship_a}").status_code == 404
    assert trainer.get(f"/api/mentorships/{world.mentorship_a}").status_code == 404
    # Their own mentorship: figures only.
    assert _session_statuses(trainer, world.session_b) == [403, 403, 200, 200]


def test_admin_manages_mentorships_but_does_not_read_their_conversations(
    server: Server, world: World
) -> None:
    admin = server.logged_in(world.admin)
    for session in (world.session_a, world.session_b):
        assert _session_statuses(admin, session) == [404, 404, 404, 404]
    assert _session_statuses(admin, world.unassigned) == [200, 200, 200, 200]
    listed = admin.get("/api/sessions").json()["sessions"]
    assert [(s["id"], s["access"]) for s in listed] == [(world.unassigned, "full")]
    mentorships = admin.get("/api/mentorships").json()["mentorships"]
    assert [m["id"] for m in mentorships] == [world.mentorship_a, world.mentorship_b]
    assert admin.get(f"/api/mentorships/{world.mentorship_a}").status_code == 200
    page = admin.get(f"/mentorships/{world.mentorship_a}")
    assert page.status_code == 200 and "Marta Mentor" in page.text
    assert TITLE_A not in page.text and f"/sessions/{world.session_a}" not in page.text
    for search in (WORD_A, WORD_B):
        assert admin.get("/api/search", params={"q": search}).json()["results"] == []
    found = admin.get("/api/search", params={"q": WORD_IMPORT}).json()["results"]
    assert [hit["session_id"] for hit in found] == [world.unassigned]


def test_admin_pages_and_operations_are_for_admins_only(server: Server, world: World) -> None:
    for account in (world.mentor_a, world.mentee_a, world.trainer_a):
        browser = server.logged_in(account)
        for page in (
            "/admin/people", "/admin/mentorships", "/admin/targets", "/admin/program",
            f"/admin/people/{world.mentee_b.id}/delete",
            f"/admin/mentorships/{world.mentorship_b}/delete",
        ):  # fmt: skip
            response = browser.get(page)
            assert response.status_code == 403, (account.role, page)
            assert "ada@example.com" not in response.text
        assert browser.get("/api/people").status_code == 403
        token = csrf_headers(browser)
        assert browser.put("/api/targets", json={}, headers=token).status_code == 403
    admin = server.logged_in(world.admin)
    for page in ("/admin/people", "/admin/mentorships", "/admin/targets"):
        assert admin.get(page).status_code == 200


# -- home pages ----------------------------------------------------------------------------------

NAMES_A = ("Marta Mentor", "Milo Mentee", "Tara Trainer")
NAMES_B = ("Bruno Mentor", "Bea Mentee", "Theo Trainer")


@pytest.mark.parametrize("who", ["mentor_a", "mentee_a", "trainer_a"])
def test_home_page_shows_only_your_own_mentorship(server: Server, world: World, who: str) -> None:
    account: Account = getattr(world, who)
    browser = server.logged_in(account)
    page = browser.get("/").text
    for name in NAMES_A:
        assert name in page, name
    for hidden in (*NAMES_B, TITLE_B, TITLE_IMPORT, f"/sessions/{world.session_b}"):
        assert hidden not in page, hidden
    assert f"/mentorships/{world.mentorship_b}" not in page
    if account.role != "trainer":
        assert TITLE_A in page and f"/sessions/{world.session_a}" in page
    listed = browser.get("/api/sessions").json()["sessions"]
    assert [s["id"] for s in listed] == [world.session_a]
    mentorships = browser.get("/api/mentorships").json()["mentorships"]
    assert [m["id"] for m in mentorships] == [world.mentorship_a]


def test_admin_home_shows_imports_but_no_conversations(server: Server, world: World) -> None:
    page = server.logged_in(world.admin).get("/").text
    assert TITLE_IMPORT in page and f"/sessions/{world.unassigned}" in page
    for hidden in (
        TITLE_A,
        TITLE_B,
        f"/sessions/{world.session_a}",
        f"/sessions/{world.session_b}",
    ):
        assert hidden not in page


def test_admin_home_counts_the_mentorships(server: Server, world: World) -> None:
    page = server.logged_in(world.admin).get("/").text
    assert '<a href="/admin/mentorships">Mentorships</a> (2)' in page


def test_someone_in_no_mentorship_sees_an_empty_home(
    server: Server, world: World, database: Database
) -> None:
    loner = add_account(database, "lou@example.com", "Lou Loner", "mentor")
    browser = server.logged_in(loner)
    page = browser.get("/").text
    assert "not part of a mentorship yet" in page
    for hidden in (*NAMES_A, *NAMES_B, TITLE_A, TITLE_B, TITLE_IMPORT):
        assert hidden not in page
    assert browser.get("/api/sessions").json() == {"sessions": []}
    assert browser.get("/api/mentorships").json() == {"mentorships": []}


# -- search --------------------------------------------------------------------------------------


def _found(browser: TestClient, word: str) -> list[int]:
    hits = browser.get("/api/search", params={"q": word}).json()["results"]
    page = browser.get("/search", params={"q": word})
    assert page.status_code == 200
    count = re.search(r"(\d+) results? for", page.text)
    assert count is not None and int(count.group(1)) == len(hits), page.text
    return [hit["session_id"] for hit in hits]


@pytest.mark.parametrize("who", ["mentor_a", "mentee_a", "trainer_a", "trainer_b", "admin"])
def test_search_does_not_find_words_from_mentorships_you_may_not_read(
    server: Server, world: World, who: str
) -> None:
    browser = server.logged_in(getattr(world, who))
    for query in (WORD_B, WORD_B[:5] + "*", f'"the {WORD_B} broke"'):
        assert _found(browser, query) == [], query
    page = browser.get("/search", params={"q": WORD_B}).text
    assert TITLE_B not in page and f"/sessions/{world.session_b}" not in page


def test_search_finds_words_in_sessions_you_may_read(
    server: Server, world: World, database: Database
) -> None:
    for account in (world.mentor_b, world.mentee_b):
        assert _found(server.logged_in(account), WORD_B) == [world.session_b]
    assert _found(server.logged_in(world.admin), WORD_IMPORT) == [world.unassigned]
    assert _found(server.logged_in(world.mentor_a), WORD_IMPORT) == []
    # The trainer finds it once both members agreed.
    for member in (world.mentor_b, world.mentee_b):
        browser = server.logged_in(member)
        response = browser.put(
            f"/api/mentorships/{world.mentorship_b}/sharing",
            json={"share": True},
            headers=csrf_headers(browser),
        )
        assert response.status_code == 200
    assert _found(server.logged_in(world.trainer_b), WORD_B) == [world.session_b]
    assert _found(server.logged_in(world.trainer_a), WORD_B) == []


# -- escaping ------------------------------------------------------------------------------------

HOSTILE = f'Eve "><img src=x onerror=alert(1)> {SCRIPT}'


def _assert_inert(page: Response, where: str) -> None:
    assert page.status_code == 200, (where, page.status_code)
    # The pages' own scripts are modules from /static (the CSP allows nothing else).
    text = re.sub(r'<script type="module" src="/static/[a-z]+\.js"></script>', "", page.text)
    assert "<script" not in text.lower(), where
    assert "<img" not in text.lower() and '"><img' not in text, where
    assert ESCAPED_SCRIPT in text, where


def test_planted_markup_in_names_and_titles_is_escaped_on_every_page(
    server: Server, database: Database
) -> None:
    admin = add_account(database, "admin@example.com", f"Admin {HOSTILE}", "admin")
    mentor = add_account(database, "mentor@example.com", f"Mentor {HOSTILE}", "mentor")
    mentee = add_account(database, "mentee@example.com", f"Mentee {HOSTILE}", "mentee")
    trainer = add_account(database, "trainer@example.com", f"Trainer {HOSTILE}", "trainer")
    invited = add_account(database, "ivy@example.com", f"Ivy {HOSTILE}", "mentee", password=None)
    mentorship = make_mentorship(database, mentor, mentee, trainer)
    lines = [
        (f"mentor {SCRIPT}", f"Did the {SCRIPT} deploy work?"),
        (f"mentee {SCRIPT}", "Yes, I will send you the deploy notes by Friday."),
    ]
    session = save_session(database, f"Session {HOSTILE}", mentorship, lines)
    imported = save_session(database, f"Import {HOSTILE}", None, lines)
    with database.sessions() as db:
        invite = create_link(db, "invite", db.get(Person, invited.id), 3600)

    pages: dict[str, list[str]] = {
        "mentor": [
            "/",
            f"/mentorships/{mentorship}",
            f"/sessions/{session}",
            "/search?q=deploy",
        ],
        "trainer": ["/", f"/mentorships/{mentorship}", f"/sessions/{session}"],
        "admin": [
            "/",
            "/admin/people",
            "/admin/mentorships",
            "/admin/targets",
            f"/mentorships/{mentorship}",
            f"/sessions/{imported}",
            "/search?q=deploy",
        ],
    }
    accounts = {"mentor": mentor, "trainer": trainer, "admin": admin}
    for who, paths in pages.items():
        browser = server.logged_in(accounts[who])
        for path in paths:
            _assert_inert(browser.get(path), f"{who} {path}")
    # The pages that echo what was just typed in.
    admin_browser = server.logged_in(admin)
    token = csrf_from_page(admin_browser, "/admin/people")
    added = admin_browser.post(
        "/admin/people",
        data={"csrf_token": token, "name": f"New {HOSTILE}", "email": "n@x.org", "role": "mentee"},
    )
    _assert_inert(added, "admin adds a person")
    again = admin_browser.post(
        "/admin/people",
        data={"csrf_token": token, "name": f"Dup {HOSTILE}", "email": "n@x.org", "role": "mentee"},
    )
    assert again.status_code == 400 and "<script" not in again.text.lower()
    _assert_inert(server.browser().get(f"/invite/{invite}"), "invite page")
    # (a new invite replaces the older link, so the page is checked first)
    reinvite = admin_browser.post(f"/admin/people/{invited.id}/invite", data={"csrf_token": token})
    _assert_inert(reinvite, "admin re-invites")
    # A session's JSON stays JSON: the raw text, never served as HTML.
    member = server.logged_in(mentor)
    document = member.get(f"/api/sessions/{session}")
    assert document.headers["content-type"] == "application/json"
    assert document.json()["session"]["title"] == f"Session {HOSTILE}"


def test_markup_typed_into_forms_or_urls_is_escaped(server: Server, database: Database) -> None:
    browser = server.browser()
    typed = login(browser, 'x"><script>alert(1)</script>@example.com', "a wrong password")
    assert typed.status_code == 400 and "<script" not in typed.text.lower()
    mentor = server.logged_in(add_account(database, "m@example.com", "Marta Mentor", "mentor"))
    responses = [
        browser.get("/login", params={"next": '/"><script>alert(1)</script>'}),
        browser.get("/invite/<script>alert(1)<"),
        browser.get("/setup/<script>alert(1)<"),
        mentor.get("/sessions/<img src=x onerror=alert(1)>"),
        mentor.get("/mentorships/<script>alert(1)<"),
        mentor.get("/search", params={"q": '"<script>alert(1)</script>'}),
        mentor.get("/search", params={"q": "<script>alert(1)</script>"}),
    ]
    for response in responses:
        assert response.status_code in (200, 400, 404), response.url
        assert "<script" not in response.text.lower(), response.url
        assert "<img" not in response.text.lower(), response.url


def test_a_new_invite_replaces_the_old_link_and_a_new_password_ends_old_logins(
    server: Server, database: Database
) -> None:
    add_account(database, "ada@example.com", "Ada Admin", "admin")
    nina = add_account(database, "nina@example.com", "Nina New", "mentee")
    session = server.logged_in(nina)
    assert session.get("/api/me").status_code == 200
    with database.sessions() as db:
        # She has a password: only the operator's reset links exist for her.
        with pytest.raises(AuthError):
            create_link(db, "invite", db.get(Person, nina.id), 3600)
        first = create_link(db, "reset", db.get(Person, nina.id), 3600)
        second = create_link(db, "reset", db.get(Person, nina.id), 3600)
    browser = server.browser()
    assert browser.get(f"/invite/{first}").status_code == 404
    assert browser.get(f"/invite/{second}").status_code == 200
    response = browser.post(
        f"/invite/{second}",
        data={"csrf_token": csrf_from_page(browser, f"/invite/{second}"), "password": PASSWORD},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert session.get("/api/me").status_code == 401  # the login from before the reset


def test_the_setup_page_says_when_tandem_is_already_set_up(
    server: Server, database: Database
) -> None:
    with database.sessions() as db:
        token = create_link(db, "setup", None, 3600)
    add_account(database, "ada@example.com", "Ada Admin", "admin")
    page = server.browser().get(f"/setup/{token}")
    assert page.status_code == 404 and "already set up" in page.text


# -- renaming and filing sessions -----------------------------------------------------------------


def test_the_pair_renames_their_sessions_and_nobody_else_does(server: Server, world: World) -> None:
    url = f"/api/sessions/{world.session_a}"
    mentor = server.logged_in(world.mentor_a)
    renamed = mentor.patch(
        url, json={"title": "  Week 3:  rollout  "}, headers=csrf_headers(mentor)
    )
    assert renamed.status_code == 200 and renamed.json()["title"] == "Week 3: rollout"
    assert "Week 3: rollout" in mentor.get(f"/sessions/{world.session_a}").text
    for bad, why in (({"title": ""}, "title"), ({"title": 7}, "string"),
                     ({"title": "x", "status": "ended"}, "unknown"),
                     ({"title": "\u0007bell"}, "cannot be shown"),
                     ({"title": "x" * 301}, "at most")):  # fmt: skip
        response = mentor.patch(url, json=bad, headers=csrf_headers(mentor))
        assert response.status_code == 400 and why in response.text, (bad, response.text)
    # The trainer reads figures, the other pair and the admin do not know the session.
    for account, status in ((world.trainer_a, 403), (world.mentor_b, 404), (world.admin, 404)):
        browser = server.logged_in(account)
        response = browser.patch(url, json={"title": "Mine now"}, headers=csrf_headers(browser))
        assert response.status_code == status, (account.email, response.status_code)
    # The form on the session page does the same.
    form = mentor.post(f"/sessions/{world.session_a}/title",
                       data={"title": "Week 3", "csrf_token": csrf_from_page(mentor)},
                       follow_redirects=False)  # fmt: skip
    assert form.status_code == 303
    assert "<h1>Week 3</h1>" in mentor.get(f"/sessions/{world.session_a}").text


def test_an_admin_files_an_import_under_a_mentorship(
    server: Server, world: World, database: Database
) -> None:
    admin = server.logged_in(world.admin)
    assert admin.get(f"/api/sessions/{world.unassigned}").status_code == 200
    home = admin.get("/").text
    assert f'action="/admin/sessions/{world.unassigned}/file"' in home
    mentee = server.logged_in(world.mentee_a)
    assert mentee.get(f"/api/sessions/{world.unassigned}").status_code == 404
    filed = admin.post(f"/admin/sessions/{world.unassigned}/file",
                       data={"mentorship": str(world.mentorship_a),
                             "csrf_token": csrf_from_page(admin)},
                       follow_redirects=False)  # fmt: skip
    assert filed.status_code == 303
    assert mentee.get(f"/api/sessions/{world.unassigned}").status_code == 200
    assert admin.get(f"/api/sessions/{world.unassigned}").status_code == 404  # not theirs now
    again = admin.post(f"/admin/sessions/{world.unassigned}/file",
                       data={"mentorship": str(world.mentorship_a),
                             "csrf_token": csrf_from_page(admin)})  # fmt: skip
    assert again.status_code == 409
    # Members cannot file anything.
    mentor = server.logged_in(world.mentor_a)
    token = csrf_from_page(mentor)
    refused = mentor.post(
        f"/admin/sessions/{world.session_a}/file", data={"mentorship": "1", "csrf_token": token}
    )
    assert refused.status_code == 403
