"""Hostile input gets a clear 4xx, never a 500: ids that only look like numbers, JSON nested
thousands deep, Infinity and NaN, lone surrogates; private answers are never cached; the page
may open sockets to this server only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from server.db.engine import Database
from server.settings import Settings
from tests.auth_helpers import CSRF_FIELD, Server, World, build_world, csrf_headers, running
from tests.browser import serve


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    with running(settings) as running_server:
        yield running_server


@pytest.fixture
def world(database: Database) -> World:
    return build_world(database)


@pytest.mark.parametrize("spelled", ["+{n}", "{n}_0", "\u0661", " {n}", "0{n}x", "{n}.0"])
def test_ids_that_only_look_like_numbers_are_not_found(
    server: Server, world: World, spelled: str
) -> None:
    mentor = server.logged_in(world.mentor_a)
    assert mentor.get(f"/api/sessions/{world.session_a}").status_code == 200
    odd = spelled.format(n=world.session_a)
    assert mentor.get(f"/api/sessions/{odd}").status_code == 404


def _send_json(browser: TestClient, method: str, url: str, raw: str) -> Response:
    headers = {**csrf_headers(browser), "Content-Type": "application/json"}
    return browser.request(method, url, content=raw.encode(), headers=headers)


def test_bodies_that_break_parsers_get_400(server: Server, world: World) -> None:
    mentor = server.logged_in(world.mentor_a)
    sharing = f"/api/mentorships/{world.mentorship_a}/sharing"
    for raw in ('{"share": ' + "[" * 20000 + "]" * 20000 + "}",
                '{"share": ' + "[" * 50 + "]" * 50 + "}"):  # fmt: skip
        refused = _send_json(mentor, "PUT", sharing, raw)
        assert refused.status_code == 400, refused.text
        assert "nest" in refused.json()["error"]
    admin = server.logged_in(world.admin)
    for literal in ("Infinity", "-Infinity", "NaN"):
        refused = _send_json(admin, "PUT", "/api/targets", f'{{"max_monologue_s": {literal}}}')
        assert refused.status_code == 400 and literal.lstrip("-") in refused.json()["error"]
    person = '{"email": "x@example.org", "name": "A \\ud800 B", "role": "mentee"}'
    refused = _send_json(admin, "POST", "/api/people", person)
    assert refused.status_code == 400 and "Unicode" in refused.json()["error"]
    assert admin.get("/api/people").status_code == 200
    assert "x@example.org" not in admin.get("/api/people").text


def test_private_answers_are_never_cached_and_sockets_stay_home(
    server: Server, world: World
) -> None:
    mentor = server.logged_in(world.mentor_a)
    for path in ("/", f"/sessions/{world.session_a}", "/api/me",
                 f"/api/sessions/{world.session_a}/export.md"):  # fmt: skip
        answer = mentor.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path
    assert "no-store" not in mentor.get("/static/style.css").headers.get("cache-control", "")
    policy = mentor.get("/").headers["content-security-policy"]
    assert "connect-src 'self';" in policy and "ws:" not in policy


@pytest.mark.slow
def test_forwarded_for_is_believed_only_from_configured_proxies(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Twenty failed logins from one address lock that address out, even when each request
    claims another X-Forwarded-For: the test client is on 127.0.0.1, no proxy."""
    with serve(env, tmp_path) as running_server:
        base = running_server.base_url
        with httpx2.Client(base_url=base) as client:
            page = client.get("/login")
            token = CSRF_FIELD.search(page.text)
            assert token is not None
            codes = []
            for number in range(21):
                answer = client.post(
                    "/login",
                    data={"csrf_token": token.group(1), "email": f"g{number}@example.org",
                          "password": "wrong password"},
                    headers={"X-Forwarded-For": f"198.51.100.{number + 1}"},
                )  # fmt: skip
                codes.append(answer.status_code)
    assert codes[:20] == [400] * 20 and codes[20] == 429, codes


@pytest.mark.parametrize(
    ("method", "path", "allowed", "kind"),
    [
        # Two routes share the path (GET and PUT): the answer names both.
        ("DELETE", "/api/targets", "GET, HEAD, PUT", "application/json"),
        ("POST", "/api/sessions/1", "DELETE, GET, HEAD, PATCH", "application/json"),
        ("PUT", "/login", "GET, HEAD, POST", "text/html"),
    ],
)
def test_a_method_not_allowed_is_answered_405_with_the_methods_that_are(
    server: Server, method: str, path: str, allowed: str, kind: str
) -> None:
    anonymous = server.browser()
    answer = anonymous.request(method, path, headers=csrf_headers(anonymous))
    assert answer.status_code == 405, answer.text
    assert answer.headers["allow"] == allowed
    assert answer.headers["content-type"].startswith(kind)
    assert method in answer.text and allowed in answer.text


#: What the API fuzzer (tests/test_api_fuzz.py) found answered 500, or accepted though the
#: schema refuses it: (who, method, path, body, status).
FOUND_BY_THE_FUZZER: list[tuple[str, str, str, dict[str, object], int]] = [
    # Ids past SQLite's integers raised OverflowError where they were looked up.
    ("mentor_b", "PATCH", "/api/action-items/{item_b}", {"goal_id": 2**63}, 400),
    ("mentor_b", "POST", "/api/sessions/{session_b}/action-items",
     {"action": "Call back", "goal_id": 2**63}, 400),
    ("mentor_b", "POST", "/api/sessions/{session_b}/notes", {"text": "Yes", "reply_to": 2**63},
     400),
    # A goal made done at once: Goal() got status twice (TypeError).
    ("mentee_b", "POST", "/api/mentorships/{mentorship_b}/goals",
     {"title": "Read the book", "status": "done"}, 201),
    # Any falsy title (false, 0, {}) fell back to the address.
    ("mentor_b", "POST", "/api/mentorships/{mentorship_b}/resources",
     {"url": "https://example.org/x", "title": {}}, 400),
    # A whole-number target took any number, and cut it (2.5 interruptions were 2).
    ("admin", "PUT", "/api/targets", {"max_interruptions": 2.5}, 400),
    ("trainer_b", "PUT", "/api/mentorships/{mentorship_b}/targets",
     {"max_interruptions": 1e-42}, 400),
    # Emails held spaces and control characters, and 320 characters counted after stripping.
    ("admin", "POST", "/api/people",
     {"email": "\n\n" + "a@b" + "*" * 317, "name": "Long", "role": "mentee"}, 400),
    ("admin", "POST", "/api/people",
     {"email": "ann\r\n@example.org", "name": "Ann", "role": "mentee"}, 400),
    ("admin", "POST", "/api/people",
     {"email": "ann lee@example.org", "name": "Ann", "role": "mentee"}, 400),
    # Digits int() does not take ("²".isdigit() is true).
    ("mentor_b", "GET", "/api/mentorships/{mentorship_b}/action-items?except_session=\u00b2", {},
     400),
    ("admin", "GET", "/api/program/summary?weeks=\u00b2", {}, 400),
]  # fmt: skip


@pytest.mark.parametrize(("who", "method", "path", "body", "status"), FOUND_BY_THE_FUZZER)
def test_what_the_fuzzer_found_gets_a_clear_answer(
    server: Server,
    world: World,
    who: str,
    method: str,
    path: str,
    body: dict[str, object],
    status: int,
) -> None:
    browser = server.logged_in(getattr(world, who))
    url = path.format(**{name: getattr(world, name) for name in re.findall(r"\{(\w+)\}", path)})
    if method == "GET":
        answer = browser.get(url)
    else:
        answer = browser.request(method, url, json=body, headers=csrf_headers(browser))
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    if status == 201:
        assert answer.json()["status"] == "done"
    else:
        assert answer.json()["error"]
